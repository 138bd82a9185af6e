"""Facilitator accounts (argon2id password hashes) and their login sessions (the cookie that survives a
reload; the database keeps only the token's SHA-256).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assessment.storage.engine import StoreBase, _aware, _now, login_lifetime
from assessment.storage.errors import NotFound, StorageError
from assessment.storage.schema import login_sessions, users


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts(StoreBase):
    """Facilitator accounts and login sessions."""

    def add_user(self, name: str, password: str) -> None:
        """A facilitator account; the password is stored as an argon2id hash."""
        from argon2 import PasswordHasher

        name = name.strip()
        if not name:
            raise StorageError("a user needs a name")
        if len(password) < 8:
            raise StorageError("a password needs at least 8 characters")
        try:
            with self._write() as conn:
                conn.execute(users.insert().values(name=name, password_hash=PasswordHasher().hash(password),
                                                   created_at=_now()))
        except IntegrityError:
            raise StorageError(f"a user named {name!r} already exists") from None

    def has_users(self) -> bool:
        with self._read() as conn:
            return conn.scalar(select(users.c.id).limit(1)) is not None

    def check_password(self, name: str, password: str) -> bool:
        """True when the name and password match a facilitator account."""
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        with self._read() as conn:
            stored = conn.scalar(select(users.c.password_hash).where(users.c.name == name.strip()))
        hasher = PasswordHasher()
        if stored is None:
            # hash anyway, so an unknown name takes as long as a wrong password
            hasher.hash(password)
            return False
        try:
            return hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    # --- facilitator login sessions (the cookie that survives a reload) ---

    def start_login_session(self, name: str, lifetime: dt.timedelta | None = None) -> str:
        """Log a facilitator in: a new random token for the browser's cookie (only its hash is stored).

        `lifetime` defaults to `login_lifetime()`. Expired sessions of anyone are swept out on the way.
        """
        token = secrets.token_urlsafe(32)
        now = _now()
        with self._write() as conn:
            user_id = conn.scalar(select(users.c.id).where(users.c.name == name.strip()))
            if user_id is None:
                raise NotFound(f"no facilitator account named {name.strip()!r}")
            conn.execute(login_sessions.delete().where(login_sessions.c.expires_at <= now))
            conn.execute(login_sessions.insert().values(
                token_hash=_token_hash(token), user_id=user_id, created_at=now,
                expires_at=now + (lifetime if lifetime is not None else login_lifetime())))
        return token

    def user_for_token(self, token: str | None) -> str | None:
        """The facilitator a session token belongs to; None when it is unknown, ended or expired."""
        if not token:
            return None
        digest = _token_hash(token)
        with self._read() as conn:
            row = conn.execute(
                select(users.c.name, login_sessions.c.expires_at)
                .select_from(login_sessions.join(users, users.c.id == login_sessions.c.user_id))
                .where(login_sessions.c.token_hash == digest)).first()
        if row is None:
            return None
        if _aware(row.expires_at) <= _now():
            self.end_login_session(token)
            return None
        return row.name

    def end_login_session(self, token: str | None) -> None:
        """Log out: the token stops working on every server sharing this database. Unknown tokens are fine."""
        if token:
            with self._write() as conn:
                conn.execute(login_sessions.delete().where(login_sessions.c.token_hash == _token_hash(token)))
