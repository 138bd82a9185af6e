"""Questionnaire: answer one dimension at a time; every answer is saved the moment it is given."""

import datetime as dt

import streamlit as st

from app_pages.shared import need_assessment, open_store
from assessment.questionnaire import LEVEL_COUNT, level_names
from assessment.report import fmt
from assessment.scoring import score
from assessment.storage import Conflict, StorageError

NA_OPTION = "na"
OPTIONS = [str(i) for i in range(LEVEL_COUNT)] + [NA_OPTION]

store = open_store()
record = need_assessment(store)
q = record.questionnaire
aid = record.id
names = level_names()
answers = store.answers(aid)
versions = st.session_state.setdefault(f"versions-{aid}", {})
for qid, a in answers.items():
    versions.setdefault(qid, a.version)
saved_at = st.session_state.setdefault(f"saved-{aid}", {})
conflicts = st.session_state.setdefault(f"conflicts-{aid}", {})
# Questions counted in the progress (a level or N/A): refreshed from the database on every page run.
counted = {qid for qid, a in answers.items() if a.na or a.level is not None}
st.session_state[f"counted-{aid}"] = counted


def option_of(qid: str) -> str | None:
    a = answers.get(qid)
    if a is None:
        return None
    return NA_OPTION if a.na else (None if a.level is None else str(a.level))


def save(qid: str, field: str) -> None:
    """Widget callback: write this question's answer (level/N-A, note or evidence) now."""
    choice = st.session_state.get(f"lvl-{aid}-{qid}")
    level = None if choice in (None, NA_OPTION) else int(choice)
    kwargs = {}
    if field == "note":
        kwargs["note"] = st.session_state.get(f"note-{aid}-{qid}", "")
    if field == "evidence":
        kwargs["evidence_url"] = st.session_state.get(f"ev-{aid}-{qid}", "")
    try:
        saved = store.save_answer(
            aid, qid, level=level, na=choice == NA_OPTION, answered_by="app",
            expected_version=versions.get(qid), **kwargs,
        )
    except Conflict as exc:
        conflicts[qid] = (choice, exc.theirs.label, exc.theirs.answered_by)
        versions[qid] = exc.theirs.version  # the next click deliberately overwrites theirs
        return
    except StorageError as exc:
        st.session_state["save-error"] = str(exc)
        return
    versions[qid] = saved.version
    conflicts.pop(qid, None)
    saved_at[qid] = dt.datetime.now().strftime("%H:%M:%S")
    # A first answer (or a cleared one) moves the progress bars: the whole page must rerun.
    # Changing an existing answer only reruns its card, which is what keeps clicks fast.
    done = st.session_state[f"counted-{aid}"]
    if (qid in done) != (saved.na or saved.level is not None):
        done.symmetric_difference_update({qid})
        st.session_state["progress-changed"] = True


st.title("Questionnaire")
st.caption(f"**{record.name}** · {record.department} · {q.title} v{q.version}")
if record.is_final:
    st.info("This assessment is final and read-only. Answers are shown but cannot be changed.")
if err := st.session_state.pop("save-error", None):
    st.error(f"Not saved: {err}")

dims = q.ordered_dimensions
current = score(q, {k: a.value for k, a in answers.items() if a.na or a.level is not None})
by_dim = current.overall_dimensions.set_index("dimension")
answered_total = current.answered + current.na
st.progress(answered_total / current.total if current.total else 0.0,
            text=f"{answered_total} of {current.total} questions answered")
# (presentation mode keeps only this line above the question: the room reads the question)


def dim_done(i: int) -> tuple[int, int]:
    row = by_dim.loc[dims[i].id]
    return int(row["answered"] + row["na"]), int(row["total"])


# Where the facilitator is: a dimension, and inside it a layer. The page shows one layer's questions
# of one dimension at a time (five cards, not fifteen): the browser redraws fewer elements on every
# click, and the room reads one block at a time. Next walks the layers, then the dimensions.
cells: dict[tuple[str, str], list] = {}
for question in q.questions:
    cells.setdefault((question.dimension, question.layer), []).append(question)
layer_names = {x.id: x.name for x in q.layers}


def layers_of(i: int) -> list[str]:
    """The layers with questions in the i-th dimension, in the questionnaire's layer order."""
    return [layer.id for layer in q.layers if (dims[i].id, layer.id) in cells]


