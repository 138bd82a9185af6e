"""Comparing an assessment taken on questionnaire 1.0.0 with one taken on 1.1.0 (issue 22, must-have 5): the
id map carries renamed questions over, and the comparison names every question that changed, in the JSON of
`compare`, its text, and the comparison and trend PDFs' context."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from clirunner import invoke

from assessment.compare import IdMap, compare, parse_id_map, reconcile, trend
from assessment.content import DEFAULT_FOLDER, load_all
from assessment.model import Assessment
from assessment.questionnaire import Questionnaire, QuestionnaireError, combine
from assessment.storage import Store

V1_0 = Path(__file__).parent / "data" / "questionnaires-1.0.0"
JAN, JUN = dt.date(2026, 1, 15), dt.date(2026, 6, 15)


@pytest.fixture(scope="module")
def old() -> Questionnaire:
    return combine(load_all([V1_0]))


@pytest.fixture(scope="module")
def new() -> Questionnaire:
    return combine(load_all([DEFAULT_FOLDER]))


def answers(q: Questionnaire, level: int) -> dict[str, int | None]:
    return {x.id: level for x in q.questions}


def test_trend_across_versions_names_what_changed(old: Questionnaire, new: Questionnaire) -> None:
    before = {**answers(old, 1), "aiops.gov.ai-service-catalogue": 3}
    t = trend([Assessment.from_values(1, "Ops", JAN, old, before),
               Assessment.from_values(2, "Ops", JUN, new, answers(new, 2))])
    c = t.comparison
    kinds = {(x.id, x.change): x for x in c.changes}
    assert kinds[("mlops.gov.model-inventory", "merged")].new_id == "aiops.gov.ai-inventory"
    assert kinds[("llmops.arch.llm-gateway", "merged")].new_id == "aiops.arch.model-gateway"
    assert kinds[("llmops.cost.spend-limits", "replaced")].new_id == "llmops.cost.consumption-caps"
    assert kinds[("llmops.mon.content-safety", "added")].compared is False
    assert kinds[("mlops.gov.decommissioning", "reworded")].compared is True
    renamed = kinds[("aiops.gov.ai-service-catalogue", "renamed")]
    assert renamed.compared and renamed.new_id == "aiops.gov.ai-inventory"
    # The renamed question is compared under its new id, its 1.0.0 answer carried over.
    assert "aiops.gov.ai-inventory" in {x.id for x in c.questionnaire.questions}
    assert "aiops.gov.ai-service-catalogue" not in c.left_out
    assert {"mlops.gov.model-inventory", "llmops.gov.customised-models"} <= set(c.left_out)
    assert len(c.questionnaire.questions) == 111  # 119 in 1.1.0, less 8 added
    merged = [x for x in c.changes if x.change == "merged"]
    assert len(merged) == 6 and not any(x.compared for x in merged)


def test_same_version_names_no_change(new: Questionnaire) -> None:
    c = compare([Assessment.from_values(1, "A", JAN, new, answers(new, 1)),
                 Assessment.from_values(2, "B", JAN, new, answers(new, 2))])
    assert c.changes == [] and c.left_out == []


def test_same_version_on_fewer_layers_names_no_change(new: Questionnaire) -> None:
    mlops_only = new.model_copy(update={"questions": [x for x in new.questions if x.layer == "mlops"]})
    c = compare([Assessment.from_values(1, "A", JAN, mlops_only, answers(mlops_only, 1)),
                 Assessment.from_values(2, "B", JUN, new, answers(new, 2))])
    assert c.changes == [] and "llmops.gov.customised-models" in c.left_out


def test_without_the_map_a_rename_is_left_out(old: Questionnaire, new: Questionnaire) -> None:
    r = reconcile([old, new], [])
    assert {"aiops.gov.ai-service-catalogue", "aiops.gov.ai-inventory"} <= set(r.left_out)
    assert all(c.change == "reworded" for c in r.changes)  # found from the wording alone


def stored(store: Store, q: Questionnaire, department: str, on: dt.date, level: int) -> int:
    aid = store.create_assessment(f"{department} {on}", department, q, assessed_on=on)
    for qid in [x.id for x in q.questions][:30]:
        store.save_answer(aid, qid, level=level, na=False)
    return aid


def test_cli_compare_names_changed_questions(cli_store: Store, old: Questionnaire, new: Questionnaire) -> None:
    a, b = stored(cli_store, old, "Ops", JAN, 1), stored(cli_store, new, "Ops", JUN, 2)
    data = json.loads(invoke("compare", str(a), str(b), "--json").stdout)
    changes = {(x["id"], x["change"]): x for x in data["question_changes"]}
    assert changes[("llmops.gov.provider-due-diligence", "merged")]["new_id"] == "aiops.gov.third-party-ai"
    assert changes[("llmops.arch.agent-tool-registry", "added")]["compared"] is False
    trend_json = json.loads(invoke("compare", str(a), str(b), "--trend", "--json").stdout)
    assert trend_json["question_changes"] == data["question_changes"]
    text = invoke("compare", str(a), str(b)).stdout
    assert f"questions changed between versions ({len(data['question_changes'])}):" in text
    assert "mlops.gov.model-inventory → aiops.gov.ai-inventory (merged)" in text


def test_comparison_pdf_context_lists_changes(cli_store: Store, old: Questionnaire, new: Questionnaire) -> None:
    from assessment.report import comparison_context

    entries = cli_store.load_many([stored(cli_store, old, "Ops", JAN, 1), stored(cli_store, new, "Ops", JUN, 2)])
    context = comparison_context(entries)
    assert any(c.startswith("llmops.mon.request-tracing → aiops.mon.ai-request-tracing (merged)")
               for c in context["question_changes"])


@pytest.mark.parametrize("bad, message", [
    ("kind: id-map\nfrom: '1'\nto: '2'\nchanges:\n  - {change: added, reason: x}\n",
     r"id-map-test.yaml:5: changes\[0\]: a added question needs `new_id`"),
    ("kind: id-map\nfrom: '1'\nto: '2'\nchanges:\n  - {change: removed, id: a, new_id: b, reason: x}\n",
     "has no `new_id`"),
    ("kind: id-map\nfrom: '1'\nto: '2'\nchanges:\n  - {change: renamed, new_id: b, reason: x}\n", "needs `id`"),
    ("kind: id-map\nfrom: '1'\nto: '2'\nchanges:\n  - {change: moved, id: a, reason: x}\n",
     r"id-map-test.yaml:5: changes\[0\].change: Input should be"),
])
def test_id_map_rejects_inconsistent_entries(bad: str, message: str) -> None:
    with pytest.raises(QuestionnaireError, match=message):
        parse_id_map(bad, "id-map-test.yaml")


def test_id_map_yaml_error_names_the_file() -> None:
    with pytest.raises(QuestionnaireError, match=r"id-map-test.yaml:\d+: YAML syntax error"):
        parse_id_map("kind: id-map\nfrom: [\n", "id-map-test.yaml")


def test_builtin_map_loads() -> None:
    from assessment.content import id_maps

    (m,) = id_maps()
    assert isinstance(m, IdMap) and m.from_version == "1.0.0" and len(m.changes) > 30


@pytest.mark.usefixtures("app_env")
def test_compare_page_lists_changed_questions(app_store: Store, old: Questionnaire, new: Questionnaire) -> None:
    from apptest import COMPARE, app, by_label, run, texts

    from assessment.present import plain

    stored(app_store, old, "Data", JAN, 1)
    stored(app_store, old, "Ops", JAN, 1)
    stored(app_store, new, "Ops", JUN, 2)
    at = app(page=COMPARE)
    assert not at.exception
    assert any("questions changed between the questionnaire versions" in t for t in texts(at.caption))
    listed = " ".join(texts(at.markdown))
    assert plain("mlops.gov.model-inventory → aiops.gov.ai-inventory (merged)") in listed
    at.segmented_control(key="compare-mode").set_value("Over time")
    run(at)
    by_label(at.selectbox, "Department").set_value("Ops")
    run(at)
    assert any("left out" in t for t in texts(at.warning))
    assert plain("llmops.gov.customised-models (added)") in " ".join(texts(at.markdown))


@pytest.mark.usefixtures("app_env")
def test_a_questions_na_rule_is_on_its_cards_na_choice(app_store: Store) -> None:
    from apptest import QUESTIONNAIRE, app
    from cards import cards

    from assessment.questionnaire import parse_questionnaire

    text = (Path(__file__).parent / "data" / "mini.yaml").read_text().replace(
        "    nist_ai_rmf: [GOVERN 1.1]\n",
        "    nist_ai_rmf: [GOVERN 1.1]\n    not_applicable_when: The team runs no <b>batch</b> models.\n", 1)
    q = parse_questionnaire(text, "mini-na.yaml")
    at = app(app_store.create_assessment("N/A rules", "Platform", q), page=QUESTIONNAIRE)
    shown = cards(at)
    assert shown["alpha.governance.q1"]["levels"][-1]["description"] == (
        "Does not apply: The team runs no <b>batch</b> models.")  # the cards show every text as text
    assert shown["alpha.governance.q2"]["levels"][-1]["description"] == "Does not apply to this team"


def test_validate_checks_the_builtin_id_map(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from clirunner import fails

    from assessment import content

    folder = tmp_path / "builtin"
    folder.mkdir()
    for f in DEFAULT_FOLDER.glob("*"):
        (folder / f.name).write_bytes(f.read_bytes())
    broken = (folder / "id-map-1.1.0.yaml").read_text().replace("    new_id: aiops.gov.ai-inventory\n", "", 1)
    (folder / "id-map-1.1.0.yaml").write_text(broken)
    monkeypatch.setattr(content, "DEFAULT_FOLDER", folder)
    content.id_maps.cache_clear()
    try:
        out = fails("validate")
    finally:
        content.id_maps.cache_clear()
    assert re.search(r"id-map-1\.1\.0\.yaml:\d+: changes\[0\]: a merged question needs `new_id`", out)
