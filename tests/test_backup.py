"""Backup and restore: a JSON dump on any database (tested on both), SQLite's online backup for .db files.

A restore can never destroy: each hostile or broken backup below is refused before anything is replaced,
and the live database stays byte for byte what it was; a restore that succeeds keeps what it replaced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest
from alembic import command
from clirunner import fails, invoke

from assessment import exchange
from assessment.migrations import alembic_config
from assessment.model import Assessment, AssessmentDump
from assessment.questionnaire import Questionnaire, to_snapshot
from assessment.storage import StorageError, Store, make_engine
from assessment.storage.backup import known_revisions

HEAD = known_revisions()[0]


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
    assert store.restore(exchange.parse_backup(raw, "b.json")).kept is None  # nothing replaced, nothing kept
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
    assert fresh.restore_sqlite(tmp_path / "copy.db").count == 2
    assert [(a.id, a.name) for a in fresh.list_assessments()] == [(2, "Follow-up"), (1, "Baseline")]
    assert fresh.answers(1)["alpha.governance.q1"].level == 3
    with pytest.raises(StorageError, match="already holds 2"):
        fresh.restore_sqlite(tmp_path / "copy.db")
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


# --- a restore can never destroy ------------------------------------------------------------


@pytest.fixture
def live(tmp_path: Path, mini: Questionnaire) -> Iterator[Store]:
    """The SQLite database a restore would replace, with two assessments."""
    s = Store.open(f"sqlite:///{tmp_path / 'live.db'}")
    populate(s, mini)
    yield s
    s.engine.dispose()


def state(store: Store) -> tuple[str, list[tuple]]:
    """The SHA-256 of the database file (every connection closed: nothing left in a -wal) and its contents."""
    contents = everything(store)
    store.engine.dispose()
    return hashlib.sha256(Path(str(store.engine.url.database)).read_bytes()).hexdigest(), contents


def with_sql(*statements: str) -> Callable[[Path], None]:
    def tamper(path: Path) -> None:
        with closing(sqlite3.connect(path)) as conn:
            for statement in statements:
                conn.execute(statement)
            conn.commit()
    return tamper


def truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def garbage_after_the_first_page(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:4096] + (bytes(range(256)) * (len(data) // 256 + 1))[: len(data) - 4096])


def text(content: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(content)


ATTACKS = [
    pytest.param(with_sql("UPDATE alembic_version SET version_num = '9999'"),
                 rf"revision 9999 is not one this version knows \(newest: {HEAD}\)", id="unknown revision"),
    pytest.param(with_sql("INSERT INTO alembic_version VALUES ('0001')"), "records 2 migration revisions",
                 id="two revisions"),
    pytest.param(with_sql("DROP TABLE alembic_version"), "no alembic_version table", id="not ours"),
    pytest.param(with_sql("DROP TABLE targets"), f"revision {HEAD} needs table targets, which is missing",
                 id="missing table"),
    pytest.param(with_sql("ALTER TABLE answers DROP COLUMN note"), r"needs column\(s\) note in table answers",
                 id="missing column"),
    pytest.param(truncated, "integrity check fails|not a usable SQLite database", id="truncated"),
    pytest.param(garbage_after_the_first_page, "integrity check fails|not a usable SQLite database",
                 id="garbage bytes"),
    pytest.param(text(b"id,name\n1,Baseline\n"), "not an SQLite database", id="not SQLite"),
    pytest.param(text(b""), "not an SQLite database", id="empty file"),
    pytest.param(with_sql("INSERT INTO answers (assessment_id, question_id, na, updated_at, version) "
                          "VALUES (99, 'alpha.cost.q1', 0, '2026-01-01', 1)"),
                 "row 4 of table answers points at a missing assessments row", id="orphan row"),
    # Revision 0002 on a newer schema: migrating the copy to 0003 finds login_sessions already there.
    pytest.param(with_sql("UPDATE alembic_version SET version_num = '0002'"),
                 f"migrating a copy from revision 0002 to {HEAD} fails .*login_sessions already exists",
                 id="migration fails"),
    pytest.param(with_sql("UPDATE assessments SET questionnaire_snapshot = '{}' WHERE id = 2"),
                 "the questionnaire of assessment 2 is damaged", id="damaged snapshot"),
]


@pytest.mark.parametrize(("tamper", "refusal"), ATTACKS)
def test_a_bad_db_backup_is_refused_and_the_live_database_is_untouched(
        live: Store, tmp_path: Path, tamper: Callable[[Path], None], refusal: str) -> None:
    bad = tmp_path / "backup.db"
    live.backup_sqlite(bad)
    tamper(bad)
    before = state(live)
    with pytest.raises(StorageError, match=refusal) as info:
        live.restore_sqlite(bad, replace=True)
    assert str(info.value).startswith(f"{bad}: ") and "\n" not in str(info.value)
    assert state(live) == before  # byte for byte
    assert [a.id for a in live.list_assessments()] == [2, 1] and live.answers(1)["alpha.governance.q1"].level == 3
    assert not (tmp_path / "backups").exists()  # refused before the current database needed keeping
    assert not list(tmp_path.glob(".restore-*"))  # the checked copy is gone


def test_a_db_restore_keeps_the_current_database_and_every_server_sees_the_new_one(
        live: Store, tmp_path: Path, mini: Questionnaire) -> None:
    backup = tmp_path / "backup.db"
    live.backup_sqlite(backup)
    live.create_assessment("After the backup", "Platform", mini)
    replaced = everything(live)
    other = Store(make_engine(str(live.engine.url)))  # another app server, its connection open on the file
    assert other.count_assessments() == 3
    restored = live.restore_sqlite(backup, replace=True)
    assert restored.count == 2
    assert restored.kept is not None and restored.kept.parent == tmp_path / "backups"
    assert restored.kept.name.startswith("before-restore-") and restored.kept.suffix == ".db"
    assert other.count_assessments() == 2  # the open connection reads the restored database…
    other.save_answer(1, "alpha.cost.q1", level=2)
    assert live.answers(1)["alpha.cost.q1"].level == 2  # …and writes into it
    kept = Store(make_engine(f"sqlite:///{restored.kept}"))
    assert everything(kept) == replaced
    with closing(sqlite3.connect(tmp_path / "live.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    for s in (other, kept):
        s.engine.dispose()


def test_an_old_backup_is_migrated_on_a_copy_and_never_written(live: Store, tmp_path: Path) -> None:
    backup = tmp_path / "old.db"
    live.backup_sqlite(backup)
    with closing(sqlite3.connect(backup)) as conn:  # another page size than the live database's
        conn.execute("PRAGMA page_size = 1024")
        conn.execute("VACUUM")
    engine = make_engine(f"sqlite:///{backup}")
    command.downgrade(alembic_config(engine), "0001")
    engine.dispose()
    digest = hashlib.sha256(backup.read_bytes()).hexdigest()
    before = everything(live)
    fresh = Store.open(f"sqlite:///{tmp_path / 'fresh' / 'fresh.db'}")
    assert fresh.restore_sqlite(backup).count == 2
    assert everything(fresh) == before
    assert hashlib.sha256(backup.read_bytes()).hexdigest() == digest
    fresh.engine.dispose()


def test_json_restore_keeps_what_it_replaces(store: Store, mini: Questionnaire) -> None:
    populate(store, mini)
    before = everything(store)
    raw = json_backup(store)
    store.create_assessment("After the backup", "Platform", mini)
    replaced = everything(store)
    restored = store.restore(exchange.parse_backup(raw, "b.json"), replace=True)
    assert restored.count == 2 and everything(store) == before
    assert restored.kept is not None and restored.kept.name.startswith("before-restore-")
    store.restore(exchange.parse_backup(restored.kept.read_bytes(), restored.kept.name), replace=True)
    assert everything(store) == replaced  # the kept backup holds everything that was replaced


def test_json_restore_refused_by_the_database_mid_way_rolls_back(store: Store, mini: Questionnaire) -> None:
    populate(store, mini)
    before = everything(store)
    items = exchange.parse_backup(json_backup(store), "b.json")
    items[1] = replace(items[1], id=items[0].id)  # the second assessment breaks the primary key
    with pytest.raises(StorageError, match="the database refused the backup, so nothing was restored") as info:
        store.restore(items, replace=True)
    assert "\n" not in str(info.value)
    assert everything(store) == before


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
    kept, restored = invoke("db", "restore", str(target), "--force").stdout.splitlines()
    assert restored == f"restored 2 assessment(s) from {target}"
    assert kept.startswith(f"kept a backup of what was replaced: {tmp_path / 'backups' / 'before-restore-'}")
    assert Path(kept.rsplit(": ", 1)[1]).suffix == suffix
    assert everything(cli_store) == before
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    invoke("db", "restore", str(target))
    other = Store.open()
    assert everything(other) == before
    other.engine.dispose()


def test_cli_backup_names_and_missing_files(cli_store: Store, tmp_path: Path) -> None:
    assert "name the backup FILE.json" in invoke("db", "backup", str(tmp_path / "b.zip"), ok=False).stderr
    assert "no such file" in invoke("db", "restore", str(tmp_path / "none.json"), ok=False).stderr


def test_cli_refuses_a_bad_db_backup_in_one_line(cli_store: Store, mini: Questionnaire, tmp_path: Path) -> None:
    populate(cli_store, mini)
    bad = tmp_path / "backup.db"
    cli_store.backup_sqlite(bad)
    with_sql("UPDATE alembic_version SET version_num = '9999'")(bad)
    before = state(cli_store)
    assert fails("db", "restore", str(bad), "--force") == (
        f"error: {bad}: revision 9999 is not one this version knows (newest: {HEAD}); "
        "restore it with the version that wrote it")
    bad.write_bytes(b"PK\x03\x04 a zip file")
    assert fails("db", "restore", str(bad), "--force") == (
        f"error: {bad}: not an SQLite database (it does not start with SQLite's header)")
    assert state(cli_store) == before
