"""Roadmap: prioritised gaps with their reasons, the Now / Next / Later plan, targets edited in place; the
plan's actions (owner, due date, status, ticket) edited one at a time, exported to the team's tracker, and on
a re-assessment what moved since the last one."""

import datetime as dt
import urllib.parse

import pandas as pd
import streamlit as st

from assessment import charts
from assessment.actions import (
    MOVEMENT_NAMES,
    STATUS_NAMES,
    STATUSES,
    PlannedAction,
    action_plan,
    describe,
    follow_through,
    progress,
)
from assessment.analysis import analyse, effective_targets
from assessment.exchange import tracker
from assessment.present import fmt, plain
from assessment.questionnaire import MAX_LEVEL
from assessment.roadmap import PHASE_NAMES
from assessment.settings import settings
from assessment.storage import NotFound, StorageError
from assessment_app.app_pages.shared import FACILITATOR_KEY, need_assessment, open_store, show_chart

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
today = dt.date.today()
actions = {p.question_id: p for p in action_plan(whole, today)}


def since_last_assessment() -> None:
    """On a re-assessment: per action, did its question move; and the two flags."""
    previous_id = record.details.previous_id
    if previous_id is None:
        return
    st.subheader("Since last assessment")
    try:
        before = store.load(previous_id)
    except NotFound:
        st.caption(f"This re-assesses assessment #{previous_id}, which has since been deleted.")
        return
    result = follow_through(before, record)
    st.caption(f"Against **{plain(before.name)}** ({before.assessed_on}, #{before.id}): each action's question, "
               "then and now.")
    if result.actions:
        st.dataframe(pd.DataFrame({
            "Question": [m.question for m in result.actions],
            "Action": [m.action.status_name for m in result.actions],
            "Owner": [m.action.owner for m in result.actions],
            "Then": [fmt(m.before, 0) for m in result.actions], "Now": [fmt(m.after, 0) for m in result.actions],
            "Movement": [MOVEMENT_NAMES[m.movement] for m in result.actions],
            "Flag": ["done but no movement" if m.done_without_movement else "" for m in result.actions],
        }), hide_index=True, width="stretch", key="follow-through")
    else:
        st.caption("The last assessment had no actions with an owner or a status yet.")
    flat = result.done_without_movement
    if flat:
        st.warning(f"Done but no movement: {len(flat)} action(s) marked done whose question did not go up.")
    if result.moved_without_action:
        st.info(f"Moved without an action: {len(result.moved_without_action)} question(s) went up with no action "
                "on them.")
        st.dataframe(pd.DataFrame({
            "Question": [text for _, text, _, _ in result.moved_without_action],
            "Then": [b for _, _, b, _ in result.moved_without_action],
            "Now": [a for _, _, _, a in result.moved_without_action],
        }), hide_index=True, width="stretch", key="moved-without-action")


