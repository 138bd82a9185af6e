"""Facilitator login: shown instead of every page while login is required and nobody has logged in.

Login is required once a facilitator account exists (`python -m assessment user add NAME`), when single
sign-on is configured (an `[auth]` section in `.streamlit/secrets.toml`), or when
ASSESSMENT_REQUIRE_LOGIN=1. Participants never need it: they come in through `?join=CODE`.
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAuthError, StreamlitMissingAuthlibError

from assessment.present import plain
from assessment.storage import RateLimited, StorageError
from assessment.storage.accounts import LoginThrottled, wait_text
from assessment.workshop import normalise_code
from assessment_app.app_pages.shared import (
    client_key,
    facilitator_key_form,
    log_in,
    open_store,
    sso_configured,
    sso_refused,
    write_login_cookie,
)

store = open_store()
sso, accounts = sso_configured(), store.has_users()

st.title("Facilitator login")
if refused := sso_refused():
    st.error(f"{plain(refused)} is signed in through single sign-on but is not allowed to run assessments here "
             "(ASSESSMENT_SSO_ALLOWED). Sign out, then sign in with an allowed account.")
    st.button("Sign out of single sign-on", on_click=st.logout)
elif sso:
    if st.button("Log in with single sign-on", type="primary", icon=":material/key:"):
        try:
            st.login()
        except StreamlitMissingAuthlibError:
            st.error("Single sign-on needs Authlib on the server: run `pip install -e '.[sso]'` in the app's "
                     "folder, then restart the app.")
        except StreamlitAuthError as exc:
            st.error(f"Single sign-on is not set up correctly in `.streamlit/secrets.toml`: {exc}")
elif not accounts:
    st.warning("No facilitator account exists yet. Enter a one-time key printed on the server "
               "(`python -m assessment facilitator-key`), or create an account there: "
               "`python -m assessment user add NAME`.")
if accounts:
    with st.form("login"):
        name = st.text_input("User name")
        password = st.text_input("Password", type="password")
        if st.form_submit_button("Log in", type="primary" if not sso else "secondary"):
            try:
                # failed logins count against this account from this client's address (behind a reverse
                # proxy: the address it forwards, when ASSESSMENT_TRUSTED_PROXIES names it)
                checked = store.check_password(name, password, client_key=client_key())
            except ValueError as exc:  # a bad ASSESSMENT_TRUSTED_PROXIES
                st.error(f"Cannot check the password: {exc}.")
            except LoginThrottled as exc:
                st.error(f"Too many failed logins. Wait {wait_text(exc.retry_after)} and try again.")
            except RateLimited as exc:  # every password-check slot of this server stayed taken
                st.error(f"The server is busy checking other passwords. Try again in {wait_text(exc.retry_after)}.")
            else:
                if checked:
                    try:
                        log_in(store, name)
                    except StorageError as exc:
                        st.error(f"Cannot log in: {exc}.")
                        st.stop()
                    st.rerun()
                st.error("Wrong user name or password.")

if not sso:
    facilitator_key_form(store)

st.divider()
st.markdown("**Joining a workshop?** Enter the code on the screen.")
with st.form("code"):
    code = st.text_input("Workshop code", max_chars=12)
    if st.form_submit_button("Join"):
        st.query_params["join"] = normalise_code(code)
        st.rerun()

write_login_cookie()  # after a logout: the browser forgets the token
