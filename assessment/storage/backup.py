"""SQLite backups: copy the live database file, or replace it with a checked copy, while servers use it;
and the automatic backup a restore keeps of what it replaces (JSON backups themselves, for either
database, go through `Store.dump` and `Store.restore`).

A `.db` restore reads the candidate file only: every check runs on a private copy of it, beside the live
database. SQLite's integrity and foreign-key checks; a migration revision this version knows; every table
and column the schema has at that revision; a migration of the copy to the newest revision; every
assessment read back. Only then is the live database backed up (`backups/before-restore-….db` beside it)
and replaced, by SQLite's online backup API from the migrated copy into a live connection.

Why not build the new file and `os.replace` it? App servers keep the live file open in WAL mode: after a
rename their open connections still read and write the old, unlinked file, and its `-wal`/`-shm` beside
the new one corrupt it ("database disk image is malformed", measured). The backup API writes every page
of the copy into the live file in one write transaction, under SQLite's locks and through its WAL, so
every connection, in this process or another, sees the whole old database or the whole new one; a
failure or a crash part-way leaves the old one.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select

from assessment import exchange
from assessment.migrations import HERE as MIGRATIONS
from assessment.migrations import alembic_config, upgrade_to_head
from assessment.model import AssessmentDump
from assessment.questionnaire import from_snapshot
from assessment.storage.engine import StoreBase, data_dir, make_engine
from assessment.storage.errors import StorageError
from assessment.storage.schema import assessments

SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class Restored:
    """What a restore brought back, and where it kept the database it replaced (None: nothing replaced)."""

    count: int
    kept: Path | None


class Backup(StoreBase):
    """Backing up and restoring an SQLite database file."""

    def _sqlite_path(self, doing: str) -> Path:
        if self.engine.dialect.name != "sqlite" or not self.engine.url.database:
            raise StorageError(f"{doing} works on an SQLite database file; this database is "
                               f"{self.engine.dialect.name}: use a .json backup instead")
        return Path(self.engine.url.database)

    def backup_sqlite(self, target: Path) -> None:
        """Copy the live SQLite database with SQLite's online backup API (safe while others write).

        Everything is copied (facilitator accounts too) except the login sessions and failed logins.
        """
        self._sqlite_path("a .db backup")
        part = target.with_name(target.name + ".part")
        part.unlink(missing_ok=True)
        with self.engine.connect() as conn:
            copy = sqlite3.connect(part)
            try:
                conn.connection.driver_connection.backup(copy)
                # Login sessions stay behind: a restored backup must not bring back a logout. Failed logins
                # (client addresses, kept an hour for throttling) are no part of a backup either.
                for transient in ("login_sessions", "login_attempts"):
                    if copy.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (transient,)).fetchone():
                        copy.execute(f"DELETE FROM {transient}")
                copy.commit()
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            finally:
                copy.close()
        os.replace(part, target)

    def restore_sqlite(self, source: Path, *, replace: bool = False) -> Restored:
        """Replace this SQLite database with a checked, migrated copy of a .db backup, in one transaction.

        The current database is kept first in `backups/` beside it. Facilitator accounts come from the
        backup, and every login session ends. Anything wrong with `source` raises StorageError naming it,
        and the live database is untouched.
        """
        live = self._sqlite_path("a .db restore")
        with self.engine.connect() as conn:
            page_size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
        with tempfile.TemporaryDirectory(prefix=".restore-", dir=live.parent) as work:
            copy = Path(work) / "candidate.db"
            count = checked_copy(source, copy, page_size)
            held = self.count_assessments()
            if held and not replace:
                raise StorageError(f"{source}: the database already holds {held} assessment(s); restore into "
                                   "an empty database, or replace them with --force")
            kept = kept_path(self.engine, ".db")
            try:
                self.backup_sqlite(kept)
            except (OSError, sqlite3.Error) as exc:
                raise StorageError(f"cannot keep a backup of the current database as {kept} ({exc}); "
                                   "nothing was restored") from None
            try:
                with self.engine.connect() as conn, closing(sqlite3.connect(copy)) as verified:
                    verified.backup(conn.connection.driver_connection)  # all pages, one transaction
            except sqlite3.Error as exc:
                raise StorageError(f"{source}: writing it into the live database failed ({exc}); the live "
                                   f"database is unchanged (and kept as {kept})") from None
        return Restored(count, kept)

    def count_assessments(self) -> int:
        with self._read() as conn:
            return conn.scalar(select(func.count()).select_from(assessments)) or 0


def checked_copy(source: Path, copy: Path, page_size: int) -> int:
    """Copy `source` to `copy`, check it and migrate it to the newest revision; the assessments it holds.

    The copy is left ready to write into a live database of `page_size`: self-contained (no -wal), with
    that page size and no login sessions. Anything wrong raises StorageError naming `source`.
    """
    try:
        with open(source, "rb") as f:
            if f.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                raise StorageError(f"{source}: not an SQLite database (it does not start with SQLite's header)")
        shutil.copyfile(source, copy)
        wal = source.with_name(source.name + "-wal")
        if wal.is_file():  # transactions not yet checkpointed into the file belong to it
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
    except OSError as exc:
        raise StorageError(f"{source}: cannot copy it to check it ({exc})") from None
    try:
        with closing(sqlite3.connect(copy)) as conn:
            revision = _check_file(conn, source)
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{source}: not a usable SQLite database ({exc})") from None
    count = _migrate(copy, source, revision)
    try:
        with closing(sqlite3.connect(copy, isolation_level=None)) as conn:
            conn.execute("DELETE FROM login_sessions")  # a restored backup must not bring back a logout
            conn.execute("DELETE FROM login_attempts")  # nor another server's failed logins
            conn.execute("PRAGMA journal_mode=DELETE")
            if conn.execute("PRAGMA page_size").fetchone()[0] != page_size:
                # The backup API cannot change a WAL database's page size ("attempt to write a readonly
                # database"), so the copy takes the live one's.
                conn.execute(f"PRAGMA page_size={int(page_size)}")
                conn.execute("VACUUM")
    except sqlite3.Error as exc:
        raise StorageError(f"{source}: preparing the checked copy failed ({exc}); nothing was restored") from None
    return count


def _check_file(conn: sqlite3.Connection, source: Path) -> str:
    """SQLite's integrity check, our revision, its tables, then SQLite's foreign-key check; the revision."""
    problems = [_shown(r[0]) for r in conn.execute("PRAGMA integrity_check(5)")]
    if problems != ["ok"]:
        raise StorageError(f"{source}: SQLite's integrity check fails ({'; '.join(problems)})")
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "alembic_version" not in names:
        raise StorageError(f"{source}: not a backup of this tool's database (it has no alembic_version table)")
    found = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    known = known_revisions()
    if len(found) != 1:
        raise StorageError(f"{source}: it records {len(found)} migration revisions, not one")
    revision = found[0]
    if revision not in known:
        raise StorageError(f"{source}: revision {_shown(revision, 40)} is not one this version knows "
                           f"(newest: {known[0]}); restore it with the version that wrote it")
    _check_tables(conn, schema_at(revision), f"{source}: revision {revision}")
    broken = conn.execute("PRAGMA foreign_key_check").fetchone()
    if broken:
        raise StorageError(f"{source}: row {broken[1]} of table {_shown(broken[0], 40)} points at a missing "
                           f"{_shown(broken[2], 40)} row")
    return revision


def _migrate(copy: Path, source: Path, revision: str) -> int:
    """Migrate the copy to the newest revision, check its tables and read every assessment; how many."""
    head = known_revisions()[0]
    engine = make_engine(f"sqlite:///{copy}")
    try:
        try:
            upgrade_to_head(engine)
        except Exception as exc:  # whatever stops the migration refuses the file
            raise StorageError(f"{source}: migrating a copy from revision {revision} to {head} fails "
                               f"({_one_line(exc)})") from None
        with closing(sqlite3.connect(copy)) as conn:
            _check_tables(conn, schema_at(head), f"{source}: once migrated to {head}, it")
        return _read_every_assessment(engine, source)
    finally:
        engine.dispose()


def _read_every_assessment(engine: Engine, source: Path) -> int:
    """Read the copy as the app will, every assessment whole; how many."""
    from assessment.storage.assessments import Assessments  # it imports this module

    # The store parses a snapshot once per content hash: each must be the questionnaire its hash names.
    checked: set[tuple[str, str]] = set()
    with engine.connect() as conn:
        rows = conn.execute(select(assessments.c.id, assessments.c.questionnaire_hash,
                                   assessments.c.questionnaire_snapshot))
        for assessment_id, stored, snapshot in rows:
            if (stored, snapshot) in checked:
                continue
            try:
                ok = from_snapshot(snapshot).content_hash() == stored
            except Exception:  # any snapshot the app could not parse refuses the file
                ok = False
            if not ok:
                raise StorageError(f"{source}: the questionnaire of assessment {assessment_id} is damaged (its "
                                   "snapshot is not the questionnaire its content hash names)")
            checked.add((stored, snapshot))
    try:
        return len(Assessments(engine).dump())
    except Exception as exc:  # an assessment the app could not show refuses the file
        raise StorageError(f"{source}: its assessments cannot be read ({_one_line(exc)})") from None


def _check_tables(conn: sqlite3.Connection, needed: dict[str, frozenset[str]], what: str) -> None:
    for table, columns in sorted(needed.items()):
        have = {r[0] for r in conn.execute("SELECT name FROM pragma_table_info(?)", (table,))}
        if not have:
            raise StorageError(f"{what} needs table {table}, which is missing")
        if missing := sorted(columns - have):
            raise StorageError(f"{what} needs column(s) {', '.join(missing)} in table {table}, which are missing")


@functools.cache
def known_revisions() -> tuple[str, ...]:
    """Our migration revisions, newest first."""
    return tuple(r.revision for r in ScriptDirectory(str(MIGRATIONS)).walk_revisions())


@functools.cache
def schema_at(revision: str) -> dict[str, frozenset[str]]:
    """Each table, with its columns, that our migrations create up to `revision` (built in a scratch file)."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "reference.db"
        engine = make_engine(f"sqlite:///{path}")
        try:
            command.upgrade(alembic_config(engine), revision)
        finally:
            engine.dispose()
        with closing(sqlite3.connect(path)) as conn:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
            return {n: frozenset(r[0] for r in conn.execute("SELECT name FROM pragma_table_info(?)", (n,)))
                    for n in names}


