"""Connecting: the database URL, the engine (SQLite tuned for many writers), and `StoreBase`, the
engine and transactions every part of the `Store` works through.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import ProgrammingError as SAProgrammingError

from assessment.storage.errors import StorageError
from assessment.storage.schema import DEFAULT_LOGIN_HOURS, assessments

if TYPE_CHECKING:
    from assessment.questionnaire import Questionnaire


def data_dir() -> Path:
    from assessment.settings import settings

    return settings().data_dir


def normalise_url(url: str) -> str:
    """Accept postgres://, postgresql:// and postgresql+psycopg:// alike (we ship psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def database_url() -> str:
    from assessment.settings import settings

    url = settings().database_url
    if url:
        return normalise_url(url)
    return f"sqlite:///{data_dir() / 'assessments.db'}"


def _use_wal(cur: Any, wait: float = 10.0) -> None:
    """Switch a SQLite file to WAL (the mode is stored in the file: once per database).

    The switch needs an exclusive lock, and SQLite answers "database is locked" at once, without its
    busy handler, when another connection holds one: servers opening a new file together (one of them
    creating the tables) would fail. They retry for up to `wait` seconds; a file already in WAL skips it.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            if cur.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """One engine per process. SQLite gets WAL, foreign keys and explicit write locks."""
    url = normalise_url(url or database_url())
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy (not pysqlite) start transactions, so writes can take the lock up front.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=10000")
            _use_wal(cur)
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # A write transaction locks at BEGIN: read-then-write can never lose an update.
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


@contextmanager
def temporary_schema(url: str, prefix: str = "tmp") -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards; yields a URL whose search_path is that schema.

    For tests and benchmarks that share one server without seeing each other's data.
    """
    import uuid

    from sqlalchemy import text

    url = normalise_url(url)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_login_hours(raw: str) -> float:
    """ASSESSMENT_LOGIN_HOURS as hours (blank: 12); ValueError names a bad value."""
    try:
        hours = float(raw) if raw.strip() else DEFAULT_LOGIN_HOURS
    except ValueError:
        raise ValueError(f"ASSESSMENT_LOGIN_HOURS: must be a number of hours, not {raw!r}") from None
    if not 0 < hours <= 24 * 366:
        raise ValueError(f"ASSESSMENT_LOGIN_HOURS: must be more than 0 and at most a year, not {raw!r}")
    return hours


def login_lifetime() -> dt.timedelta:
    """How long a facilitator login lasts: ASSESSMENT_LOGIN_HOURS, or 12 hours."""
    from assessment.settings import SettingsError, settings

    try:
        return dt.timedelta(hours=settings().login_hours)
    except SettingsError as exc:
        raise StorageError(str(exc)) from None


def _aware(t: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def is_missing_table(exc: Exception) -> bool:
    return isinstance(exc, OperationalError | SAProgrammingError)


class StoreBase:
    """What the parts of the Store share: the engine, its read and write transactions, and caches."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
        self._question_ids_by_hash: dict[str, frozenset[str]] = {}
        self._questionnaires: dict[str, Questionnaire] = {}
        self._vote_upserts: dict[str, Any] = {}

    @classmethod
    def open(cls, url: str | None = None, upgrade: bool = True) -> Self:
        """Connect and bring the schema up to date; unreachable databases raise StorageError."""
        engine = make_engine(url)
        store = cls(engine)
        if upgrade:
            store.upgrade()
        return store

    def upgrade(self) -> None:
        from assessment.migrations import upgrade_to_head

        try:
            upgrade_to_head(self.engine)
        except OperationalError as exc:
            reason = " ".join(str(exc.orig).split())  # the driver's message on one line (psycopg's has two)
            raise StorageError(f"cannot open the database {describe_url(str(self.engine.url))}: {reason}") from None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._write_engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def _question_ids(self, conn: Connection, assessment_id: int, questionnaire_hash: str) -> frozenset[str]:
        """Question ids of an assessment's snapshot, parsed once per questionnaire content hash."""
        ids = self._question_ids_by_hash.get(questionnaire_hash)
        if ids is None:
            snapshot = conn.scalar(
                select(assessments.c.questionnaire_snapshot).where(assessments.c.id == assessment_id))
            ids = frozenset(q["id"] for q in json.loads(snapshot)["questions"])
            self._question_ids_by_hash[questionnaire_hash] = ids
        return ids
