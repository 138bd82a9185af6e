"""Facilitator accounts (argon2id password hashes), their login sessions (the cookie that survives a
reload; the database keeps only the token's SHA-256), and login throttling.

Login throttling: failed logins are rows in `login_attempts`, so every app server sharing the database
counts the same guesses. A client's wait depends only on its own failures, never on anyone else's:

- per account and client: 5 free failures within an hour, then a wait after each failure that starts
  at 15 seconds and doubles per further failure, at most 15 minutes (so about 4 guesses an hour);
- per client, whatever names it tries: the same after 20 failures (guessing many names);
- per account, whatever the client: once the account has 20 failures within the hour (an attack), each
  client gets 1 free failure on it instead of 5. Other clients' failures never refuse a try: a
  facilitator on a client with no failures of its own is always checked, and after k mistakes of
  their own waits at most 15 s × 2^(k-1) (15 minutes at most).

A refused try is not checked and not counted. A correct password clears that account and client's
failures; rows older than the hour are deleted as new failures come in. Unknown names are counted
and timed like known ones. At most `PASSWORD_CHECKS` argon2 computations (64 MiB each) run at once in
a process; a caller beyond waits up to `PASSWORD_CHECK_WAIT` seconds, then is told to retry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from assessment.storage.engine import StoreBase, _aware, _now, login_lifetime
from assessment.storage.errors import NotFound, RateLimited, StorageError
from assessment.storage.schema import login_attempts, login_sessions, users

LOGIN_WINDOW = dt.timedelta(hours=1)  # failures older than this are forgotten (and deleted)
PAIR_FREE = 5  # failures of one account from one client before the first wait
CLIENT_FREE = 20  # failures from one client, over every name it tried, before the first wait
ACCOUNT_ALERT = 20  # failures of one account, from every client, that mean it is under attack ...
PAIR_FREE_UNDER_ATTACK = 1  # ... and then the free failures per client on it
FIRST_WAIT = 15.0  # seconds; doubles with each further failure
LONGEST_WAIT = 15 * 60.0
PASSWORD_CHECKS = 2  # argon2 computations at once in a process (64 MiB each)
PASSWORD_CHECK_WAIT = 5.0  # seconds a caller waits for one before being told to retry


class LoginThrottled(RateLimited):
    """Too many failed logins for this account from this client (or from this client): wait first."""

    def __init__(self, retry_after: float):
        super().__init__(retry_after)
        self.args = (f"too many failed logins; wait {wait_text(retry_after)} and try again",)


class PasswordChecksBusy(RateLimited):
    """Every password-check slot of this process stayed taken: try again in a moment."""

    def __init__(self, retry_after: float):
        super().__init__(retry_after)
        self.args = (f"the server is busy checking other passwords; try again in {wait_text(retry_after)}",)


def wait_text(seconds: float) -> str:
    """A wait as a person says it: '1 second', '45 seconds', '2 minutes' (rounded up)."""
    whole = max(1, int(-(-seconds // 1)))
    if whole < 90:
        return f"{whole} second{'s' if whole != 1 else ''}"
    minutes = -(-whole // 60)
    return f"{minutes} minutes"


def _backoff(failures: Sequence[dt.datetime], now: dt.datetime, free: int) -> float:
    """Seconds to wait after these failures: none for the first `free`, then FIRST_WAIT doubling."""
    recent = [t for t in failures if t > now - LOGIN_WINDOW]
    if len(recent) < free:
        return 0.0
    delay = min(FIRST_WAIT * 2 ** (len(recent) - free), LONGEST_WAIT)
    return max(0.0, (max(recent) + dt.timedelta(seconds=delay) - now).total_seconds())


def login_wait(pair: Sequence[dt.datetime], client: Sequence[dt.datetime], account_failures: int,
               now: dt.datetime) -> float:
    """Seconds a client must wait before its next password check on an account (0: check now).

    `pair` are the failure times of this account from this client, `client` this client's failure times
    on every account, `account_failures` the account's failures from every client in the window.
    """
    free = PAIR_FREE_UNDER_ATTACK if account_failures >= ACCOUNT_ALERT else PAIR_FREE
    return max(_backoff(pair, now, free), _backoff(client, now, CLIENT_FREE))


_password_checks = threading.BoundedSemaphore(PASSWORD_CHECKS)


@contextmanager
def _password_check_slot() -> Iterator[None]:
    """One of the process's PASSWORD_CHECKS argon2 slots, or PasswordChecksBusy after the wait."""
    if not _password_checks.acquire(timeout=PASSWORD_CHECK_WAIT):
        raise PasswordChecksBusy(PASSWORD_CHECK_WAIT)
    try:
        yield
    finally:
        _password_checks.release()


