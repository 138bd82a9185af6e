"""Import and export of assessments as JSON (lossless, schema-versioned). Pure: bytes in, values out."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from pydantic import ValidationError

from assessment.questionnaire import MAX_LEVEL, Questionnaire, from_snapshot
from assessment.storage import AnswerRecord, AssessmentRecord

FORMAT = "ai-ops-maturity-assessment"
SCHEMA_VERSION = 1
MAX_IMPORT_BYTES = 20 * 1024 * 1024


class ImportError_(ValueError):
    """A file that cannot be imported; the message lists what is wrong and where."""


@dataclass(frozen=True)
class ImportedAssessment:
    name: str
    department: str
    organisation: str
    facilitator: str
    assessed_on: dt.date
    status: str
    questionnaire: Questionnaire
    answers: list[AnswerRecord]


def export_json(record: AssessmentRecord, answers: dict[str, AnswerRecord]) -> str:
    data = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "assessment": {
            "name": record.name, "department": record.department, "organisation": record.organisation,
            "facilitator": record.facilitator, "date": record.assessed_on.isoformat(),
            "status": record.status, "questionnaire_hash": record.questionnaire_hash,
        },
        "questionnaire": json.loads(record.snapshot),
        "answers": [
            {"question_id": a.question_id, "level": a.level, "na": a.na, "note": a.note,
             "evidence_url": a.evidence_url, "answered_by": a.answered_by,
             "updated_at": a.updated_at.isoformat() if a.updated_at else None}
            for a in sorted(answers.values(), key=lambda a: a.question_id)
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def parse_json(raw: bytes, name: str = "<file>") -> ImportedAssessment:
    """Validate a whole export file before anything is written; errors name the field."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportError_(f"{name}: file is {len(raw) // 1_000_000} MB; the limit is "
                           f"{MAX_IMPORT_BYTES // 1_000_000} MB")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ImportError_(f"{name}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ImportError_(f"{name}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportError_(f"{name}: not an assessment export (expected \"format\": \"{FORMAT}\")")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ImportError_(f"{name}: schema_version {data.get('schema_version')!r} is not supported "
                           f"(this version reads {SCHEMA_VERSION})")
    errors: list[str] = []
    meta = data.get("assessment")
    if not isinstance(meta, dict):
        raise ImportError_(f"{name}: assessment: missing or not an object")
    try:
        questionnaire = from_snapshot(json.dumps(data.get("questionnaire")))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ImportError_(f"{name}: questionnaire.{loc}: {first['msg']}") from None
    for key in ("name", "department"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            errors.append(f"assessment.{key}: required text")
    try:
        assessed_on = dt.date.fromisoformat(str(meta.get("date")))
    except ValueError:
        errors.append(f"assessment.date: {meta.get('date')!r} is not a date like 2026-11-23")
        assessed_on = dt.date.today()
    status = meta.get("status", "draft")
    if status not in ("draft", "final"):
        errors.append(f"assessment.status: must be draft or final, not {status!r}")
    known = {q.id for q in questionnaire.questions}
    seen: set[str] = set()
    answers: list[AnswerRecord] = []
    rows = data.get("answers")
    if not isinstance(rows, list):
        errors.append("answers: missing or not a list")
        rows = []
    for i, row in enumerate(rows):
        where = f"answers[{i}]"
        if not isinstance(row, dict):
            errors.append(f"{where}: not an object")
            continue
        qid, level, na = row.get("question_id"), row.get("level"), bool(row.get("na", False))
        if qid not in known:
            errors.append(f"{where}.question_id: unknown question {qid!r}")
            continue
        if qid in seen:
            errors.append(f"{where}.question_id: {qid!r} answered twice")
        seen.add(qid)
        if level is not None and (not isinstance(level, int) or isinstance(level, bool)
                                  or not 0 <= level <= MAX_LEVEL):
            errors.append(f"{where}.level: {level!r} is not a level 0–{MAX_LEVEL}")
            continue
        answers.append(AnswerRecord(
            question_id=qid, level=None if na else level, na=na, note=str(row.get("note") or ""),
            evidence_url=str(row.get("evidence_url") or ""), answered_by=str(row.get("answered_by") or ""),
        ))
    if errors:
        shown = "; ".join(errors[:5]) + (f"; and {len(errors) - 5} more" if len(errors) > 5 else "")
        raise ImportError_(f"{name}: {shown}")
    return ImportedAssessment(
        name=meta["name"].strip(), department=meta["department"].strip(),
        organisation=str(meta.get("organisation") or "").strip(),
        facilitator=str(meta.get("facilitator") or ""), assessed_on=assessed_on, status=status,
        questionnaire=questionnaire, answers=answers,
    )


