"""Results: scores against the targets, radars, a layer × dimension heatmap, gaps and the PDF."""

import pandas as pd
import streamlit as st

from assessment import charts
from assessment.analysis import analyse
from assessment.content import level_names
from assessment.present import fmt, plain
from assessment.roadmap import dimension_targets
from assessment_app.app_pages.shared import need_assessment, open_store, show_chart, warm_charts

store = open_store()
record = store.load(need_assessment(store).id)
warm_charts()
q = record.questionnaire
names = level_names()
whole = analyse(record)
analysis, result, targets = whole.gaps, whole.scores, whole.targets

st.title("Results")
st.caption(f"**{plain(record.name)}** · {plain(record.department)} · {record.assessed_on} · {record.status}")

if result.answered == 0:
    st.info("No question has a level yet, so there is nothing to score. Answer some on the Questionnaire page.")
    st.page_link("app_pages/questionnaire.py", label="Go to the Questionnaire", icon=":material/edit_note:")
    st.stop()
if result.coverage < 1:
    missing = result.total - result.answered - result.na
    st.warning(f"Coverage {result.coverage:.0%}: {missing} of {result.total} questions are unanswered, so the "
               "scores describe the answered ones only.")

cols = st.columns(len(q.layers) + 1)
cols[0].metric("Overall", f"{fmt(result.overall)} / 4", names.name(result.overall),
               delta_color="off", delta_arrow="off")
layer_names = {x.id: x.name for x in q.layers}
for col, layer in zip(cols[1:], result.layers.itertuples(), strict=True):
    col.metric(plain(layer_names[layer.layer]), f"{fmt(layer.score)} / 4", names.name(layer.score),
               delta_color="off", delta_arrow="off")

dims = q.ordered_dimensions
labels = [d.name for d in dims]
overall = result.overall_dimensions.set_index("dimension")["score"]
tabs = st.tabs(["All layers", *map(plain, layer_names.values())])
for tab, layer in zip(tabs, [None, *q.layers], strict=True):
    if layer is None:
        scores, goal, title, key = overall, dimension_targets(q, targets), "All layers", "radar-overall"
    else:
        scores = result.dimensions[result.dimensions["layer"] == layer.id].set_index("dimension")["score"]
        goal, title, key = dimension_targets(q, targets, layer.id), layer.name, f"radar-{layer.id}"
    series = {"Current": [scores.get(d.id) for d in dims]}
    with tab:
        show_chart(charts.radar(labels, series, target=goal, title=title),
                   f"{title}: " + charts.describe_radar(labels, series, target=goal),
                   charts.radar_table(labels, series, target=goal), key=key)

st.subheader("Layer × dimension")
pivot = result.dimensions.pivot(index="layer", columns="dimension", values="score")
heat = ([layer_names[x.id] for x in q.layers], labels, [[pivot.loc[x.id, d.id] for d in dims] for x in q.layers])
show_chart(charts.heatmap(*heat), charts.describe_heatmap(*heat), charts.heatmap_table(*heat), key="heatmap")

st.subheader("Scores")
dim_names = {d.id: d.name for d in q.dimensions}
table = pd.DataFrame({
    "Layer": result.dimensions["layer"].map(layer_names),
    "Dimension": result.dimensions["dimension"].map(dim_names),
    "Score": result.dimensions["score"].round(1),
    "Level": result.dimensions["score"].map(names.name),
    "Target": [targets[(r.layer, r.dimension)] for r in result.dimensions.itertuples()],
    "Answered": [f"{r.answered + r.na} / {r.total}" + (f" ({r.na} N/A)" if r.na else "")
                 for r in result.dimensions.itertuples()],
})
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"Score": st.column_config.NumberColumn(format="%.1f")})

st.subheader("Gaps to target")
if analysis.dimensions.empty:
    st.success("Every scored dimension is at or above its target.")
else:
    st.dataframe(pd.DataFrame({
        "Layer": analysis.dimensions["layer_name"], "Dimension": analysis.dimensions["dimension_name"],
        "Score": analysis.dimensions["score"].round(1), "Target": analysis.dimensions["target"],
        "Gap": analysis.dimensions["gap"].round(1), "Why it matters": analysis.dimensions["reason"],
    }), hide_index=True, width="stretch")
    st.page_link("app_pages/roadmap.py", label="Turn the gaps into a roadmap", icon=":material/route:")

st.subheader("Report")


def build_pdf() -> bytes:
    from assessment.report import assessment_pdf

    return assessment_pdf(store.load(record.id))  # as saved when the button is clicked


st.download_button(
    "Download PDF report", data=build_pdf, file_name=f"assessment-{record.id}-report.pdf",
    mime="application/pdf", type="primary", icon=":material/picture_as_pdf:",
)
st.caption("The PDF is built when you click (a few seconds): summary, radars, gaps, roadmap and every answer.")
