"""The Data page: export buttons, import with validation, backup download (AppTest)."""

from __future__ import annotations

import pytest
from apptest import DATA_PAGE, app, click, run

from assessment import exchange
from assessment.present import plain
from assessment.questionnaire import Questionnaire
from assessment.storage import Store

pytestmark = pytest.mark.usefixtures("app_env")


def uploader(at):  # noqa: ANN001, ANN201
    return at.get("file_uploader")[0]


def test_export_buttons_for_the_open_assessment(aid: int) -> None:
    at = app(aid, page=DATA_PAGE)
    labels = [b.label for b in at.get("download_button")]
    assert labels[:3] == ["JSON (lossless: re-import anywhere)", "CSV (one row per question)",
                          "Excel workbook (summary + one sheet per layer)"]
    assert "Download a backup of every assessment" in labels


def test_without_an_open_assessment_export_says_so() -> None:
    at = app(page=DATA_PAGE)
    assert any("Open an assessment" in i.value for i in at.info)


def test_import_a_valid_export_creates_an_assessment(app_store: Store, aid: int, mini: Questionnaire) -> None:
    app_store.save_answer(aid, "alpha.governance.q1", level=3, note="=cmd|' /C calc'!A0")
    raw = exchange.export_as("xlsx", app_store.get_assessment(aid), app_store.answers(aid))
    at = app(aid, page=DATA_PAGE)
    uploader(at).set_value(("baseline.xlsx", raw, "application/octet-stream"))
    run(at)
    assert any(plain("baseline.xlsx") + " is valid" in s.value for s in at.success)  # Markdown, shown as typed
    click(at, "Import as a new assessment")
    ids = sorted(r.id for r in app_store.list_assessments())
    assert len(ids) == 2
    copy = app_store.answers(ids[-1])["alpha.governance.q1"]
    assert (copy.level, copy.note) == (3, "=cmd|' /C calc'!A0")  # neutralised on export, restored on import


def test_a_broken_file_imports_nothing(app_store: Store, aid: int) -> None:
    at = app(aid, page=DATA_PAGE)
    uploader(at).set_value(("broken.json", b'{"format": "ai-ops-maturity-assessment", "sche', "application/json"))
    run(at)
    assert any("Nothing was imported" in e.value for e in at.error)
    assert not any(b.label == "Import as a new assessment" for b in at.button)
    assert [r.id for r in app_store.list_assessments()] == [aid]
