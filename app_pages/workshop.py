"""Workshop (facilitator): the room votes on their phones, you reveal the votes and record the consensus.

Every piece of state is in the database: a second facilitator tab, or a second server process on the
same PostgreSQL database, shows the same workshop. The live counter is a fragment re-reading it.
"""

from __future__ import annotations

import io
import os
import urllib.parse

import qrcode
import streamlit as st

from app_pages.shared import need_assessment, open_store
from assessment import charts
from assessment.content import level_names
from assessment.present import option_name
from assessment.questionnaire import LEVEL_COUNT
from assessment.storage import StorageError, WorkshopRecord
from assessment.workshop import NA, choice_label, default_note, summarise, vote_summary

store = open_store()
record = need_assessment(store)
q = record.questionnaire
names = level_names()

st.title("Workshop")
st.caption(f"**{record.name}** · {record.department} · {q.title} v{q.version}")
if msg := st.session_state.pop("workshop-message", None):
    st.success(msg)

ws = store.active_workshop(record.id)
if ws is None:
    st.info("Run this assessment live: participants join on their phones with a code or a QR code, "
            "vote on the question you put on screen, and see nothing of each other's votes until you reveal them.")
    if record.is_final:
        st.warning("This assessment is final and read-only; reopen it as a draft to run a workshop.")
    elif st.button("Open a workshop", type="primary", icon=":material/groups:"):
        try:
            store.open_workshop(record.id)
        except StorageError as exc:
            st.error(str(exc))
        else:
            st.rerun()
    st.stop()


def join_link(code: str) -> str:
    """The participants' link. ASSESSMENT_PUBLIC_URL overrides the address the facilitator browses on
    (e.g. http://localhost:8501, which a phone cannot reach)."""
    base = os.environ.get("ASSESSMENT_PUBLIC_URL", "").rstrip("/")
    if not base:
        url = urllib.parse.urlsplit(st.context.url or "http://localhost:8501/")
        base = f"{url.scheme}://{url.netloc}"
    return f"{base}/?join={code}"


@st.cache_data(show_spinner=False)
def qr_png(text: str) -> bytes:
    buf = io.BytesIO()
    qrcode.make(text, border=2).save(buf, format="PNG")
    return buf.getvalue()


link = join_link(ws.code)
left, right = st.columns([3, 1], vertical_alignment="center")
with left:
    st.markdown(f"### Join code: `{ws.code}`")
    st.markdown(f"Participants open **{link}** or scan the QR code.")
    st.code(link, language=None)
with right:
    st.image(qr_png(link), width=180, caption="Scan to join")

questions = q.questions
ids = [x.id for x in questions]
current = ws.current_question
pick_key = f"ws-pick-{ws.id}-{current}"  # reset to the question on screen whenever it changes
chosen = st.selectbox("Question", ids, index=ids.index(current) if current in ids else 0, key=pick_key,
                      format_func=lambda qid: f"{ids.index(qid) + 1}. {q.question(qid).text}")


def put_on_screen(question_id: str) -> None:
    try:
        store.set_current_question(ws.id, question_id)
    except StorageError as exc:
        st.session_state["workshop-error"] = str(exc)


cols = st.columns(3)
cols[0].button("Put on screen", type="primary" if current is None else "secondary", icon=":material/cast:",
               on_click=put_on_screen, args=(chosen,), disabled=chosen == current)
if current in ids and ids.index(current) + 1 < len(ids):
    cols[1].button("Next question", icon=":material/arrow_forward:", on_click=put_on_screen,
                   args=(ids[ids.index(current) + 1],))
if cols[2].button("Close workshop", icon=":material/lock:", help="The join code stops working; votes are kept."):
    store.close_workshop(ws.id)
    st.session_state["workshop-message"] = f"Workshop {ws.code} closed; its votes are kept for the report."
    st.rerun()
if err := st.session_state.pop("workshop-error", None):
    st.error(err)

if current is None:
    st.info("Choose a question and put it on screen: participants see it on their phones at once.")


@st.fragment(run_every="1s")
def live_count(shown: WorkshopRecord) -> None:
    """Re-read the workshop every second: the vote counter, and a full rerun when its state changed
    (a reveal or another question, e.g. from a second facilitator tab or server)."""
    now = store.workshop(shown.id)
    if (now.status, now.current_question, now.revealed) != (shown.status, shown.current_question, shown.revealed):
        st.rerun()
    voted = store.vote_count(now.id, now.current_question) if now.current_question else 0
    joined = store.participant_count(now.id)
    st.markdown(f"#### {voted} have voted · {joined} joined")


live_count(ws)
if current is None:
    st.stop()

question = q.question(current)
st.subheader(f"{ids.index(current) + 1}. {question.text}")
with st.expander("Level descriptions", expanded=not ws.revealed):
    for i in range(LEVEL_COUNT):
        st.markdown(f"**{i} · {names.levels[i].name}** — {question.levels[i]}")

if not ws.revealed:
    if st.button("Reveal", type="primary", icon=":material/visibility:"):
        store.reveal(ws.id)
        st.rerun()
    st.stop()

found = store.votes_for(ws.id, current)
summary = summarise(found)
shown = vote_summary(found)
m = st.columns(4)
m[0].metric("Votes", summary.votes)
m[1].metric("Median", "–" if summary.median is None else f"{summary.median:g}")
m[2].metric("Spread", "–" if summary.spread is None else f"{summary.low}–{summary.high} ({summary.spread})")
m[3].metric("N/A · don't know", f"{summary.distribution[NA]} · {summary.distribution['unknown']}")
if summary.disagreement:
    st.warning(f"The room disagrees: votes range from level {summary.low} to level {summary.high}. "
               "Ask the lowest and the highest voters to explain before recording a consensus.",
               icon=":material/forum:")
st.plotly_chart(charts.vote_distribution(shown), width="stretch", config={"displayModeBar": False})
if summary.comments:
    st.markdown("**Comments** (anonymous)")
    for c in summary.comments:
        st.markdown(f"- {c}")

answer = store.answers(record.id).get(current)
if answer is not None and answer.counts:
    st.caption(f"Recorded answer: {answer.label} (by {answer.answered_by or 'unknown'}).")
options = [str(i) for i in range(LEVEL_COUNT)] + [NA]
default_option = summary.default_choice
with st.form(f"consensus-{ws.id}-{current}"):
    consensus = st.radio("Consensus", options, horizontal=True,
                         index=None if default_option is None else options.index(default_option),
                         format_func=lambda c: option_name(c, names))
    note = st.text_area("Note", value=default_note(summary), help="The participants' comments; edit freely.")
    if st.form_submit_button("Record consensus", type="primary", icon=":material/check:"):
        if consensus is None:
            st.error("Choose the consensus level first.")
        else:
            try:
                store.record_consensus(
                    ws.id, current, None if consensus == NA else int(consensus), na=consensus == NA, note=note,
                    answered_by=st.session_state.get("facilitator") or "workshop")
            except StorageError as exc:
                st.error(f"Not saved: {exc}")
            else:
                st.session_state["workshop-message"] = f"Recorded {choice_label(consensus)} as the answer to " \
                                                       f"question {ids.index(current) + 1}."
                st.rerun()
