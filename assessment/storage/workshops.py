"""Live workshops: join codes, participants, secret votes on the question on screen, and the consensus
written back as the assessment's answer. All workshop state is in the database, none in a server process.

Joining is guarded three ways (the numbers are in `assessment.workshop`): failed attempts per client a
minute, a budget of failed attempts from everyone per workshop since its doors opened, and a cap on joins
per client and workshop. One-time facilitator keys (`assessment facilitator-key`) live here too: they let
whoever can run commands on the server open a workshop before any facilitator account exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from assessment.model import Answer
from assessment.storage.engine import StoreBase, _aware, _now, login_lifetime
from assessment.storage.errors import JoinRefused, NotFound, RateLimited, ReadOnly, StorageError, VotingClosed
from assessment.storage.schema import assessments, facilitator_keys, join_attempts, participants, votes, workshops
from assessment.workshop import Vote

FACILITATOR_KEY_LIFETIME = dt.timedelta(days=1)  # an unused one-time key expires after this


@dataclass(frozen=True)
class WorkshopRecord:
    id: int
    assessment_id: int
    code: str
    status: str
    current_question: str | None
    revealed: bool
    created_at: dt.datetime
    closed_at: dt.datetime | None
    doors_open: bool = True  # False: the code admits nobody (participants in the room keep voting)

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class ParticipantRecord:
    id: int
    workshop_id: int
    name: str  # "" for anonymous
    token: str = field(repr=False)
    removed: bool = False  # the facilitator removed them: the token no longer votes


@dataclass(frozen=True)
class RoomMember:
    """Someone in the room, as the facilitator sees them: 'Ada' or 'anonymous #2'."""

    id: int
    label: str
    joined_at: dt.datetime


def _workshop_record(r: Any) -> WorkshopRecord:
    return WorkshopRecord(r.id, r.assessment_id, r.code, r.status, r.current_question, bool(r.revealed),
                          r.created_at, r.closed_at, bool(r.doors_open))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# cast_vote's read: the participant and their workshop's state. FOR SHARE (PostgreSQL) makes a vote
# wait for a concurrent reveal's commit and then see it, so no vote lands after the reveal.
_VOTER = (
    select(participants.c.id, participants.c.workshop_id, participants.c.removed_at, workshops.c.status,
           workshops.c.current_question, workshops.c.revealed)
    .select_from(participants.join(workshops, workshops.c.id == participants.c.workshop_id))
    .where(participants.c.token == bindparam("token"))
    .with_for_update(read=True, of=workshops)
)


def _vote_upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT (participant, question) DO UPDATE: a double submit stays one vote."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(votes)
    return stmt.on_conflict_do_update(
        index_elements=[votes.c.participant_id, votes.c.question_id],
        set_={"choice": stmt.excluded.choice, "comment": stmt.excluded.comment,
              "updated_at": stmt.excluded.updated_at},
    )


class Workshops(StoreBase):
    """Workshops on an assessment, their participants and votes."""

    def open_workshop(self, assessment_id: int) -> WorkshopRecord:
        """The assessment's open workshop, or a new one with a fresh join code."""
        from assessment.workshop import new_code

        for _ in range(10):
            try:
                with self._write() as conn:
                    status = conn.scalar(select(assessments.c.status).where(assessments.c.id == assessment_id))
                    if status is None:
                        raise NotFound(f"no assessment with id {assessment_id}")
                    if status == "final":
                        raise ReadOnly(f"assessment {assessment_id} is final and read-only; reopen it as a "
                                       "draft to run a workshop")
                    found = conn.execute(select(workshops).where(
                        workshops.c.assessment_id == assessment_id, workshops.c.status == "open",
                    ).order_by(workshops.c.id.desc()).limit(1)).first()
                    if found is not None:
                        return _workshop_record(found)
                    new_id = conn.execute(workshops.insert().values(
                        assessment_id=assessment_id, code=new_code(), status="open", revealed=False,
                        created_at=_now(),
                    )).inserted_primary_key[0]
                    return _workshop_record(conn.execute(select(workshops).where(workshops.c.id == new_id)).one())
            except IntegrityError:  # the code was taken (about 1 in 10^8): draw another
                continue
        raise StorageError("could not find a free join code; try again")

    def workshop(self, workshop_id: int) -> WorkshopRecord:
        with self._read() as conn:
            row = conn.execute(select(workshops).where(workshops.c.id == workshop_id)).first()
        if row is None:
            raise NotFound(f"no workshop with id {workshop_id}")
        return _workshop_record(row)

    def active_workshop(self, assessment_id: int) -> WorkshopRecord | None:
        """The assessment's open workshop, if it has one."""
        with self._read() as conn:
            row = conn.execute(select(workshops).where(
                workshops.c.assessment_id == assessment_id, workshops.c.status == "open",
            ).order_by(workshops.c.id.desc()).limit(1)).first()
        return None if row is None else _workshop_record(row)

    def close_workshop(self, workshop_id: int) -> None:
        """Close a workshop: its code stops working and no more votes are taken."""
        with self._write() as conn:
            conn.execute(workshops.update().where(workshops.c.id == workshop_id, workshops.c.status == "open")
                         .values(status="closed", closed_at=_now()))

    def join(self, code: str, name: str = "", *, client_key: str = "") -> str:
        """Join an open workshop by its code; returns the participant's secret token.

        `client_key` is whom the attempt counts against (`workshop.client_key`: the client's address).
        Refused, in this order: RateLimited after `JOIN_LIMIT` failed attempts from this client in a minute
        (checked before the code, so it cannot be guessed); NotFound for a wrong code (recorded, and rows
        older than `JOIN_ATTEMPT_RETENTION` purged); JoinRefused when the doors are closed, when everyone's
        failed attempts since the doors opened reached `JOIN_FAILURE_BUDGET`, or when this client already
        joined `workshop.joins_per_address()` times (ASSESSMENT_JOINS_PER_ADDRESS, default 3). Another
        client's wrong codes never count against this one. An empty `client_key` (a caller inside the
        server: CLI, tests) has no join cap.
        """
        from assessment.workshop import (
            JOIN_ATTEMPT_RETENTION,
            JOIN_FAILURE_BUDGET,
            JOIN_WINDOW,
            joins_per_address,
            new_token,
            normalise_code,
            retry_after,
        )

        code, name, key = normalise_code(code), " ".join(name.split())[:100], client_key[:200]
        try:
            cap = joins_per_address()
        except ValueError as exc:
            raise StorageError(str(exc)) from None
        now = _now()
        refused: StorageError
        with self._write() as conn:
            earlier = conn.scalars(select(join_attempts.c.attempted_at).where(
                join_attempts.c.client_key == key, join_attempts.c.attempted_at > now - JOIN_WINDOW)).all()
            wait = retry_after([_aware(t) for t in earlier], now)
            # the workshop's row is locked (PostgreSQL), so concurrent joins cannot both pass the cap
            ws = None if wait else conn.execute(select(workshops).where(workshops.c.code == code)
                                                .with_for_update()).first()
            if wait:
                refused = RateLimited(wait)
            elif ws is None or ws.status != "open":
                conn.execute(join_attempts.delete().where(join_attempts.c.attempted_at <= now - JOIN_ATTEMPT_RETENTION))
                conn.execute(join_attempts.insert().values(client_key=key, attempted_at=now))
                refused = NotFound(f"no open workshop with code {code!r}; check the code, or the workshop has closed")
            elif not ws.doors_open:
                refused = JoinRefused("the facilitator has closed the doors: this workshop takes no new participants")
            elif self._failures_since(conn, ws) >= JOIN_FAILURE_BUDGET:
                refused = JoinRefused("too many wrong codes were tried: the facilitator must reopen the doors, "
                                      "which shows a new code")
            elif key and (conn.scalar(select(func.count()).select_from(participants).where(
                    participants.c.workshop_id == ws.id, participants.c.client_key == key)) or 0) >= cap:
                refused = JoinRefused(f"{cap} participants have already joined from this device's "
                                      "network address; ask the facilitator")
            else:
                token = new_token()
                conn.execute(participants.insert().values(workshop_id=ws.id, token=token, name=name,
                                                          joined_at=now, client_key=key))
                return token
        raise refused  # outside the transaction, so a failed attempt is committed before we say no

    @staticmethod
    def _failures_since(conn: Any, ws: Any) -> int:
        """Failed join attempts (any client, any code) since the workshop's doors last opened."""
        since = _aware(ws.doors_opened_at or ws.created_at)
        return conn.scalar(select(func.count()).select_from(join_attempts)
                           .where(join_attempts.c.attempted_at >= since)) or 0

    def failed_joins(self, workshop_id: int) -> int:
        """Wrong codes tried (by anyone) since the workshop's doors opened: its budget's use."""
        with self._read() as conn:
            ws = conn.execute(select(workshops).where(workshops.c.id == workshop_id)).first()
            if ws is None:
                raise NotFound(f"no workshop with id {workshop_id}")
            return self._failures_since(conn, ws)

    def close_doors(self, workshop_id: int) -> None:
        """Everyone is in: the code admits nobody more. Participants in the room keep voting."""
        with self._write() as conn:
            conn.execute(workshops.update().where(workshops.c.id == workshop_id).values(doors_open=False))

    def open_doors(self, workshop_id: int) -> WorkshopRecord:
        """Let people in again, with a new code (the old one may have leaked) and a fresh failure budget."""
        from assessment.workshop import new_code

        for _ in range(10):
            try:
                with self._write() as conn:
                    done = conn.execute(workshops.update().where(
                        workshops.c.id == workshop_id, workshops.c.status == "open",
                    ).values(doors_open=True, doors_opened_at=_now(), code=new_code())).rowcount
            except IntegrityError:  # the code was taken: draw another
                continue
            if not done:
                raise VotingClosed("this workshop is closed")
            return self.workshop(workshop_id)
        raise StorageError("could not find a free join code; try again")

    def room(self, workshop_id: int) -> list[RoomMember]:
        """Who is in the room, in join order: names, or 'anonymous #n' numbered among the anonymous."""
        from assessment.workshop import participant_label

        with self._read() as conn:
            rows = conn.execute(select(participants.c.id, participants.c.name, participants.c.joined_at,
                                       participants.c.removed_at)
                                .where(participants.c.workshop_id == workshop_id).order_by(participants.c.id)).all()
        members, anonymous = [], 0
        for r in rows:
            anonymous += not r.name
            if r.removed_at is None:
                members.append(RoomMember(r.id, participant_label(r.name, anonymous), _aware(r.joined_at)))
        return members

    def remove_participant(self, workshop_id: int, participant_id: int) -> None:
        """Send a participant out: their token stops voting and their votes leave the distribution.

        The row stays (marked removed), so joins from their address still count against the cap.
        """
        with self._write() as conn:
            done = conn.execute(participants.update().where(
                participants.c.id == participant_id, participants.c.workshop_id == workshop_id,
                participants.c.removed_at.is_(None)).values(removed_at=_now())).rowcount
            if not done:
                raise NotFound(f"no participant {participant_id} in workshop {workshop_id}")
            conn.execute(votes.delete().where(votes.c.participant_id == participant_id))

    def participant(self, token: str) -> tuple[ParticipantRecord, WorkshopRecord]:
        """The participant holding this token and their workshop (NotFound for an unknown token)."""
        with self._read() as conn:
            p = conn.execute(select(participants).where(participants.c.token == token)).first()
            if p is None:
                raise NotFound("unknown participant token; join the workshop again")
            ws = conn.execute(select(workshops).where(workshops.c.id == p.workshop_id)).one()
        return ParticipantRecord(p.id, p.workshop_id, p.name, p.token, p.removed_at is not None), _workshop_record(ws)

    def set_current_question(self, workshop_id: int, question_id: str) -> None:
        """Put a question on screen; its votes stay hidden until `reveal`. The same question again is a no-op."""
        with self._write() as conn:
            ws = conn.execute(select(workshops.c.status, workshops.c.current_question, assessments.c.id,
                                     assessments.c.questionnaire_hash)
                              .select_from(workshops.join(assessments, assessments.c.id == workshops.c.assessment_id))
                              .where(workshops.c.id == workshop_id)).first()
            if ws is None:
                raise NotFound(f"no workshop with id {workshop_id}")
            if ws.status != "open":
                raise VotingClosed("this workshop is closed")
            if question_id not in self._question_ids(conn, ws.id, ws.questionnaire_hash):
                raise StorageError(f"question {question_id!r} is not in this assessment's questionnaire")
            if ws.current_question != question_id:
                conn.execute(workshops.update().where(workshops.c.id == workshop_id)
                             .values(current_question=question_id, revealed=False))

    def reveal(self, workshop_id: int) -> None:
        """Show the current question's votes; from now on its votes are final."""
        with self._write() as conn:
            done = conn.execute(workshops.update().where(
                workshops.c.id == workshop_id, workshops.c.status == "open",
                workshops.c.current_question.is_not(None),
            ).values(revealed=True)).rowcount
        if not done:
            raise VotingClosed("nothing to reveal: the workshop is closed or has no question on screen")

    def cast_vote(self, token: str, question_id: str, choice: str, comment: str = "") -> None:
        """The participant's vote on the question on screen: inserted, or overwriting their earlier one.

        One row per participant × question (a unique constraint and an upsert), so a double submit
        is one vote. Refused (VotingClosed) once revealed, after the question moved on, or when closed.
        """
        from assessment.workshop import check_choice

        try:
            check_choice(choice)
        except ValueError as exc:
            raise StorageError(str(exc)) from None
        with self._write() as conn:
            voter = conn.execute(_VOTER, {"token": token}).first()
            if voter is None:
                raise NotFound("unknown participant token; join the workshop again")
            if voter.removed_at is not None:
                raise VotingClosed("the facilitator has removed you from this workshop")
            if voter.status != "open":
                raise VotingClosed("the workshop has closed")
            if voter.current_question != question_id:
                raise VotingClosed("the facilitator has moved to another question")
            if voter.revealed:
                raise VotingClosed("the votes on this question have been revealed; voting is over")
            upsert = self._vote_upserts.get(conn.dialect.name)
            if upsert is None:
                upsert = self._vote_upserts[conn.dialect.name] = _vote_upsert(conn.dialect.name)
            conn.execute(upsert, {"workshop_id": voter.workshop_id, "participant_id": voter.id,
                                  "question_id": question_id, "choice": choice,
                                  "comment": comment.strip()[:2000], "updated_at": _now()})

    def my_vote(self, token: str, question_id: str) -> Vote | None:
        """The participant's own vote on a question (so a reload shows it again)."""
        with self._read() as conn:
            row = conn.execute(select(votes.c.question_id, votes.c.choice, votes.c.comment)
                               .select_from(votes.join(participants, participants.c.id == votes.c.participant_id))
                               .where(participants.c.token == token, votes.c.question_id == question_id)).first()
        return None if row is None else Vote(row.question_id, row.choice, row.comment)

    def vote_count(self, workshop_id: int, question_id: str) -> int:
        with self._read() as conn:
            return conn.scalar(select(func.count()).select_from(votes).where(
                votes.c.workshop_id == workshop_id, votes.c.question_id == question_id)) or 0

    def participant_count(self, workshop_id: int) -> int:
        with self._read() as conn:
            return conn.scalar(select(func.count()).select_from(participants).where(
                participants.c.workshop_id == workshop_id, participants.c.removed_at.is_(None))) or 0

    def votes_for(self, workshop_id: int, question_id: str) -> list[Vote]:
        """A question's votes, without who cast them, in an order that tells nothing (choice, comment)."""
        with self._read() as conn:
            rows = conn.execute(select(votes.c.question_id, votes.c.choice, votes.c.comment).where(
                votes.c.workshop_id == workshop_id, votes.c.question_id == question_id,
            ).order_by(votes.c.choice, votes.c.comment))
            return [Vote(r.question_id, r.choice, r.comment) for r in rows]

    def workshop_votes(self, assessment_id: int) -> dict[str, list[Vote]]:
        """Every workshop vote on an assessment, question id → votes (all its workshops), for the PDF."""
        found: dict[str, list[Vote]] = {}
        with self._read() as conn:
            rows = conn.execute(
                select(votes.c.question_id, votes.c.choice, votes.c.comment)
                .select_from(votes.join(workshops, workshops.c.id == votes.c.workshop_id))
                .where(workshops.c.assessment_id == assessment_id)
                .order_by(votes.c.question_id, votes.c.choice, votes.c.comment))
            for r in rows:
                found.setdefault(r.question_id, []).append(Vote(r.question_id, r.choice, r.comment))
        return found

    def record_consensus(
        self, workshop_id: int, question_id: str, level: int | None, *, na: bool = False,
        note: str | None = None, answered_by: str = "workshop",
    ) -> Answer:
        """Write the room's consensus as the assessment's answer (through `save_answer`).

        `note` None uses the participants' comments. The question on screen must be revealed first.
        """
        from assessment.workshop import default_note, summarise

        ws = self.workshop(workshop_id)
        if ws.current_question == question_id and not ws.revealed:
            raise VotingClosed("reveal the votes before recording the consensus")
        if note is None:
            note = default_note(summarise(self.votes_for(workshop_id, question_id)))
        # save_answer is in assessments.py: the Store has both parts
        return self.save_answer(ws.assessment_id, question_id, level=None if na else level, na=na, note=note,
                                answered_by=answered_by)

    # --- one-time facilitator keys ---

    def new_facilitator_key(self) -> str:
        """A one-time key for whoever can run commands on the server, e.g. 'K7PQ-2MXR-…' (only its hash is kept).

        Entered on the Workshop page (or the login page) it logs that browser in as a facilitator, once.
        """
        from assessment.workshop import new_code

        key = "-".join(new_code(4) for _ in range(4))  # 31**16 ≈ 7e23 keys
        now = _now()
        with self._write() as conn:
            conn.execute(facilitator_keys.delete().where(facilitator_keys.c.expires_at <= now))
            conn.execute(facilitator_keys.insert().values(key_hash=_hash(_key_text(key)), created_at=now,
                                                          expires_at=now + FACILITATOR_KEY_LIFETIME))
        return key

    def redeem_facilitator_key(self, key: str) -> str | None:
        """Spend a one-time key: a login token for the browser's cookie, or None (unknown, used or expired)."""
        from assessment.workshop import new_token

        token, now = new_token(), _now()
        with self._write() as conn:
            done = conn.execute(facilitator_keys.update().where(
                facilitator_keys.c.key_hash == _hash(_key_text(key)), facilitator_keys.c.session_hash.is_(None),
                facilitator_keys.c.expires_at > now,
            ).values(session_hash=_hash(token), expires_at=now + login_lifetime())).rowcount
        return token if done else None

    def key_session(self, token: str | None) -> bool:
        """True while a token from `redeem_facilitator_key` is unexpired and not logged out."""
        if not token:
            return False
        with self._read() as conn:
            return conn.scalar(select(facilitator_keys.c.id).where(
                facilitator_keys.c.session_hash == _hash(token), facilitator_keys.c.expires_at > _now())) is not None

    def end_key_session(self, token: str | None) -> None:
        """Log out a key's browser: the key's row goes (it was used up anyway)."""
        if token:
            with self._write() as conn:
                conn.execute(facilitator_keys.delete().where(facilitator_keys.c.session_hash == _hash(token)))

    def workshop_in_progress(self) -> bool:
        """True while any workshop is open or a one-time key's login lasts: the open single-laptop mode (no
        login) is over, because the room can reach the server."""
        now = _now()
        with self._read() as conn:
            if conn.scalar(select(workshops.c.id).where(workshops.c.status == "open").limit(1)) is not None:
                return True
            return conn.scalar(select(facilitator_keys.c.id).where(
                facilitator_keys.c.session_hash.is_not(None), facilitator_keys.c.expires_at > now).limit(1)) is not None


def _key_text(key: str) -> str:
    """A key as typed ('k7pq 2mxr-…') in the form it was hashed in."""
    from assessment.workshop import normalise_code

    return normalise_code(key)