def plan_section() -> None:
    """The timeline, the phases with their items' owners and statuses, and every gap by priority."""
    st.subheader("Timeline")
    timeline = charts.timeline_items(plan_.items)
    show_chart(charts.roadmap_timeline(timeline), charts.describe_timeline(timeline),
               charts.timeline_table(timeline), key="timeline")
    for phase, items in plan_.by_phase().items():
        if not items:
            continue
        st.subheader(f"{PHASE_NAMES[phase]} · {len(items)} items")
        st.dataframe(pd.DataFrame({
            "Layer": [i.layer_name for i in items], "Dimension": [i.dimension_name for i in items],
            "Step": [f"{i.from_level} → {i.to_level}" for i in items],
            "Action": [i.recommendation for i in items], "Why": [i.reason for i in items],
            "Priority": [i.priority for i in items], "Owner": [actions[i.question_id].action.owner for i in items],
            "Status": [actions[i.question_id].action.status_name for i in items],
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


# --- actions: one per roadmap question ----------------------------------------------------------


def action_label(p: PlannedAction) -> str:
    return f"{p.layer_name} / {p.dimension_name}: {p.question}"


def save_action(p: PlannedAction, owner: str, due: dt.date | None, status: str, reason: str, ticket: str) -> None:
    """Store what changed in the form (nothing else), or say in one line what the rules refuse."""
    a = p.action
    changes = {k: v for k, v, old in (("owner", owner, a.owner), ("status", status, a.status),
                                      ("reason", reason, a.reason), ("ticket", ticket, a.ticket)) if v != old}
    if due is not None and due != p.due:
        changes["due"] = due
    if not changes:
        st.toast("Nothing changed")
        return
    by = st.session_state.get(FACILITATOR_KEY) or record.facilitator
    try:
        store.set_action(record.id, p.question_id, changed_by=by, **changes)
    except StorageError as exc:
        st.error(f"Action not saved — {plain(exc)}")
        return
    st.session_state["action-saved"] = p.question_id
    st.rerun()


def actions_section() -> None:
    """Progress, one action edited in a form with its history, every action in a table, the tracker files."""
    st.subheader("Actions")
    st.caption("One action per question on the roadmap: who owns it, when it is due (by default from its phase: Now "
               "3 months after the assessment, Next 6, Later 12, backlog 18), and how far it has got.")
    if st.session_state.pop("action-saved", None):
        st.toast("Action saved")
    plan_actions = list(actions.values())
    counted = progress(plan_actions)
    done_col, overdue_col, open_col = st.columns(3)
    done_col.metric("Done", f"{counted.done} of {counted.counted} ({fmt(counted.share_done, percent=True)})",
                    help="Dropped actions are not counted.")
    overdue_col.metric("Overdue", f"{counted.overdue} ({fmt(counted.share_overdue, percent=True)})",
                       help="Planned or in progress, and due before today.")
    open_col.metric("In progress", counted.in_progress)

    chosen = st.selectbox("Action to edit", list(actions), key=f"action-pick-{record.id}",
                          format_func=lambda qid: action_label(actions[qid]))
    p = actions[chosen]
    with st.form(f"action-{record.id}-{chosen}", border=True):
        st.markdown(f"**{plain(p.recommendation or p.question)}**")
        st.caption(plain(p.why) if p.why else "No longer on the roadmap.")
        left, right = st.columns(2)
        owner = left.text_input("Owner", p.action.owner, max_chars=200)
        due = right.date_input("Due date", p.due, format="YYYY-MM-DD")
        status = left.selectbox("Status", STATUSES, index=STATUSES.index(p.status), format_func=STATUS_NAMES.get,
                                help="Done can be reopened (in progress); dropped can be planned again.")
        ticket = right.text_input("Ticket link", p.action.ticket, placeholder="https://…")
        reason = st.text_input("Reason (when dropped)", p.action.reason)
        if st.form_submit_button("Save action", type="primary"):
            save_action(p, owner, due, status, reason, ticket)
    history = store.action_history(record.id, chosen)
    if history:
        with st.expander(f"History of this action ({len(history)})"):
            previous = None
            for h in history:
                st.caption(f"{h['changed_at']:%Y-%m-%d %H:%M} · {plain(h['changed_by'] or 'someone')}: "
                           f"{plain(describe(previous, h))}")
                previous = h

    st.dataframe(pd.DataFrame({
        "Question": [action_label(x) for x in plan_actions],
        "Phase": [PHASE_NAMES.get(x.phase, "off the roadmap") for x in plan_actions],
        "Owner": [x.action.owner for x in plan_actions],
        "Due": [x.due for x in plan_actions],
        "Status": [x.action.status_name + (" · overdue" if x.overdue else "") for x in plan_actions],
        "Ticket": [x.action.ticket or None for x in plan_actions],
    }), hide_index=True, width="stretch", key="actions-table",
        column_config={"Ticket": st.column_config.LinkColumn(),
                       "Due": st.column_config.DateColumn(format="YYYY-MM-DD")})

    base = settings().public_url
    if not base:
        url = urllib.parse.urlsplit(st.context.url or "http://localhost:8501/")
        base = f"{url.scheme}://{url.netloc}"
    link = tracker.assessment_link(base, record.id)
    st.caption("Into the team's tracker: Jira's CSV importer reads dates in its default format; GitHub's CSV "
               "has the columns of `gh issue create`; the calendar has one all-day event per due date.")
    for column, (fmt_, label, mime) in zip(st.columns(3), (
            ("jira", "Jira CSV", "text/csv"), ("github", "GitHub issues CSV", "text/csv"),
            ("ics", "Calendar (.ics)", "text/calendar")), strict=True):
        column.download_button(label, tracker.tracker_file(fmt_, plan_actions, record.details, link),
                               file_name=tracker.file_name(fmt_, record.details), mime=mime,
                               icon=":material/download:", width="stretch", key=f"actions-{fmt_}")


if plan_.items:
    plan_section()
else:
    st.success("Every answered question is at or above its target: nothing to plan.")
if actions:
    actions_section()
since_last_assessment()
