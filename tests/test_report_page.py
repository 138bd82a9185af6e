"""The Report page: section preview and the three downloads (AppTest; PDF bytes are tested elsewhere)."""

from __future__ import annotations

import datetime as dt

import pytest
from apptest import REPORT, app

from assessment.questionnaire import Questionnaire
from assessment.storage import Store

pytestmark = pytest.mark.usefixtures("app_env")


def test_preview_lists_the_sections_with_the_engine_numbers(app_store: Store, aid: int, mini: Questionnaire) -> None:
    for question in mini.questions:
        app_store.save_answer(aid, question.id, level=2)
    at = app(aid, page=REPORT)
    text = " ".join(m.value for m in at.markdown)
    assert "Executive summary" in text and "overall 2.0 / 4 (Repeatable)" in text
    assert "**Alpha**" in text and "**Beta**" in text and "Appendix" in text
    labels = [b.label for b in at.get("download_button")]
    assert labels[0] == "Download PDF report"


def test_comparison_and_trend_downloads_appear_with_enough_assessments(
    app_store: Store, aid: int, mini: Questionnaire,
) -> None:
    app_store.create_assessment("Later", "Platform", mini, assessed_on=dt.date.today())
    app_store.create_assessment("Other", "Support", mini)
    at = app(aid, page=REPORT)
    labels = [b.label for b in at.get("download_button")]
    assert "Download comparison report" in labels and "Download trend report" in labels
    assert not at.exception


def test_empty_states() -> None:
    at = app(page=REPORT)
    infos = " ".join(i.value for i in at.info)
    assert "Open an assessment" in infos and "at least two assessments" in infos
