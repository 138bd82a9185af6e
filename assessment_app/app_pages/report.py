"""Report: what the PDF will contain, and the downloads (assessment, comparison, trend)."""

import streamlit as st

from assessment.analysis import analyse
from assessment.content import level_names
from assessment.present import department_assessments, fmt, latest_per_department, plain, trend_departments
from assessment.roadmap import PHASE_NAMES
from assessment_app.app_pages.shared import current_assessment, open_store, warm_charts

store = open_store()
warm_charts()
st.title("Report")
paper = st.segmented_control("Paper", ["A4", "Letter"], default="A4", key="paper") or "A4"
names = level_names()

st.subheader("This assessment")
details = current_assessment(store)
if details is None:
    st.info("Open an assessment on the Assessments page to preview and download its report.")
else:
    record = store.load(details.id)
    q = record.questionnaire
    whole = analyse(record)  # what the PDF is built from
    analysis, result, roadmap = whole.gaps, whole.scores, whole.roadmap
    layer_names, dim_names = whole.layer_names(), whole.dimension_names()
    st.caption(f"**{plain(record.name)}** · {plain(record.department)} · {record.assessed_on} · {plain(q.title)} "
               f"v{plain(q.version)}")
    with st.container(border=True):
        st.markdown("**Sections of the PDF**")
        st.markdown("\n".join([
            f"1. **Cover** — {plain(record.organisation)}, {plain(record.department)}, {record.assessed_on}"
            + (f", facilitated by {plain(record.facilitator)}" if record.facilitator else ""),
            "2. **Contents** with page numbers",
            f"3. **Executive summary** — overall {fmt(result.overall)} / 4 ({names.name(result.overall)}); "
            "strengths: " + (", ".join(f"{plain(dim_names[r.dimension])} in {plain(layer_names[r.layer])}"
                                       for r in whole.strengths.itertuples()) or "–")
            + f"; {len(analysis.dimensions)} layer × dimension cells under target",
            *[f"4. **{plain(layer.name)}** — radar against target, dimension table, gap bars" for layer in q.layers],
            "5. **Roadmap** — " + ", ".join(f"{PHASE_NAMES[p]}: {len(i)}" for p, i in roadmap.by_phase().items()),
            "6. **NIST AI RMF coverage** of the questions asked",
            f"7. **Appendix** — all {result.total} questions with the level chosen, notes and evidence links;"
            " level glossary",
        ]))
        if result.coverage < 1:
            st.warning(f"{result.total - result.answered - result.na} questions are unanswered; the report marks them.")

    def single_pdf() -> bytes:
        from assessment.report import assessment_pdf

        return assessment_pdf(store.load(record.id), paper=paper)  # as saved when the button is clicked

    st.download_button("Download PDF report", data=single_pdf, file_name=f"assessment-{record.id}-report.pdf",
                       mime="application/pdf", type="primary", icon=":material/picture_as_pdf:", key="pdf-single")

records = store.list_assessments()
st.subheader("Comparison report")
if len(records) < 2:
    st.info("A comparison needs at least two assessments.")
else:
    label = {r.id: r.label for r in records}
    chosen = st.multiselect("Assessments to compare", list(label), default=latest_per_department(records),
                            format_func=label.get, key="report-compare")

    def comparison() -> bytes:
        from assessment.portfolio import baselines, latest_each
        from assessment.report import comparison_pdf

        entries = store.load_many(chosen)  # progress from each department's previous assessment, as on Compare
        return comparison_pdf(entries, paper=paper,
                              baselines=baselines(latest_each(entries), records, store.load_many))

    st.download_button("Download comparison report", data=comparison, file_name="comparison-report.pdf",
                       mime="application/pdf", icon=":material/picture_as_pdf:", disabled=len(chosen) < 2,
                       key="pdf-compare")

    st.subheader("Trend report")
    departments = trend_departments(records)
    if not departments:
        st.info("A trend needs a department assessed at least twice (duplicate an assessment to re-assess).")
    else:
        department = st.selectbox("Department", departments, key="report-trend")

        def trend_report() -> bytes:
            from assessment.report import trend_pdf

            return trend_pdf(store.load_many(department_assessments(records, department)[1]), paper=paper)

        st.download_button("Download trend report", data=trend_report,
                           file_name=f"trend-{department.lower().replace(' ', '-')}.pdf", mime="application/pdf",
                           icon=":material/picture_as_pdf:", key="pdf-trend")
