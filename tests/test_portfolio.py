"""The leaders' portfolio (assessment/portfolio.py): roll-ups to business units and the organisation, OWASP
SAMM's relative metrics and movement over time, hand-computed on tests/data's mini questionnaire.

Mini has 6 cells (alpha, beta × governance, monitoring, cost); every default target is 3. HAND scores
alpha: governance 3.0, monitoring 2, cost N/A; beta: governance 0, monitoring 4, cost 3.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from answers import HAND, answer_sets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.model import Assessment
from assessment.portfolio import (
    NO_BASELINE,
    NOTHING_SHARED,
    ORGANISATION,
    TARGET_MET,
    latest_each,
    movement,
    movement_ids,
    portfolio,
    previous_of,
)
from assessment.questionnaire import Questionnaire

JAN, JUN, DEC = dt.date(2026, 1, 1), dt.date(2026, 6, 1), dt.date(2026, 12, 1)
# Payments' baseline: alpha governance (1, 1) = 1.0, beta monitoring 2, nothing else scored.
EARLY = {"alpha.governance.q1": 1, "alpha.governance.q2": 1, "beta.monitoring.q1": 2}


def every(q: Questionnaire, level: int) -> dict[str, int | None]:
    return {x.id: level for x in q.questions}


@pytest.fixture
def org(mini: Questionnaire) -> list[Assessment]:
    return [
        Assessment.from_values(1, "Payments", JAN, mini, EARLY, business_unit="Retail"),
        Assessment.from_values(2, "Payments", JUN, mini, HAND, business_unit="Retail"),
        Assessment.from_values(3, "Cards", JUN, mini, every(mini, 4), business_unit="Retail"),
        Assessment.from_values(4, "Legal", JUN, mini, every(mini, 1)),  # in no business unit
    ]


def metric(p, scope: str, name: str, column: str):  # noqa: ANN001, ANN201 - a Portfolio, a cell
    rows = p.relative[(p.relative["scope"] == scope) & (p.relative["name"] == name)]
    assert len(rows) == 1, rows
    return rows.iloc[0][column]


def test_one_department_each_latest_and_named_units(org: list[Assessment]) -> None:
    p = portfolio(org)
    assert list(p.departments["department"]) == ["Cards", "Legal", "Payments"]
    assert list(p.departments["id"]) == [3, 4, 2]  # Payments' latest, not its January baseline
    assert list(p.departments["business_unit"]) == ["Retail", "Unassigned", "Retail"]
    assert p.dimensions.loc["Payments"].tolist() == [1.5, 3.0, 3.0]  # governance (3 + 0) / 2, …
    assert p.layers.loc["Payments", "beta"] == pytest.approx((0 * 2 + 4 + 3) / 4)  # governance weighs 2


def test_rollups_mean_and_spread_by_unit_and_organisation(org: list[Assessment]) -> None:
    r = portfolio(org).rollups.set_index(["business_unit", "kind", "id"])
    retail = r.loc[("Retail", "dimension", "governance")]  # Cards 4, Payments 1.5
    assert (retail["departments"], retail["mean"], retail["min"], retail["max"]) == (2, 2.75, 1.5, 4.0)
    assert retail["std"] == pytest.approx(1.25)  # population standard deviation
    alone = r.loc[("Unassigned", "layer", "alpha")]
    assert (alone["departments"], alone["mean"], alone["std"]) == (1, 1.0, 0.0)
    whole = r.loc[(ORGANISATION, "dimension", "governance")]  # 4, 1, 1.5
    assert whole["mean"] == pytest.approx(6.5 / 3) and (whole["min"], whole["max"]) == (1.0, 4.0)
    assert whole["std"] == pytest.approx(((4 - 6.5 / 3) ** 2 + (1 - 6.5 / 3) ** 2 + (1.5 - 6.5 / 3) ** 2) ** .5
                                         / 3 ** .5)
    # Payments' alpha cost is N/A: Retail's cost still counts two departments (Payments' beta cost scores).
    assert r.loc[("Retail", "dimension", "cost"), "departments"] == 2
    assert list(dict.fromkeys(portfolio(org).rollups["business_unit"])) == ["Retail", "Unassigned", ORGANISATION]


def test_percentage_to_target_by_hand(org: list[Assessment]) -> None:
    p = portfolio(org)
    # Payments: 5 scored cells, targets 3 each (15); short by 0 + 1 + 3 + 0 + 0 = 4 → 1 − 4/15.
    assert metric(p, "department", "Payments", "percentage_to_target") == pytest.approx(1 - 4 / 15)
    assert metric(p, "department", "Cards", "percentage_to_target") == 1.0  # 4 ≥ 3 everywhere: no credit above
    assert metric(p, "department", "Legal", "percentage_to_target") == pytest.approx(1 - 12 / 18)
    # Pooled: Retail = 1 − (4 + 0) / (15 + 18); the organisation adds Legal's 12 of 18.
    assert metric(p, "business_unit", "Retail", "percentage_to_target") == pytest.approx(1 - 4 / 33)
    assert metric(p, "organisation", ORGANISATION, "percentage_to_target") == pytest.approx(1 - 16 / 51)


def test_progress_to_date_against_a_baseline_by_hand(org: list[Assessment]) -> None:
    p = portfolio(org, {2: org[0]})
    # Cells scored both times: alpha governance 1 → 3, beta monitoring 2 → 4; targets 3 + 3.
    # (7 − 3) / (6 − 3): beyond the target, reported as it is.
    assert metric(p, "department", "Payments", "progress") == pytest.approx(4 / 3)
    assert metric(p, "business_unit", "Retail", "progress") == pytest.approx(4 / 3)  # Cards has no baseline
    assert metric(p, "department", "Cards", "progress_note") == NO_BASELINE
    assert metric(p, "business_unit", "Unassigned", "progress_note") == NO_BASELINE
    assert metric(p, "organisation", ORGANISATION, "progress") == pytest.approx(4 / 3)
    assert p.departments.set_index("department").loc["Payments", "baseline_id"] == 1


def test_progress_is_negative_after_a_decline_and_none_when_the_baseline_met_the_target(
        mini: Questionnaire) -> None:
    before = Assessment.from_values(1, "Ops", JAN, mini, every(mini, 2))
    worse = Assessment.from_values(2, "Ops", JUN, mini, every(mini, 1))
    p = portfolio([worse], {2: before})
    assert metric(p, "department", "Ops", "progress") == pytest.approx((6 - 12) / (18 - 12))  # −1
    met = Assessment.from_values(1, "Ops", JAN, mini, every(mini, 3))
    p = portfolio([worse], {2: met})  # target == baseline: no distance to cover
    assert metric(p, "department", "Ops", "progress") != metric(p, "department", "Ops", "progress")  # NaN
    assert metric(p, "department", "Ops", "progress_note") == TARGET_MET
    assert p.as_dict()["relative_metrics"][0]["progress"] is None


def test_unscored_departments_have_no_metrics_and_say_why(mini: Questionnaire) -> None:
    empty = Assessment.from_values(2, "Ops", JUN, mini, {})
    p = portfolio([empty], {2: Assessment.from_values(1, "Ops", JAN, mini, every(mini, 2))})
    row = p.relative_rows("department").iloc[0]
    assert pd.isna(row["percentage_to_target"]) and pd.isna(row["progress"])
    assert row["progress_note"] == NOTHING_SHARED
    assert p.as_dict()["relative_metrics"][0]["percentage_to_target"] is None


def test_custom_targets_count(mini: Questionnaire) -> None:
    low = {(x.id, d.id): 1 for x in mini.layers for d in mini.dimensions}
    a = Assessment.from_values(1, "Ops", JUN, mini, HAND, targets=low)
    assert metric(portfolio([a]), "department", "Ops", "percentage_to_target") == pytest.approx(1 - 1 / 5)


def test_a_baseline_of_another_department_is_refused(org: list[Assessment]) -> None:
    with pytest.raises(ValueError, match="the baseline of Payments \\(#1\\) is an assessment of Cards"):
        portfolio(org, {2: Assessment.from_values(1, "Cards", JAN, org[0].questionnaire, {})})
    with pytest.raises(ValueError, match="at least one"):
        portfolio([])


def test_baselines_default_to_the_previous_assessment_or_the_last_by_a_date(org: list[Assessment]) -> None:
    current = latest_each(org)
    assert previous_of(current, org) == {2: 1}
    assert previous_of(current, org, on_or_before=dt.date(2025, 12, 31)) == {}


def test_as_dict_is_plain(org: list[Assessment]) -> None:
    import json

    data = portfolio(org, {2: org[0]}).as_dict()
    json.dumps(data)
    assert data["departments"][2] == {"department": "Payments", "business_unit": "Retail", "id": 2,
                                      "date": "2026-06-01", "baseline": {"id": 1, "date": "2026-01-01"}}
    assert data["relative_metrics"][-1]["scope"] == "organisation"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_percentage_to_target_is_a_share(mini: Questionnaire, data: st.DataObject) -> None:
    values = data.draw(answer_sets(mini))
    target = data.draw(st.integers(0, 4))
    cells = {(x.id, d.id): target for x in mini.layers for d in mini.dimensions}
    p = portfolio([Assessment.from_values(1, "Ops", JUN, mini, values, targets=cells)])
    pct = p.relative["percentage_to_target"]
    scored = p.layers.notna().to_numpy().any()
    assert pct.isna().all() if not scored else ((pct >= 0) & (pct <= 1)).all()
    if scored and all(v is None or v >= target for v in values.values()):
        assert (pct == 1).all()


# --- movement over time ------------------------------------------------------------------------------


@pytest.fixture
def history(mini: Questionnaire) -> list[Assessment]:
    return [
        Assessment.from_values(1, "Payments", JAN, mini, every(mini, 1), business_unit="Retail"),
        Assessment.from_values(2, "Payments", JUN, mini, every(mini, 3), business_unit="Retail"),  # +2
        Assessment.from_values(3, "Cards", JAN, mini, every(mini, 2), business_unit="Retail"),
        Assessment.from_values(4, "Cards", JUN, mini, every(mini, 1), business_unit="Retail"),  # −1
        Assessment.from_values(5, "Legal", JAN, mini, every(mini, 2)),  # not re-assessed
        Assessment.from_values(6, "Search", JUN, mini, every(mini, 2), business_unit="Digital"),  # first time
        Assessment.from_values(7, "Payments", DEC, mini, every(mini, 0), business_unit="Retail"),  # after the end
    ]


def test_movement_between_two_dates(history: list[Assessment]) -> None:
    m = movement(history, dt.date(2026, 3, 1), dt.date(2026, 9, 1))
    overall = m.changes[m.changes["dimension"] == "overall"].set_index("department")
    assert overall["change"].to_dict() == {"Cards": -1.0, "Payments": 2.0}
    assert overall.loc["Payments", "to_id"] == 2  # December's is past the end
    leaders = m.leaders.set_index(["business_unit", "dimension"])
    retail = leaders.loc[("Retail", "governance")]
    assert (retail["most_improved"], retail["improved_by"]) == ("Payments", 2.0)
    assert (retail["most_declined"], retail["declined_by"]) == ("Cards", -1.0)
    assert leaders.loc[(ORGANISATION, "overall"), "departments"] == 2
    assert list(m.not_reassessed["department"]) == ["Legal"]
    assert m.not_reassessed.iloc[0]["business_unit"] == "Unassigned"
    assert m.first_assessed == ["Search"]
    assert sorted(movement_ids(history, dt.date(2026, 3, 1), dt.date(2026, 9, 1))) == [1, 2, 3, 4, 5, 6]


def test_no_decline_names_no_one(history: list[Assessment]) -> None:
    m = movement([a for a in history if a.department != "Cards"], dt.date(2026, 3, 1), dt.date(2026, 9, 1))
    row = m.leaders.set_index(["business_unit", "dimension"]).loc[("Retail", "cost")]
    assert row["most_declined"] is None and row["most_improved"] == "Payments"
    assert m.as_dict()["leaders"][0]["declined_by"] is None


def test_movement_with_nothing_to_compare_and_bad_dates(history: list[Assessment]) -> None:
    m = movement(history, dt.date(2025, 1, 1), dt.date(2025, 6, 1))
    assert m.changes.empty and m.leaders.empty and m.not_reassessed.empty and m.first_assessed == []
    with pytest.raises(ValueError, match="the end date 2025-01-01 is before the start date 2025-06-01"):
        movement(history, dt.date(2025, 6, 1), dt.date(2025, 1, 1))
