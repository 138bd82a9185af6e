"""Assessments: open an existing assessment or create a new one."""

import pandas as pd
import streamlit as st

from app_pages.shared import catalogue, current_assessment, open_store, select_assessment
from assessment.questionnaire import combine
from assessment.storage import StorageError

st.title("Assessments")
store = open_store()
if store is None:
    st.stop()

questionnaires, load_errors = catalogue()
for err in load_errors:
    st.error(f"Questionnaire file problem — {err}")

current = current_assessment(store)
if current is not None:
    st.success(f"Open: **{current.name}** ({current.department}, {current.assessed_on}).")

records = store.list_assessments()
st.subheader("Open an assessment")
if not records:
    st.info("No assessments yet. Create the first one below.")
else:
    table = pd.DataFrame([r.summary() for r in records])[
        ["id", "name", "department", "date", "status", "questionnaire"]
    ]
    st.dataframe(table, hide_index=True, width="stretch")
    labels = {r.id: f"#{r.id} · {r.name} · {r.department} · {r.assessed_on}" for r in records}
    col_pick, col_open = st.columns([4, 1], vertical_alignment="bottom")
    chosen = col_pick.selectbox(
        "Assessment", list(labels), format_func=labels.get,
        index=list(labels).index(current.id) if current and current.id in labels else 0,
    )
    if col_open.button("Open", type="primary", width="stretch"):
        select_assessment(chosen)
        st.switch_page("app_pages/questionnaire.py")

st.subheader("Create an assessment")
if not questionnaires:
    st.warning("No questionnaire could be loaded, so no assessment can be created. Fix the files listed above.")
    st.stop()
with st.form("create", clear_on_submit=False, enter_to_submit=True):
    name = st.text_input("Name", placeholder="e.g. Q4 2026 baseline")
    department = st.text_input("Department", placeholder="e.g. Data Science Platform")
    facilitator = st.text_input("Facilitator (optional)")
    by_id = {q.id: q for q in questionnaires}
    scope = st.multiselect(
        "Layers to assess", list(by_id), default=list(by_id),
        format_func=lambda qid: f"{by_id[qid].title} ({len(by_id[qid].questions)} questions)",
    )
    submitted = st.form_submit_button("Create assessment", type="primary")
if submitted:
    if not scope:
        st.error("Choose at least one layer to assess.")
    else:
        try:
            new_id = store.create_assessment(
                name, department, combine([by_id[qid] for qid in scope]), facilitator=facilitator
            )
        except StorageError as exc:
            st.error(f"Not created: {exc}.")
        else:
            select_assessment(new_id)
            st.switch_page("app_pages/questionnaire.py")
