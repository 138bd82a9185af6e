"""Alembic migrations, run on start (`Store.open`) and by `python -m assessment db upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

HERE = Path(__file__).resolve().parent


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


# Key of the PostgreSQL advisory lock that makes servers starting together migrate one at a time.
_UPGRADE_LOCK = 0x41694F70


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema to the newest revision.

    On PostgreSQL, app servers started at once on an empty database would all create the tables and
    all but one fail; an advisory lock makes them take turns, and the later ones find nothing to do.
    (SQLite needs no lock: env.py's `BEGIN IMMEDIATE` already serialises them.)
    """
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), "head")
        return
    with engine.begin() as lock:  # held until this transaction ends, after the upgrade committed
        lock.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK})
        command.upgrade(alembic_config(engine), "head")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest revision this version of the tool knows."""
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    return str(ScriptDirectory.from_config(cfg).get_current_head())
