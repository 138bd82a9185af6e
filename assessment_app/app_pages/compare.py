"""Compare: departments side by side, or one department over time."""

import datetime as dt

import pandas as pd
import streamlit as st

from assessment import charts
from assessment import portfolio as folio
from assessment.actions import department_progress
from assessment.compare import compare, trend
from assessment.exchange import ImportError_
from assessment.exchange.orgfile import export_org_csv, parse_org_csv
from assessment.present import department_assessments, fmt, latest_per_department, plain
from assessment.storage import StorageError
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

def organisation() -> None:
    """Departments in business units: listed, set, renamed, loaded from and downloaded as a CSV."""
    units = store.business_units()
    with st.expander("Organisation: departments in business units", expanded="org-flash" in st.session_state):
        if flash := st.session_state.pop("org-flash", None):
            st.success(flash)
        if not units:
            st.caption("No departments yet.")
            return
        st.markdown("\n".join(f"- **{plain(folio.unit_name(u))}** ({len(ds)}): {plain(', '.join(ds))}"
                               for u, ds in units.items()))
        everyone = sorted(d for ds in units.values() for d in ds)
        with st.form("org-set", border=False):
            chosen = st.multiselect("Departments", everyone, key="org-departments")
            unit = st.text_input("Business unit (empty: none)", key="org-unit")
            if st.form_submit_button("Put them in this business unit"):
                org_change(lambda: store.set_business_units(dict.fromkeys(chosen, unit)),
                           lambda n: f"{n} department(s) moved.")
        if named := [u for u in units if u]:
            with st.form("org-rename", border=False):
                old = st.selectbox("Business unit to rename", named, key="org-old")
                new = st.text_input("New name", key="org-new")
                if st.form_submit_button("Rename"):
                    org_change(lambda: store.rename_business_unit(old, new), lambda n: f"Renamed ({n} department(s)).")
        upload = st.file_uploader("A CSV with the columns department,business_unit", type=["csv"], key="org-upload")
        if upload is not None and st.button("Apply the CSV", key="org-apply"):
            org_change(lambda: store.set_business_units(parse_org_csv(upload.getvalue(), upload.name)),
                       lambda n: f"{n} department(s) changed.")
        st.download_button("Download as CSV", data=export_org_csv(store.department_units()),
                           file_name="organisation.csv", mime="text/csv", icon=":material/download:",
                           key="org-download")


def org_change(change, done) -> None:  # noqa: ANN001 - callables
    """Make one change to the organisation: an error in one line, or a message over the rerun page."""
    try:
        n = change()
    except (StorageError, ImportError_) as exc:
        st.error(f"Nothing changed: {plain(exc)}")
        return
    st.session_state["org-flash"] = done(n)
    st.rerun()


def percent(value: float) -> str:
    return fmt(value, percent=True)


def relative_table(rows: pd.DataFrame, first: str, *, key: str) -> None:
    """Percentage to target and progress to date, written out (a note where progress has none)."""
    st.dataframe(pd.DataFrame({
        first: rows["name"], "Departments": rows["departments"],
        "Percentage to target": rows["percentage_to_target"].map(percent),
        "Progress to date": [percent(p) if pd.notna(p) else f"– ({n})"
                             for p, n in zip(rows["progress"], rows["progress_note"], strict=True)],
    }), hide_index=True, width="stretch", key=key)


def relative_metrics(loaded: list) -> None:
    """Each department's and business unit's percentage to target and progress since its previous assessment."""
    current = folio.latest_each(loaded)
    p = folio.portfolio(current, folio.baselines(current, records, store.load_many))
    st.subheader("Progress against targets")
    st.caption("Percentage to target = 1 − Σ(target − score) / Σ target over the layer × dimension cells "
               "(100%: every cell at its target). Progress to date = (score − baseline) / (target − baseline), "
               "the baseline being each department's previous assessment: 100% is the target reached, a negative "
               "share a decline. Departments in no business unit count under Unassigned.")
    departments = p.relative_rows("department").merge(
        p.departments[["department", "business_unit", "assessed_on", "baseline_on"]], left_on="name",
        right_on="department", suffixes=("", "_"))
    st.dataframe(pd.DataFrame({
        "Department": departments["name"], "Business unit": departments["business_unit"],
        "Assessed": departments["assessed_on"].astype(str),
        "Baseline": [str(b) if b is not None and pd.notna(b) else "none" for b in departments["baseline_on"]],
        "Percentage to target": departments["percentage_to_target"].map(percent),
        "Progress to date": [percent(v) if pd.notna(v) else f"– ({n})"
                             for v, n in zip(departments["progress"], departments["progress_note"], strict=True)],
    }), hide_index=True, width="stretch", key="relative-departments")
    st.subheader("Business units")
    relative_table(pd.concat([p.relative_rows("business_unit"), p.relative_rows("organisation")]), "Business unit",
                   key="relative-units")
    dims = p.rollups[p.rollups["kind"] == "dimension"]
    spread = dims.assign(text=[f"{fmt(m)} ({fmt(lo)}–{fmt(hi)}, sd {fmt(sd, 2)})" for m, lo, hi, sd
                               in zip(dims["mean"], dims["min"], dims["max"], dims["std"], strict=True)])
    st.caption("Mean per dimension, with the lowest and highest department and the standard deviation:")
    table = spread.pivot(index="business_unit", columns="name", values="text")
    table = table.reindex(index=list(dict.fromkeys(spread["business_unit"])),
                          columns=list(dict.fromkeys(spread["name"])))
    table.index.name = table.columns.name = None
    st.dataframe(table, width="stretch", key="rollups-dimensions")


def movement_section() -> None:
    """Between two dates: the most improved and most declined per dimension and business unit, and who was not
    re-assessed."""
    st.subheader("Movement over time")
    first, last = min(r.assessed_on for r in records), max(r.assessed_on for r in records)
    start_col, end_col = st.columns(2)
    start = start_col.date_input("From", value=max(first, last - dt.timedelta(days=182)), key="move-from")
    end = end_col.date_input("To", value=last, key="move-to")
    try:
        m = folio.movement(store.load_many(folio.movement_ids(records, start, end)), start, end)
    except ValueError as exc:
        st.error(plain(exc))
        return
    if m.leaders.empty:
        st.info(f"No department was assessed both by {start} and between {start} and {end}.")
    else:
        st.dataframe(pd.DataFrame({
            "Business unit": m.leaders["business_unit"], "Dimension": m.leaders["dimension_name"],
            "Departments": m.leaders["departments"],
            "Most improved": [f"{d} ({fmt(v, signed=True)})" if d else "none"
                              for d, v in zip(m.leaders["most_improved"], m.leaders["improved_by"], strict=True)],
            "Most declined": [f"{d} ({fmt(v, signed=True)})" if d else "none"
                              for d, v in zip(m.leaders["most_declined"], m.leaders["declined_by"], strict=True)],
        }), hide_index=True, width="stretch", key="movement-leaders")
    if not m.not_reassessed.empty:
        st.caption(f"Not re-assessed since {start}:")
        st.dataframe(pd.DataFrame({
            "Department": m.not_reassessed["department"], "Business unit": m.not_reassessed["business_unit"],
            "Last assessed": m.not_reassessed["last_date"]}), hide_index=True, width="stretch", key="movement-stale")


store = open_store()
st.title("Compare")
records = store.list_assessments()
organisation()
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
    relative_metrics(loaded)
    movement_section()
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
