"""Backup and restore: a JSON dump on any database (tested on both), SQLite's online backup for .db files."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from clirunner import invoke

from assessment import exchange
from assessment.model import Assessment, AssessmentDump
from assessment.questionnaire import Questionnaire, to_snapshot
from assessment.storage import StorageError, Store, make_engine


def populate(store: Store, q: Questionnaire) -> list[int]:
    """Two assessments, one final, with answers, notes, targets and history."""
    first = store.create_assessment("Baseline", "Platform", q, facilitator="Ada", assessed_on=dt.date(2026, 5, 1))
    store.save_answer(first, "alpha.governance.q1", level=1, answered_by="ann")
    store.save_answer(first, "alpha.governance.q1", level=3, note="registry seen", answered_by="bo")
    store.save_answer(first, "beta.cost.q1", na=True)
    store.set_targets(first, {("alpha", "governance"): 4})
    second = store.create_assessment("Follow-up", "Support", q, organisation="Acme", assessed_on=dt.date(2026, 11, 2))
    store.save_answer(second, "alpha.monitoring.q1", level=2, evidence_url="https://wiki.example/dash")
    store.set_status(second, "final")
    return [first, second]


def everything(store: Store) -> list[tuple]:
    """What a restore must bring back, ids included (timestamps aside)."""
    out = []
    for d in store.dump():
        r, a = d.assessment.details, d.assessment
        out.append((
            r.id, r.name, r.department, r.organisation, r.facilitator, r.assessed_on, r.status,
            r.questionnaire_hash, r.snapshot,
            sorted((x.question_id, x.level, x.na, x.note, x.evidence_url, x.answered_by) for x in a.answers.values()),
            sorted(a.targets.items()),
            [(h["question_id"], h["old_level"], h["old_na"], h["new_level"], h["new_na"], h["note"], h["changed_by"])
             for h in d.history],
        ))
    return out


def json_backup(store: Store) -> bytes:
    return exchange.export_backup(store.dump()).encode()


def test_json_backup_restores_everything_under_the_same_ids(store: Store, mini: Questionnaire) -> None:
    populate(store, mini)
    before = everything(store)
    raw = json_backup(store)
    assert isinstance(json.loads(raw), list) and len(json.loads(raw)) == 2  # a top-level list of exports
    for a in store.list_assessments():
        store.delete_assessment(a.id)
    store.restore(exchange.parse_backup(raw, "b.json"))
    assert everything(store) == before
    assert store.get_assessment(2).is_final
    third = store.create_assessment("After the restore", "Platform", mini)
    assert third == 3  # PostgreSQL's id sequence moved past the restored ids


def test_restore_refuses_a_database_with_assessments_unless_replacing(store: Store, mini: Questionnaire) -> None:
    populate(store, mini)
    before = everything(store)
    raw = json_backup(store)
    store.save_answer(1, "beta.monitoring.q1", level=4)  # changed after the backup
    with pytest.raises(StorageError, match="already holds 2 assessment"):
        store.restore(exchange.parse_backup(raw, "b.json"))
    store.restore(exchange.parse_backup(raw, "b.json"), replace=True)
    assert everything(store) == before


def dump(q: Questionnaire, assessment_id: int, values: dict[str, int | None]) -> AssessmentDump:
    """What `store.dump()` returns for one assessment, built by hand (no database)."""
    a = Assessment.from_values(assessment_id, "Platform", dt.date(2026, 5, 1), q, values, name="Baseline")
    return AssessmentDump(replace(a, details=replace(a.details, snapshot=to_snapshot(q))), [])


def test_a_bad_backup_is_refused_whole_with_every_error(mini: Questionnaire) -> None:
    data = json.loads(exchange.export_backup([dump(mini, 1, {"alpha.governance.q1": 3}),
                                              dump(mini, 2, {"beta.cost.q1": None})]))
    data[1]["answers"][0]["level"] = 9
    data[0]["answers"][0]["question_id"] = "no.such.question"
    with pytest.raises(exchange.ImportError_) as info:
        exchange.parse_backup(json.dumps(data).encode(), "b.json")
    message = str(info.value)
    assert r"[0].answers[0].question_id: unknown question" in message and "[1].answers[0].level: 9" in message
    with pytest.raises(exchange.ImportError_, match="not a backup"):
        exchange.parse_backup(json.dumps(data[0]).encode(), "b.json")
    twice = exchange.export_backup([dump(mini, 1, {}), dump(mini, 1, {})]).encode()
    with pytest.raises(exchange.ImportError_, match="b.json: two assessments have the same assessment.id"):
        exchange.parse_backup(twice, "b.json")


def test_a_restore_failing_half_way_writes_nothing(store: Store, mini: Questionnaire,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    populate(store, mini)
    items = exchange.parse_backup(json_backup(store), "b.json")
    for a in store.list_assessments():
        store.delete_assessment(a.id)
    calls = []
    real = Store._import_one

    def second_fails(self: Store, *args: object, **kwargs: object) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise StorageError("disk full (simulated)")
        return real(self, *args, **kwargs)

    departments = store.departments()
    monkeypatch.setattr(Store, "_import_one", second_fails)
    with pytest.raises(StorageError, match="simulated"):
        store.restore(items)
    assert len(calls) == 2
    assert everything(store) == [] and store.departments() == departments


def test_sqlite_online_backup_while_someone_writes(tmp_path: Path, mini: Questionnaire) -> None:
    store = Store(make_engine(f"sqlite:///{tmp_path / 'live.db'}"))
    store.upgrade()
    ids = populate(store, mini)
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            store.save_answer(ids[0], "alpha.cost.q1", level=n % 5)
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        store.backup_sqlite(tmp_path / "copy.db")
    finally:
        stop.set()
        thread.join(timeout=30)
    with sqlite3.connect(tmp_path / "copy.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
    assert not (tmp_path / "copy.db.part").exists()
    fresh = Store(make_engine(f"sqlite:///{tmp_path / 'fresh.db'}"))
    fresh.upgrade()
    assert fresh.restore_sqlite(tmp_path / "copy.db") == 2
    assert [(a.id, a.name) for a in fresh.list_assessments()] == [(2, "Follow-up"), (1, "Baseline")]
    assert fresh.answers(1)["alpha.governance.q1"].level == 3
    with pytest.raises(StorageError, match="already holds 2"):
        fresh.restore_sqlite(tmp_path / "copy.db")
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(StorageError, match="not an SQLite database"):
        fresh.restore_sqlite(tmp_path / "junk.db", replace=True)
    assert fresh.count_assessments() == 2
    for s in (store, fresh):
        s.engine.dispose()


@pytest.mark.postgres
def test_sqlite_backup_and_restore_need_sqlite(pg_url: str, tmp_path: Path) -> None:
    store = Store(make_engine(pg_url))
    store.upgrade()
    with pytest.raises(StorageError, match="works on an SQLite database file; this database is postgresql"):
        store.backup_sqlite(tmp_path / "x.db")
    with pytest.raises(StorageError, match="use a .json backup"):
        store.restore_sqlite(tmp_path / "x.db")
    store.engine.dispose()


# --- the command line ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".db"])
def test_cli_backup_and_restore(cli_store: Store, mini: Questionnaire, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    populate(cli_store, mini)
    before = everything(cli_store)
    target = tmp_path / f"backup{suffix}"
    assert invoke("db", "backup", str(target)).stdout == f"backed up 2 assessment(s) to {target}\n"
    result = invoke("db", "backup", str(target), ok=False)
    code, _, err = result.exit_code, result.stdout, result.stderr
    assert code == 1 and "exists; choose another name or overwrite it with --force" in err
    invoke("db", "backup", str(target), "--force")
    assert "already holds 2 assessment(s)" in invoke("db", "restore", str(target), ok=False).stderr
    assert "restored 2 assessment(s)" in invoke("db", "restore", str(target), "--force").stdout
    assert everything(cli_store) == before
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    invoke("db", "restore", str(target))
    other = Store.open()
    assert everything(other) == before
    other.engine.dispose()


def test_cli_backup_names_and_missing_files(cli_store: Store, tmp_path: Path) -> None:
    assert "name the backup FILE.json" in invoke("db", "backup", str(tmp_path / "b.zip"), ok=False).stderr
    assert "no such file" in invoke("db", "restore", str(tmp_path / "none.json"), ok=False).stderr