steps = [(i, layer) for i in range(len(dims)) for layer in layers_of(i)]


def param_int(name: str) -> int:
    try:
        return int(st.query_params.get(name, 0))
    except ValueError:
        return 0


if "dim-index" not in st.session_state or st.session_state.get("dim-of") != aid:
    start = min(max(param_int("dimension"), 0), len(dims) - 1)
    st.session_state["dim-index"] = start
    st.session_state["dim-of"] = aid
    st.session_state["layer-step"] = st.query_params.get("layer")
# Labels must not change while answering: Streamlit matches the selection by its label, so a label
# with a live count would reset the page to the first dimension (streamlit#11268).
index = st.selectbox("Dimension", range(len(dims)), key="dim-index",
                     format_func=lambda i: f"{i + 1}. {dims[i].name}",
                     on_change=lambda: st.session_state.update({"layer-step": None}))  # start at its first layer
presenting = st.session_state.get("presentation", False)
if not presenting:
    st.caption(" · ".join(
        f"{'✓ ' if done == total else ''}{d.name} {done}/{total}"
        for d, (done, total) in ((dims[i], dim_done(i)) for i in range(len(dims)))
    ))
st.query_params["dimension"] = str(index)
dim = dims[index]
row = by_dim.loc[dim.id]
if presenting:
    pass
elif int(row["answered"] + row["na"]) == int(row["total"]):
    st.success(f"{dim.name} is complete: score **{fmt(row['score'])}** / 4 ({names.name(row['score'])}).")
elif dim.description:
    st.caption(dim.description)

here = layers_of(index)
if st.session_state.get("layer-step") not in here:
    st.session_state["layer-step"] = here[0]


by_cell = current.dimensions.set_index(["dimension", "layer"])


def cell_done(layer: str) -> str:
    row = by_cell.loc[(dim.id, layer)]
    done, total = int(row["answered"] + row["na"]), int(row["total"])
    return f"{'✓ ' if done == total else ''}{layer_names[layer]} {done}/{total}"


if len(here) > 1 and not presenting:
    layer = st.segmented_control("Layer", here, key="layer-step", required=True,
                                 format_func=lambda lid: layer_names[lid])
    st.caption(" · ".join(cell_done(x) for x in here))
else:
    layer = st.session_state["layer-step"]
st.query_params["layer"] = layer


def question_card(question) -> None:  # noqa: ANN001 - a questionnaire Question
    """One question: text, evidence hint, the five level cards plus N/A, note and evidence link."""
    key = f"lvl-{aid}-{question.id}"
    if key not in st.session_state:
        st.session_state[key] = option_of(question.id)
    stored = answers.get(question.id)
    if f"note-{aid}-{question.id}" not in st.session_state:
        st.session_state[f"note-{aid}-{question.id}"] = stored.note if stored else ""
    if f"ev-{aid}-{question.id}" not in st.session_state:
        st.session_state[f"ev-{aid}-{question.id}"] = stored.evidence_url if stored else ""
    with st.container(border=True):
        st.markdown(f"**{question.text}**")
        st.caption(f":material/search: {question.evidence}")
        level_choice(question)
        # A popover, not an expander: its inputs are drawn only when opened, which keeps the page light
        # for the browser. A constant label: the popover stays open while its note is saved.
        note, link = st.session_state[f"note-{aid}-{question.id}"], st.session_state[f"ev-{aid}-{question.id}"]
        with st.popover("Note and evidence link", icon=":material/edit_note:", disabled=record.is_final):
            st.text_area("Note", key=f"note-{aid}-{question.id}", on_change=save,
                         args=(question.id, "note"), disabled=record.is_final,
                         placeholder="What the room said, who follows up…")
            st.text_input("Evidence link", key=f"ev-{aid}-{question.id}", on_change=save,
                          args=(question.id, "evidence"), disabled=record.is_final,
                          placeholder="Link to the dashboard, policy or pipeline shown")
        if note or link:  # plain text, never markdown: a note is whatever the room typed
            st.text(" · ".join(x for x in (f"Note: {note}" if note else "", f"Evidence: {link}" if link else "") if x))


