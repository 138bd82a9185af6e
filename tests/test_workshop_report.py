"""Workshop votes reach the PDF appendix: distribution per question, disagreements marked."""

from __future__ import annotations

import io

from pypdf import PdfReader

from assessment.questionnaire import Questionnaire
from assessment.report import assessment_pdf, vote_summaries
from assessment.storage import Store


def test_vote_distribution_and_disagreement_in_the_appendix(store: Store, mini: Questionnaire) -> None:
    aid = store.create_assessment("Workshop day", "Platform", mini)
    ws = store.open_workshop(aid)
    question = mini.questions[0].id
    store.set_current_question(ws.id, question)
    tokens = [store.join(ws.code, name) for name in ("Ann", "Bo", "")]
    for token, choice in zip(tokens, ("1", "3", "3"), strict=True):
        store.cast_vote(token, question, choice, comment="seen in the registry" if choice == "3" else "")
    store.reveal(ws.id)
    store.record_consensus(ws.id, question, 3)

    votes = vote_summaries(store.load(aid))
    assert votes[question]["votes"] == 3 and votes[question]["disagreement"] is True
    pdf = assessment_pdf(store.load(aid))
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Workshop: 3 votes" in text
    assert "the room disagreed" in text
    assert "Ann" not in text.split("Appendix")[-1]  # who voted what never appears
