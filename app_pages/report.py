"""Report: what the PDF will contain, and the downloads (assessment, comparison, trend)."""

import streamlit as st

from app_pages.shared import current_assessment, open_store, warm_charts
from assessment.questionnaire import level_names
from assessment.report import fmt
from assessment.roadmap import PHASE_NAMES, gap_analysis, plan, targets_for

store = open_store()
warm_charts()
st.title("Report")
paper = st.segmented_control("Paper", ["A4", "Letter"], default="A4", key="paper") or "A4"
names = level_names()

st.subheader("This assessment")
record = current_assessment(store)
if record is None:
    st.info("Open an assessment on the Assessments page to preview and download its report.")
else:
    q = record.questionnaire
    answers = store.answers(record.id)
    values = {k: a.value for k, a in answers.items() if a.na or a.level is not None}
    targets = targets_for(q, store.targets(record.id))
    analysis = gap_analysis(q, values, targets)
    result = analysis.scores
    roadmap = plan(analysis)
    st.caption(f"**{record.name}** · {record.department} · {record.assessed_on} · {q.title} v{q.version}")
    with st.container(border=True):
        st.markdown("**Sections of the PDF**")
        strengths = result.overall_dimensions.dropna(subset=["score"]).nlargest(3, "score")
        dim_names = {d.id: d.name for d in q.dimensions}
        st.markdown("\n".join([
            f"1. **Cover** — {record.organisation}, {record.department}, {record.assessed_on}"
            + (f", facilitated by {record.facilitator}" if record.facilitator else ""),
            "2. **Contents** with page numbers",
            f"3. **Executive summary** — overall {fmt(result.overall)} / 4 ({names.name(result.overall)}); "
            f"strengths: {', '.join(dim_names[d] for d in strengths['dimension']) or '–'}; "
            f"{len(analysis.dimensions)} layer × dimension cells under target",
            *[f"4. **{layer.name}** — radar against target, dimension table, gap bars" for layer in q.layers],
            "5. **Roadmap** — " + ", ".join(f"{PHASE_NAMES[p]}: {len(i)}" for p, i in roadmap.by_phase().items()),
            "6. **NIST AI RMF coverage** of the questions asked",
            f"7. **Appendix** — all {result.total} questions with the level chosen, notes and evidence links;"
            " level glossary",
        ]))
        if result.coverage < 1:
            st.warning(f"{result.total - result.answered - result.na} questions are unanswered; the report marks them.")

    def single_pdf() -> bytes:
        from assessment.report import assessment_pdf, vote_summaries

        return assessment_pdf(store.get_assessment(record.id), store.answers(record.id),
                              targets=store.targets(record.id), paper=paper,
                              votes=vote_summaries(store, record.id))

    st.download_button("Download PDF report", data=single_pdf, file_name=f"assessment-{record.id}-report.pdf",
                       mime="application/pdf", type="primary", icon=":material/picture_as_pdf:", key="pdf-single")

records = store.list_assessments()
st.subheader("Comparison report")
if len(records) < 2:
    st.info("A comparison needs at least two assessments.")
else:
    label = {r.id: f"{r.department} · {r.assessed_on} · #{r.id}" for r in records}
    latest: dict[str, int] = {}
    for r in sorted(records, key=lambda r: (r.assessed_on, r.id)):
        latest[r.department] = r.id
    chosen = st.multiselect("Assessments to compare", list(label), default=list(latest.values()),
                            format_func=label.get, key="report-compare")

    def comparison() -> bytes:
        from assessment.report import comparison_pdf

        return comparison_pdf(store, list(chosen), paper=paper)

    st.download_button("Download comparison report", data=comparison, file_name="comparison-report.pdf",
                       mime="application/pdf", icon=":material/picture_as_pdf:", disabled=len(chosen) < 2,
                       key="pdf-compare")

    st.subheader("Trend report")
    departments = sorted({r.department for r in records if sum(x.department == r.department for x in records) > 1})
    if not departments:
        st.info("A trend needs a department assessed at least twice (duplicate an assessment to re-assess).")
    else:
        department = st.selectbox("Department", departments, key="report-trend")

        def trend_report() -> bytes:
            from assessment.report import trend_pdf

            return trend_pdf(store, department, paper=paper)

        st.download_button("Download trend report", data=trend_report,
                           file_name=f"trend-{department.lower().replace(' ', '-')}.pdf", mime="application/pdf",
                           icon=":material/picture_as_pdf:", key="pdf-trend")