@st.fragment
def level_choice(question) -> None:  # noqa: ANN001 - a questionnaire Question
    """The level cards and what became of the last choice: the only part a click reruns.

    A fragment holding just the radio and its status line: choosing a level reruns these two elements,
    not the page, and the browser redraws little (benchmarks/bench_ui.py). A first answer reruns the
    page, so the progress bars move.
    """
    if st.session_state.pop("progress-changed", False):
        st.rerun(scope="app")
    st.radio(
        question.text, OPTIONS, key=f"lvl-{aid}-{question.id}", index=None,
        format_func=lambda o: "N/A" if o == NA_OPTION else f"{o} · {names.levels[int(o)].name}",
        captions=[*question.levels, "Does not apply to this team"],
        on_change=save, args=(question.id, "level"), disabled=record.is_final,
        label_visibility="collapsed",
    )
    if question.id in conflicts:
        mine, theirs, who = conflicts[question.id]
        st.warning(
            f"Someone else ({who or 'another session'}) changed this answer to **{theirs}** while you "
            f"chose **{'N/A' if mine == NA_OPTION else f'level {mine}'}**. Their value is kept; "
            "choose again to overwrite it."
        )
    elif question.id in saved_at:
        st.caption(f"✓ Saved at {saved_at[question.id]}")


if presenting:
    # One question per screen, readable from the back of the room: every layer of the dimension in turn.
    in_dimension = [x for lid in here for x in cells[(dim.id, lid)]]
    pos_key = f"qpos-{aid}-{dim.id}"
    pos = min(st.session_state.get(pos_key, 0), len(in_dimension) - 1)
    question = in_dimension[pos]
    st.session_state["layer-step"] = question.layer  # leaving presentation mode shows this question's layer
    st.subheader(f"{layer_names[question.layer]} · question {pos + 1} of {len(in_dimension)}")
    question_card(question)

    def move(step: int) -> None:
        """Relative to the session's position at the click, like the Next/Previous buttons below."""
        st.session_state[pos_key] = min(max(st.session_state.get(pos_key, 0) + step, 0), len(in_dimension) - 1)

    c1, _, c2 = st.columns([1, 3, 1])
    c1.button("← Previous question", disabled=pos == 0, on_click=move, args=(-1,), width="stretch")
    c2.button("Next question →", disabled=pos == len(in_dimension) - 1, on_click=move, args=(1,),
              width="stretch", type="primary")
    step = steps.index((index, here[0]))  # the bottom buttons move a whole dimension here
else:
    if len(q.layers) > 1:
        st.subheader(f"{layer_names[layer]} · {dim.name}")
    for question in cells[(dim.id, layer)]:
        question_card(question)
    step = steps.index((index, layer))


def neighbour(at: int, direction: int, whole_dimensions: bool) -> int | None:
    """The step before (-1) or after (+1) step `at`; with whole_dimensions, the first step of the
    dimension before or after (presentation mode walks questions itself, the buttons walk dimensions)."""
    target = at + direction
    if whole_dimensions:
        dim_index = steps[at][0] + direction
        target = next((k for k, (i, _) in enumerate(steps) if i == dim_index), -1)
    return target if 0 <= target < len(steps) else None


def go(direction: int) -> None:
    """Button callback, relative to where the session is now (not where the page was drawn), so a
    click that lands while a rerun is still drawing moves one step, from the right place."""
    i = st.session_state.get("dim-index", 0)
    lid = st.session_state.get("layer-step")
    at = steps.index((i, lid)) if (i, lid) in steps else steps.index((i, layers_of(i)[0]))
    target = neighbour(at, direction, st.session_state.get("presentation", False))
    if target is not None:
        st.session_state["dim-index"], st.session_state["layer-step"] = steps[target]


def step_label(target: int) -> str:
    i, lid = steps[target]
    return dims[i].name if presenting or len(q.layers) == 1 else f"{layer_names[lid]} · {dims[i].name}"


prev_col, _, next_col = st.columns([1, 3, 1])
before, after = neighbour(step, -1, presenting), neighbour(step, +1, presenting)
prev_col.button("← Previous", disabled=before is None, width="stretch", on_click=go, args=(-1,),
                help=None if before is None else f"Back to {step_label(before)}")
if after is not None:
    next_col.button("Next →", type="primary", width="stretch", on_click=go, args=(+1,),
                    help=f"On to {step_label(after)}")
elif next_col.button("See results →", type="primary", width="stretch"):
    st.switch_page("app_pages/results.py")
