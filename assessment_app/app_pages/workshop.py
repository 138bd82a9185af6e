"""Workshop (facilitator): the room votes on their phones, you reveal the votes and record the consensus.

Every piece of state is in the database: a second facilitator tab, or a second server process on the
same PostgreSQL database, shows the same workshop. The live counter is a fragment re-reading it.

Opening a workshop needs a facilitator identity (a login, single sign-on or a one-time key): while one is
open, the app asks everyone else for a login, so a participant who strips their link reaches nothing.
Everything participants wrote (names, comments) goes through `present.plain`: text, never Markdown.
"""

from __future__ import annotations

import io
import urllib.parse

import qrcode
import streamlit as st

from assessment import charts
from assessment.content import level_names
from assessment.present import option_name, plain
from assessment.questionnaire import LEVEL_COUNT
from assessment.settings import settings
from assessment.storage import NotFound, StorageError, WorkshopRecord
from assessment.workshop import JOIN_FAILURE_BUDGET, NA, choice_label, default_note, summarise, vote_summary
from assessment_app.app_pages.shared import (
    current_facilitator,
    facilitator_key_form,
    log_in,
    need_assessment,
    open_store,
    show_chart,
)

store = open_store()
record = need_assessment(store)
q = record.questionnaire
names = level_names()

st.title("Workshop")
st.caption(f"**{plain(record.name)}** · {plain(record.department)} · {plain(q.title)} v{plain(q.version)}")
if msg := st.session_state.pop("workshop-message", None):
    st.success(msg)

ADDRESS_WARNING = ("The join link and QR code show this server's address to everyone in the room. While a "
                   "workshop is open, every other page asks for a facilitator login; close the doors once "
                   "everyone is in, and close the workshop when you are done.")


def create_account() -> None:
    """The first facilitator account, made here; from then on the app asks every facilitator to log in."""
    with st.form("first-account"):
        name = st.text_input("Your name (login)", max_chars=100)
        password = st.text_input("Password (8 characters or more)", type="password")
        again = st.text_input("Password again", type="password")
        if st.form_submit_button("Create the account and log in", type="primary"):
            if password != again:
                st.error("The two passwords differ.")
                return
            try:
                store.add_user(name, password)
                log_in(store, name)
            except StorageError as exc:
                st.error(f"No account created: {plain(exc)}.")
                return
            st.rerun()


ws = store.active_workshop(record.id)
if ws is None:
    st.info("Run this assessment live: participants join on their phones with a code or a QR code, "
            "vote on the question you put on screen, and see nothing of each other's votes until you reveal them.")
    if record.is_final:
        st.warning("This assessment is final and read-only; reopen it as a draft to run a workshop.")
        st.stop()
    if not current_facilitator(store):
        st.subheader("First, who is the facilitator?")
        st.markdown("Anyone who can open this app may use it while no workshop runs. A workshop puts its "
                    "address on the screen for the whole room, so from then on only a facilitator may see "
                    "anything but the voting page. Create your facilitator account (everyone will then log "
                    "in), or enter the one-time key printed on the server.")
        st.warning(ADDRESS_WARNING, icon=":material/public:")
        left, right = st.columns(2)
        with left:
            create_account()
        with right:
            facilitator_key_form(store)
        st.stop()
    st.warning(ADDRESS_WARNING, icon=":material/public:")
    if st.button("Open a workshop", type="primary", icon=":material/groups:"):
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
    base = settings().public_url
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
failed = store.failed_joins(ws.id)
if not ws.doors_open:
    st.info("The doors are closed: nobody else can join. Participants in the room keep voting.",
            icon=":material/door_front:")
elif failed >= JOIN_FAILURE_BUDGET:
    st.error(f"{failed} wrong codes were tried since the doors opened: this code admits nobody any more. "
             "Reopen the doors to show a new code.", icon=":material/gpp_bad:")
else:
    left, right = st.columns([3, 1], vertical_alignment="center")
    with left:
        st.markdown(f"### Join code: `{ws.code}`")
        st.markdown(f"Participants open **{plain(link)}** or scan the QR code.")
        st.code(link, language=None)
        st.caption(ADDRESS_WARNING + (f" {failed} wrong codes tried since the doors opened." if failed else ""))
    with right:
        st.image(qr_png(link), width=180, caption="Scan to join", alt=f"QR code of the join link {link}")


def set_doors(open_: bool) -> None:
    try:
        if open_:
            store.open_doors(ws.id)
        else:
            store.close_doors(ws.id)
    except StorageError as exc:
        st.session_state["workshop-error"] = str(exc)


def remove(member_id: int) -> None:
    try:
        store.remove_participant(ws.id, member_id)
    except NotFound as exc:
        st.session_state["workshop-error"] = str(exc)


room = store.room(ws.id)  # one line of names and two widgets, however large the room
st.markdown(f"**In the room ({len(room)}):** " + (" · ".join(plain(m.label) for m in room) or "nobody yet"))
who_col, remove_col, doors_col = st.columns([3, 1, 1.4], vertical_alignment="bottom")
who = who_col.selectbox("Remove a participant", room, index=None, format_func=lambda m: m.label,
                        placeholder="Choose whom to remove…", key=f"remove-who-{ws.id}")
remove_col.button("Remove", on_click=remove, args=(who.id if who else 0,), disabled=who is None,
                  help="Their votes leave the distribution and their link stops working.")
if ws.doors_open:
    doors_col.button("Close the doors", icon=":material/door_front:", on_click=set_doors, args=(False,),
                     help="Everyone is in: the code admits nobody more.")
else:
    doors_col.button("Reopen the doors", icon=":material/door_open:", on_click=set_doors, args=(True,),
                     help="Let people in again, with a new code.")

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
def live_count(shown: WorkshopRecord, in_room: int) -> None:
    """Re-read the workshop every second: the vote counter, and a full rerun when its state changed
    (a reveal or another question, e.g. from a second facilitator tab or server)."""
    now = store.workshop(shown.id)
    joined = store.participant_count(now.id)
    if (now.status, now.current_question, now.revealed, now.doors_open, now.code, joined) != (
            shown.status, shown.current_question, shown.revealed, shown.doors_open, shown.code, in_room):
        st.rerun()  # the room list above is read by the full run
    voted = store.vote_count(now.id, now.current_question) if now.current_question else 0
    # No heading anchor: a link inside a live fragment is redrawn every second, and a keyboard user's focus
    # on it would be lost each time.
    st.subheader(f"{voted} have voted · {joined} joined", anchor=False)


live_count(ws, len(room))
if current is None:
    st.stop()

question = q.question(current)
st.subheader(f"{ids.index(current) + 1}. {plain(question.text)}")
with st.expander("Level descriptions", expanded=not ws.revealed):
    for i in range(LEVEL_COUNT):
        st.markdown(f"**{i} · {plain(names.levels[i].name)}** — {plain(question.levels[i])}")

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
show_chart(charts.vote_distribution(shown), charts.describe_votes(shown), charts.votes_table(shown),
           key=f"votes-{ws.id}-{current}")
if summary.comments:
    st.markdown("**Comments** (anonymous)")
    for c in summary.comments:
        st.markdown(f"- {plain(c)}")

answer = store.answers(record.id).get(current)
if answer is not None and answer.counts:
    st.caption(f"Recorded answer: {answer.label} (by {plain(answer.answered_by or 'unknown')}).")
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
