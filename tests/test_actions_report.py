"""Actions in the PDFs: the gap report's one-page action plan (owners, dates, status, overdue in words) and the
comparison's share of actions done and overdue per department."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from pypdf import PdfReader

from assessment import report
from assessment.actions import Action
from assessment.analysis import analyse
from assessment.model import Assessment
from assessment.questionnaire import Questionnaire

DAY = dt.date(2026, 1, 31)


@pytest.fixture
def assessed(mini: Questionnaire, monkeypatch: pytest.MonkeyPatch) -> Assessment:
    monkeypatch.setattr(report, "_generated", lambda: "2026-06-02 09:00 UTC")  # the day overdue is counted on
    ids = [x.id for x in mini.questions]
    actions = {ids[0]: Action(ids[0], owner="Ada <i>L</i>", due=dt.date(2026, 5, 1), status="in_progress"),
               ids[1]: Action(ids[1], owner="Bo", status="done"),
               ids[2]: Action(ids[2], status="dropped", reason="Covered by the platform team")}
    return Assessment.from_values(1, "Platform", DAY, mini, dict.fromkeys(ids, 1), "Baseline", actions=actions)


def test_the_action_plan_context_and_html(assessed: Assessment) -> None:
    context = report.build_context(analyse(assessed))
    plan = context["actions"]
    assert (plan["total"], plan["done"], plan["overdue"], plan["dropped"], plan["day"]) == (8, 1, 3, 1, "2026-06-02")
    assert plan["share_done"] == "14%"  # 1 of 7 not dropped
    # Overdue on 2 June: Ada's (due 1 May) and the two open ones whose first step is in Now (due 30 April).
    assert [r["due"] for r in plan["rows"] if r["overdue"]].count("2026-04-30") == 2
    rows = {r["owner"]: r for r in plan["rows"]}
    assert rows["Ada <i>L</i>"]["overdue"] and rows["Ada <i>L</i>"]["due"] == "2026-05-01"
    assert rows["Bo"]["status"] == "Done" and not rows["Bo"]["overdue"]
    html = report.render_html(context)
    section = html.split('id="actions"', 1)[1].split("</section>", 1)[0]
    assert "Ada &lt;i&gt;L&lt;/i&gt;" in section  # a name is text, not markup
    assert "<strong>Overdue</strong> · In progress" in section  # overdue in words, not colour alone
    assert "Dropped: Covered by the platform team" in section
    assert "1 of 7 done (14%), 3 overdue; 1 dropped." in " ".join(section.split())
    assert any(t["anchor"] == "actions" and t["title"] == "Action plan" for t in context["toc"])


def test_the_gap_report_prints_the_action_plan_on_one_page(assessed: Assessment) -> None:
    pages = [p.extract_text() for p in PdfReader(BytesIO(report.assessment_pdf(assessed))).pages]
    found = [i for i, text in enumerate(pages) if text.lstrip().startswith("Action plan")]
    assert len(found) == 1
    text = " ".join(pages[found[0]].split())
    assert "Ada <i>L" in text and "Overdue · In progress" in text and "2026-05-01" in text
    assert not pages[found[0] + 1].lstrip().startswith(("Action Owner", "Ada"))  # nothing spills over


def test_the_comparison_shows_actions_done_and_overdue_per_department(
        assessed: Assessment, mini: Questionnaire) -> None:
    other = Assessment.from_values(2, "Data", DAY, mini, dict.fromkeys([x.id for x in mini.questions], 2), "Data")
    context = report.comparison_context([assessed, other])
    shares = {r["department"]: (r["actions_done"], r["actions_overdue"]) for r in context["rows"]}
    # Data's eight default actions are due from their phases (Now: 30 April) and not done: overdue by June.
    assert shares["Platform"] == ("14%", "43%")
    assert shares["Data"][0] == "0%" and shares["Data"][1] != "0%"
    html = report.render_html(context, "comparison.html.j2")
    assert "<th class=\"num\">Actions done</th>" in html and ">14%<" in html
