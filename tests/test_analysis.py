"""One assessment, one analysis: what the Results, Roadmap and Report pages, the CLI and the PDF show."""

from __future__ import annotations

import ast
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from assessment.analysis import analyse, effective_targets
from assessment.model import Assessment
from assessment.present import department_assessments, latest_per_department, trend_departments
from assessment.questionnaire import Questionnaire
from assessment.roadmap import gap_analysis, plan, targets_for
from assessment.workshop import Vote, summarise

JAN, MAR = dt.date(2026, 1, 15), dt.date(2026, 3, 15)
HAND = {"alpha.governance.q1": 1, "alpha.governance.q2": 3, "alpha.monitoring.q1": 4, "alpha.cost.q1": None,
        "beta.governance.q1": 0, "beta.governance.q2": 2, "beta.monitoring.q1": 2}


def test_analysis_is_the_engine_on_the_stored_targets(mini: Questionnaire) -> None:
    stored = {("alpha", "governance"): 4}
    a = Assessment.from_values(1, "Platform", JAN, mini, HAND, targets=stored)
    result = analyse(a, capacity=2)
    expected = gap_analysis(mini, HAND, targets_for(mini, stored))
    assert result.targets == effective_targets(a) == targets_for(mini, stored)
    assert result.targets[("alpha", "governance")] == 4 and result.targets[("beta", "cost")] == 3
    assert result.scores.overall == expected.scores.overall
    assert result.gaps.as_dict() == expected.as_dict()
    assert result.roadmap.as_dict() == plan(expected, 2).as_dict()
    assert list(result.unanswered["question_id"]) == ["beta.cost.q1"]
    assert result.custom_targets


def test_strengths_are_the_highest_layer_by_dimension_cells(mini: Questionnaire) -> None:
    result = analyse(Assessment.from_values(1, "Platform", JAN, mini, HAND))
    cells = list(zip(result.strengths["layer"], result.strengths["dimension"], strict=True))
    # alpha.monitoring 4.0, then alpha.governance (1·1 + 3·2) / 3 ≈ 2.33, then beta.monitoring 2.0
    assert cells == [("alpha", "monitoring"), ("alpha", "governance"), ("beta", "monitoring")]


def test_targets_being_edited_override_the_stored_ones(mini: Questionnaire) -> None:
    a = Assessment.from_values(1, "Platform", JAN, mini, HAND, targets={("alpha", "governance"): 4})
    result = analyse(a, targets={("alpha", "governance"): 1})
    assert result.targets[("alpha", "governance")] == 1
    assert "alpha.governance.q1" not in set(result.gaps.questions["question_id"])


def test_default_consensus_is_the_median_rounded_down_else_na_else_nothing() -> None:
    assert summarise([Vote("q", "2"), Vote("q", "3")]).default_choice == "2"
    assert summarise([Vote("q", "na"), Vote("q", "unknown")]).default_choice == "na"
    assert summarise([Vote("q", "unknown")]).default_choice is None
    assert summarise([]).default_choice is None


def test_latest_per_department_and_trend_departments(mini: Questionnaire) -> None:
    rows = [Assessment.from_values(i, dep, on, mini, {}).details
            for i, dep, on in [(1, "A", MAR), (2, "A", JAN), (3, "B", JAN), (4, "C", MAR), (5, "C", MAR)]]
    assert sorted(latest_per_department(rows)) == [1, 3, 5]  # same date: the higher id
    assert trend_departments(rows) == ["A", "C"]
    assert department_assessments(rows, " a ") == ("A", [1, 2])


def test_the_pure_modules_load_no_database_and_nothing_loads_streamlit() -> None:
    code = ("import json, sys\nimport assessment.exchange, assessment.analysis, assessment.report\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'streamlit')"
            " or m.startswith('assessment.storage'))))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True).stdout)
    assert loaded == []
    imported = set()
    for path in (Path(__file__).resolve().parent.parent / "assessment").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {(path.name, alias.name.split(".")[0]) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add((path.name, node.module.split(".")[0]))
    assert [(name, module) for name, module in imported if module == "streamlit"] == []


def test_plain_text_breaks_every_markdown_construct() -> None:
    from assessment.present import plain

    assert plain("![x](http://127.0.0.1:9/a.png)") == "\\!\\[x\\]\\(\u2060" + r"http\:\/\/127\.0\.0\.1\:9\/a\.png\)"
    # GFM autolinks what escapes leave: a word joiner before a scheme, www. and @ stops it
    assert plain("www.x ada@x.org") == "\u2060www\\.x ada\u2060\\@x\\.org"
    assert "https\\:" in plain("see https://evil.example") and "www\\.evil" in plain("www.evil.com")
    assert plain(":red[big] $x$ <b>") == r"\:red\[big\] \$x\$ \<b\>"
    assert plain("one\n  two\x07") == "one  \ntwo"  # line breaks kept, no indented code block, no control chars
    assert plain(42) == "42"
