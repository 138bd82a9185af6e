"""Assessments: list with filters, open, create, duplicate (re-assess later), delete, demo data."""

import datetime as dt

import pandas as pd
import streamlit as st

from assessment.demo import create_demo_organisation
from assessment.present import plain
from assessment.questionnaire import combine
from assessment.storage import StorageError
from assessment_app.app_pages.shared import (
    available_questionnaires,
    current_assessment,
    forget_assessment,
    open_store,
    select_assessment,
)

st.title("Assessments")
store = open_store()

questionnaires = available_questionnaires(show_errors=True)

current = current_assessment(store)
if current is not None:
    st.success(f"Open: **{plain(current.name)}** ({plain(current.department)}, {current.assessed_on}, "
               f"{current.status}).")

records = store.list_assessments()
if not records:
    st.info("No assessments yet. Create the first one below, or load a demo organisation to look around.")
    if questionnaires and st.button("Load the demo organisation (3 departments × 2 dates)"):
        bar = st.progress(0.0, text="Creating demo assessments…")
        create_demo_organisation(store, combine(questionnaires[:3]),
                                 progress=lambda i, n: bar.progress(i / n, text=f"Created {i} of {n}"))
        st.rerun()
else:
    st.subheader("Open an assessment")
    f1, f2, f3 = st.columns(3)
    departments = sorted({r.department for r in records})
    dep_filter = f1.multiselect("Department", departments, placeholder="All departments")
    status_filter = f2.multiselect("Status", ["draft", "final"], placeholder="Any status")
    dates = [r.assessed_on for r in records]
    date_range = f3.date_input("Date between", (min(dates), max(dates)), format="YYYY-MM-DD")
    lo, hi = (date_range if isinstance(date_range, tuple) and len(date_range) == 2 else (min(dates), max(dates)))
    shown = [r for r in records
             if (not dep_filter or r.department in dep_filter)
             and (not status_filter or r.status in status_filter) and lo <= r.assessed_on <= hi]
    if not shown:
        st.info("No assessment matches these filters.")
    else:
        table = pd.DataFrame([r.summary() for r in shown])[["id", "name", "department", "date", "status",
                                                              "questionnaire"]]
        st.dataframe(table, hide_index=True, width="stretch")
        labels = {r.id: f"#{r.id} · {r.name} · {r.department} · {r.assessed_on} · {r.status}" for r in shown}
        ids = list(labels)
        chosen = st.selectbox("Assessment", ids, format_func=labels.get,
                              index=ids.index(current.id) if current and current.id in ids else 0)
        b1, b2, b3 = st.columns(3)
        if b1.button("Open", type="primary", width="stretch"):
            select_assessment(chosen)
            st.switch_page("app_pages/questionnaire.py")
        with b2.popover("Duplicate (re-assess later)", width="stretch"):
            source = next(r for r in shown if r.id == chosen)
            new_name = st.text_input("New name", value=f"{source.department} — {dt.date.today():%B %Y}")
            new_date = st.date_input("Assessment date", dt.date.today(), format="YYYY-MM-DD")
            copy = st.checkbox("Start from the previous answers", value=False)
            if st.button("Create the copy", type="primary"):
                try:
                    new_id = store.duplicate_assessment(chosen, new_name, assessed_on=new_date, copy_answers=copy)
                except StorageError as exc:
                    st.error(f"Not copied: {plain(exc)}.")
                else:
                    select_assessment(new_id)
                    st.switch_page("app_pages/questionnaire.py")
        with b3.popover("Delete…", width="stretch"):
            st.warning(f"Delete {plain(labels[chosen])} and all its answers? This cannot be undone.")
            confirm = st.text_input("Type DELETE to confirm", key=f"confirm-delete-{chosen}")
            if st.button("Delete for good", type="primary", disabled=confirm.strip() != "DELETE"):
                store.delete_assessment(chosen)
                if current is not None and current.id == chosen:
                    forget_assessment()
                st.toast(f"Deleted assessment #{chosen}.")
                st.rerun()

st.subheader("Create an assessment")
st.caption("To choose layers and targets from business objectives, use the **Scope** page instead.")
if not questionnaires:
    st.warning("No questionnaire could be loaded, so no assessment can be created. Fix the files listed above.")
    st.stop()
with st.form("create", clear_on_submit=False, enter_to_submit=True):
    name = st.text_input("Name", placeholder="e.g. Q4 2026 baseline")
    department = st.text_input("Department", placeholder="e.g. Data Science Platform")
    facilitator = st.text_input("Facilitator (optional)")
    by_id = {q.id: q for q in questionnaires}
    scope = st.multiselect(
        "Layers to assess", list(by_id), default=[q.id for q in questionnaires[:3]],
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
            st.error(f"Not created: {plain(exc)}.")
        else:
            select_assessment(new_id)
            st.switch_page("app_pages/questionnaire.py")
