"""The CLI's actions: `roadmap ID --set QUESTION field=value…` and `actions ID --format …`, good and bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import icalendar
import pytest
from clirunner import fails, invoke

from assessment.questionnaire import Questionnaire
from assessment.storage import Store


@pytest.fixture
def setup(cli_store: Store, mini: Questionnaire) -> tuple[Store, int, list[str]]:
    ids = [x.id for x in mini.questions]
    aid = cli_store.create_assessment("Baseline", "Platform", mini, assessed_on=dt.date(2026, 1, 31))
    for qid in ids:
        cli_store.save_answer(aid, qid, level=1)
    return cli_store, aid, ids


def test_set_changes_one_action_and_keeps_its_history(setup: tuple[Store, int, list[str]]) -> None:
    store, aid, ids = setup
    out = invoke("roadmap", str(aid), "--set", ids[0], "owner=Ada Lovelace", "due=2027-03-31",
                 "status=in_progress", "ticket=https://jira.example.com/browse/OPS-1", "--by", "Grace").stdout
    assert out.strip() == (f"{ids[0]}: in progress, owner Ada Lovelace, due 2027-03-31, "
                           "ticket https://jira.example.com/browse/OPS-1")
    invoke("roadmap", str(aid), "--set", ids[0], "status=dropped", "reason=Out of scope this year", "due=")
    action = store.actions(aid)[ids[0]]
    assert (action.owner, action.due, action.status, action.reason) == ("Ada Lovelace", None, "dropped",
                                                                        "Out of scope this year")
    assert [(h["status"], h["changed_by"]) for h in store.action_history(aid)] == [("in_progress", "Grace"),
                                                                                   ("dropped", "")]


@pytest.mark.parametrize(("args", "message"), [
    (("status=finished",), "error: status: must be one of planned, in_progress, done, dropped, not 'finished'"),
    (("status=dropped",), "error: reason: a dropped action needs a reason (reason=…)"),
    (("due=31/03/2027",), "error: due: must be a date like 2027-03-31, not '31/03/2027'"),
    (("ticket=javascript:alert(1)",), "error: ticket: must be an http:// or https:// address"),
    (("colour=red",), "error: colour: expected one of owner=…, due=…, status=…, reason=…, ticket=…"),
    ((), "error: owner: nothing to set"),
])
def test_bad_fields_are_one_line_naming_the_field(setup: tuple[Store, int, list[str]], args: tuple[str, ...],
                                                  message: str) -> None:
    store, aid, ids = setup
    assert fails("roadmap", str(aid), "--set", ids[0], *args).startswith(message)
    assert store.actions(aid) == {} and store.action_history(aid) == []


def test_bad_question_assessment_and_stray_pairs(setup: tuple[Store, int, list[str]]) -> None:
    _, aid, ids = setup
    assert fails("roadmap", str(aid), "--set", "no.such", "owner=Ada") == \
        "error: question 'no.such' is not in this assessment's questionnaire"
    assert fails("roadmap", "99", "--set", ids[0], "owner=Ada") == "error: no assessment with id 99"
    assert fails("roadmap", str(aid), "owner=Ada") == "error: 'owner=Ada': field=value pairs go with --set QUESTION"
    invoke("roadmap", str(aid))  # the plain roadmap still prints


def test_actions_export_every_format(setup: tuple[Store, int, list[str]], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    store, aid, ids = setup
    monkeypatch.setenv("ASSESSMENT_PUBLIC_URL", "https://assess.example.com")
    store.set_action(aid, ids[0], owner="Ada", status="done")
    data = json.loads(invoke("actions", str(aid), "--format", "json").stdout)
    assert data["link"] == f"https://assess.example.com/roadmap?assessment={aid}"
    assert len(data["actions"]) == len(ids) and data["progress"]["done"] == 1
    assert next(a for a in data["actions"] if a["question_id"] == ids[0])["owner"] == "Ada"
    invoke("actions", str(aid), "--format", "jira", "-o", str(tmp_path / "jira.csv"))
    header, *rows = csv.reader(io.StringIO((tmp_path / "jira.csv").read_text("utf-8-sig"), newline=""))
    assert header[0] == "Summary" and len(rows) == len(ids)
    assert all(data["link"] in r[2] for r in rows)
    github = invoke("actions", str(aid), "--format", "github").stdout
    assert github.startswith("title,body,labels,assignee,milestone")
    invoke("actions", str(aid), "--format", "ics", "-o", str(tmp_path / "a.ics"))
    cal = icalendar.Calendar.from_ical((tmp_path / "a.ics").read_bytes())
    assert len(list(cal.walk("VEVENT"))) == len(ids)
    assert fails("actions", str(aid), "--format", "xml") == \
        "error: --format: unknown format 'xml'; choose jira, github, ics or json"


def test_export_json_carries_the_actions(setup: tuple[Store, int, list[str]]) -> None:
    store, aid, ids = setup
    store.set_action(aid, ids[0], owner="Ada")
    data = json.loads(invoke("export", str(aid)).stdout)
    assert [a["owner"] for a in data["actions"]] == ["Ada"] and len(data["action_history"]) == 1


def test_compare_reports_actions_done_and_overdue(setup: tuple[Store, int, list[str]], mini: Questionnaire) -> None:
    store, aid, ids = setup
    store.set_action(aid, ids[0], status="done")
    other = store.create_assessment("Data", "Data", mini, assessed_on=dt.date(2026, 1, 31))
    store.save_answer(other, ids[0], level=0)
    data = json.loads(invoke("compare", str(aid), str(other), "--json").stdout)
    by_department = {r["department"]: r for r in data["actions"]}
    assert (by_department["Platform"]["actions"], by_department["Platform"]["done"]) == (8, 1)
    assert by_department["Data"]["share_done"] == 0.0
    text = invoke("compare", str(aid), str(other)).stdout
    assert f"#{aid} Platform 2026-01-31: 12% done" in text
