"""Storage on SQLite and on the real PostgreSQL server: every test runs on both."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import event

from assessment.questionnaire import Questionnaire
from assessment.storage import Conflict, NotFound, ReadOnly, StorageError, Store, make_engine, normalise_url


def new(store: Store, q: Questionnaire, name: str = "Baseline", department: str = "Platform") -> int:
    return store.create_assessment(name, department, q, facilitator="Ada", assessed_on=dt.date(2026, 11, 2))


def test_round_trip(store: Store, mini: Questionnaire) -> None:
    aid = new(store, mini)
    store.save_answer(aid, "alpha.governance.q1", level=2, note="<b>shown as text</b>", answered_by="bo")
    store.save_answer(aid, "alpha.cost.q1", na=True)
    record = store.get_assessment(aid)
    assert (record.name, record.department, record.facilitator) == ("Baseline", "Platform", "Ada")
    assert record.assessed_on == dt.date(2026, 11, 2) and record.status == "draft"
    assert record.questionnaire == mini and record.questionnaire_hash == mini.content_hash()
    answers = store.answers(aid)
    assert answers["alpha.governance.q1"].level == 2
    assert answers["alpha.governance.q1"].note == "<b>shown as text</b>"
    assert answers["alpha.cost.q1"].na and answers["alpha.cost.q1"].level is None
    assert store.load(aid).values == {"alpha.governance.q1": 2, "alpha.cost.q1": None}
    assert [r.id for r in store.list_assessments()] == [aid]
    assert store.departments() == ["Platform"]


def test_answers_survive_a_restart(db_url: str, mini: Questionnaire) -> None:
    first = Store(make_engine(db_url))
    first.upgrade()
    aid = new(first, mini)
    first.save_answer(aid, "beta.monitoring.q1", level=3)
    first.engine.dispose()  # the server stops
    second = Store(make_engine(db_url))
    second.upgrade()  # migrations are idempotent on restart
    assert second.answers(aid)["beta.monitoring.q1"].level == 3
    second.engine.dispose()


def test_changing_an_answer_bumps_version_and_keeps_history(store: Store, mini: Questionnaire) -> None:
    aid = new(store, mini)
    a1 = store.save_answer(aid, "alpha.governance.q1", level=1, answered_by="ann")
    a2 = store.save_answer(aid, "alpha.governance.q1", level=3, answered_by="ben", expected_version=a1.version)
    assert (a1.version, a2.version) == (1, 2)
    history = store.history(aid)
    assert [(h["old_level"], h["new_level"], h["changed_by"]) for h in history] == [
        (None, 1, "ann"), (1, 3, "ben")]


def test_note_only_save_keeps_level(store: Store, mini: Questionnaire) -> None:
    aid = new(store, mini)
    store.save_answer(aid, "alpha.governance.q1", level=2)
    store.save_answer(aid, "alpha.governance.q1", level=2, note="seen the registry")
    stored = store.answers(aid)["alpha.governance.q1"]
    assert (stored.level, stored.note) == (2, "seen the registry")


def test_conflicting_edit_is_detected_not_lost(store: Store, mini: Questionnaire) -> None:
    aid = new(store, mini)
    base = store.save_answer(aid, "alpha.governance.q1", level=1)
    store.save_answer(aid, "alpha.governance.q1", level=2, answered_by="tab A", expected_version=base.version)
    with pytest.raises(Conflict) as info:
        store.save_answer(aid, "alpha.governance.q1", level=4, answered_by="tab B", expected_version=base.version)
    assert info.value.theirs.level == 2 and info.value.mine["level"] == 4
    assert "tab A" in str(info.value)
    assert store.answers(aid)["alpha.governance.q1"].level == 2


def test_final_assessment_is_read_only(store: Store, mini: Questionnaire) -> None:
    aid = new(store, mini)
    store.save_answer(aid, "alpha.governance.q1", level=1)
    store.set_status(aid, "final")
    with pytest.raises(ReadOnly, match="final and read-only"):
        store.save_answer(aid, "alpha.governance.q1", level=4)
    assert store.answers(aid)["alpha.governance.q1"].level == 1


def test_bad_input_is_refused(store: Store, mini: Questionnaire) -> None:
    aid = new(store, mini)
    with pytest.raises(StorageError, match="level must be"):
        store.save_answer(aid, "alpha.governance.q1", level=7)
    with pytest.raises(StorageError, match="not in this assessment"):
        store.save_answer(aid, "nope.question", level=1)
    with pytest.raises(NotFound):
        store.save_answer(aid + 100, "alpha.governance.q1", level=1)
    with pytest.raises(StorageError, match="needs a name"):
        store.create_assessment("  ", "Platform", mini)
    assert store.answers(aid) == {}


def test_concurrent_writers_lose_nothing(store: Store, mini: Questionnaire) -> None:
    """Eight threads answer every question repeatedly: each row ends at one writer's last value."""
    aid = new(store, mini)
    ids = [x.id for x in mini.questions]
    errors: list[Exception] = []

    def worker(n: int) -> None:
        try:
            for rnd in range(5):
                for qid in ids:
                    store.save_answer(aid, qid, level=(n + rnd) % 5, answered_by=f"w{n}")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    answers = store.answers(aid)
    assert set(answers) == set(ids)
    assert all(a.version == 40 for a in answers.values())  # 8 writers × 5 rounds, no lost update
    assert len(store.history(aid)) >= len(ids)


