"""Storage errors: each is a problem the user can act on, said in one readable sentence."""

from __future__ import annotations

from typing import Any

from assessment.model import Answer


class StorageError(Exception):
    """A problem the user can act on; its message is one readable sentence."""


class NotFound(StorageError):
    pass


class ReadOnly(StorageError):
    pass


class Conflict(StorageError):
    """Someone else changed the same answer since it was loaded: both values are kept here."""

    def __init__(self, question_id: str, mine: dict[str, Any], theirs: Answer):
        self.question_id, self.mine, self.theirs = question_id, mine, theirs
        super().__init__(
            f"answer to {question_id} was changed by {theirs.answered_by or 'someone else'} "
            f"to {theirs.label} while you were editing it"
        )


class VotingClosed(StorageError):
    """The vote cannot be taken: the workshop closed, the votes were revealed or the question moved on."""


class JoinRefused(StorageError):
    """The code is right but the workshop takes nobody now: doors closed, its budget of wrong codes spent,
    or this client has joined it too often."""


class RateLimited(StorageError):
    """Too many failed join attempts from one client: wait `retry_after` seconds."""

    def __init__(self, retry_after: float):
        self.retry_after = retry_after
        super().__init__(f"too many join attempts; try again in {max(1, round(retry_after))} seconds")
