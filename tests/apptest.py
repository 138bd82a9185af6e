"""Drive the app through Streamlit's AppTest: open a session, find widgets by their label, read texts.

The test setup the app needs (only tests/data's questionnaires, empty caches) is conftest's `app_env`
fixture; the database the app opens is conftest's `app_store`. The Questionnaire's level cards are
driven through cards.py.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from assessment_app import APP

# The pages, as st.switch_page names them (relative to the app script).
ASSESSMENTS = "app_pages/assessments.py"
SCOPE = "app_pages/scope.py"
QUESTIONNAIRE = "app_pages/questionnaire.py"
RESULTS = "app_pages/results.py"
ROADMAP = "app_pages/roadmap.py"
COMPARE = "app_pages/compare.py"
REPORT = "app_pages/report.py"
DATA_PAGE = "app_pages/data.py"
WORKSHOP = "app_pages/workshop.py"


def session() -> AppTest:
    """A new session of assessment_app/app.py, not run yet: set its query parameters, secrets or user first."""
    return AppTest.from_file(str(APP), default_timeout=60)


def run(at: AppTest) -> AppTest:
    """Run the app again (after a widget changed) and check it raised nothing."""
    at.run()
    assert not at.exception
    return at


def app(assessment_id: int | None = None, page: str | None = None) -> AppTest:
    """The app after one run, optionally with ?assessment=ID and on another page."""
    at = session()
    if assessment_id is not None:
        at.query_params["assessment"] = str(assessment_id)
    run(at)
    if page is not None:
        at.switch_page(page)
        run(at)
    return at


def texts(elements) -> list[str]:  # noqa: ANN001 - an AppTest ElementList
    return [e.value for e in elements]


def by_label(widgets, label: str):  # noqa: ANN001, ANN201 - AppTest widget lists and widgets
    """The one widget with this label: pages gain widgets, so indexes would be brittle."""
    [widget] = [w for w in widgets if w.label == label]
    return widget


def click(at: AppTest, label: str) -> AppTest:
    """Click the one button with this label and run the app."""
    by_label(at.button, label).click()
    return run(at)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)
