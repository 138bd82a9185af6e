"""What every page shares: the store, the questionnaire catalogue and the current assessment.

The current assessment lives in the URL (`?assessment=ID`) so a reload or a shared link opens it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading

import pandas as pd
import streamlit as st

from assessment.access import sso_allowed
from assessment.content import load_catalogue
from assessment.present import plain
from assessment.questionnaire import Questionnaire
from assessment.settings import check, settings
from assessment.storage import AssessmentDetails, NotFound, StorageError, Store, login_lifetime
from assessment.workshop import client_address
from assessment.workshop import client_key as address_key

CURRENT_KEY = "current-assessment"  # session copy of ?assessment=ID
FACILITATOR_KEY = "facilitator"  # the logged-in facilitator's name
SESSION_COOKIE = "aiops_session"  # the browser's copy of the login token: a reload starts a new session
TOKEN_KEY = "login-token"  # this session's login token
COOKIE_KEY = "login-cookie"  # what the next run writes to the browser's cookie: a token, or "" to delete it
KEY_FACILITATOR = "facilitator (one-time key)"  # the name of someone logged in with a one-time key
PARTICIPANT_COOKIE = "aiops_participant"  # a participant's token: a reload without ?p= stays a participant
PARTICIPANT_KEY = "participant"  # set once a session presented a join link or participant token; never unset
PARTICIPANT_COOKIE_KEY = "participant-cookie"  # what the next run writes to the participant cookie
# The tab icon, drawn here rather than a ":material/…" name: Streamlit fetches those from fonts.gstatic.com,
# a request to the internet from every browser that opens the app.
APP_ICON = "data:image/svg+xml;base64," + base64.b64encode(b"""<svg xmlns="http://www.w3.org/2000/svg" \
viewBox="0 0 24 24"><rect x="3" y="13" width="4" height="8" rx="1" fill="#1f77b4"/><rect x="10" y="8" width="4" \
height="13" rx="1" fill="#1f77b4"/><rect x="17" y="3" width="4" height="18" rx="1" fill="#ff7f0e"/></svg>""").decode()


# --- accessibility: contrast, focus, target sizes (WCAG 2.2 AA), presentation mode (7:1) ---------------
# Streamlit's own theme leaves a few things short of AA, measured with axe-core (tests/test_accessibility.py):
# the caption grey (#828180 on white, 3.88:1) and placeholder-like faded texts. The rules below mend them
# for every page, the voting and login pages included; presentation mode raises everything to 7:1 (AAA)
# for a projector, with larger type.
STYLES = """<style>
  /* captions: #595755 on white is 7.0:1 (Streamlit draws them at 60 % opacity: #828180, 3.88:1) */
  [data-testid="stCaptionContainer"] { opacity: 1 !important; }
  [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * { color: #595755 !important; }
  /* a disabled widget's label stays readable (Streamlit fades it to 2.3:1): e.g. a vote after the reveal */
  .stElementContainer:has(:disabled) [data-testid="stWidgetLabel"],
  .stElementContainer:has(:disabled) [data-testid="stWidgetLabel"] * {
    opacity: 1 !important; color: #595755 !important; }
  /* a focus ring anyone can see, on every control reached with the keyboard */
  :focus-visible { outline: 3px solid #0072B2 !important; outline-offset: 2px !important; }
  /* radios, checkboxes and toggles hide their input: the ring goes around the whole choice */
  label:has(input:focus-visible) { outline: 3px solid #0072B2; outline-offset: 2px; border-radius: 4px; }
  /* links and summaries are targets of at least 24 × 24 px (WCAG 2.5.8) */
  [data-testid="stPageLink"] a, [data-testid="stExpander"] summary { min-height: 24px; }
  /* the chosen option of a segmented control: #00456b on its pale blue is 7.6:1 (the primary blue, 3.9:1) */
  [data-testid="stButtonGroup"] button[aria-checked="true"] * { color: #00456b !important; }
  /* a date field's year, month and day are each a target (Streamlit draws them 18 × 20 px) */
  [data-testid="stDateInput"] [role="spinbutton"] { display: inline-flex; align-items: center;
    justify-content: center; min-width: 24px; min-height: 24px; }
</style>"""
PRESENTATION_STYLES = """<style>
  section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none; }
  .stMainBlockContainer { max-width: 1200px; }
  .stMainBlockContainer p, .stMainBlockContainer li, .stMainBlockContainer label { font-size: 1.35rem !important; }
  .stMainBlockContainer h1 { font-size: 3rem !important; }
  /* 7:1 for a projector: black text, dark grey captions, a darker blue behind white text */
  .stMainBlockContainer, .stMainBlockContainer * { color: #000000 !important; }
  [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * { color: #333333 !important; }
  .stMainBlockContainer a, .stMainBlockContainer a * { color: #00456b !important; }
  button[kind="primary"], button[kind="primaryFormSubmit"] { background: #00456b !important;
    border-color: #00456b !important; }
  button[kind="primary"] *, button[kind="primaryFormSubmit"] * { color: #ffffff !important; }
  :focus-visible { outline: 4px solid #000000 !important; }
</style>"""


def apply_styles() -> None:
    """The accessibility styles on every page; presentation mode's 7:1, large type, no sidebar when on."""
    st.html(STYLES + (PRESENTATION_STYLES if st.session_state.get("presentation") else ""))


def show_chart(fig: object, summary: str, data: pd.DataFrame, *, key: str) -> None:
    """A chart with its text alternative: its one-sentence summary (charts.describe_*) under it, and its
    data as a table one click away. Both hold user text, shown as text (`plain`)."""
    st.plotly_chart(fig, width="stretch", config={"displaylogo": False}, key=key)
    st.caption(plain(summary))
    with st.expander("Show the chart's data as a table"):
        table = data.rename(columns=plain, index=lambda v: plain(v) if isinstance(v, str) else v)
        table.index.name = plain(table.index.name) if table.index.name else None
        st.table(table.map(lambda v: plain(v) if isinstance(v, str) else v), alt=f"Data: {summary}",
                 hide_index=data.index.name is None and isinstance(data.index, pd.RangeIndex))


@st.cache_resource(show_spinner="Opening the database…")
def get_store() -> Store:
    return Store.open()


@st.cache_resource(show_spinner=False)
def warm_charts() -> threading.Thread:
    """Start kaleido's Chromium in the background so the first PDF does not wait for it."""
    from assessment import svg

    def _warm() -> None:
        # Best effort: if Chromium is missing, the PDF download reports it when asked for.
        with contextlib.suppress(Exception):
            svg.start_renderer()

    thread = threading.Thread(target=_warm, daemon=True, name="kaleido-warmup")
    thread.start()
    return thread


@st.cache_data(show_spinner=False, ttl=60)
def catalogue() -> tuple[list[Questionnaire], list[str]]:
    """Available questionnaires and, separately, the errors of files that did not load.

    Files load one by one: a broken team file is reported without hiding the others.
    """
    loaded = load_catalogue()
    return loaded.ordered(), [str(e) for e in loaded.errors]


def available_questionnaires(*, show_errors: bool = False) -> list[Questionnaire]:
    """Built-in and QUESTIONNAIRE_PATH questionnaires, plus the ones uploaded in this session.

    With `show_errors`, files that did not load are reported on the page (the others stay usable).
    """
    found, errors = catalogue()
    if show_errors:
        for err in errors:
            st.error(f"Questionnaire file problem — {plain(err)}")
    uploaded = st.session_state.get("uploaded-questionnaires", {})
    return [*found, *[q for qid, q in uploaded.items() if qid not in {x.id for x in found}]]


def check_settings() -> None:
    """Stop the app, for everyone, with one error line per bad setting in the server's environment."""
    bad = check()
    for line in bad:
        st.error(plain(line), icon=":material/settings_alert:")
    if bad:
        st.caption("Fix the setting and restart the app; `assessment config` prints the configuration.")
        st.stop()


def open_store() -> Store:
    """The store; when the database cannot be opened, say so and stop the page."""
    try:
        return get_store()
    except StorageError as exc:
        st.error(f"The database cannot be opened: {plain(exc)}. Check `DATABASE_URL` and restart the app.")
        st.stop()


def login_required(store: Store) -> bool:
    """Facilitator pages need a login once an account exists, single sign-on is configured, or
    ASSESSMENT_REQUIRE_LOGIN=1; and, with none of these, while a workshop is open or a one-time
    facilitator key is in use: the open single-laptop mode is for solo use only."""
    return (settings().require_login or sso_configured() or store.has_users()
            or store.workshop_in_progress())


# --- facilitator login ------------------------------------------------------------------------
# A password login is a row in the database (`Store.start_login_session`) and a cookie holding its
# token; every run checks the token, so a logout, or an expiry, counts at once on every server.
# Single sign-on is Streamlit's own (`st.login`, its own cookie); we only read `st.user`.


def session_cookie() -> str | None:
    """The login token the browser sent when this session started (a reload starts a new session)."""
    value = st.context.cookies.get(SESSION_COOKIE)
    return value if isinstance(value, str) else None  # AppTest's stand-in browser sends a mock


def participant_cookie() -> str | None:
    """The participant token the browser sent when this session started, if it ever joined a workshop."""
    value = st.context.cookies.get(PARTICIPANT_COOKIE)
    return value if isinstance(value, str) and value else None


def sso_configured() -> bool:
    """True when `.streamlit/secrets.toml` has an `[auth]` section, so `st.login` can be offered."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all (Streamlit raises a subclass of it)
        return False


def sso_name() -> str | None:
    """The name (or e-mail) of someone logged in through single sign-on and allowed in, else None."""
    if not sso_configured() or not st.user.get("is_logged_in") or sso_refused():
        return None
    return str(st.user.get("name") or st.user.get("email") or "single sign-on user")


def sso_refused() -> str | None:
    """The e-mail of someone signed in through single sign-on whom ASSESSMENT_SSO_ALLOWED keeps out."""
    if not sso_configured() or not st.user.get("is_logged_in"):
        return None
    email = st.user.get("email")
    if sso_allowed(email, settings().sso_allowed):
        return None
    return str(email or st.user.get("name") or "this account")


def current_facilitator(store: Store) -> str | None:
    """Who is logged in: this session's login, the cookie's (after a reload), or the SSO user; else None."""
    for token in (st.session_state.get(TOKEN_KEY), session_cookie()):
        name = store.user_for_token(token) or (KEY_FACILITATOR if store.key_session(token) else None)
        if name:
            st.session_state[TOKEN_KEY] = token
            st.session_state[FACILITATOR_KEY] = name
            return name
    st.session_state.pop(TOKEN_KEY, None)
    name = sso_name()
    if name:
        st.session_state[FACILITATOR_KEY] = name
    else:
        st.session_state.pop(FACILITATOR_KEY, None)
    return name


def log_in(store: Store, name: str) -> None:
    """After a correct password: a login session in the database, its token kept for the browser's cookie."""
    token = store.start_login_session(name)
    st.session_state[TOKEN_KEY] = st.session_state[COOKIE_KEY] = token
    st.session_state[FACILITATOR_KEY] = name.strip()


def log_out(store: Store) -> None:
    """End the login everywhere: the database session (so the cookie is worthless), the cookie, SSO's own."""
    for token in (st.session_state.pop(TOKEN_KEY, None), session_cookie()):
        store.end_login_session(token)
        store.end_key_session(token)
    st.session_state[COOKIE_KEY] = ""
    st.session_state.pop(FACILITATOR_KEY, None)
    if sso_name():
        st.logout()  # Streamlit clears its identity cookie and starts a new session


def cookie_script(token: str, max_age: int, name: str = SESSION_COOKIE) -> str:
    """JavaScript that stores (or, with max_age 0, deletes) the login cookie on the app's own origin."""
    value = json.dumps(f"{name}={token}; Path=/; SameSite=Strict; Max-Age={max_age}")
    return f"<script>document.cookie = {value} + (location.protocol === 'https:' ? '; Secure' : '');</script>"


def write_login_cookie() -> None:
    """Hand a pending change to the browser: a new login's token, or the cookie's deletion after a logout.

    Streamlit has no cookie setter, so a script sets it; `st.html` runs it in the page itself (not in an
    iframe), so the cookie lands on the app's origin. The app calls this after the login check, the
    login page at its end: the two scripts never take the same place on the page, so each one runs.
    """
    value = st.session_state.pop(COOKIE_KEY, None)
    if value is not None:
        max_age = int(login_lifetime().total_seconds()) if value else 0
        st.html(cookie_script(value, max_age), unsafe_allow_javascript=True)


def facilitator_key_form(store: Store) -> None:
    """Log in with a one-time key printed on the server (`python -m assessment facilitator-key`)."""
    with st.form("facilitator-key"):
        typed = st.text_input("One-time facilitator key", type="password", max_chars=40,
                              help="Printed on the server by `make run` or `python -m assessment facilitator-key`.")
        if st.form_submit_button("Use the key"):
            token = store.redeem_facilitator_key(typed)
            if token is None:
                st.error("This key is unknown, used or expired. Print a new one on the server: "
                         "`python -m assessment facilitator-key`.")
            else:
                st.session_state[TOKEN_KEY] = st.session_state[COOKIE_KEY] = token
                st.session_state[FACILITATOR_KEY] = KEY_FACILITATOR
                st.rerun()


# --- participants: a session that joined a workshop sees its voting page and nothing else ----------


def participant_session(store: Store) -> bool:
    """True for a session that is, or ever was, a participant: it opened a join link (?join=, ?p=), or
    it started with a participant cookie (a reload) and no facilitator identity. It stays one until the
    browser tab closes: deleting ?join= from the URL leads nowhere else."""
    if st.session_state.get(PARTICIPANT_KEY):
        return True
    if "join" in st.query_params or "p" in st.query_params or (
            participant_cookie() and not current_facilitator(store)):
        st.session_state[PARTICIPANT_KEY] = True
        return True
    return False


def remember_participant(token: str) -> None:
    """After a join: the next run stores the token in the browser, so a reload without ?p= is still them."""
    st.session_state[PARTICIPANT_COOKIE_KEY] = token


def write_participant_cookie() -> None:
    """Hand a new participant token to the browser (see `write_login_cookie`)."""
    token = st.session_state.pop(PARTICIPANT_COOKIE_KEY, None)
    if token:
        max_age = int(login_lifetime().total_seconds())
        st.html(cookie_script(token, max_age, PARTICIPANT_COOKIE), unsafe_allow_javascript=True)


def client_key() -> str:
    """Whom join attempts, joins (and failed logins) count against: the client's address.

    Behind a reverse proxy the TCP peer is the proxy: X-Forwarded-For is read only when the peer is one of
    ASSESSMENT_TRUSTED_PROXIES (`assessment.workshop.client_address`). ValueError names a bad setting.
    """
    trusted = list(settings().trusted_proxies)
    forwarded = st.context.headers.get_all("X-Forwarded-For") if trusted else []
    peer = st.context.ip_address
    return address_key(client_address(peer if isinstance(peer, str) else None,
                                      forwarded if isinstance(forwarded, list) else [], trusted))


def current_assessment(store: Store) -> AssessmentDetails | None:
    """The assessment named in the URL (or, failing that, the session), or None when there is none.

    `st.switch_page` and the sidebar links drop the URL's query parameters, so the session keeps
    a copy and puts it back in the URL: reloads and shared links still open the same assessment.
    """
    raw = st.query_params.get("assessment") or st.session_state.get(CURRENT_KEY)
    if raw is None:
        return None
    try:
        record = store.get_assessment(int(raw))
    except (ValueError, NotFound):
        st.warning(f"Assessment {plain(repr(raw))} does not exist (it may have been deleted). Pick another one.")
        st.query_params.pop("assessment", None)
        st.session_state.pop(CURRENT_KEY, None)
        return None
    select_assessment(record.id)
    return record


def forget_assessment() -> None:
    """After a delete: no assessment is open any more, in the URL or the session."""
    st.query_params.pop("assessment", None)
    st.session_state.pop(CURRENT_KEY, None)


def select_assessment(assessment_id: int) -> None:
    st.session_state[CURRENT_KEY] = str(assessment_id)
    if st.query_params.get("assessment") != str(assessment_id):
        st.query_params["assessment"] = str(assessment_id)


def need_assessment(store: Store) -> AssessmentDetails:
    """Stop the page with a friendly empty state when no assessment is selected."""
    record = current_assessment(store)
    if record is None:
        st.info("No assessment is open. Create or open one on the **Assessments** page.")
        st.page_link("app_pages/assessments.py", label="Go to Assessments", icon=":material/folder_open:")
        st.stop()
    return record
