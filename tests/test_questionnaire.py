"""Questionnaire schema from YAML text: valid text parses; every kind of mistake names its file, line and field.

No files here: reading folders and QUESTIONNAIRE_PATH is test_content.py's.
"""

from __future__ import annotations

import builtins
import io
import os
from pathlib import Path
from types import ModuleType

import pytest

import assessment.crosswalk
import assessment.questionnaire
import assessment.scope
from assessment.content import DEFAULT_FOLDER
from assessment.crosswalk import parse_framework
from assessment.questionnaire import (
    Questionnaire,
    QuestionnaireError,
    combine,
    from_snapshot,
    parse_level_names,
    parse_questionnaire,
    to_snapshot,
)
from assessment.scope import parse_objectives

DATA = Path(__file__).parent / "data"
MINI = (DATA / "mini.yaml").read_text()
BUILTIN = DEFAULT_FOLDER
LEVELS, OBJECTIVES, FRAMEWORK = (
    (BUILTIN / name).read_text() for name in ("levels.yaml", "objectives.yaml", "nist-ai-rmf.yaml"))


@pytest.fixture
def mini() -> Questionnaire:
    """tests/data/mini.yaml parsed from its text (conftest's `mini` reads the file)."""
    return parse_questionnaire(MINI, "mini.yaml")


def errors_of(text: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(text, "q.yaml")
    return [str(e) for e in info.value.errors]


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing needle."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return hits[occurrence - 1]


def test_mini_loads(mini: Questionnaire) -> None:
    assert mini.id == "mini"
    assert [layer.id for layer in mini.layers] == ["alpha", "beta"]
    assert len(mini.questions) == 8
    assert mini.coverage() == {"alpha": {"governance": 2, "monitoring": 1, "cost": 1},
                               "beta": {"governance": 2, "monitoring": 1, "cost": 1}}


def test_four_levels_names_the_line_and_field() -> None:
    text = MINI.replace('      - "alpha monitoring 0: optimised"\n', "", 1)
    assert text != MINI
    line = line_of(text, "levels:", 3)  # third question's levels
    assert errors_of(text) == [f"q.yaml:{line}: questions[2].levels: expected 5 levels, got 4"]


def test_six_levels_rejected() -> None:
    text = MINI.replace('      - "alpha cost 0: optimised"\n',
                        '      - "alpha cost 0: optimised"\n      - "alpha cost 0: beyond"\n', 1)
    assert errors_of(text)[0].endswith("questions[3].levels: expected 5 levels, got 6")


def test_yaml_syntax_error_names_line() -> None:
    text = MINI.replace("title: Mini questionnaire", "title: [unclosed", 1)
    (err,) = errors_of(text)
    assert err.startswith("q.yaml:") and "YAML syntax error" in err


def test_duplicate_question_id() -> None:
    text = MINI.replace("id: alpha.governance.q2", "id: alpha.governance.q1", 1)
    line = line_of(text, "id: alpha.governance.q1", 2)
    assert errors_of(text) == [
        f"q.yaml:{line}: questions[1].id: duplicate id 'alpha.governance.q1' (first used at questions[0])"
    ]


def test_unknown_layer_and_dimension() -> None:
    text = MINI.replace("    layer: beta\n", "    layer: gamma\n", 1).replace(
        "    dimension: cost\n", "    dimension: spend\n", 1)
    errs = errors_of(text)
    assert any("questions[4].layer: unknown layer 'gamma'" in e for e in errs)
    assert any("questions[3].dimension: unknown dimension 'spend'" in e for e in errs)


def test_wrong_type_and_missing_field() -> None:
    text = MINI.replace("    weight: 1\n    text:", "    weight: high\n    text:", 1).replace(
        "license: CC-BY-4.0\n", "", 1)
    errs = errors_of(text)
    line = line_of(text, "weight: high")
    assert any(e.startswith(f"q.yaml:{line}: questions[0].weight: ") and "integer" in e for e in errs)
    assert any(e == "q.yaml: license: required field is missing" or ": license: required" in e for e in errs)


def test_extra_field_is_reported() -> None:
    errs = errors_of(MINI.replace("title: Mini questionnaire", "title: Mini questionnaire\ncolour: blue", 1))
    assert errs == ["q.yaml:4: colour: unknown field (check the spelling against the fields listed at the "
                    "top of the built-in mlops.yaml)"]


def test_recommendations_count_and_nist_ids() -> None:
    text = MINI.replace("recommendations: [Start it., Write it down., Automate it., Measure it.]",
                        "recommendations: [Start it., Write it down.]", 1)
    assert "expected 4 recommendations" in errors_of(text)[0]
    text = MINI.replace("nist_ai_rmf: [GOVERN 1.1]", "nist_ai_rmf: [GOVERNANCE 1]", 1)
    assert "is not a NIST AI RMF subcategory" in errors_of(text)[0]


def test_non_mapping() -> None:
    assert errors_of("- just\n- a list\n") == ["q.yaml:1: expected a mapping with id, title, questions …"]


def test_snapshot_round_trip_and_hash(mini: Questionnaire) -> None:
    again = from_snapshot(to_snapshot(mini))
    assert again == mini
    assert again.content_hash() == mini.content_hash()


def test_combine_keeps_layers_and_questions(mini: Questionnaire) -> None:
    other = parse_questionnaire(MINI.replace("id: mini", "id: other").replace("alpha", "gamma")
                                .replace("beta", "delta"), "other.yaml")
    both = combine([mini, other])
    assert both.id == "mini+other"
    assert [x.id for x in both.layers] == ["alpha", "beta", "gamma", "delta"]
    assert len(both.questions) == 16 and len(both.dimensions) == 3


# --- purity ---------------------------------------------------------------------


class _NoEnvironment(dict):
    def __getitem__(self, key: object) -> str:
        raise AssertionError(f"the parser read the environment variable {key}")

    def get(self, key: object, default: object = None) -> str:  # type: ignore[override]
        return self[key]


def test_parsing_reads_no_file_and_no_environment(monkeypatch: pytest.MonkeyPatch, mini: Questionnaire) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parser tried to read a file")

    for target, name in ((builtins, "open"), (io, "open"), (Path, "read_text"), (Path, "open")):
        monkeypatch.setattr(target, name, refuse)
    monkeypatch.setattr(os, "environ", _NoEnvironment())
    assert parse_questionnaire(MINI, "mini.yaml") == mini
    assert combine([mini]) is mini
    assert parse_level_names(LEVELS, "levels.yaml").name(4) == "Optimised"
    assert parse_objectives(OBJECTIVES, "objectives.yaml").get("detect-fraud").layers == ["mlops"]
    assert len(parse_framework(FRAMEWORK, "nist-ai-rmf.yaml").subcategory_ids()) == 72


@pytest.mark.parametrize("module", [assessment.questionnaire, assessment.scope, assessment.crosswalk])
def test_parsing_modules_mention_no_file_or_environment(module: ModuleType) -> None:
    source = Path(str(module.__file__)).read_text()
    for word in ("os.environ", "open(", "read_text", "read_bytes", "glob(", "pathlib"):
        assert word not in source, f"{module.__name__} mentions {word}; file reading belongs in content.py"
