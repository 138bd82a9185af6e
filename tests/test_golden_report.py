"""The demo's gap report, as text, is fixed: a refactor that changes what the PDF says fails here.

The report is built for a fixed date and a fixed "generated" stamp from the demo's seeded answers on
the built-in questionnaires, with workshop votes and custom targets, so every section of the report
has content. To accept an intended change of wording, run with `UPDATE_GOLDEN=1` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import os
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from assessment import report
from assessment.content import load_all
from assessment.demo import demo_answers
from assessment.questionnaire import combine
from assessment.storage import Store, make_engine

GOLDEN = Path(__file__).resolve().parent / "data" / "golden" / "demo_report.txt"
ON = dt.date(2026, 6, 1)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


@pytest.fixture
def demo_pdf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setattr(report, "_generated", lambda: "2026-06-02 09:00 UTC")
    store = Store(make_engine(f"sqlite:///{tmp_path / 'golden.db'}"))
    store.upgrade()
    q = combine(load_all())
    aid = store.create_assessment("Data Science Platform — June 2026", "Data Science Platform", q,
                                  organisation="Demo Corp", facilitator="Demo facilitator", assessed_on=ON)
    for qid, (level, note) in demo_answers(q, seed=12).items():
        store.save_answer(aid, qid, level=level, na=level is None, note=note, answered_by="demo")
    first = q.questions[0]
    store.set_targets(aid, {(first.layer, first.dimension): 4})
    ws = store.open_workshop(aid)
    for choice in ("2", "3", "3", "na"):
        store.set_current_question(ws.id, first.id)
        store.cast_vote(store.join(ws.code, "P"), first.id, choice, "seen <b>it</b>")
    pdf = report.assessment_pdf(store.load(aid))
    store.engine.dispose()
    return pdf


def test_demo_report_text_is_unchanged(demo_pdf: bytes) -> None:
    text = pdf_text(demo_pdf)
    if os.environ.get("UPDATE_GOLDEN") or not GOLDEN.exists():
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")