def test_delete_assessment(store: Store, mini: Questionnaire) -> None:
    aid = new(store, mini)
    store.save_answer(aid, "alpha.governance.q1", level=1)
    store.delete_assessment(aid)
    with pytest.raises(NotFound):
        store.get_assessment(aid)


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg://u@h/db"])
def test_postgres_url_spellings(url: str) -> None:
    assert normalise_url(url) == "postgresql+psycopg://u@h/db"


def test_unreachable_database_is_one_clear_error() -> None:
    with pytest.raises(StorageError, match="cannot open the database"):
        Store.open("postgresql://nobody@127.0.0.1:1/none")


def test_targets_round_trip_and_replace(store: Store, mini: Questionnaire) -> None:
    aid = new(store, mini)
    assert store.targets(aid) == {}
    store.set_targets(aid, {("alpha", "governance"): 4, ("beta", "cost"): 1})
    assert store.targets(aid) == {("alpha", "governance"): 4, ("beta", "cost"): 1}
    store.set_targets(aid, {("beta", "monitoring"): 2})  # replaces, does not merge
    assert store.targets(aid) == {("beta", "monitoring"): 2}
    store.set_targets(aid, {})
    assert store.targets(aid) == {}


def test_bad_targets_write_nothing(store: Store, mini: Questionnaire) -> None:
    aid = new(store, mini)
    store.set_targets(aid, {("alpha", "governance"): 4})
    with pytest.raises(StorageError, match="whole number 0–4"):
        store.set_targets(aid, {("alpha", "cost"): 1, ("beta", "cost"): 5})
    with pytest.raises(StorageError, match="not a layer.dimension"):
        store.set_targets(aid, {("alpha", "cost"): 1, ("gamma", "cost"): 2})
    with pytest.raises(NotFound):
        store.set_targets(aid + 100, {("alpha", "cost"): 1})
    assert store.targets(aid) == {("alpha", "governance"): 4}


def test_final_assessment_targets_are_read_only(store: Store, mini: Questionnaire) -> None:
    aid = new(store, mini)
    store.set_targets(aid, {("alpha", "governance"): 4})
    store.set_status(aid, "final")
    with pytest.raises(ReadOnly, match="final and read-only"):
        store.set_targets(aid, {("alpha", "governance"): 2})
    assert store.targets(aid) == {("alpha", "governance"): 4}
    store.delete_assessment(aid)  # targets go with it
    assert store.targets(aid) == {}


def count_statements(store: Store, call: Callable[[], object]) -> int:
    """How many SQL statements `call` sends to the database."""
    sent: list[str] = []

    def sending(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    event.listen(store.engine, "before_cursor_execute", sending)
    try:
        call()
    finally:
        event.remove(store.engine, "before_cursor_execute", sending)
    return len(sent)


def test_load_many_reads_20_assessments_in_as_many_queries_as_one(store: Store, mini: Questionnaire) -> None:
    ids = []
    for i in range(20):
        aid = new(store, mini, name=f"Assessment {i}")
        store.save_answer(aid, "alpha.governance.q1", level=i % 5, note=f"note {i}")
        if i % 3:
            store.save_answer(aid, "beta.monitoring.q1", na=True)
        if i % 2:
            store.set_targets(aid, {("alpha", "governance"): (i + 1) % 5})
        if i % 4 == 0:
            ws = store.open_workshop(aid)
            store.set_current_question(ws.id, "alpha.governance.q1")
            store.cast_vote(store.join(ws.code, "Ada"), "alpha.governance.q1", str(i % 5), "as I see it")
            store.cast_vote(store.join(ws.code), "alpha.governance.q1", "unknown")
        ids.append(aid)

    assert count_statements(store, lambda: store.load_many(ids[:1])) == \
        count_statements(store, lambda: store.load_many(ids))

    loaded = store.load_many(ids)
    assert [a.id for a in loaded] == ids
    for a in loaded:
        assert a.answers == store.answers(a.id)
        assert a.targets == store.targets(a.id)
        assert {q: list(v) for q, v in a.votes.items()} == store.workshop_votes(a.id)
    assert any(a.votes for a in loaded) and any(a.targets for a in loaded)

    asked = [ids[3], ids[0], ids[3]]  # any order; an id asked twice comes back twice
    assert [a.id for a in store.load_many(asked)] == asked
    with pytest.raises(NotFound, match=f"no assessment with id {max(ids) + 1}"):
        store.load_many([ids[0], max(ids) + 1])


def test_an_assessment_is_created_with_its_targets_or_not_at_all(store: Store, mini: Questionnaire) -> None:
    aid = store.create_assessment("Scoped", "Platform", mini, target_levels={("alpha", "cost"): 4})
    assert store.targets(aid) == {("alpha", "cost"): 4}
    for bad, message in (({("alpha", "cost"): 5}, "target of alpha.cost must be a whole number 0–4"),
                         ({("gamma", "cost"): 2}, "gamma.cost is not a layer.dimension")):
        with pytest.raises(StorageError, match=message):
            store.create_assessment("Bad", "Platform", mini, target_levels=bad)
    assert [a.name for a in store.list_assessments()] == ["Scoped"]  # nothing half-created
