"""Streamlit frame: page navigation and the shared sidebar. Pages live in app_pages/."""

import streamlit as st

st.set_page_config(page_title="AI Ops Maturity", page_icon=":material/monitoring:", layout="wide")

pages = [
    st.Page("app_pages/assessments.py", title="Assessments", icon=":material/folder_open:", default=True),
    st.Page("app_pages/scope.py", title="Scope", icon=":material/tune:"),
    st.Page("app_pages/questionnaire.py", title="Questionnaire", icon=":material/edit_note:"),
    st.Page("app_pages/results.py", title="Results", icon=":material/monitoring:"),
    st.Page("app_pages/roadmap.py", title="Roadmap", icon=":material/route:"),
    st.Page("app_pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
]
st.navigation(pages).run()
