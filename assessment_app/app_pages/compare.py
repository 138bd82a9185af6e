"""Compare: departments side by side, or one department over time."""

import datetime as dt

import pandas as pd
import streamlit as st

from assessment import charts
from assessment.actions import department_progress
from assessment.compare import compare, trend
from assessment.present import department_assessments, fmt, latest_per_department, plain
from assessment_app.app_pages.shared import open_store, show_chart


def changed_questions(changes: list) -> None:
    """The questions that changed between the compared questionnaire versions, as a short list."""
    if changes:
        st.caption(f"{len(changes)} questions changed between the questionnaire versions:")
        st.markdown("\n".join(f"- {plain(str(change))}" for change in changes))


def follow_through(assessments: list) -> None:
    """Per assessment, the share of its roadmap actions done and overdue (dropped ones left out)."""
    rows = department_progress(assessments, dt.date.today())
    st.subheader("Actions done and overdue")
    st.dataframe(pd.DataFrame({
        "Department": [r["department"] for r in rows], "Assessment": [r["assessment"] for r in rows],
        "Date": [r["assessed_on"] for r in rows], "Actions": [r["progress"].counted for r in rows],
        "Done": [fmt(r["progress"].share_done, percent=True) for r in rows],
        "Overdue": [fmt(r["progress"].share_overdue, percent=True) for r in rows],
    }), hide_index=True, width="stretch", key=f"actions-{mode}")

store = open_store()
st.title("Compare")
records = store.list_assessments()
if len(records) < 2:
    st.info("Comparing needs at least two assessments. Create more on the Assessments page, or load the demo "
            "organisation there.")
    st.stop()

mode = st.segmented_control("Compare", ["Departments", "Over time"], default="Departments",
                            key="compare-mode") or "Departments"
by_id = {r.id: r for r in records}
label = {r.id: r.label for r in records}

if mode == "Departments":
    chosen = st.multiselect("Assessments (one per department by default: the latest)", list(by_id),
                            default=latest_per_department(records), format_func=label.get)
    if len(chosen) < 2:
        st.info("Choose at least two assessments.")
        st.stop()
    loaded = store.load_many(chosen)
    try:
        result = compare(loaded)
    except ValueError as exc:
        st.error(f"These assessments cannot be compared: {plain(exc)}.")
        st.stop()
    q = result.questionnaire
    if result.left_out:
        st.warning(f"The assessments use different questionnaire versions: compared on the "
                   f"{len(q.questions)} questions they share; {len(result.left_out)} left out.")
    dims = [d for d in q.ordered_dimensions if d.id in result.pivot.columns]
    names = [d.name for d in dims]
    series = {lbl: [result.pivot.at[lbl, d.id] for d in dims] for lbl in result.pivot.index}
    fig = charts.radar(names, series, title="Dimension scores by department",
                       colours=charts.colour_map(list(series)))
    show_chart(fig, charts.describe_radar(names, series), charts.radar_table(names, series), key="compare-radar")
    changed_questions(result.changes)
    heat = (list(result.pivot.index), names, [[result.pivot.at[lbl, d.id] for d in dims] for lbl in result.pivot.index])
    show_chart(charts.heatmap(*heat, title="Department × dimension"), charts.describe_heatmap(*heat),
               charts.heatmap_table(*heat), key="compare-heatmap")
    st.subheader("Delta against the organisation mean")
    deltas = pd.DataFrame({d.name: [f"{result.deltas.at[lbl, d.id]:+.1f}"
                                    if pd.notna(result.deltas.at[lbl, d.id]) else "–"
                                    for lbl in result.deltas.index] for d in dims},
                          index=pd.Index(result.deltas.index, name=None))
    deltas.loc["Organisation mean"] = [fmt(result.mean[d.id]) for d in dims]
    st.dataframe(deltas, width="stretch")
    st.subheader("Strongest and weakest per dimension")
    st.dataframe(pd.DataFrame({
        "Dimension": result.extremes["dimension_name"],
        "Strongest": result.extremes["strongest"], "Score ": result.extremes["strongest_score"].map(fmt),
        "Weakest": result.extremes["weakest"], "Score": result.extremes["weakest_score"].map(fmt),
    }), hide_index=True, width="stretch")
    follow_through(loaded)
else:
    departments = sorted({r.department for r in records})
    department = st.selectbox("Department", departments)
    _, ids = department_assessments(records, department)
    if len(ids) < 2:
        st.info(f"{plain(department)} has one assessment so far. Duplicate it on the Assessments page to "
                "re-assess later.")
        st.stop()
    loaded = store.load_many(ids)
    result = trend(loaded)
    q = result.comparison.questionnaire
    dims = [d for d in q.ordered_dimensions if d.id in result.scores.columns]
    lines = (list(result.scores.index), {d.name: list(result.scores[d.id]) for d in dims})
    show_chart(charts.trend_lines(*lines, title=f"{department} over time"), charts.describe_trend(*lines),
               charts.trend_table(*lines), key="trend-lines")
    if result.comparison.left_out:
        st.warning(f"The assessments use different questionnaire versions: compared on the "
                   f"{len(q.questions)} questions they share; {len(result.comparison.left_out)} left out.")
    changed_questions(result.comparison.changes)
    st.subheader("Change between consecutive assessments")
    st.dataframe(pd.DataFrame({d.name: [f"{v:+.1f}" if pd.notna(v) else "–" for v in result.changes[d.id]]
                               for d in dims}, index=result.changes.index), width="stretch")
    follow_through(sorted(loaded, key=lambda a: (a.assessed_on, a.id)))
