"""The comparison PDF's portfolio chapters: percentage to target and progress per department, business
unit and the organisation, and movement over time (`report --compare ... --from --to`), with every
business unit named in the text and hostile names shown as text."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from clirunner import fails, invoke
from hostile import MARK
from pypdf import PdfReader

from assessment import report
from assessment.model import Answer
from assessment.portfolio import baselines, latest_each, movement
from assessment.questionnaire import Questionnaire
from assessment.storage import Store

JAN, JUN = dt.date(2026, 1, 10), dt.date(2026, 6, 10)
UNIT = f"{MARK} <i>Retail</i> & co"


@pytest.fixture
def store(mini: Questionnaire) -> Store:
    """In the CLI's database: Payments (UNIT) at 1 then 3, Cards (UNIT) at 4 in June, Legal (no unit) at 2 in
    January only."""
    s = Store.open()
    for name, department, on, level in (("p1", "Payments", JAN, 1), ("p2", "Payments", JUN, 3),
                                        ("c", "Cards", JUN, 4), ("l", "Legal", JAN, 2)):
        s.import_assessment(name, department, mini, [Answer(x.id, level, False) for x in mini.questions],
                            assessed_on=on)
    s.set_business_units({"Payments": UNIT, "Cards": UNIT})
    return s


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_context_holds_the_numbers(store: Store) -> None:
    entries = store.load_many([2, 3, 4])
    records = store.list_assessments()
    start, end = dt.date(2026, 3, 1), dt.date(2026, 12, 31)
    context = report.comparison_context(entries, baselines=baselines(latest_each(entries), records, store.load_many),
                                        movement=movement(store.load_many([1, 2, 3, 4]), start, end))
    units = {u["name"]: u for u in context["portfolio"]["units"]}
    assert units[UNIT] == {"name": UNIT, "business_unit": UNIT, "departments": 2, "to_target": "100%",
                           "progress": "100%"}
    assert units["Unassigned"]["progress"] == "– (no baseline)"
    assert units["Organisation"]["to_target"] == "89%"
    assert [t["anchor"] for t in context["toc"]][-3:] == ["progress", "movement", "glossary"]
    overall = [r for r in context["movement"]["leaders"] if r["dimension"] == "Overall" and r["unit"] == UNIT]
    assert overall == [{"unit": UNIT, "dimension": "Overall", "departments": 1, "improved": "Payments (+2.0)",
                        "declined": "none"}]
    assert context["movement"]["not_reassessed"] == [{"department": "Legal", "unit": "Unassigned",
                                                      "last": "2026-01-10"}]
    assert "movement" not in report.comparison_context(entries)


def test_cli_comparison_pdf_names_every_business_unit(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "c.pdf"
    invoke("report", "--compare", "2", "3", "4", "--from", "2026-03-01", "--to", "2026-12-31", "-o", str(out))
    text = text_of(out.read_bytes())
    for expected in ("Progress against targets", "Movement over time", f"{UNIT} 2 100% 100%",
                     "Unassigned 1 67% – (no baseline)", "Organisation 3 89%", "Payments (+2.0)",
                     "Not re-assessed since 2026-03-01", "Legal Unassigned 2026-01-10"):
        assert expected in text, expected


@pytest.mark.parametrize(("args", "message"), [
    (["report", "2", "--from", "2026-01-01", "--to", "2026-02-01"], "error: --from and --to go with --compare"),
    (["report", "--compare", "2", "3", "--to", "2026-02-01"], "error: movement needs both --from and --to"),
    (["report", "--compare", "2", "3", "--from", "x", "--to", "2026-02-01"],
     "error: --from 'x': expected a date as YYYY-MM-DD"),
])
def test_report_bad_movement_options_are_one_line(store: Store, args: list[str], message: str) -> None:
    assert fails(*args) == message
