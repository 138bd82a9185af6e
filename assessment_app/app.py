"""Streamlit frame: page navigation and the shared sidebar. Pages live in app_pages/."""

import streamlit as st

from assessment.present import plain
from assessment_app import downloads
from assessment_app.app_pages.shared import (
    APP_ICON,
    apply_styles,
    check_settings,
    current_facilitator,
    log_out,
    login_required,
    open_store,
    participant_session,
    write_login_cookie,
)

st.set_page_config(page_title="AI Ops Maturity", page_icon=APP_ICON, layout="wide")
apply_styles()  # contrast, focus and target sizes on every page (WCAG 2.2 AA); 7:1 in presentation mode
downloads.install()  # a download built on click survives other sessions' runs (see downloads.py)
check_settings()  # a bad setting stops the app here, one line per bad value

# A participant (a join link, a participant token, or after a reload the participant cookie) reaches the
# voting page and nothing else, for the rest of the session. Facilitators log in first when login is
# required (an account exists, single sign-on is configured, ASSESSMENT_REQUIRE_LOGIN=1, or a workshop is open).
_store = open_store()
if participant_session(_store):
    st.navigation([st.Page("app_pages/vote.py", title="Vote", icon=":material/how_to_vote:")],
                  position="hidden").run()
    st.stop()
PAGES = [  # app_pages/<name>.py, served at /<name> (the first also at /)
    ("assessments", "Assessments", ":material/folder_open:"),
    ("scope", "Scope", ":material/tune:"),
    ("questionnaire", "Questionnaire", ":material/edit_note:"),
    ("workshop", "Workshop", ":material/groups:"),
    ("results", "Results", ":material/monitoring:"),
    ("roadmap", "Roadmap", ":material/route:"),
    ("compare", "Compare", ":material/compare_arrows:"),
    ("report", "Report", ":material/picture_as_pdf:"),
    ("data", "Data", ":material/database:"),
]
needs_login = login_required(_store)
facilitator = current_facilitator(_store) if needs_login else None
if needs_login and not facilitator:
    # Every page's address shows the login form, so a bookmarked link (/data?assessment=3) leads to its page
    # once logged in, rather than to Streamlit's "Page not found" over the form.
    st.navigation([st.Page("app_pages/login.py", title="Log in", icon=":material/login:", url_path=name, default=i == 0)
                   for i, (name, _, _) in enumerate(PAGES)], position="hidden").run()
    st.stop()
write_login_cookie()  # after a login: the browser keeps the token, so a reload stays logged in

page = st.navigation([st.Page(f"app_pages/{name}.py", title=title, icon=icon, url_path=name, default=i == 0)
                      for i, (name, title, icon) in enumerate(PAGES)])
if facilitator:
    st.sidebar.caption(f"Logged in as **{plain(facilitator)}**")
    st.sidebar.button("Log out", key="logout", on_click=log_out, args=(_store,))

# Presentation mode: large type and no sidebar, for a projector; the Questionnaire shows one
# question per screen. The switch lives in the sidebar and, once it is hidden, at the top of the page.
# Its styles (shared.PRESENTATION_STYLES: 7:1 contrast, large type) are applied at the top of every run.
st.sidebar.toggle("Presentation mode", key="presentation",
                  help="Large type, 7:1 contrast for a projector, no sidebar, one question per screen.")
if st.session_state.get("presentation"):
    st.button("Exit presentation mode", key="exit-presentation", icon=":material/close_fullscreen:",
              on_click=lambda: st.session_state.update(presentation=False))
page.run()
