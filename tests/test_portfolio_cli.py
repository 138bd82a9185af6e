"""`compare` with business units: roll-ups and relative metrics in --json (the old keys kept), the
--by business-unit view, movement with --from/--to, and bad input as one line."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from clirunner import fails, invoke

from assessment.questionnaire import Questionnaire
from assessment.storage import Store

JAN, JUN = dt.date(2026, 1, 10), dt.date(2026, 6, 10)


@pytest.fixture
def ids(mini: Questionnaire) -> dict[str, int]:
    """Payments (Retail) at level 1 in January and 3 in June; Cards (Retail) at 4 in June; Legal (no unit)
    at 2 in January only."""
    store = Store.open()
    out = {}
    for key, department, on, level in (("p1", "Payments", JAN, 1), ("p2", "Payments", JUN, 3),
                                       ("c", "Cards", JUN, 4), ("l", "Legal", JAN, 2)):
        out[key] = store.import_assessment(
            key, department, mini, [_answer(x.id, level) for x in mini.questions], assessed_on=on)
    store.set_business_units({"Payments": "Retail", "Cards": "Retail"})
    store.engine.dispose()
    return out


def _answer(qid: str, level: int):  # noqa: ANN202 - an Answer
    from assessment.model import Answer

    return Answer(qid, level, False)


def test_compare_json_gains_the_portfolio_and_keeps_its_keys(ids: dict[str, int]) -> None:
    data = json.loads(invoke("compare", str(ids["p2"]), str(ids["c"]), str(ids["l"]), "--json").output)
    assert {"questionnaire", "dimensions", "assessments", "organisation_mean", "extremes", "left_out",
            "question_changes", "actions"} <= set(data)
    metrics = {(r["scope"], r["name"]): r for r in data["portfolio"]["relative_metrics"]}
    # Payments: every cell 3 against 3 → 100%; from 1 (its January baseline, the previous assessment): 1.
    assert metrics[("department", "Payments")]["percentage_to_target"] == 1.0
    assert metrics[("department", "Payments")]["progress"] == 1.0
    assert metrics[("department", "Legal")]["percentage_to_target"] == pytest.approx(1 - 1 / 3, abs=1e-4)
    assert metrics[("department", "Cards")]["progress_note"] == "no baseline"
    assert metrics[("business_unit", "Retail")]["departments"] == 2
    assert metrics[("organisation", "Organisation")]["percentage_to_target"] == pytest.approx(1 - 6 / 54, abs=1e-4)
    rollups = {(r["business_unit"], r["kind"], r["id"]): r for r in data["portfolio"]["rollups"]}
    assert rollups[("Retail", "dimension", "governance")]["mean"] == 3.5
    assert rollups[("Organisation", "layer", "alpha")]["min"] == 2.0
    assert "movement" not in data


def test_baseline_on_a_date_and_movement(ids: dict[str, int]) -> None:
    data = json.loads(invoke("compare", str(ids["p2"]), str(ids["c"]), "--json", "--baseline-on", "2025-12-31",
                             "--from", "2026-03-01", "--to", "2026-12-31").output)
    assert all(r["progress"] is None for r in data["portfolio"]["relative_metrics"])
    moved = data["movement"]
    overall = [r for r in moved["leaders"] if r["dimension"] == "overall" and r["scope"] == "organisation"]
    assert overall == [{"scope": "organisation", "business_unit": "Organisation", "dimension": "overall",
                        "dimension_name": "Overall", "departments": 1, "most_improved": "Payments",
                        "improved_by": 2.0, "most_declined": None, "declined_by": None}]
    assert [r["department"] for r in moved["not_reassessed"]] == ["Legal"]
    assert moved["first_assessed"] == ["Cards"]


def test_by_business_unit_text(ids: dict[str, int]) -> None:
    out = invoke("compare", str(ids["p2"]), str(ids["c"]), str(ids["l"]), "--by", "business-unit",
                 "--from", "2026-03-01", "--to", "2026-12-31").output
    lines = out.splitlines()
    assert lines[0] == "Retail (2 department(s))"
    assert "Unassigned (1 department(s))" in lines and "Organisation (3 department(s))" in lines
    assert any(line.startswith("  dimension Governance & compliance") and "mean 3.5 (min 3.0, max 4.0, sd 0.50, "
               "2 scored)" in line for line in lines)
    assert "  Retail (business unit): 100% to target, progress 100%" in lines
    assert "  Unassigned (business unit): 67% to target, progress – (no baseline)" in lines
    assert "  Retail · Overall: most improved Payments (+2.0); none declined" in lines
    assert "not re-assessed since 2026-03-01: Legal (2026-01-10)" in lines


@pytest.mark.parametrize(("args", "message"), [
    (["--by", "unit"], "error: --by 'unit': choose department or business-unit"),
    (["--from", "2026-01-01"], "error: movement needs both --from and --to"),
    (["--from", "2026-13-01", "--to", "2026-12-31"], "error: --from '2026-13-01': expected a date as YYYY-MM-DD"),
    (["--from", "2026-12-31", "--to", "2026-01-01"],
     "error: the end date 2026-01-01 is before the start date 2026-12-31"),
    (["--baseline-on", "soon"], "error: --baseline-on 'soon': expected a date as YYYY-MM-DD"),
])
def test_bad_options_are_one_line(ids: dict[str, int], args: list[str], message: str) -> None:
    assert fails("compare", str(ids["p2"]), str(ids["c"]), *args) == message


# --- demo --departments N --business-units M -----------------------------------------------------------


def test_scale_plan_is_a_plausible_organisation() -> None:
    from assessment.demo import scale_plan

    plan = scale_plan(200, 8)
    assert len(plan) == 200 and len({d for d, _, _ in plan}) == 200
    assert len({u for _, u, _ in plan}) == 8
    twice = sum(len(dates) == 2 for _, _, dates in plan)
    assert 150 <= twice < 200  # most re-assessed, some not
    assert scale_plan(200, 8) == plan  # deterministic
    assert len({u for _, u, _ in scale_plan(30, 15)}) == 15  # unit names do not run out


def test_demo_departments_and_business_units() -> None:
    out = invoke("demo", "--departments", "12", "--business-units", "3").output
    assert "of 12 departments in 3 business unit(s)" in out
    store = Store.open()
    units = store.business_units()
    assert len(units) == 3 and sum(len(d) for d in units.values()) == 12 and "" not in units
    assert 12 < store.count_assessments() <= 24
    store.engine.dispose()


@pytest.mark.parametrize(("args", "message"), [
    (["--departments", "0"], "error: --departments must be 1–2000, got 0"),
    (["--departments", "5", "--business-units", "6"],
     "error: --business-units must be 1–5 (at most one per department), got 6"),
    (["--business-units", "2"], "error: --business-units goes with --departments N"),
    (["--departments", "5", "--organisation"],
     "error: --departments makes its own organisation: leave out --organisation and --if-empty"),
])
def test_demo_bad_sizes_are_one_line_and_write_nothing(args: list[str], message: str) -> None:
    assert fails("demo", *args) == message
    assert Store.open().count_assessments() == 0
