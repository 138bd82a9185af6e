"""Questionnaire: answer one dimension at a time; every answer is saved the moment it is given."""

import datetime as dt

import pandas as pd
import streamlit as st

from assessment.content import level_names
from assessment.model import Answer, scoring_values
from assessment.present import fmt, option_name, plain
from assessment.questionnaire import LEVEL_COUNT
from assessment.scoring import score
from assessment.storage import Conflict, StorageError
from assessment_app.app_pages.level_cards import level_cards
from assessment_app.app_pages.shared import need_assessment, open_store

NA_OPTION = "na"
OPTIONS = [str(i) for i in range(LEVEL_COUNT)] + [NA_OPTION]

store = open_store()
record = need_assessment(store)
q = record.questionnaire
aid = record.id
names = level_names()
answers = store.answers(aid)
# The version of each answer this page last showed: a save that finds another one in the database is a
# conflict. A page run shows what the database holds now, so it takes those versions.
versions = st.session_state.setdefault(f"versions-{aid}", {})
versions.update({qid: a.version for qid, a in answers.items()})
saved_at = st.session_state.setdefault(f"saved-{aid}", {})
conflicts = st.session_state.setdefault(f"conflicts-{aid}", {})
# Questions counted in the progress (a level or N/A): refreshed from the database on every page run.
counted = {qid for qid, a in answers.items() if a.counts}
st.session_state[f"counted-{aid}"] = counted


def card_state(a: Answer | None) -> dict:
    """An answer as its card shows it: the chosen option ("0"–"4", "na" or None), note and link."""
    if a is None:
        return {"value": None, "note": "", "evidence": ""}
    value = NA_OPTION if a.na else (None if a.level is None else str(a.level))
    return {"value": value, "note": a.note, "evidence": a.evidence_url}


# What this session saved since the page last read the database: a click reruns only the cards'
# fragment, which does not read the answers again. Cleared on every page run (the database is fresher).
mine: dict[str, dict] = st.session_state.setdefault(f"mine-{aid}", {})
mine.clear()
known = {x.id for x in q.questions}
RERUN_PAGE = "questionnaire-rerun-page"  # set by a save: the next cards run reruns the whole page


def shown(qid: str) -> dict:
    """What the question's card shows now: this session's last save, else the database as read."""
    return mine.get(qid) or card_state(answers.get(qid))


def save(payload: dict) -> None:
    """Cards callback: write one question's level/N-A, note and evidence link now.

    `payload` is the card as the browser shows it: {qid, changed: "level" | "note" | "evidence", level,
    note, evidence} (level_cards.js); anything malformed is ignored. A missing note or link keeps the
    stored one. Every save names the version this page last saw (0: none yet), so a change someone else
    made meanwhile is never overwritten unseen: the card says who changed it to what, and the next change
    overwrites deliberately.
    """
    if not isinstance(payload, dict):
        return
    qid, changed = payload.get("qid"), payload.get("changed")
    if not isinstance(qid, str) or qid not in known or record.is_final:
        return
    choice = payload.get("level", shown(qid)["value"])
    fields = {name: payload[key] for name, key in (("note", "note"), ("evidence_url", "evidence")) if key in payload}
    if choice not in (*OPTIONS, None) or not all(isinstance(v, str) for v in fields.values()):
        return
    if changed == "level" and choice is not None:
        what, unsaved = Answer(qid, None if choice == NA_OPTION else int(choice), choice == NA_OPTION).label, ""
    elif changed == "note" and "note" in fields:
        what, unsaved = "a note", fields["note"]
    elif changed == "evidence" and "evidence_url" in fields:
        what, unsaved = "an evidence link", fields["evidence_url"]
    else:
        return
    try:
        saved = store.save_answer(
            aid, qid, level=None if choice in (None, NA_OPTION) else int(choice), na=choice == NA_OPTION,
            answered_by="app", expected_version=versions.get(qid, 0), **fields,
        )
    except Conflict as exc:
        theirs = exc.theirs
        conflicts[qid] = {"who": theirs.answered_by, "theirs": theirs.label, "what": what, "unsaved": unsaved}
        versions[qid] = theirs.version  # the next change deliberately overwrites theirs
        mine[qid] = card_state(theirs)
        return
    except StorageError as exc:
        st.session_state["save-error"] = str(exc)
        st.session_state[RERUN_PAGE] = True  # the page shows the error
        return
    versions[qid] = saved.version
    conflicts.pop(qid, None)
    mine[qid] = card_state(saved)
    saved_at[qid] = dt.datetime.now().strftime("%H:%M:%S")
    # A first answer (or a cleared one) moves the progress bars: the whole page must rerun.
    # Changing an existing answer only reruns the cards, which is what keeps clicks fast.
    done = st.session_state[f"counted-{aid}"]
    if (qid in done) != saved.counts:
        done.symmetric_difference_update({qid})
        st.session_state[RERUN_PAGE] = True


st.title("Questionnaire")
st.caption(f"**{plain(record.name)}** · {plain(record.department)} · {plain(q.title)} v{plain(q.version)}")
if record.is_final:
    st.info("This assessment is final and read-only. Answers are shown but cannot be changed.")
if err := st.session_state.pop("save-error", None):
    st.error(f"Not saved: {plain(err)}")

dims = q.ordered_dimensions
current = score(q, scoring_values(answers))
by_dim = current.overall_dimensions.set_index("dimension")
answered_total = current.answered + current.na
st.progress(answered_total / current.total if current.total else 0.0,
            text=f"{answered_total} of {current.total} questions answered")
# (presentation mode keeps only this line above the question: the room reads the question)


def counts(row: pd.Series) -> tuple[int, int]:
    """(questions answered or N/A, questions) of a scoring row."""
    return int(row["answered"] + row["na"]), int(row["total"])


