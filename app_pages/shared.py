"""What every page shares: the store, the questionnaire catalogue and the current assessment.

The current assessment lives in the URL (`?assessment=ID`) so a reload or a shared link opens it.
"""

from __future__ import annotations

import contextlib
import os
import threading

import streamlit as st

from assessment.questionnaire import Questionnaire, QuestionnaireError, load_all, questionnaire_files
from assessment.storage import AssessmentRecord, NotFound, StorageError, Store

CURRENT_KEY = "current-assessment"  # session copy of ?assessment=ID
FACILITATOR_KEY = "facilitator"  # the logged-in facilitator's name


@st.cache_resource(show_spinner="Opening the database…")
def get_store() -> Store:
    return Store.open()


@st.cache_resource(show_spinner=False)
def warm_charts() -> threading.Thread:
    """Start kaleido's Chromium in the background so the first PDF does not wait for it."""
    from assessment import charts

    def _warm() -> None:
        # Best effort: if Chromium is missing, the PDF download reports it when asked for.
        with contextlib.suppress(Exception):
            charts._start_kaleido()

    thread = threading.Thread(target=_warm, daemon=True, name="kaleido-warmup")
    thread.start()
    return thread


@st.cache_data(show_spinner=False, ttl=60)
def catalogue() -> tuple[list[Questionnaire], list[str]]:
    """Available questionnaires and, separately, the errors of files that did not load.

    Files load one by one: a broken team file is reported without hiding the others.
    """
    found, errors = [], []
    for path in questionnaire_files():
        try:
            found += load_all([path])
        except QuestionnaireError as exc:
            errors += [str(e) for e in exc.errors]
    return sorted(found, key=lambda q: (q.order, q.id)), errors


def available_questionnaires(*, show_errors: bool = False) -> list[Questionnaire]:
    """Built-in and QUESTIONNAIRE_PATH questionnaires, plus the ones uploaded in this session.

    With `show_errors`, files that did not load are reported on the page (the others stay usable).
    """
    found, errors = catalogue()
    if show_errors:
        for err in errors:
            st.error(f"Questionnaire file problem — {err}")
    uploaded = st.session_state.get("uploaded-questionnaires", {})
    return [*found, *[q for qid, q in uploaded.items() if qid not in {x.id for x in found}]]


def open_store() -> Store:
    """The store; when the database cannot be opened, say so and stop the page."""
    try:
        return get_store()
    except StorageError as exc:
        st.error(f"The database cannot be opened: {exc}. Check `DATABASE_URL` and restart the app.")
        st.stop()


def login_required(store: Store) -> bool:
    """Facilitator pages need a login once an account exists, or when ASSESSMENT_REQUIRE_LOGIN=1."""
    return os.environ.get("ASSESSMENT_REQUIRE_LOGIN") == "1" or store.has_users()


def current_assessment(store: Store) -> AssessmentRecord | None:
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
        st.warning(f"Assessment {raw!r} does not exist (it may have been deleted). Pick another one.")
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


def need_assessment(store: Store) -> AssessmentRecord:
    """Stop the page with a friendly empty state when no assessment is selected."""
    record = current_assessment(store)
    if record is None:
        st.info("No assessment is open. Create or open one on the **Assessments** page.")
        st.page_link("app_pages/assessments.py", label="Go to Assessments", icon=":material/folder_open:")
        st.stop()
    return record
