"""Shared fixtures: questionnaires, a store on SQLite and on the real PostgreSQL server, Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from assessment.content import load_questionnaire
from assessment.questionnaire import Questionnaire
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


# --- Playwright with Debian's chromium (no browser download) ---


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }
