"""The action plan into the team's tracker: CSV for Jira's CSV importer, CSV for GitHub issues, and an
iCalendar file of due dates. Pure: an action plan in, bytes out.

Each item's description carries the question, the recommendation, why it is on the roadmap and a link back
to the assessment (`assessment_link`).

- **Jira** (the CSV importer of Jira Cloud and Data Center, "Import issues from a CSV file"): a header row
  with a Summary column; every row has every cell; several labels are several columns all named Labels;
  dates in the importer's default format `dd/MMM/yy h:mm a` (e.g. 31/Mar/27 12:00 AM), so the wizard needs
  no date setting. Status uses Jira's default workflow names (To Do, In Progress, Done); a dropped action
  is Done with the resolution Won't Do. Priority: Now High, Next Medium, Later and backlog Low.
- **GitHub issues**: one row per issue with the columns of `gh issue create` (title, body, labels,
  assignee, milestone); labels comma-separated in one cell; the milestone is the roadmap phase.
- **iCalendar** (RFC 5545): one all-day VEVENT per action with a due date, a stable UID (assessment and
  question), lines folded at 75 octets and text escaped.

CSV cells a spreadsheet would run as a formula (= + - @, tab, CR) get a leading apostrophe, as every CSV
this tool writes (`common.neutralise`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assessment.actions import PlannedAction
from assessment.exchange.common import neutralise
from assessment.roadmap import PHASE_NAMES

if TYPE_CHECKING:
    from assessment.model import AssessmentDetails

JIRA_COLUMNS = ("Summary", "Issue Type", "Description", "Assignee", "Due Date", "Priority", "Status",
                "Resolution", "Labels", "Labels", "Labels")
JIRA_DATE = "%d/%b/%y %I:%M %p"  # the importer's default, dd/MMM/yy h:mm a (English month names)
JIRA_STATUS = {"planned": "To Do", "in_progress": "In Progress", "done": "Done", "dropped": "Done"}
JIRA_PRIORITY = {"now": "High", "next": "Medium", "later": "Low", "backlog": "Low", "": "Low"}
GITHUB_COLUMNS = ("title", "body", "labels", "assignee", "milestone")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LABEL = re.compile(r"[^A-Za-z0-9_.-]+")
TRACKER_FORMATS = {"jira": "jira.csv", "github": "github.csv", "ics": "ics"}


def assessment_link(base_url: str, assessment_id: int) -> str:
    """The address of the assessment's Roadmap page under the app's public address ('' when unknown)."""
    return f"{base_url.rstrip('/')}/roadmap?assessment={assessment_id}" if base_url else ""


def summary(p: PlannedAction) -> str:
    """The item's title: the layer and dimension, then the recommendation (else the question)."""
    what = p.recommendation or p.question
    return f"{p.layer_name} / {p.dimension_name}: {what}"[:250]


def body(p: PlannedAction, record: AssessmentDetails, link: str) -> str:
    """Question, recommendation, reason and the link back, as plain text lines (Markdown-safe enough)."""
    lines = [f"Question: {p.question}"]
    if p.recommendation:
        lines.append(f"Recommendation: {p.recommendation}")
    if p.why:
        lines.append(f"Why: {p.why}")
    if p.level is not None and p.target is not None:
        lines.append(f"Level now: {p.level} of target {p.target}")
    if p.action.status == "dropped":
        lines.append(f"Dropped: {p.action.reason}")
    if p.action.ticket:
        lines.append(f"Ticket: {p.action.ticket}")
    where = f"Assessment: {record.name} ({record.department}, {record.assessed_on.isoformat()}, #{record.id})"
    lines.append(f"{where}: {link}" if link else where)
    return "\n".join(lines)


def labels(p: PlannedAction) -> list[str]:
    """Labels without spaces (Jira splits a label at a space): the tool's, the layer's and the dimension's."""
    return ["maturity-assessment", *(_LABEL.sub("-", x).strip("-").lower() or "none"
                                     for x in (p.layer_name, p.dimension_name))]


def jira_date(day: dt.date | None) -> str:
    """A date as Jira's importer reads it by default: 31/Mar/27 12:00 AM (English, whatever the locale)."""
    if day is None:
        return ""
    return f"{day.day:02d}/{_MONTHS[day.month - 1]}/{day.year % 100:02d} 12:00 AM"


def _csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
    return out.getvalue().encode("utf-8-sig")


def jira_csv(plan: Sequence[PlannedAction], record: AssessmentDetails, link: str = "") -> bytes:
    """The plan as CSV for Jira's CSV importer (columns `JIRA_COLUMNS`, one row per action)."""
    rows = []
    for p in plan:
        a = p.action
        rows.append([summary(p), "Task", body(p, record, link), a.owner, jira_date(p.due),
                     JIRA_PRIORITY.get(p.phase, "Low"), JIRA_STATUS[a.status],
                     "Won't Do" if a.status == "dropped" else "Done" if a.status == "done" else "", *labels(p)])
    return _csv(JIRA_COLUMNS, rows)


def github_csv(plan: Sequence[PlannedAction], record: AssessmentDetails, link: str = "") -> bytes:
    """The plan as CSV for GitHub issues (columns `GITHUB_COLUMNS`, one row per action)."""
    rows = [[summary(p), body(p, record, link), ",".join(labels(p)), p.action.owner,
             PHASE_NAMES.get(p.phase, "")] for p in plan]
    return _csv(GITHUB_COLUMNS, rows)


# --- iCalendar (RFC 5545) ---------------------------------------------------------------------


def ics_text(value: str) -> str:
    """RFC 5545 §3.3.11 TEXT: backslash, semicolon and comma escaped, line breaks as \\n, controls dropped."""
    value = "".join(ch for ch in value.replace("\r\n", "\n") if ch == "\n" or ch.isprintable())
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """RFC 5545 §3.1: lines longer than 75 octets folded (CRLF and a space), never inside a character."""
    out, current = [], b""
    for ch in line:
        encoded = ch.encode("utf-8")
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def ics(plan: Sequence[PlannedAction], record: AssessmentDetails, link: str = "",
        now: dt.datetime | None = None) -> bytes:
    """The due dates as an iCalendar file: one all-day event per action with a due date."""
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//aiops-maturity-assessment//actions//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{ics_text(f'Actions: {record.name} ({record.department})')}"]
    for p in plan:
        if p.due is None:
            continue
        uid_part = re.sub(r"[^A-Za-z0-9._-]", "-", p.question_id)
        status = {"done": "CONFIRMED", "dropped": "CANCELLED"}.get(p.action.status, "TENTATIVE")
        owner = p.action.owner or "nobody yet"
        description = f"{body(p, record, link)}\nOwner: {owner}\nStatus: {p.action.status_name}"
        event = [
            "BEGIN:VEVENT",
            f"UID:assessment-{record.id}-{uid_part}@aiops-maturity-assessment",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{p.due:%Y%m%d}",
            f"DTEND;VALUE=DATE:{p.due + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{ics_text('Due: ' + summary(p))}",
            f"DESCRIPTION:{ics_text(description)}",
            f"STATUS:{status}",
            f"CATEGORIES:{','.join(ics_text(x) for x in labels(p))}",
        ]
        if link:
            event.append(f"URL:{link}")
        event.append("END:VEVENT")
        lines += event
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(x) for x in lines) + "\r\n").encode("utf-8")


def tracker_file(fmt: str, plan: Sequence[PlannedAction], record: AssessmentDetails, link: str = "") -> bytes:
    """The file for `fmt`: jira, github or ics."""
    if fmt == "jira":
        return jira_csv(plan, record, link)
    if fmt == "github":
        return github_csv(plan, record, link)
    if fmt == "ics":
        return ics(plan, record, link)
    raise ValueError(f"unknown format {fmt!r}; choose jira, github, ics or json")


def file_name(fmt: str, record: AssessmentDetails) -> str:
    """'actions-12-jira.csv', 'actions-12.ics'."""
    return f"actions-{record.id}-{fmt}.csv" if fmt in ("jira", "github") else f"actions-{record.id}.{fmt}"
