"""The participant's voting page: the only page a participant session can reach, sized for a phone.

The participant's token is in the URL (`&p=TOKEN`) and in a cookie: a reload or a reconnect keeps their
identity and their vote, even with the URL stripped. The page follows the facilitator's question through
a fragment that re-reads the workshop. Everything participants or an uploaded questionnaire wrote is shown
through `present.plain`.
"""

from __future__ import annotations

import streamlit as st

from assessment.content import level_names
from assessment.present import plain
from assessment.questionnaire import LEVEL_COUNT
from assessment.storage import JoinRefused, NotFound, RateLimited, StorageError, VotingClosed, WorkshopRecord
from assessment.workshop import CHOICES, NA, UNKNOWN, choice_label, normalise_code
from assessment_app.app_pages.shared import (
    client_key,
    open_store,
    participant_cookie,
    remember_participant,
    write_participant_cookie,
)

# A phone's page: no sidebar, one column that reflows down to 320 px (and 200 % zoom) without sideways
# scrolling, long words wrapped, and every choice a finger-sized target (44 px, WCAG 2.5.8 asks 24).
st.html("""<style>
  section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none; }
  .stMainBlockContainer { max-width: 520px; padding: 2rem 1rem 3rem; }
  .stMainBlockContainer p, .stMainBlockContainer h4, .stMainBlockContainer label { overflow-wrap: anywhere; }
  [data-testid="stRadio"] label { min-height: 44px; align-items: center; padding: 0.25rem 0; }
  [data-testid="stCode"], [data-testid="stCaptionContainer"] code { white-space: pre-wrap; }
</style>""")

store = open_store()
write_participant_cookie()
code = normalise_code(st.query_params.get("join", ""))

me = ws = None
token = st.query_params.get("p") or st.session_state.get("participant-token") or participant_cookie()
if token:
    try:
        me, ws = store.participant(token)
    except NotFound:
        me = None
    if me is not None and "p" not in st.query_params:  # a stripped URL or a reload: the session or cookie knows them
        code = ws.code
        st.query_params["join"], st.query_params["p"] = code, token
    if me is None or ws.code != code:
        me = ws = None
        st.query_params.pop("p", None)
if me is not None and me.removed:
    st.title("Workshop")
    st.warning("The facilitator has removed you from this workshop; your votes no longer count.")
    st.stop()

if me is None:
    st.title("Join the workshop")
    with st.form("join"):
        typed = st.text_input("Workshop code", value=code, max_chars=12)
        name = st.text_input("Your name (optional)", placeholder="Leave empty to vote anonymously", max_chars=100)
        joining = st.form_submit_button("Join", type="primary", width="stretch")
    st.caption("Anonymous votes are never shown with a name; the facilitator sees counts and comments only.")
    if joining:
        try:
            token = store.join(typed, name, client_key=client_key())
        except ValueError as exc:  # ASSESSMENT_TRUSTED_PROXIES is wrong: nobody is let in unidentified
            st.error(f"The server is misconfigured, tell the facilitator: {exc}")
        except RateLimited as exc:
            st.error(f"Too many attempts. Wait {max(1, round(exc.retry_after))} seconds and try again.")
        except JoinRefused as exc:
            st.error(f"You cannot join: {exc}.")
        except NotFound:
            st.error("No open workshop has this code. Check it with the facilitator.")
        else:
            st.query_params["join"] = normalise_code(typed)
            st.query_params["p"] = token
            remember_participant(token)
            st.session_state["participant-token"] = token
            st.rerun()
    st.stop()

ws = store.workshop(me.workshop_id)
st.caption(f"Workshop `{ws.code}` · {'you are **' + plain(me.name) + '**' if me.name else 'you vote anonymously'}")
if not ws.is_open:
    st.info("This workshop has closed. Thank you for taking part!")
    st.stop()


@st.fragment(run_every="1s")
def follow(shown: WorkshopRecord) -> None:
    """Re-read the workshop every second; when the facilitator moves on or reveals, rerun the page."""
    now = store.workshop(shown.id)
    if (now.status, now.current_question, now.revealed) != (shown.status, shown.current_question, shown.revealed):
        st.rerun()


follow(ws)
if ws.current_question is None:
    st.info("Waiting for the facilitator to put the first question on screen…")
    st.stop()

q = store.get_assessment(ws.assessment_id).questionnaire
question = q.question(ws.current_question)
names = level_names()
st.markdown(f"#### {plain(question.text)}")
mine = store.my_vote(token, question.id)


def label(choice: str) -> str:
    if choice == NA:
        return "N/A — does not apply to us"
    if choice == UNKNOWN:
        return "Don't know"
    i = int(choice)
    return f"**{i} · {plain(names.levels[i].name)}** — {plain(question.levels[i])}"


choice = st.radio("Your vote", CHOICES, index=None if mine is None else CHOICES.index(mine.choice),
                  format_func=label, key=f"vote-{ws.id}-{question.id}", disabled=ws.revealed)
comment = st.text_area("Comment (optional)", value="" if mine is None else mine.comment, max_chars=2000,
                       key=f"comment-{ws.id}-{question.id}", disabled=ws.revealed)
if ws.revealed:
    st.info("The facilitator has revealed the votes: look at the shared screen. "
            + (f"Your vote: {choice_label(mine.choice)}." if mine else "You did not vote on this question."))
    st.stop()

if st.button("Change my vote" if mine else "Vote", type="primary", width="stretch", disabled=choice is None):
    try:
        store.cast_vote(token, question.id, choice, comment)
    except VotingClosed as exc:
        st.warning(f"Your vote was not taken: {exc}.")
    except StorageError as exc:
        st.error(f"Your vote was not saved: {exc}")
    else:
        st.rerun()
if mine is not None:
    st.success(f"Your vote: **{choice_label(mine.choice)}**. You can change it until the facilitator reveals "
               "the votes.")
st.caption(f"Levels 0–{LEVEL_COUNT - 1}: pick the one that describes your organisation today.")
