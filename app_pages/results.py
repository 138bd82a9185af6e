"""Results: scores against the target, radars, gaps and the PDF report download."""

import pandas as pd
import streamlit as st

from app_pages.shared import need_assessment, open_store, warm_charts
from assessment.questionnaire import level_names
from assessment.report import assessment_pdf, fmt, radar_figures
from assessment.scoring import DEFAULT_TARGET, gaps, score

store = open_store()
if store is None:
    st.stop()
record = need_assessment(store)
warm_charts()
q = record.questionnaire
names = level_names()
answers = store.answers(record.id)
result = score(q, {k: a.value for k, a in answers.items() if a.na or a.level is not None})

st.title("Results")
st.caption(f"**{record.name}** · {record.department} · {record.assessed_on} · target level {DEFAULT_TARGET}")

if result.answered == 0:
    st.info("No question has a level yet, so there is nothing to score. Answer some on the Questionnaire page.")
    st.page_link("app_pages/questionnaire.py", label="Go to the Questionnaire", icon=":material/edit_note:")
    st.stop()
if result.coverage < 1:
    st.warning(f"{result.total - result.answered - result.na} of {result.total} questions are unanswered; "
               "scores cover the answered ones only.")

cols = st.columns(len(q.layers) + 1)
cols[0].metric("Overall", f"{fmt(result.overall)} / 4", names.name(result.overall), delta_color="off", delta_arrow="off")
for col, layer in zip(cols[1:], result.layers.itertuples(), strict=True):
    layer_name = next(x.name for x in q.layers if x.id == layer.layer)
    col.metric(layer_name, f"{fmt(layer.score)} / 4", names.name(layer.score),
               delta_color="off", delta_arrow="off")

figures = radar_figures(result)
tabs = st.tabs(["All layers", *[x.name for x in q.layers]])
for tab, key in zip(tabs, ["overall", *[x.id for x in q.layers]], strict=True):
    with tab:
        st.plotly_chart(figures[key], width="stretch", config={"displaylogo": False}, key=f"radar-{key}")

st.subheader("Scores by layer and dimension")
dim_names = {d.id: d.name for d in q.dimensions}
layer_names = {x.id: x.name for x in q.layers}
table = pd.DataFrame({
    "Layer": result.dimensions["layer"].map(layer_names),
    "Dimension": result.dimensions["dimension"].map(dim_names),
    "Score": result.dimensions["score"].round(1),
    "Level": result.dimensions["score"].map(names.name),
    "Answered": result.dimensions["answered"].astype(str) + " / " + result.dimensions["total"].astype(str),
})
st.dataframe(table, hide_index=True, width="stretch")

st.subheader("Gaps to target")
gap_rows = gaps(q, result, DEFAULT_TARGET)
if gap_rows.empty:
    st.success(f"Every scored dimension is at or above level {DEFAULT_TARGET}.")
else:
    st.dataframe(pd.DataFrame({
        "Layer": gap_rows["layer_name"], "Dimension": gap_rows["dimension_name"],
        "Score": gap_rows["score"].round(1), "Gap": gap_rows["gap"].round(1),
        "Dimension weight": gap_rows["dimension_weight"],
    }), hide_index=True, width="stretch")

st.subheader("Report")


def build_pdf() -> bytes:
    return assessment_pdf(store.get_assessment(record.id), store.answers(record.id))


st.download_button(
    "Download PDF report", data=build_pdf, file_name=f"assessment-{record.id}-report.pdf",
    mime="application/pdf", type="primary", icon=":material/picture_as_pdf:",
)
st.caption("The PDF is built when you click (a few seconds): cover, scores, radars, gaps and every answer.")
