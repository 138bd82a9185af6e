"""Actions on the roadmap: status transitions, due dates, the plan, progress and follow-through (pure), and
their storage with history, carried by a re-assessment and kept by export, backup and restore (store)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest

from assessment import exchange
from assessment.actions import (
    STATUSES,
    TRANSITIONS,
    Action,
    ActionError,
    action_plan,
    add_months,
    change,
    default_due,
    department_progress,
    describe,
    follow_through,
    parse_assignments,
    progress,
)
from assessment.analysis import analyse
from assessment.model import Assessment
from assessment.questionnaire import Questionnaire
from assessment.storage import StorageError, Store

DAY = dt.date(2026, 1, 31)


def qids(q: Questionnaire) -> list[str]:
    return [x.id for x in q.questions]


# --- pure: fields and transitions ----------------------------------------------------------------


def test_every_status_pair_is_allowed_exactly_as_the_transition_table_says() -> None:
    for old in STATUSES:
        for new in STATUSES:
            start = Action("q", status=old, reason="no budget" if old == "dropped" else "")
            extra = {"reason": "no budget"} if new == "dropped" else {}
            if old == new or new in TRANSITIONS[old]:
                assert change(start, status=new, **extra).status == new
            else:
                with pytest.raises(ActionError, match=f"status: cannot go from {old} to {new}") as err:
                    change(start, status=new, **extra)
                assert err.value.field == "status"
    assert TRANSITIONS["done"] == {"in_progress"} and TRANSITIONS["dropped"] == {"planned"}


def test_dropping_needs_a_reason_and_leaving_dropped_clears_it() -> None:
    with pytest.raises(ActionError, match="reason: a dropped action needs a reason") as err:
        change(Action("q"), status="dropped")
    assert err.value.field == "reason"
    dropped = change(Action("q"), status="dropped", reason="  out of   scope ")
    assert (dropped.status, dropped.reason) == ("dropped", "out of scope")
    assert change(dropped, status="planned").reason == ""
    with pytest.raises(ActionError, match="only a dropped action has a reason"):
        change(Action("q"), reason="why not")


@pytest.mark.parametrize("ticket", ["javascript:alert(1)", "ftp://x/y", "www.example.com", "https://", "http://a b"])
def test_a_ticket_is_an_http_address_only(ticket: str) -> None:
    with pytest.raises(ActionError, match="ticket: must be an http") as err:
        change(Action("q"), ticket=ticket)
    assert err.value.field == "ticket"
    assert change(Action("q"), ticket=" https://jira.example.com/browse/OPS-1 ").ticket == \
        "https://jira.example.com/browse/OPS-1"


def test_unknown_status_long_owner_and_bad_due_name_their_field() -> None:
    with pytest.raises(ActionError, match="^status: must be one of planned, in_progress, done, dropped"):
        change(Action("q"), status="finished")
    with pytest.raises(ActionError, match="^owner: 201 characters"):
        change(Action("q"), owner="x" * 201)
    with pytest.raises(ActionError, match="^due: must be a date"):
        change(Action("q"), due="tomorrow")  # type: ignore[arg-type]


def test_due_dates_default_from_the_phase_and_clip_to_the_month_end() -> None:
    assert add_months(DAY, 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2027, 11, 30), 3) == dt.date(2028, 2, 29)
    assert [default_due(DAY, p) for p in ("now", "next", "later", "backlog")] == [
        dt.date(2026, 4, 30), dt.date(2026, 7, 31), dt.date(2027, 1, 31), dt.date(2027, 7, 31)]


def test_assignments_as_the_cli_takes_them() -> None:
    assert parse_assignments(["owner=Ada Lovelace", "due=2027-03-31", "status=done"]) == {
        "owner": "Ada Lovelace", "due": dt.date(2027, 3, 31), "status": "done"}
    assert parse_assignments(["due="]) == {"due": None}
    assert parse_assignments(["status=In progress"]) == parse_assignments(["status=in-progress"]) == \
        {"status": "in_progress"}
    for bad, field in ((["colour=red"], "colour"), (["due=31/03/2027"], "due"), (["owner"], "owner"),
                       (["owner=a", "owner=b"], "owner"), ([], "owner")):
        with pytest.raises(ActionError) as err:
            parse_assignments(bad)
        assert err.value.field == field


def test_describe_names_what_a_history_row_changed() -> None:
    before = Action("q").fields()
    after = change(Action("q"), owner="Ada", status="in_progress").fields()
    assert describe(None, after) == "set owner Ada, status in_progress"
    assert describe(before, after) == "owner '' → Ada; status planned → in_progress"


# --- pure: the plan, progress, follow-through on hand-made assessments ------------------------------


def made(q: Questionnaire, values: dict[str, int | None], *, id: int = 1, day: dt.date = DAY,
         department: str = "Platform", actions: dict[str, Action] | None = None) -> Assessment:
    return Assessment.from_values(id, department, day, q, values, f"A{id}", actions=actions)


def test_the_plan_has_one_default_action_per_roadmap_question_then_stored_ones_off_the_roadmap(
        mini: Questionnaire) -> None:
    ids = qids(mini)
    values = dict.fromkeys(ids, 3)
    values[ids[0]], values[ids[1]] = 0, 2  # two questions under the default target 3
    stored = {ids[1]: Action(ids[1], owner="Ada", due=dt.date(2026, 2, 1), status="in_progress"),
              ids[2]: Action(ids[2], owner="Bo", status="done")}  # at target: off the roadmap
    plan = action_plan(analyse(made(mini, values, actions=stored)), today=dt.date(2026, 3, 1))
    assert [p.question_id for p in plan] == [ids[0], ids[1], ids[2]]
    first, second, off = plan
    assert (first.stored, first.status, first.action.owner, first.phase) == (False, "planned", "", "now")
    assert first.due == default_due(DAY, "now") and not first.overdue
    assert first.recommendation == mini.question(ids[0]).recommendation_from(0)
    assert (second.due, second.overdue, second.stored) == (dt.date(2026, 2, 1), True, True)
    assert (off.phase, off.due, off.overdue, off.level) == ("", None, False, 3)
    counted = progress(plan)
    assert (counted.actions, counted.done, counted.overdue, counted.share_done) == (3, 1, 1, 1 / 3)


def test_progress_leaves_dropped_actions_out_of_the_shares(mini: Questionnaire) -> None:
    ids = qids(mini)
    values = dict.fromkeys(ids, 1)
    stored = {ids[0]: Action(ids[0], status="done"), ids[1]: Action(ids[1], status="dropped", reason="no"),
              ids[2]: Action(ids[2], due=dt.date(2025, 1, 1))}
    rows = department_progress([made(mini, values, actions=stored), made(mini, values, id=2, department="Data")],
                               today=DAY)
    platform, data = rows[0]["progress"], rows[1]["progress"]
    assert (rows[0]["department"], platform.actions, platform.dropped) == ("Platform", 8, 1)
    assert (platform.share_done, platform.share_overdue) == (1 / 7, 1 / 7)
    assert (data.done, data.overdue, data.share_done) == (0, 0, 0.0)


def test_follow_through_on_hand_made_before_and_after(mini: Questionnaire) -> None:
    up, same, down, done_flat, unowned, dropped_up, na = qids(mini)[:7]
    before = made(mini, {up: 1, same: 2, down: 2, done_flat: 1, unowned: 0, dropped_up: 1, na: 1}, actions={
        up: Action(up, owner="Ada", status="done"), same: Action(same, status="in_progress"),
        down: Action(down, status="planned"), done_flat: Action(done_flat, status="done"),
        dropped_up: Action(dropped_up, status="dropped", reason="later"), na: Action(na, status="done")})
    after = made(mini, {up: 2, same: 2, down: 1, done_flat: 1, unowned: 2, dropped_up: 3, na: None},
                 id=2, day=dt.date(2026, 7, 1), actions=before.actions)
    result = follow_through(before, after)
    moved = {m.action.question_id: m.movement for m in result.actions}
    assert moved == {up: "up", same: "same", down: "down", done_flat: "same", dropped_up: "up", na: "unknown"}
    assert [m.action.question_id for m in result.done_without_movement] == [done_flat]
    assert [(qid, b, a) for qid, _, b, a in result.moved_without_action] == [(unowned, 0, 2), (dropped_up, 1, 3)]
    assert result.counts() == {"up": 2, "same": 2, "down": 1, "unknown": 1}
    assert json.loads(json.dumps(result.as_dict()))["moved_without_action"][0]["question_id"] == unowned


# --- storage: both databases -------------------------------------------------------------------


def test_set_action_keeps_a_history_row_per_change(store: Store, mini: Questionnaire) -> None:
    aid = store.create_assessment("Baseline", "Platform", mini, assessed_on=DAY)
    qid = qids(mini)[0]
    assert store.actions(aid) == {}
    store.set_action(aid, qid, owner="Ada", changed_by="facilitator")
    store.set_action(aid, qid, status="in_progress", due=dt.date(2026, 3, 1), changed_by="Ada")
    store.set_action(aid, qid, status="in_progress", changed_by="Ada")  # no change: no row
    store.set_action(aid, qid, status="dropped", reason="merged into OPS-7", changed_by="Ada")
    saved = store.set_action(aid, qid, status="planned", due=None, ticket="https://x.example/OPS-7")
    assert saved == Action(qid, owner="Ada", due=None, status="planned", ticket="https://x.example/OPS-7")
    assert store.actions(aid) == {qid: saved}
    history = store.action_history(aid, qid)
    assert [(h["status"], h["owner"], h["due"], h["reason"], h["changed_by"]) for h in history] == [
        ("planned", "Ada", None, "", "facilitator"),
        ("in_progress", "Ada", dt.date(2026, 3, 1), "", "Ada"),
        ("dropped", "Ada", dt.date(2026, 3, 1), "merged into OPS-7", "Ada"),
        ("planned", "Ada", None, "", ""),
    ]
    assert store.load(aid).actions == {qid: saved}


def test_refused_changes_name_the_field_and_write_nothing(store: Store, mini: Questionnaire) -> None:
    aid = store.create_assessment("Baseline", "Platform", mini)
    qid = qids(mini)[0]
    store.set_action(aid, qid, status="done")
    for kwargs, message in (({"status": "dropped"}, "status: cannot go from done to dropped"),
                            ({"ticket": "javascript:alert(1)"}, "ticket: must be an http"),
                            ({"status": "nope"}, "status: must be one of")):
        with pytest.raises(StorageError, match=message):
            store.set_action(aid, qid, **kwargs)
    with pytest.raises(StorageError, match="not in this assessment's questionnaire"):
        store.set_action(aid, "no.such.question", owner="Ada")
    with pytest.raises(StorageError, match="no assessment with id 999"):
        store.set_action(999, qid, owner="Ada")
    assert store.actions(aid)[qid].status == "done" and len(store.action_history(aid)) == 1
    store.set_status(aid, "final")  # answers frozen; the work on the roadmap goes on
    assert store.set_action(aid, qid, status="in_progress").status == "in_progress"


def test_duplicating_to_reassess_carries_the_actions_and_remembers_the_last_one(
        store: Store, mini: Questionnaire) -> None:
    ids = qids(mini)
    first = store.create_assessment("Baseline", "Platform", mini, assessed_on=DAY)
    for qid in ids:
        store.save_answer(first, qid, level=1)
    store.set_action(first, ids[0], owner="Ada", status="done")
    store.set_action(first, ids[1], status="in_progress")
    second = store.duplicate_assessment(first, "Six months on", assessed_on=dt.date(2026, 7, 31), copy_answers=True)
    store.save_answer(second, ids[0], level=3)
    store.save_answer(second, ids[2], level=2)
    before, after = store.load_many([first, second])
    assert after.details.previous_id == first and before.details.previous_id is None
    assert {q: (a.owner, a.status) for q, a in after.actions.items()} == {ids[0]: ("Ada", "done"),
                                                                          ids[1]: ("", "in_progress")}
    assert store.action_history(second) == []  # the copy starts its own history
    result = follow_through(before, after)
    assert [(m.action.question_id, m.movement) for m in result.actions] == [(ids[0], "up"), (ids[1], "same")]
    assert [x[0] for x in result.moved_without_action] == [ids[2]]
    store.delete_assessment(first)  # the re-assessment stays, its link just points nowhere
    assert store.load(second).details.previous_id == first


def test_export_backup_and_restore_keep_actions_and_their_history(store: Store, mini: Questionnaire) -> None:
    ids = qids(mini)
    first = store.create_assessment("Baseline", "Platform", mini, assessed_on=DAY)
    store.set_action(first, ids[0], owner="Ada", due=dt.date(2026, 4, 1), ticket="https://t.example/1")
    store.set_action(first, ids[0], status="dropped", reason="done elsewhere")
    second = store.duplicate_assessment(first, "Again")
    dumps = store.dump()
    backup = exchange.export_backup(dumps).encode()
    items = exchange.parse_backup(backup)
    assert [len(i.actions) for i in items] == [1, 1] and len(items[0].action_history) == 2
    store.restore(items, replace=True)
    restored = store.load(first)
    assert restored.actions[ids[0]].fields() == {"owner": "Ada", "due": dt.date(2026, 4, 1), "status": "dropped",
                                                  "reason": "done elsewhere", "ticket": "https://t.example/1"}
    assert [h["status"] for h in store.action_history(first)] == ["planned", "dropped"]
    assert store.load(second).details.previous_id == first
    # One assessment's JSON export imports as a new assessment with its actions (not its old link).
    record = store.get_assessment(second)
    raw = exchange.export_as("json", record, {}, actions=store.actions(second),
                             action_history=store.action_history(second))
    new = store.add_imported(exchange.parse_json(raw, "one.json"))
    assert store.load(new).actions[ids[0]].status == "dropped" and store.load(new).details.previous_id is None


def test_an_import_with_a_bad_action_names_the_field(mini: Questionnaire, store: Store) -> None:
    aid = store.create_assessment("Baseline", "Platform", mini)
    data = json.loads(exchange.export_as("json", store.get_assessment(aid), {}))
    assert "actions" not in data  # files without actions look as before
    qid = qids(mini)[0]
    data["actions"] = [{"question_id": qid, "status": "dropped"},
                       {"question_id": qid, "status": "done", "ticket": "javascript:x"},
                       {"question_id": "nope", "status": "finished"}]
    with pytest.raises(exchange.ImportError_) as err:
        exchange.parse_json(json.dumps(data).encode(), "bad.json")
    assert str(err.value).startswith("bad.json: actions[2].status: Input should be 'planned'")
    data["actions"][2]["status"] = "done"
    with pytest.raises(exchange.ImportError_) as err:
        exchange.parse_json(json.dumps(data).encode(), "bad.json")
    for expected in ("actions[0].reason: a dropped action needs a reason", "actions[1].question_id: ",
                     "has two actions", "actions[1].ticket: must be an http", "actions[2].question_id: unknown"):
        assert expected in str(err.value), str(err.value)


def test_replace_keeps_the_action_a_value(mini: Questionnaire) -> None:
    a = Action("q", owner="Ada")
    assert replace(a, owner="Bo") != a and change(a, by="Ada") == replace(a, updated_by="Ada")


def test_concurrent_changes_of_different_fields_are_all_kept(store: Store, mini: Questionnaire) -> None:
    from concurrent.futures import ThreadPoolExecutor

    aid = store.create_assessment("Baseline", "Platform", mini)
    qid = qids(mini)[0]

    def edit(i: int) -> None:
        if i % 2:
            store.set_action(aid, qid, owner=f"owner {i}", changed_by=f"p{i}")
        else:
            store.set_action(aid, qid, ticket=f"https://t.example/{i}", changed_by=f"p{i}")

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(edit, range(24)))
    history = store.action_history(aid, qid)
    assert len(history) == 24  # the first edits raced to insert the row: the losers applied theirs on top
    # Each change touched one field: a row that also undid another field would be a lost update.
    for before, after in zip(history, history[1:], strict=False):
        changed = [k for k in ("owner", "ticket") if before[k] != after[k]]
        assert len(changed) == 1, (before, after)
    final = store.actions(aid)[qid]
    assert final.owner == next(h["owner"] for h in reversed(history) if h["changed_by"] in
                               {f"p{i}" for i in range(1, 24, 2)})


def test_migration_0006_upgrades_a_0005_database_and_back(db_url: str, mini: Questionnaire) -> None:
    from alembic import command

    from assessment.migrations import alembic_config, current_revision
    from assessment.storage import make_engine

    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0005")
    with engine.begin() as conn:  # an assessment written by the 0005 schema
        conn.exec_driver_sql("insert into organisations (name) values ('Org')")
        conn.exec_driver_sql("insert into departments (organisation_id, name) select id, 'Platform' from organisations")
    store = Store(engine)
    store.upgrade()
    assert current_revision(engine) not in (None, "0005")
    aid = store.create_assessment("After", "Platform", mini, organisation="Org")
    store.set_action(aid, qids(mini)[0], owner="Ada")
    assert store.load(aid).details.previous_id is None
    command.downgrade(alembic_config(engine), "0005")  # and back: the assessment survives both ways
    command.upgrade(alembic_config(engine), "head")
    assert store.load(aid).actions == {} and store.load(aid).name == "After"
    engine.dispose()