def dim_done(i: int) -> tuple[int, int]:
    return counts(by_dim.loc[dims[i].id])


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
st.query_params["dimension"] = str(index)
dim = dims[index]
row = by_dim.loc[dim.id]
dim_answered, dim_total = dim_done(index)
complete = dim_answered == dim_total
if not presenting:
    # One caption for the dimensions' progress and this dimension's description: the browser redraws
    # every element of the page on each click, so the page keeps few (benchmarks/bench_ui.py).
    progress_line = " · ".join(
        f"{'✓ ' if done == total else ''}{plain(d.name)} {done}/{total}"
        for d, (done, total) in ((dims[i], dim_done(i)) for i in range(len(dims)))
    )
    st.caption(progress_line if complete or not dim.description else f"{progress_line}  \n{plain(dim.description)}")
    if complete:
        st.success(f"{plain(dim.name)} is complete: score **{fmt(row['score'])}** / 4 ({names.name(row['score'])}).")

here = layers_of(index)
if st.session_state.get("layer-step") not in here:
    st.session_state["layer-step"] = here[0]


by_cell = current.dimensions.set_index(["dimension", "layer"])


def cell_done(layer: str) -> str:
    done, total = counts(by_cell.loc[(dim.id, layer)])
    return f"{'✓ ' if done == total else ''}{plain(layer_names[layer])} {done}/{total}"


if len(here) > 1 and not presenting:
    layer = st.segmented_control("Layer", here, key="layer-step", required=True,  # options render Markdown
                                 format_func=lambda lid: plain(layer_names[lid]))
    st.caption(" · ".join(cell_done(x) for x in here))
else:
    layer = st.session_state["layer-step"]
st.query_params["layer"] = layer


def card_data(question) -> dict:  # noqa: ANN001 - a questionnaire Question
    """What the browser needs to draw one question's card (all shown as text, never markup)."""
    current = shown(question.id)
    warning = ""
    if c := conflicts.get(question.id):
        warning = (f"Someone else ({c['who'] or 'another session'}) changed this answer to {c['theirs']} while "
                   f"you gave {c['what']}. Their answer is kept; give yours again to overwrite it.")
        if c["unsaved"]:
            warning += f" Yours, not saved: “{c['unsaved']}”"
    return {
        "id": question.id, "text": question.text, "hint": question.evidence, "value": current["value"],
        "levels": [{"value": str(i), "name": option_name(str(i), names), "description": text}
                   for i, text in enumerate(question.levels)]
        + [{"value": NA_OPTION, "name": option_name(NA_OPTION, names),
            "description": (f"Does not apply: {question.not_applicable_when}" if question.not_applicable_when
                            else "Does not apply to this team")}],
        "note": current["note"], "evidence": current["evidence"],
        "status": f"✓ Saved at {saved_at[question.id]}" if question.id in saved_at and not warning else "",
        "warning": warning,
    }


@st.fragment
def show_cards(questions: list, key: str, heading: str) -> None:
    """The level cards of the questions on screen: a click reruns this fragment only (one element for
    the browser to redraw, benchmarks/bench_ui.py); a first answer reruns the page, so the progress
    bars move."""
    if st.session_state.pop(RERUN_PAGE, False):
        st.rerun(scope="app")
    level_cards([card_data(x) for x in questions], key=key, heading=heading, disabled=record.is_final,
                large=presenting, on_answer=save)


if presenting:
    # One question per screen, readable from the back of the room: every layer of the dimension in turn.
    in_dimension = [x for lid in here for x in cells[(dim.id, lid)]]
    pos_key = f"qpos-{aid}-{dim.id}"
    pos = min(st.session_state.get(pos_key, 0), len(in_dimension) - 1)
    question = in_dimension[pos]
    st.session_state["layer-step"] = question.layer  # leaving presentation mode shows this question's layer
    show_cards([question], key=f"cards-{aid}-{question.id}",
               heading=f"{layer_names[question.layer]} · question {pos + 1} of {len(in_dimension)}")

    def move(step: int) -> None:
        """Relative to the session's position at the click, like the Next/Previous buttons below."""
        st.session_state[pos_key] = min(max(st.session_state.get(pos_key, 0) + step, 0), len(in_dimension) - 1)

    c1, _, c2 = st.columns([1, 3, 1])
    c1.button("← Previous question", disabled=pos == 0, on_click=move, args=(-1,), width="stretch")
    c2.button("Next question →", disabled=pos == len(in_dimension) - 1, on_click=move, args=(1,),
              width="stretch", type="primary")
    step = steps.index((index, here[0]))  # the bottom buttons move a whole dimension here
else:
    show_cards(cells[(dim.id, layer)], key=f"cards-{aid}-{dim.id}-{layer}",
               heading=f"{layer_names[layer]} · {dim.name}" if len(q.layers) > 1 else dim.name)
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
    """The step's name for a button's tooltip (Markdown, so the names are escaped)."""
    i, lid = steps[target]
    name = dims[i].name if presenting or len(q.layers) == 1 else f"{layer_names[lid]} · {dims[i].name}"
    return plain(name)


before, after = neighbour(step, -1, presenting), neighbour(step, +1, presenting)
buttons = st.container(horizontal=True, horizontal_alignment="distribute")  # one block, not three columns
buttons.button("← Previous", disabled=before is None, on_click=go, args=(-1,),
                help=None if before is None else f"Back to {step_label(before)}")
if after is not None:
    buttons.button("Next →", type="primary", on_click=go, args=(+1,), help=f"On to {step_label(after)}")
elif buttons.button("See results →", type="primary"):
    st.switch_page("app_pages/results.py")
