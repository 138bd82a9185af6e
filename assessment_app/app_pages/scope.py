"""Scope: business objectives → layers, dimension weights and targets; custom questionnaire upload."""

import pandas as pd
import streamlit as st

from assessment.content import objectives
from assessment.present import plain
from assessment.questionnaire import MAX_LEVEL, QuestionnaireError, combine, parse_questionnaire
from assessment.scope import Scope, apply, recommend
from assessment.storage import StorageError
from assessment_app.app_pages.shared import (
    available_questionnaires,
    catalogue,
    current_assessment,
    open_store,
    select_assessment,
)

st.title("Scope")
store = open_store()
questionnaires = available_questionnaires(show_errors=True)
if not questionnaires:
    st.warning("No questionnaire is available. Upload one below.")

table = objectives()
by_name = {o.name: o for o in table.objectives}
st.subheader("1 · Business objectives")
st.caption("What the organisation wants AI to achieve decides which layers to assess and what good looks like.")
chosen = st.multiselect(
    "Objectives", list(by_name), default=["Enterprise-wide AI transformation"],
    help="From the Enterprise Decision Framework (objective → framework), plus objectives of our own.",
)

if questionnaires and chosen:
    by_id = {q.id: q for q in questionnaires}
    base_ids = st.multiselect("Questionnaires", list(by_id), default=[q.id for q in questionnaires[:3]],
                              format_func=lambda i: by_id[i].title)
    if not base_ids:
        st.info("Choose at least one questionnaire.")
        st.stop()
    base = combine([by_id[i] for i in base_ids])
    scope = recommend([by_name[n].id for n in chosen], base, table)
    for reason in scope.reasons:
        st.markdown(f"- {plain(reason)}")

    st.subheader("2 · Layers, weights and targets")
    layer_names = {x.id: x.name for x in base.layers}
    layers = st.multiselect("Layers to assess", list(layer_names), default=scope.layers,
                            format_func=layer_names.get)
    dims = base.ordered_dimensions
    left, right = st.columns([2, 3])
    with left:
        st.markdown("**Dimension weights** (1–3)")
        weights_df = st.data_editor(
            pd.DataFrame({"Dimension": [d.name for d in dims], "Weight": [scope.weights[d.id] for d in dims]}),
            hide_index=True, disabled=["Dimension"], key="scope-weights",
            column_config={"Weight": st.column_config.NumberColumn(min_value=1, max_value=3, step=1)},
        )
    with right:
        st.markdown(f"**Target level** per layer and dimension (0–{MAX_LEVEL})")
        targets_df = st.data_editor(
            pd.DataFrame({"Dimension": [d.name for d in dims],
                          **{layer_names[lid]: [scope.target(lid, d.id) for d in dims] for lid in layers}}),
            hide_index=True, disabled=["Dimension"], key="scope-targets",
            column_config={layer_names[lid]: st.column_config.NumberColumn(min_value=0, max_value=MAX_LEVEL, step=1)
                           for lid in layers},
        )
    weights = {d.id: int(w) for d, w in zip(dims, weights_df["Weight"], strict=True)}
    targets = {(lid, d.id): int(targets_df[layer_names[lid]].iloc[i]) for lid in layers for i, d in enumerate(dims)}
    edited = Scope(objectives=scope.objectives, layers=layers, weights=weights, targets=targets)

    st.subheader("3 · Use this scope")
    current = current_assessment(store)
    if current is not None and not current.is_final:
        if st.button(f"Apply these targets to the open assessment “{plain(current.name)}”"):
            own = {k: v for k, v in targets.items() if k[0] in {x.id for x in current.questionnaire.layers}}
            try:
                store.set_targets(current.id, own)
            except StorageError as exc:
                st.error(f"Targets not saved: {plain(exc)}.")
            else:
                st.success(f"Saved {len(own)} targets on “{plain(current.name)}”.")
    with st.form("create-scoped"):
        name = st.text_input("Assessment name", placeholder="e.g. Q1 2027 baseline")
        department = st.text_input("Department")
        facilitator = st.text_input("Facilitator (optional)")
        create = st.form_submit_button("Create assessment with this scope", type="primary")
    if create:
        try:
            q = apply(base, edited, weights)
            new_id = store.create_assessment(name, department, q, facilitator=facilitator, target_levels=targets)
        except (StorageError, ValueError) as exc:
            st.error(f"Not created: {plain(exc)}.")
        else:
            select_assessment(new_id)
            st.switch_page("app_pages/questionnaire.py")

st.subheader("Custom questionnaire")
st.caption("Upload your own YAML in the format of `questionnaires/mlops.yaml`; it is checked before use and "
           "then offered on this page and on Assessments for this session.")
upload = st.file_uploader("Questionnaire YAML", type=["yaml", "yml"])
if upload is not None:
    try:
        custom = parse_questionnaire(upload.getvalue().decode("utf-8"), upload.name)
    except UnicodeDecodeError:
        st.error(f"{plain(upload.name)}: not UTF-8 text.")
    except QuestionnaireError as exc:
        st.error(f"{plain(upload.name)} has {len(exc.errors)} problem(s); nothing was loaded.")
        st.code("\n".join(str(e) for e in exc.errors), language=None)
    else:
        builtin_ids = {q.id for q in catalogue()[0]}
        uploaded = st.session_state.setdefault("uploaded-questionnaires", {})
        if custom.id in builtin_ids:
            st.error(f"{plain(upload.name)}: a questionnaire with id {plain(repr(custom.id))} is already installed; "
                     "give yours another `id:` so both can be told apart (answers are stored by question id).")
            st.stop()
        if uploaded.get(custom.id) != custom:  # new: rerun so the lists above offer it at once
            uploaded[custom.id] = custom
            st.rerun()
        st.success(f"Loaded “{plain(custom.title)}” ({len(custom.questions)} questions, "
                   f"{len(custom.layers)} layers, {len(custom.dimensions)} dimensions).")
