"""SQLite backups: copy the live database file, or replace it with a copy, while servers use it.
(JSON backups, for either database, go through `Store.dump` and `Store.restore`.)
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import func, select

from assessment.storage.engine import StoreBase
from assessment.storage.errors import StorageError
from assessment.storage.schema import assessments, login_sessions


class Backup(StoreBase):
    """Backing up and restoring an SQLite database file."""

    def _sqlite_path(self, doing: str) -> Path:
        if self.engine.dialect.name != "sqlite" or not self.engine.url.database:
            raise StorageError(f"{doing} works on an SQLite database file; this database is "
                               f"{self.engine.dialect.name}: use a .json backup instead")
        return Path(self.engine.url.database)

    def backup_sqlite(self, target: Path) -> None:
        """Copy the live SQLite database with SQLite's online backup API (safe while others write).

        Everything is copied (facilitator accounts too) except the login sessions.
        """
        self._sqlite_path("a .db backup")
        part = target.with_name(target.name + ".part")
        part.unlink(missing_ok=True)
        with self.engine.connect() as conn:
            copy = sqlite3.connect(part)
            try:
                conn.connection.driver_connection.backup(copy)
                # Login sessions stay behind: a restored backup must not bring back a logout.
                if copy.execute("SELECT 1 FROM sqlite_master WHERE name = 'login_sessions'").fetchone():
                    copy.execute("DELETE FROM login_sessions")
                    copy.commit()
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            finally:
                copy.close()
        os.replace(part, target)

    def restore_sqlite(self, source: Path, *, replace: bool = False) -> int:
        """Replace this SQLite database with a .db backup, in one step; returns the assessments restored.

        Facilitator accounts come from the backup, and every login session ends.
        """
        self._sqlite_path("a .db restore")
        try:
            backup = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise StorageError(f"{source}: cannot open it as an SQLite database ({exc})") from None
        try:
            try:
                tables = {r[0] for r in backup.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                count = backup.execute("SELECT count(*) FROM assessments").fetchone()[0] \
                    if "assessments" in tables else 0
            except sqlite3.DatabaseError as exc:
                raise StorageError(f"{source}: not an SQLite database ({exc})") from None
            if not {"assessments", "answers", "alembic_version"} <= tables:
                raise StorageError(f"{source}: not a backup of this tool's database (no assessments table)")
            held = self.count_assessments()
            if held and not replace:
                raise StorageError(f"the database already holds {held} assessment(s); restore into an empty "
                                   "database, or replace them with --force")
            with self.engine.connect() as conn:
                backup.backup(conn.connection.driver_connection)
        finally:
            backup.close()
        self.upgrade()  # a backup from an older version is migrated like any database
        with self._write() as conn:
            # The restored users table may give an id to someone else: every facilitator logs in again.
            conn.execute(login_sessions.delete())
        return count

    def count_assessments(self) -> int:
        with self._read() as conn:
            return conn.scalar(select(func.count()).select_from(assessments)) or 0
