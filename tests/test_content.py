"""The built-in questionnaire content (coverage, quality rules, stable ids, crosswalk, objectives), and
how `assessment.content` finds it: folders, QUESTIONNAIRE_PATH, a broken file beside good ones."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from clirunner import invoke

from assessment import content
from assessment.content import DEFAULT_FOLDER, level_names, load_all, nist_ai_rmf, objectives
from assessment.crosswalk import crosswalk_rows, function_coverage, unknown_subcategories
from assessment.questionnaire import Questionnaire, QuestionnaireError, combine
from assessment.scope import recommend

DATA = Path(__file__).parent / "data"
MINI = (DATA / "mini.yaml").read_text()

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
    data = json.loads(invoke("crosswalk", "--format", "json").stdout)
    assert {c["function"] for c in data["coverage"]} == {"GOVERN", "MAP", "MEASURE", "MANAGE"}
    assert all(re.match(r"^(GOVERN|MAP|MEASURE|MANAGE) \d+\.\d+$", r["subcategory"]) for r in data["rows"])
    csv = invoke("crosswalk", "--format", "csv")
    assert csv.exit_code == 0
    assert csv.stdout.splitlines()[0] == "question_id,layer,dimension,function,subcategory"


def test_validate_json_coverage_matches(builtin: list[Questionnaire]) -> None:
    data = json.loads(invoke("validate", "--json").stdout)
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
    table = objectives()
    scope = recommend(["detect-fraud", "ai-copilot"], q, table)
    assert scope.layers == ["mlops", "llmops"]
    assert scope.weights["monitoring"] == 3 and scope.weights["security"] == 3
    assert scope.target("mlops", "monitoring") == 4 and scope.target("llmops", "security") == 4
    assert scope.target("llmops", "monitoring") == 3
    regulator = recommend(["regulatory-compliance"], q, table)
    assert regulator.layers == ["mlops", "llmops", "aiops"] and regulator.weights["governance"] == 3
    with pytest.raises(KeyError, match="unknown objective"):
        recommend(["make-coffee"], q, table)


# --- finding and loading the files (assessment.content) ------------------------------------------------

BROKEN = MINI.replace("id: mini", "id: broken").replace('      - "alpha monitoring 0: optimised"\n', "", 1)


def team_folder(folder: Path) -> Path:
    """A team's folder: two good questionnaires, one with a missing level, one that is not YAML, other kinds."""
    folder.mkdir(exist_ok=True)
    (folder / "b-good.yaml").write_text(MINI.replace("id: mini", "id: good-b\norder: 0"))
    (folder / "a-good.yml").write_text(MINI.replace("id: mini", "id: good-a"))
    (folder / "c-broken.yaml").write_text(BROKEN)
    (folder / "d-syntax.yaml").write_text("id: [unclosed\n")
    (folder / "levels.yaml").write_text((DEFAULT_FOLDER / "levels.yaml").read_text())
    (folder / "notes.txt").write_text("not a questionnaire")
    return folder


def test_folder_lists_questionnaire_files_by_name(tmp_path: Path) -> None:
    folder = team_folder(tmp_path / "team")
    single = tmp_path / "single.yaml"
    names = [f.name for f in content.questionnaire_files([folder, single])]
    assert names == ["a-good.yml", "b-good.yaml", "c-broken.yaml", "d-syntax.yaml", "single.yaml"]
    assert [f.name for f in content.questionnaire_files()] == ["aiops.yaml", "llmops.yaml", "mlops.yaml"]


def test_questionnaire_path_adds_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert content.questionnaire_folders() == [DEFAULT_FOLDER]
    monkeypatch.setenv("QUESTIONNAIRE_PATH", f"{tmp_path / 'one'}{os.pathsep}{os.pathsep}{tmp_path / 'two'}")
    assert content.questionnaire_folders() == [DEFAULT_FOLDER, tmp_path / "one", tmp_path / "two"]


