"""The built-in questionnaire content: coverage, quality rules, stable ids, crosswalk, objectives."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assessment.cli import app
from assessment.crosswalk import crosswalk_rows, function_coverage, nist_ai_rmf, unknown_subcategories
from assessment.questionnaire import DEFAULT_FOLDER, Questionnaire, combine, level_names, load_all
from assessment.scope import objectives, recommend

HEADLINE = ["governance", "monitoring", "automation", "cost"]
EIGHT = [*HEADLINE, "data-quality", "security", "value", "architecture"]
FRAMEWORK_NAMES = ("NIST AI RMF", "NIST AI 600-1", "Google", "Microsoft", "ML Test Score", "ISO/IEC",
                   "OWASP", "EU AI Act", "SRE", "ITIL", "FinOps", "Zinkevich", "MITRE", "SR 11-7", "PRA",
                   "OpenTelemetry", "DORA", "Site Reliability")


@pytest.fixture(scope="module")
def builtin() -> list[Questionnaire]:
    return load_all([DEFAULT_FOLDER])


def test_three_layers_in_order(builtin: list[Questionnaire]) -> None:
    assert [q.id for q in builtin] == ["mlops", "llmops", "aiops"]
    assert [layer.id for layer in combine(builtin).layers] == ["mlops", "llmops", "aiops"]


def test_eight_dimensions_headline_first(builtin: list[Questionnaire]) -> None:
    for q in builtin:
        assert [d.id for d in q.ordered_dimensions] == EIGHT
    assert len({tuple(q.dimensions) for q in builtin}) == 1, "dimension definitions must match across layers"


def test_at_least_four_questions_per_layer_and_dimension(builtin: list[Questionnaire]) -> None:
    for q in builtin:
        for layer, dims in q.coverage().items():
            for dim, count in dims.items():
                assert count >= 4, f"{layer}/{dim} has {count} questions"
    assert sum(len(q.questions) for q in builtin) >= 96


def test_question_quality_rules(builtin: list[Questionnaire]) -> None:
    texts: Counter[str] = Counter()
    for q in builtin:
        weights = {x.weight for x in q.questions}
        assert weights <= {1, 2, 3} and len(weights) == 3
        for x in q.questions:
            assert x.id.startswith(f"{x.layer}."), x.id
            assert len({lv.strip().lower() for lv in x.levels}) == 5, x.id
            assert x.evidence.lower().startswith("ask to see"), x.id
            assert len(x.recommendations) == 4 and all(len(r) > 20 for r in x.recommendations), x.id
            assert any(any(n in r for n in FRAMEWORK_NAMES) for r in x.references), x.id
            assert x.nist_ai_rmf, x.id
            assert x.text.rstrip().endswith("?"), x.id
            texts[" ".join(x.text.lower().split())] += 1
    assert max(texts.values()) == 1, "no two questions share their text"


def test_question_ids_are_pinned(builtin: list[Questionnaire]) -> None:
    pinned = (Path(__file__).parent / "data" / "question_ids.txt").read_text()
    expected = [line for line in pinned.splitlines() if line and not line.startswith(("#", "["))]
    actual = [x.id for q in builtin for x in q.questions]
    removed = sorted(set(expected) - set(actual))
    assert not removed, (f"question ids removed or renamed: {removed}. Add a migration note to "
                         "questionnaires/CHANGELOG.md and update tests/data/question_ids.txt")
    assert actual == expected, "new questions: add their ids to tests/data/question_ids.txt"


def test_crosswalk_covers_all_four_functions(builtin: list[Questionnaire]) -> None:
    framework = nist_ai_rmf()
    assert len(framework.subcategory_ids()) == 72
    assert unknown_subcategories(builtin, framework) == []
    coverage = function_coverage(crosswalk_rows(builtin), framework).set_index("function")
    assert list(coverage.index) == ["GOVERN", "MAP", "MEASURE", "MANAGE"]
    assert (coverage["covered"] > 0).all()


def test_crosswalk_cli_formats() -> None:
    runner = CliRunner()
    data = json.loads(runner.invoke(app, ["crosswalk", "--format", "json"]).stdout)
    assert {c["function"] for c in data["coverage"]} == {"GOVERN", "MAP", "MEASURE", "MANAGE"}
    assert all(re.match(r"^(GOVERN|MAP|MEASURE|MANAGE) \d+\.\d+$", r["subcategory"]) for r in data["rows"])
    csv = runner.invoke(app, ["crosswalk", "--format", "csv"])
    assert csv.exit_code == 0
    assert csv.stdout.splitlines()[0] == "question_id,layer,dimension,function,subcategory"


def test_validate_json_coverage_matches(builtin: list[Questionnaire]) -> None:
    data = json.loads(CliRunner().invoke(app, ["validate", "--json"]).stdout)
    assert data["ok"]
    by_id = {q["id"]: q for q in data["questionnaires"]}
    for q in builtin:
        assert by_id[q.id]["coverage"] == q.coverage()
        assert by_id[q.id]["questions"] == len(q.questions)
        assert all(n >= 4 for dims in by_id[q.id]["coverage"].values() for n in dims.values())


def test_level_names_defined_once() -> None:
    names = level_names()
    assert [lv.name for lv in names.levels] == ["None", "Initial", "Repeatable", "Defined", "Optimised"]
    assert names.name(2.94) == "Repeatable" and names.name(4.0) == "Optimised"
    assert names.name(2.96) == "Defined"  # shown as 3.0, so named level 3
    assert names.name(float("nan")) == "Not scored"


def test_seed_decision_table_is_in_objectives(builtin: list[Questionnaire]) -> None:
    table = objectives()
    seed = {o.name: o.layers for o in table.objectives if o.source == "seed"}
    assert seed == {
        "Forecast demand": ["mlops"], "Detect fraud": ["mlops"], "Build an AI copilot": ["llmops"],
        "Enterprise knowledge search": ["llmops"], "Reduce IT downtime": ["aiops"],
        "Improve infrastructure reliability": ["aiops"],
        "Enterprise-wide AI transformation": ["mlops", "llmops", "aiops"],
    }
    q = combine(builtin)
    dims = {d.id for d in q.dimensions}
    for o in table.objectives:
        assert set(o.weights) <= dims and set(o.targets) <= dims | {"default"}, o.id


def test_recommend_unions_layers_and_takes_highest(builtin: list[Questionnaire]) -> None:
    q = combine(builtin)
    scope = recommend(["detect-fraud", "ai-copilot"], q)
    assert scope.layers == ["mlops", "llmops"]
    assert scope.weights["monitoring"] == 3 and scope.weights["security"] == 3
    assert scope.target("mlops", "monitoring") == 4 and scope.target("llmops", "security") == 4
    assert scope.target("llmops", "monitoring") == 3
    regulator = recommend(["regulatory-compliance"], q)
    assert regulator.layers == ["mlops", "llmops", "aiops"] and regulator.weights["governance"] == 3
    with pytest.raises(KeyError, match="unknown objective"):
        recommend(["make-coffee"], q)


def test_custom_questionnaire_folder_adds_to_builtin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mini = (Path(__file__).parent / "data" / "mini.yaml").read_text()
    (tmp_path / "team.yaml").write_text(mini.replace("id: mini", "id: team"))
    monkeypatch.setenv("QUESTIONNAIRE_PATH", str(tmp_path))
    ids = [q.id for q in load_all()]
    assert ids[:3] == ["mlops", "llmops", "aiops"] and "team" in ids
