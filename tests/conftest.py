"""Shared fixtures: questionnaires; a store on SQLite and on the real PostgreSQL server; the database the
CLI or the app opens by itself; the app's AppTest setup; the app served to Chromium.

Plain helpers live beside this file, not in test modules: apptest.py and cards.py (AppTest), browser.py
(Chromium), clirunner.py (the CLI).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import patient, serve_app
from playwright.sync_api import Page
from sqlalchemy import create_engine, text

from assessment import content
from assessment.content import load_questionnaire
from assessment.demo import create_demo_organisation
from assessment.questionnaire import Questionnaire, combine
from assessment.storage import Store, make_engine, temporary_schema

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
ROOT = HERE.parent
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches ./data or a DATABASE_URL from the developer's shell."""
    monkeypatch.setenv("ASSESSMENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("QUESTIONNAIRE_PATH", raising=False)


@pytest.fixture(scope="session")
def mini() -> Questionnaire:
    """2 layers × 3 dimensions, 8 questions: small enough to compute scores by hand."""
    return load_questionnaire(DATA / "mini.yaml")


def postgres_available() -> bool:
    try:
        with create_engine(PG_URL).connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:
        return False


def require_postgres() -> None:
    if postgres_available():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL at {PG_URL} is unreachable; CI must run the PostgreSQL tests")
    pytest.skip(f"PostgreSQL at {PG_URL} is unreachable")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema on the real server, dropped afterwards; yields a URL whose search_path is it."""
    require_postgres()
    with temporary_schema(PG_URL, "t") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every storage test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(make_engine(db_url))
    s.upgrade()
    yield s
    s.engine.dispose()


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A SQLite store that CLI commands invoked in the test open too (through DATABASE_URL)."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    s = Store.open()
    yield s
    s.engine.dispose()


# --- the app through AppTest (apptest.py) ---


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """What every AppTest run needs: only tests/data's questionnaires, and caches that start empty so each
    test has its own database. AppTest modules use it for every test (`pytest.mark.usefixtures`).

    The built-in folder is swapped for a copy without its questionnaires (level names, objectives
    and the like stay): load_all() refuses every questionnaire when one file fails, and the built-in
    content changes independently of these tests.
    """
    import streamlit as st  # here, not at the top: importing Streamlit changes Plotly's default template

    builtin = tmp_path / "builtin"
    builtin.mkdir()
    for f in content.DEFAULT_FOLDER.glob("*.y*ml"):
        if content.file_kind(f) != "questionnaire":
            shutil.copy(f, builtin / f.name)
    monkeypatch.setattr(content, "DEFAULT_FOLDER", builtin)
    monkeypatch.setenv("QUESTIONNAIRE_PATH", str(DATA))
    # The Results page warms kaleido's Chromium for the PDF; AppTest never builds the PDF.
    monkeypatch.setattr("assessment.svg.start_renderer", lambda: None)
    # .streamlit/config.toml hides error details from users; a failing test should show them.
    shown = st.config.get_option("client.showErrorDetails")
    st.config.set_option("client.showErrorDetails", "full")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()
    st.config.set_option("client.showErrorDetails", shown)


@pytest.fixture
def app_store() -> Iterator[Store]:
    """The database the app opens under AppTest: the default one in ASSESSMENT_DATA_DIR (a tmp dir)."""
    s = Store.open()
    yield s
    s.engine.dispose()


@pytest.fixture
def aid(app_store: Store, mini: Questionnaire) -> int:
    """An assessment on the mini questionnaire in the app's database, created behind the app's back."""
    return app_store.create_assessment("Q4 baseline", "Platform", mini, facilitator="Ada")


# --- the app in Chromium (browser.py), with Debian's chromium (no browser download) ---


@pytest.fixture(scope="module")
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data folder of the module's app server (`app_url`); its database is server_dir/assessments.db."""
    return tmp_path_factory.mktemp("browser-data")


@pytest.fixture(scope="module")
def app_url(server_dir: Path) -> Iterator[str]:
    """The real app (`assessment serve`), started once per module on its own database, offering only
    tests/data's `mini` questionnaire."""
    with serve_app(server_dir, QUESTIONNAIRE_PATH=str(DATA)) as url:
        yield url


@pytest.fixture
def server_store(server_dir: Path) -> Iterator[Store]:
    """The app server's database, opened by the test to set up or check what the browser did."""
    s = Store.open(f"sqlite:///{server_dir / 'assessments.db'}")
    yield s
    s.engine.dispose()


@pytest.fixture
def page(page: Page) -> Page:
    """pytest-playwright's page, sized like a laptop screen, waiting long enough for reruns."""
    page.set_viewport_size({"width": 1280, "height": 900})
    return patient(page)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


# --- the demo organisation in a real app server (browser tests of the pages) ---


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo-data")


@pytest.fixture(scope="module")
def demo_ids(demo_dir: Path) -> list[int]:
    """The demo organisation in the server's database, before the server starts."""
    store = Store.open(f"sqlite:///{demo_dir / 'assessments.db'}")
    try:
        return create_demo_organisation(store, combine(content.load_all([content.DEFAULT_FOLDER])[:3]))
    finally:
        store.engine.dispose()


@pytest.fixture(scope="module")
def demo_url(demo_dir: Path, demo_ids: list[int]) -> Iterator[str]:
    """The real app on the demo database (one server per test module), with the built-in questionnaires only."""
    with serve_app(demo_dir, QUESTIONNAIRE_PATH=None) as url:
        yield url