def test_custom_questionnaire_folder_adds_to_builtin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "team.yaml").write_text(MINI.replace("id: mini", "id: team"))
    monkeypatch.setenv("QUESTIONNAIRE_PATH", str(tmp_path))
    ids = [q.id for q in load_all()]
    assert ids[:3] == ["mlops", "llmops", "aiops"] and "team" in ids


def test_broken_file_is_reported_beside_the_good_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    team_folder(tmp_path / "team")
    loaded = content.load_catalogue([Path("team")])
    assert [q.id for q in loaded.questionnaires] == ["good-a", "good-b"]  # file order
    assert [q.id for q in loaded.ordered()] == ["good-b", "good-a"]  # by `order`, then id
    levels_line = [i for i, line in enumerate(BROKEN.splitlines(), 1) if "levels:" in line][2]
    broken, syntax = map(str, loaded.errors)
    assert broken == f"team/c-broken.yaml:{levels_line}: questions[2].levels: expected 5 levels, got 4"
    assert syntax.startswith("team/d-syntax.yaml:2: YAML syntax error: ")
    with pytest.raises(QuestionnaireError) as info:
        load_all([Path("team")])
    assert info.value.errors == loaded.errors

    monkeypatch.setenv("QUESTIONNAIRE_PATH", "team")
    everything = content.load_catalogue()
    assert [q.id for q in everything.ordered()] == ["good-b", "mlops", "llmops", "aiops", "good-a"]
    assert everything.errors == loaded.errors


def test_built_in_catalogue_keeps_file_order_and_offers_by_order() -> None:
    loaded = content.load_catalogue()
    assert [q.id for q in loaded.questionnaires] == ["aiops", "llmops", "mlops"]
    assert loaded.ordered() == load_all() and not loaded.errors


def test_missing_and_non_utf8_file(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError, match="file not found"):
        content.load_questionnaire(tmp_path / "nope.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("title: caf\xe9".encode("latin-1"))
    with pytest.raises(QuestionnaireError, match="not UTF-8"):
        content.load_questionnaire(bad)


def test_tables_load_once_and_from_another_file(tmp_path: Path) -> None:
    assert level_names() is level_names() and objectives() is objectives() and nist_ai_rmf() is nist_ai_rmf()
    renamed = tmp_path / "levels.yaml"
    renamed.write_text((DEFAULT_FOLDER / "levels.yaml").read_text().replace("name: Optimised", "name: Best"))
    assert level_names(renamed).name(4) == "Best"


# --- the CLI's validate -------------------------------------------------------------------------



def test_cli_validate_ok_json() -> None:
    result = invoke("validate", str(DATA / "mini.yaml"), "--json", ok=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["errors"] == []
    (q,) = data["questionnaires"]
    assert q == {"id": "mini", "version": "0.1", "questions": 8,
                 "coverage": {"alpha": {"governance": 2, "monitoring": 1, "cost": 1},
                              "beta": {"governance": 2, "monitoring": 1, "cost": 1}}}


def test_cli_validate_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN)
    result = invoke("validate", str(bad), ok=False)
    assert result.exit_code == 1
    assert "questions[2].levels: expected 5 levels, got 4" in result.stderr
    assert "Traceback" not in result.output
    data = json.loads(invoke("validate", str(bad), "--json", ok=False).stdout)
    assert data["ok"] is False
    (err,) = data["errors"]
    assert err["field"] == "questions[2].levels" and isinstance(err["line"], int)


def test_cli_validate_folder_reports_broken_and_good_files(tmp_path: Path) -> None:
    result = invoke("validate", str(team_folder(tmp_path / "team")), ok=False)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["ok: good-a 0.1: 8 questions", "ok: good-b 0.1: 8 questions"]
    assert [line.split(":")[0].rsplit("/", 1)[-1] for line in result.stderr.splitlines()] == [
        "c-broken.yaml", "d-syntax.yaml"]
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = invoke("validate", str(empty), ok=False)
    assert nothing.exit_code == 1 and "no questionnaire files found" in nothing.stderr
