"""Roadmap: prioritised gaps with their reasons, the Now / Next / Later plan, targets edited in place."""

import pandas as pd
import streamlit as st

from assessment import charts
from assessment.analysis import analyse, effective_targets
from assessment.present import plain
from assessment.questionnaire import MAX_LEVEL
from assessment.roadmap import PHASE_NAMES
from assessment.storage import StorageError
from assessment_app.app_pages.shared import need_assessment, open_store

store = open_store()
record = store.load(need_assessment(store).id)
q = record.questionnaire

st.title("Roadmap")
st.caption(f"**{plain(record.name)}** · {plain(record.department)} · {record.assessed_on}")

with st.expander("Targets (edit in place)", expanded=False):
    targets = effective_targets(record)
    dims = q.ordered_dimensions
    layer_names = {x.id: x.name for x in q.layers}
    grid = pd.DataFrame({"Dimension": [d.name for d in dims],
                         **{layer_names[lid]: [targets[(lid, d.id)] for d in dims] for lid in layer_names}})
    edited = st.data_editor(
        grid, hide_index=True, disabled=["Dimension"] + ([*layer_names.values()] if record.is_final else []),
        key=f"targets-{record.id}",
        column_config={name: st.column_config.NumberColumn(min_value=0, max_value=MAX_LEVEL, step=1)
                       for name in layer_names.values()},
    )
    new_targets = {(lid, d.id): int(edited[layer_names[lid]].iloc[i])
                   for lid in layer_names for i, d in enumerate(dims)}
    if new_targets != targets:
        try:
            store.set_targets(record.id, new_targets)
        except StorageError as exc:
            st.error(f"Targets not saved: {plain(exc)}.")
        else:
            st.toast("Targets saved")
            targets = new_targets
    if record.is_final:
        st.caption("This assessment is final: targets are read-only.")

capacity = st.slider("Items per phase", 1, 15, 5, help="How many improvements the team can take on per phase.")
whole = analyse(record, capacity=capacity, targets=targets)
analysis, plan_ = whole.gaps, whole.roadmap

if analysis.scores.answered == 0:
    st.info("Answer some questions first: the roadmap is built from the gaps between answers and targets.")
    st.stop()
if not analysis.unanswered.empty:
    st.warning(f"{len(analysis.unanswered)} questions are unanswered and so not in the roadmap yet.")
if not plan_.items:
    st.success("Every answered question is at or above its target: nothing to plan.")
    st.stop()

st.subheader("Timeline")
st.plotly_chart(charts.roadmap_timeline(charts.timeline_items(plan_.items)), width="stretch",
                config={"displaylogo": False},
                key="timeline")

for phase, items in plan_.by_phase().items():
    if not items:
        continue
    st.subheader(f"{PHASE_NAMES[phase]} · {len(items)} items")
    st.dataframe(pd.DataFrame({
        "Layer": [i.layer_name for i in items], "Dimension": [i.dimension_name for i in items],
        "Step": [f"{i.from_level} → {i.to_level}" for i in items],
        "Action": [i.recommendation for i in items], "Why": [i.reason for i in items],
        "Priority": [i.priority for i in items],
    }), hide_index=True, width="stretch",
        column_config={"Action": st.column_config.TextColumn(width="large"),
                       "Why": st.column_config.TextColumn(width="medium")})

st.subheader("All gaps by priority")
st.dataframe(pd.DataFrame({
    "Question": analysis.questions["question"], "Layer": analysis.questions["layer_name"],
    "Level": analysis.questions["level"].astype(int), "Target": analysis.questions["target"].astype(int),
    "Gap": analysis.questions["gap"].astype(int), "Priority": analysis.questions["priority"].astype(int),
    "Why": analysis.questions["reason"],
}), hide_index=True, width="stretch")
