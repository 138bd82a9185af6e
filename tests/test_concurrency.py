"""Several processes (as several app servers would be) saving answers to one assessment, on both databases.

No update is lost: every save bumps its answer's version exactly once. Two processes changing the
same answer from the same version: one is saved, the other gets a Conflict showing the first's value.
Each process opens its own engine, as a separate server does; the workers live at module level so that
the `spawn` start method can import them.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from typing import Any

from assessment.migrations import current_revision
from assessment.questionnaire import Questionnaire
from assessment.storage import Conflict, Store, make_engine

PROCESSES = 4
ROUNDS = 10  # × 8 questions: 80 saves per process, 320 per database
TIMEOUT = 120


def _writer(url: str, assessment_id: int, question_ids: list[str], n: int) -> int:
    store = Store(make_engine(url))
    saved = 0
    for rnd in range(ROUNDS):
        for qid in question_ids:
            store.save_answer(assessment_id, qid, level=(n + rnd) % 5, answered_by=f"process {n}")
            saved += 1
    store.engine.dispose()
    return saved


def _editor(url: str, assessment_id: int, question_id: str, level: int, barrier: Any) -> tuple[str, Any]:
    """Load the answer, wait for the other process to have loaded it too, then save a change."""
    store = Store(make_engine(url))
    seen = store.answers(assessment_id)[question_id].version
    barrier.wait(timeout=60)
    try:
        saved = store.save_answer(assessment_id, question_id, level=level, answered_by=f"editor {level}",
                                  expected_version=seen)
        return "saved", saved.version
    except Conflict as exc:
        return "conflict", (exc.theirs.level, exc.theirs.answered_by, exc.mine["level"])
    finally:
        store.engine.dispose()


def _start_server(url: str, barrier: Any) -> str | None:
    """What an app server does first: open the database, migrating it. All processes at once."""
    engine = make_engine(url)
    barrier.wait(timeout=60)
    try:
        Store(engine).upgrade()
        return current_revision(engine)
    finally:
        engine.dispose()


def _new(store: Store, q: Questionnaire) -> int:
    return store.create_assessment("Concurrent", "Platform", q, assessed_on=dt.date(2026, 11, 23))


def test_processes_lose_no_update(store: Store, db_url: str, mini: Questionnaire) -> None:
    aid = _new(store, mini)
    ids = [q.id for q in mini.questions]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(PROCESSES) as pool:
        done = pool.starmap_async(_writer, [(db_url, aid, ids, n) for n in range(PROCESSES)]).get(TIMEOUT)
    assert done == [ROUNDS * len(ids)] * PROCESSES
    answers = store.answers(aid)
    assert set(answers) == set(ids)
    assert {a.version for a in answers.values()} == {PROCESSES * ROUNDS}  # every write counted, none lost
    history = store.history(aid)
    assert len(history) >= len(ids) and {h["changed_by"] for h in history} <= {f"process {n}" for n in range(4)}


def test_a_conflicting_edit_from_two_processes_is_detected(store: Store, db_url: str, mini: Questionnaire) -> None:
    aid = _new(store, mini)
    store.save_answer(aid, "alpha.governance.q1", level=1, answered_by="setup")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(2) as pool:
        barrier = manager.Barrier(2)
        results = pool.starmap_async(_editor, [(db_url, aid, "alpha.governance.q1", level, barrier)
                                              for level in (2, 4)]).get(TIMEOUT)
    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["conflict", "saved"], results
    winner_level = 2 if results[0][0] == "saved" else 4
    loser = next(r[1] for r in results if r[0] == "conflict")
    assert loser == (winner_level, f"editor {winner_level}", 6 - winner_level)  # both values are shown
    stored = store.answers(aid)["alpha.governance.q1"]
    assert (stored.level, stored.version) == (winner_level, 2)


def test_servers_starting_together_on_an_empty_database_migrate_it_once(db_url: str) -> None:
    """App servers deployed at once on a fresh database: one migrates, the others wait and find it done."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(PROCESSES) as pool:
        barrier = manager.Barrier(PROCESSES)
        revisions = pool.starmap_async(_start_server, [(db_url, barrier)] * PROCESSES).get(TIMEOUT)
    assert len(set(revisions)) == 1 and revisions[0] is not None, revisions
