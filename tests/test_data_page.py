"""The Data page: export buttons, import with validation, backup download (AppTest)."""

from __future__ import annotations

from assessment import exchange
from assessment.questionnaire import Questionnaire
from assessment.storage import Store
from tests.test_app import _app_env, aid, app, db  # noqa: F401 - fixtures shared with the app tests

DATA_PAGE = "app_pages/data.py"


def uploader(at):  # noqa: ANN001, ANN201
    return at.get("file_uploader")[0]


def test_export_buttons_for_the_open_assessment(aid: int) -> None:  # noqa: F811
    at = app(aid, page=DATA_PAGE)
    labels = [b.label for b in at.get("download_button")]
    assert labels[:3] == ["JSON (lossless: re-import anywhere)", "CSV (one row per question)",
                          "Excel workbook (summary + one sheet per layer)"]
    assert "Download a backup of every assessment" in labels


def test_without_an_open_assessment_export_says_so() -> None:
    at = app(page=DATA_PAGE)
    assert any("Open an assessment" in i.value for i in at.info)


def test_import_a_valid_export_creates_an_assessment(db: Store, aid: int, mini: Questionnaire) -> None:  # noqa: F811
    db.save_answer(aid, "alpha.governance.q1", level=3, note="=cmd|' /C calc'!A0")
    raw = exchange.export_as("xlsx", db.get_assessment(aid), db.answers(aid))
    at = app(aid, page=DATA_PAGE)
    uploader(at).set_value(("baseline.xlsx", raw, "application/octet-stream"))
    at.run()
    assert not at.exception
    assert any("baseline.xlsx is valid" in s.value for s in at.success)
    next(b for b in at.button if b.label == "Import as a new assessment").click().run()
    assert not at.exception
    ids = sorted(r.id for r in db.list_assessments())
    assert len(ids) == 2
    copy = db.answers(ids[-1])["alpha.governance.q1"]
    assert (copy.level, copy.note) == (3, "=cmd|' /C calc'!A0")  # neutralised on export, restored on import


def test_a_broken_file_imports_nothing(db: Store, aid: int) -> None:  # noqa: F811
    at = app(aid, page=DATA_PAGE)
    uploader(at).set_value(("broken.json", b'{"format": "ai-ops-maturity-assessment", "sche', "application/json"))
    at.run()
    assert not at.exception
    assert any("Nothing was imported" in e.value for e in at.error)
    assert not any(b.label == "Import as a new assessment" for b in at.button)
    assert [r.id for r in db.list_assessments()] == [aid]
