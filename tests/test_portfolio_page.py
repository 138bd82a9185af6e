"""The Compare page with business units, through AppTest: the Organisation section (set, rename, CSV in
and out, bad input as one message), percentage to target and progress per department and business unit
written out, roll-ups, and movement over time. The Chromium check is in test_portfolio_browser.py."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from apptest import COMPARE, app, by_label, click, run, texts
from hostile import MARK
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from assessment.model import Answer
from assessment.present import plain
from assessment.questionnaire import Questionnaire
from assessment.storage import Store

pytestmark = pytest.mark.usefixtures("app_env")

JAN, JUN = dt.date(2026, 1, 10), dt.date(2026, 6, 10)


@pytest.fixture
def org(app_store: Store, mini: Questionnaire) -> None:
    """Payments (Retail) at 1 then 3, Cards (Retail) at 4, Legal (no unit) at 2 in January only."""
    for name, department, on, level in (("p1", "Payments", JAN, 1), ("p2", "Payments", JUN, 3),
                                        ("c", "Cards", JUN, 4), ("l", "Legal", JAN, 2)):
        app_store.import_assessment(name, department, mini, [Answer(x.id, level, False) for x in mini.questions],
                                    assessed_on=on)
    app_store.set_business_units({"Payments": "Retail", "Cards": "Retail"})


def flat(at: AppTest) -> list:
    out = []

    def walk(node) -> None:  # noqa: ANN001 - an AppTest Block
        for child in node.children.values():
            (walk if isinstance(child, Block) else out.append)(child)

    walk(at.main)
    return out


def table(at: AppTest, heading: str, n: int = 0) -> pd.DataFrame:
    """The n-th dataframe after the heading or caption starting with `heading`."""
    elements = flat(at)
    start = next(i for i, e in enumerate(elements)
                 if e.type in ("subheader", "caption") and str(e.value).startswith(heading))
    return [e for e in elements[start:] if e.type == "dataframe"][n].value


def test_relative_metrics_per_department_and_business_unit(org: None) -> None:
    at = app(page=COMPARE)
    assert not at.error and not at.exception
    departments = table(at, "Progress against targets")
    rows = departments.set_index("Department")
    assert rows.loc["Payments", "Business unit"] == "Retail"
    assert rows.loc["Payments", "Percentage to target"] == "100%"
    assert rows.loc["Payments", "Progress to date"] == "100%"  # 1 → 3 against a target of 3
    assert rows.loc["Legal", "Percentage to target"] == "67%"
    assert rows.loc["Legal", "Business unit"] == "Unassigned"
    assert rows.loc["Cards", "Progress to date"] == "– (no baseline)"
    assert rows.loc["Cards", "Baseline"] == "none"
    units = table(at, "Business units").set_index("Business unit")
    assert list(units.index) == ["Retail", "Unassigned", "Organisation"]
    assert units.loc["Organisation", "Percentage to target"] == "89%"  # 1 − 6 / 54
    assert units.loc["Retail", "Departments"] == 2
    spread = table(at, "Business units", 1)
    assert spread.loc["Retail", "Governance & compliance"] == "3.5 (3.0–4.0, sd 0.50)"


def test_movement_between_two_dates(org: None) -> None:
    at = app(page=COMPARE)
    by_label(at.date_input, "From").set_value(dt.date(2026, 3, 1))
    by_label(at.date_input, "To").set_value(dt.date(2026, 12, 31))
    run(at)
    leaders = table(at, "Movement over time")
    overall = leaders[(leaders["Dimension"] == "Overall") & (leaders["Business unit"] == "Retail")].iloc[0]
    assert (overall["Most improved"], overall["Most declined"]) == ("Payments (+2.0)", "none")
    assert list(table(at, "Not re-assessed since")["Department"]) == ["Legal"]
    by_label(at.date_input, "To").set_value(dt.date(2026, 2, 1))
    run(at)
    assert any("before the start date" in t for t in texts(at.error))


def test_organisation_section_sets_renames_and_loads_a_csv(org: None, app_store: Store) -> None:
    at = app(page=COMPARE)
    assert any(f"- **Retail** (2): {plain('Cards, Payments')}" in m for m in texts(at.markdown))
    by_label(at.multiselect, "Departments").set_value(["Legal"])
    by_label(at.text_input, "Business unit (empty: none)").set_value(f"{MARK} <b>Legal</b> & co")
    click(at, "Put them in this business unit")
    assert "1 department(s) moved." in texts(at.success)
    assert app_store.department_units()["Legal"] == f"{MARK} <b>Legal</b> & co"
    assert any(plain(f"{MARK} <b>Legal</b> & co") in m for m in texts(at.markdown))  # shown as text, escaped

    by_label(at.selectbox, "Business unit to rename").set_value("Retail")
    by_label(at.text_input, "New name").set_value("Retail banking")
    click(at, "Rename")
    assert "Renamed (2 department(s))." in texts(at.success)
    assert app_store.business_units()["Retail banking"] == ["Cards", "Payments"]

    by_label(at.file_uploader, "A CSV with the columns department,business_unit").set_value(
        ("org.csv", b"department,business_unit\nLegal,\nNobody,X\n", "text/csv"))
    run(at)
    click(at, "Apply the CSV")
    refused = "no department named 'Nobody'; nothing was changed"
    assert texts(at.error) == [f"Nothing changed: {plain(refused)}"]
    assert app_store.department_units()["Legal"] == f"{MARK} <b>Legal</b> & co"
    by_label(at.file_uploader, "A CSV with the columns department,business_unit").set_value(
        ("org.csv", b"department,business_unit\nLegal,\nCards,Cards;\n\"x\n", "text/csv"))
    run(at)
    click(at, "Apply the CSV")
    assert texts(at.error) == [f"Nothing changed: {plain('org.csv:4: not a readable CSV (unexpected end of data)')}"]
    by_label(at.file_uploader, "A CSV with the columns department,business_unit").set_value(
        ("org.csv", b"department,business_unit\nLegal,\n", "text/csv"))
    run(at)
    click(at, "Apply the CSV")
    assert "1 department(s) changed." in texts(at.success)
    assert app_store.department_units()["Legal"] == ""
