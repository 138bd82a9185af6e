"""The action plan into the team's tracker: Jira CSV and GitHub issues CSV checked column by column against
the importers' documented formats, and the iCalendar file parsed back with the icalendar library."""

from __future__ import annotations

import csv
import datetime as dt
import io

import icalendar
import pytest

from assessment.actions import Action, action_plan
from assessment.analysis import analyse
from assessment.exchange import tracker
from assessment.model import Assessment
from assessment.questionnaire import Questionnaire
from assessment.roadmap import PHASE_NAMES

DAY = dt.date(2026, 1, 31)
LINK = "https://assess.example.com/roadmap?assessment=7"


@pytest.fixture
def planned(mini: Questionnaire) -> tuple[Assessment, list]:
    ids = [x.id for x in mini.questions]
    values = dict.fromkeys(ids, 3)
    values.update({ids[0]: 0, ids[1]: 1, ids[2]: 2})
    actions = {
        ids[0]: Action(ids[0], owner="=HYPERLINK(\"http://evil\")", status="in_progress",
                       ticket="https://jira.example.com/browse/OPS-1"),
        ids[1]: Action(ids[1], owner="Bo, the lead; ops", due=dt.date(2026, 3, 9), status="dropped",
                       reason="Covered by the platform team, see OPS-2"),
        ids[2]: Action(ids[2], owner="Ada", status="done"),
    }
    a = Assessment.from_values(7, "Platform & Data", DAY, mini, values, "Q1, baseline", actions=actions)
    return a, action_plan(analyse(a), today=dt.date(2026, 2, 1))


def rows(raw: bytes) -> list[list[str]]:
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel and Jira read accents right
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_jira_csv_column_by_column(planned: tuple[Assessment, list]) -> None:
    a, plan = planned
    header, *body = rows(tracker.jira_csv(plan, a.details, LINK))
    # The importer's documented needs: a header row with a Summary column, no punctuation in headers, every
    # row as many cells as the header, several labels as several columns of the same name.
    assert header == ["Summary", "Issue Type", "Description", "Assignee", "Due Date", "Priority", "Status",
                      "Resolution", "Labels", "Labels", "Labels"]
    assert all(h.replace(" ", "").isalnum() for h in header)
    assert len(body) == 3 and all(len(r) == len(header) for r in body)
    # in roadmap order; named here by their question's status: in progress, dropped, done
    by_status = {p.status: (p, dict(zip(header[:8], r[:8], strict=True)) | {"labels": r[8:]})
                 for p, r in zip(plan, body, strict=True)}
    (item, first), (_, second), (_, third) = by_status["in_progress"], by_status["dropped"], by_status["done"]
    assert first["Summary"] == f"{item.layer_name} / {item.dimension_name}: {item.recommendation}"
    assert first["Issue Type"] == "Task"
    for part in (f"Question: {item.question}", f"Recommendation: {item.recommendation}", f"Why: {item.why}",
                 "Ticket: https://jira.example.com/browse/OPS-1", f"#7): {LINK}"):
        assert part in first["Description"]
    assert first["Assignee"] == "'=HYPERLINK(\"http://evil\")"  # a formula is neutralised
    # Due dates in the importer's default format, dd/MMM/yy h:mm a.
    assert first["Due Date"] == {"now": "30/Apr/26 12:00 AM", "next": "31/Jul/26 12:00 AM"}[item.phase]
    assert dt.datetime.strptime(second["Due Date"], "%d/%b/%y %I:%M %p").date() == dt.date(2026, 3, 9)
    priority = {"now": "High", "next": "Medium", "later": "Low", "backlog": "Low"}
    assert all(r["Priority"] == priority[p.phase] for p, r in by_status.values())
    assert [(r["Status"], r["Resolution"]) for r in (first, second, third)] == [
        ("In Progress", ""), ("Done", "Won't Do"), ("Done", "Done")]
    assert "Dropped: Covered by the platform team, see OPS-2" in second["Description"]
    assert first["labels"] == ["maturity-assessment", item.layer_name.lower(), "governance-compliance"]
    assert all(" " not in label for r in body for label in r[8:])


def test_github_csv_column_by_column(planned: tuple[Assessment, list]) -> None:
    a, plan = planned
    header, *body = rows(tracker.github_csv(plan, a.details))
    assert header == ["title", "body", "labels", "assignee", "milestone"]
    assert [len(r) for r in body] == [5, 5, 5]
    for r, p in zip(body, plan, strict=True):
        title, text, labels, assignee, milestone = r
        assert title == tracker.summary(p)
        assert text.splitlines()[0] == f"Question: {p.question}"
        assert text.splitlines()[-1] == "Assessment: Q1, baseline (Platform & Data, 2026-01-31, #7)"  # no link known
        assert labels.split(",") == tracker.labels(p)
        assert milestone == PHASE_NAMES[p.phase]
    assert sorted(r[3] for r in body) == ["'=HYPERLINK(\"http://evil\")", "Ada", "Bo, the lead; ops"]


def test_ics_parses_back_with_icalendar(planned: tuple[Assessment, list]) -> None:
    a, plan = planned
    raw = tracker.ics(plan, a.details, LINK, now=dt.datetime(2026, 2, 1, 9, 30, tzinfo=dt.UTC))
    text = raw.decode("utf-8")
    lines = text.split("\r\n")
    assert text.endswith("\r\n") and all(len(line.encode()) <= 75 for line in lines)  # folded
    assert any(line.startswith(" ") for line in lines)  # long descriptions do fold
    cal = icalendar.Calendar.from_ical(raw)
    assert cal["VERSION"] == "2.0" and str(cal["PRODID"]).startswith("-//aiops-maturity-assessment")
    events = list(cal.walk("VEVENT"))
    assert len(events) == 3
    by_uid = {str(e["UID"]): e for e in events}
    assert len(by_uid) == 3 and all(u.startswith("assessment-7-") for u in by_uid)
    for event, p in zip(events, plan, strict=True):
        assert event.decoded("DTSTART") == p.due
        assert event.decoded("DTEND") == p.due + dt.timedelta(days=1)
        assert str(event["SUMMARY"]) == f"Due: {tracker.summary(p)}"
        description = str(event["DESCRIPTION"])  # unescaped: commas, semicolons and line breaks come back
        assert description.startswith(f"Question: {p.question}\n")
        assert f"Owner: {p.action.owner}" in description
        assert str(event["URL"]) == LINK
        assert event.decoded("DTSTAMP") == dt.datetime(2026, 2, 1, 9, 30, tzinfo=dt.UTC)
    status = {p.status: str(e["STATUS"]) for p, e in zip(plan, events, strict=True)}
    assert status == {"in_progress": "TENTATIVE", "dropped": "CANCELLED", "done": "CONFIRMED"}
    assert any("Owner: Bo, the lead; ops" in str(e["DESCRIPTION"]) for e in events)


def test_ics_escapes_and_folds_by_octets() -> None:
    assert tracker.ics_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    folded = tracker.fold("DESCRIPTION:" + "é" * 80)
    parts = folded.split("\r\n ")
    assert all(len(part.encode()) <= 75 for part in parts[:1]) and all(len(p.encode()) <= 74 for p in parts[1:])
    assert "".join(parts) == "DESCRIPTION:" + "é" * 80


def test_a_link_back_uses_the_public_address() -> None:
    assert tracker.assessment_link("https://a.example/", 3) == "https://a.example/roadmap?assessment=3"
    assert tracker.assessment_link("", 3) == ""