def _one_line(exc: Exception) -> str:
    """An exception's message (the driver's, if SQLAlchemy wrapped it) on one line."""
    return _shown(getattr(exc, "orig", None) or exc)


def _shown(value: object, limit: int = 300) -> str:
    """Text from a file under test, fit for a one-line message: whitespace runs as one space, cut short."""
    return " ".join(str(value).split())[:limit]


# --- the automatic backup a restore keeps -------------------------------------------------------


def backups_folder(engine: Engine) -> Path:
    """Where restores keep what they replace: `backups/` beside an SQLite file, else in the data folder."""
    if engine.dialect.name == "sqlite" and engine.url.database:
        return Path(engine.url.database).parent / "backups"
    return data_dir() / "backups"


def kept_path(engine: Engine, suffix: str) -> Path:
    """A new file `backups/before-restore-YYYYmmdd-HHMMSS{suffix}` (the folder made if needed)."""
    folder = backups_folder(engine)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot make {folder} for the backup a restore keeps ({exc}); nothing was restored") \
            from None
    stem = f"before-restore-{dt.datetime.now():%Y%m%d-%H%M%S}"
    path, n = folder / f"{stem}{suffix}", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}{suffix}"
    return path


def keep_json(engine: Engine, dumps: Sequence[AssessmentDump]) -> Path:
    """Write a JSON backup of the assessments a restore is about to replace; its path."""
    path = kept_path(engine, ".json")
    part = path.with_name(path.name + ".part")
    try:
        part.write_text(exchange.export_backup(list(dumps)), encoding="utf-8")
        os.replace(part, path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise StorageError(f"cannot keep a backup of the current assessments as {path} ({exc}); "
                           "nothing was restored") from None
    return path
