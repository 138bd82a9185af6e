"""Facilitator login: shown instead of every page while login is required and nobody has logged in.

Login is required once a facilitator account exists (`python -m assessment user add NAME`) or when
ASSESSMENT_REQUIRE_LOGIN=1. Participants never need it: they come in through `?join=CODE`.
"""

from __future__ import annotations

import streamlit as st

from app_pages.shared import FACILITATOR_KEY, open_store
from assessment.workshop import normalise_code

store = open_store()

st.title("Facilitator login")
if not store.has_users():
    st.warning("Login is required (ASSESSMENT_REQUIRE_LOGIN=1) but no facilitator account exists yet. "
               "Create one on the server: `python -m assessment user add NAME`.")
with st.form("login"):
    name = st.text_input("User name")
    password = st.text_input("Password", type="password")
    if st.form_submit_button("Log in", type="primary"):
        if store.check_password(name, password):
            st.session_state[FACILITATOR_KEY] = name.strip()
            st.rerun()
        st.error("Wrong user name or password.")

st.divider()
st.markdown("**Joining a workshop?** Enter the code on the screen.")
with st.form("code"):
    code = st.text_input("Workshop code", max_chars=12)
    if st.form_submit_button("Join"):
        st.query_params["join"] = normalise_code(code)
        st.rerun()