def _hasher() -> Any:
    """The argon2id hasher (argon2-cffi's defaults: 64 MiB, 3 passes); tests swap in a slow fake."""
    from argon2 import PasswordHasher

    return PasswordHasher()


def _verify(stored: str | None, password: str) -> bool:
    """Whether the password matches the stored hash, in one of the process's password-check slots.

    With no stored hash (an unknown name) the password is hashed anyway, so it takes as long as a wrong one.
    """
    from argon2.exceptions import InvalidHashError, VerificationError

    with _password_check_slot():
        hasher = _hasher()
        if stored is None:
            hasher.hash(password)
            return False
        try:
            return hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts(StoreBase):
    """Facilitator accounts and login sessions."""

    def add_user(self, name: str, password: str) -> None:
        """A facilitator account; the password is stored as an argon2id hash."""
        name = name.strip()
        if not name:
            raise StorageError("a user needs a name")
        if len(password) < 8:
            raise StorageError("a password needs at least 8 characters")
        with _password_check_slot():
            password_hash = _hasher().hash(password)
        try:
            with self._write() as conn:
                conn.execute(users.insert().values(name=name, password_hash=password_hash, created_at=_now()))
        except IntegrityError:
            raise StorageError(f"a user named {name!r} already exists") from None

    def has_users(self) -> bool:
        with self._read() as conn:
            return conn.scalar(select(users.c.id).limit(1)) is not None

    def check_password(self, name: str, password: str, *, client_key: str = "") -> bool:
        """True when the name and password match a facilitator account; throttled (see the module).

        `client_key` says who is trying (e.g. "ip:10.0.0.7"); callers that know nobody share one key.
        Raises LoginThrottled before any check while this client must wait, PasswordChecksBusy when
        the process's password-check slots stay taken.
        """
        # NUL is no character PostgreSQL stores: such a name matches nobody, and is counted all the same
        account = name.strip().replace("\x00", "\ufffd")[:100]
        client = (client_key or "unknown").replace("\x00", "\ufffd")[:200]
        now = _now()
        recent = login_attempts.c.attempted_at > now - LOGIN_WINDOW
        with self._write() as conn:
            pair = conn.scalars(select(login_attempts.c.attempted_at).where(
                recent, login_attempts.c.account == account, login_attempts.c.client_key == client)).all()
            mine = conn.scalars(select(login_attempts.c.attempted_at).where(
                recent, login_attempts.c.client_key == client)).all()
            on_account = conn.scalar(select(func.count()).select_from(login_attempts).where(
                recent, login_attempts.c.account == account)) or 0
            wait = login_wait([_aware(t) for t in pair], [_aware(t) for t in mine], on_account, now)
            if not wait:
                # Counted as a failure before the check, so parallel tries see each other; a success
                # takes it back below.
                conn.execute(login_attempts.delete().where(login_attempts.c.attempted_at <= now - LOGIN_WINDOW))
                attempt = conn.execute(login_attempts.insert().values(
                    account=account, client_key=client, attempted_at=now)).inserted_primary_key[0]
                stored = conn.scalar(select(users.c.password_hash).where(users.c.name == account))
        if wait:
            raise LoginThrottled(wait)
        try:
            ok = _verify(stored, password)
        except PasswordChecksBusy:
            with self._write() as conn:  # not checked, so not a failure
                conn.execute(login_attempts.delete().where(login_attempts.c.id == attempt))
            raise
        if ok:
            with self._write() as conn:
                conn.execute(login_attempts.delete().where(
                    login_attempts.c.account == account, login_attempts.c.client_key == client))
        return ok

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
