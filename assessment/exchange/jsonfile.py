"""JSON: the lossless export of one assessment (questionnaire snapshot, answers, targets, history), and
the backup, a JSON list of such exports."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from assessment.exchange.common import (
    FORMAT,
    MAX_BACKUP_BYTES,
    SCHEMA_VERSION,
    ImportedAssessment,
    ImportError_,
    check_size,
    fail,
    iso,
    timestamp,
)
from assessment.model import Answer, AssessmentDetails, AssessmentDump, Cell, is_level
from assessment.questionnaire import MAX_LEVEL, Questionnaire, from_snapshot


def export_dict(
    record: AssessmentDetails, answers: Mapping[str, Answer],
    targets: Mapping[Cell, int] | None = None, history: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The JSON export of one assessment as plain data."""
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "assessment": {
            "id": record.id,
            "name": record.name, "department": record.department, "organisation": record.organisation,
            "facilitator": record.facilitator, "date": record.assessed_on.isoformat(),
            "status": record.status, "questionnaire_hash": record.questionnaire_hash,
        },
        "questionnaire": json.loads(record.snapshot),
        "answers": [
            {"question_id": a.question_id, "level": a.level, "na": a.na, "note": a.note,
             "evidence_url": a.evidence_url, "answered_by": a.answered_by, "updated_at": iso(a.updated_at)}
            for a in sorted(answers.values(), key=lambda a: a.question_id)
        ],
        "targets": [{"layer": layer, "dimension": dim, "level": level}
                    for (layer, dim), level in sorted((targets or {}).items())],
        "history": [
            {"question_id": h["question_id"], "old_level": h["old_level"], "old_na": h["old_na"],
             "new_level": h["new_level"], "new_na": h["new_na"], "note": h["note"],
             "changed_by": h["changed_by"], "changed_at": iso(h["changed_at"])}
            for h in history or []
        ],
    }


def export_json(
    record: AssessmentDetails, answers: Mapping[str, Answer],
    targets: Mapping[Cell, int] | None = None, history: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    return json.dumps(export_dict(record, answers, targets, history), indent=2, ensure_ascii=False)


def parse_json(raw: bytes, name: str = "<file>") -> ImportedAssessment:
    """Validate a whole export file before anything is written; errors name the field."""
    check_size(len(raw), name)
    return _parse_export(_decode(raw, name), name)


def export_backup(dumps: Iterable[AssessmentDump]) -> str:
    """A JSON list of every assessment's export (the format `import` reads, one element each)."""
    items = [export_dict(d.assessment.details, d.assessment.answers, d.assessment.targets, d.history)
             for d in dumps]
    return json.dumps(items, indent=1, ensure_ascii=False)


def parse_backup(raw: bytes, name: str = "<backup>") -> list[ImportedAssessment]:
    """Validate a whole backup before anything is restored."""
    check_size(len(raw), name, MAX_BACKUP_BYTES)
    data = _decode(raw, name)
    if not isinstance(data, list):
        raise ImportError_(f"{name}: not a backup (expected a JSON list of assessment exports, "
                           "as written by `db backup FILE.json`)")
    items, errors = [], []
    for i, element in enumerate(data):
        try:
            items.append(_parse_export(element, name, f"[{i}]"))
        except ImportError_ as exc:
            errors += [e.removeprefix(f"{name}: ") for e in exc.errors]
    ids = [x.id for x in items if x.id is not None]
    if len(ids) != len(set(ids)):
        errors.append("two assessments have the same assessment.id")
    if errors:
        fail(name, errors)
    return items


def _decode(raw: bytes, name: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ImportError_(f"{name}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ImportError_(f"{name}:{exc.lineno}: not valid JSON ({exc.msg})") from None


def _parse_export(data: Any, name: str, where: str = "") -> ImportedAssessment:
    """One export object (the whole file, or one element of a backup) → ImportedAssessment."""
    at = f"{where}." if where else ""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportError_(f"{name}: {where + ': ' if where else ''}not an assessment export "
                           f"(expected \"format\": \"{FORMAT}\")")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ImportError_(f"{name}: {at}schema_version {data.get('schema_version')!r} is not supported "
                           f"(this version reads {SCHEMA_VERSION})")
    meta = data.get("assessment")
    if not isinstance(meta, dict):
        raise ImportError_(f"{name}: {at}assessment: missing or not an object")
    try:
        questionnaire = from_snapshot(json.dumps(data.get("questionnaire")))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ImportError_(f"{name}: {at}questionnaire.{loc}: {first['msg']}") from None
    errors: list[str] = []
    for key in ("name", "department"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            errors.append(f"{at}assessment.{key}: required text")
    try:
        assessed_on = dt.date.fromisoformat(str(meta.get("date")))
    except ValueError:
        errors.append(f"{at}assessment.date: {meta.get('date')!r} is not a date like 2026-11-23")
        assessed_on = dt.date.today()
    status = meta.get("status", "draft")
    if status not in ("draft", "final"):
        errors.append(f"{at}assessment.status: must be draft or final, not {status!r}")
    original_id = meta.get("id")
    if original_id is not None and (not isinstance(original_id, int) or isinstance(original_id, bool)
                                    or original_id < 1):
        errors.append(f"{at}assessment.id: {original_id!r} is not a positive whole number")
        original_id = None
    known = {q.id for q in questionnaire.questions}
    answers = _parse_answers(data.get("answers"), known, at, errors)
    targets = _parse_targets(data.get("targets", []), questionnaire, at, errors)
    history = _parse_history(data.get("history", []), known, at, errors)
    if errors:
        fail(name, errors)
    return ImportedAssessment(
        name=meta["name"].strip(), department=meta["department"].strip(),
        organisation=str(meta.get("organisation") or "").strip(),
        facilitator=str(meta.get("facilitator") or ""), assessed_on=assessed_on, status=status,
        questionnaire=questionnaire, answers=answers, targets=targets, history=history, id=original_id,
    )


def _parse_answers(rows: Any, known: set[str], at: str, errors: list[str]) -> list[Answer]:
    if not isinstance(rows, list):
        errors.append(f"{at}answers: missing or not a list")
        return []
    seen: dict[str, int] = {}
    answers: list[Answer] = []
    for i, row in enumerate(rows):
        here = f"{at}answers[{i}]"
        if not isinstance(row, dict):
            errors.append(f"{here}: not an object")
            continue
        qid, na = row.get("question_id"), bool(row.get("na", False))
        if qid not in known:
            errors.append(f"{here}.question_id: unknown question {qid!r}")
            continue
        if qid in seen:
            errors.append(f"{here}.question_id: {qid!r} answered twice (first at answers[{seen[qid]}])")
        seen.setdefault(qid, i)
        level = row.get("level")
        if level is not None and not is_level(level):
            errors.append(f"{here}.level: {level!r} is not a level 0–{MAX_LEVEL}")
            continue
        try:
            updated_at = timestamp(row.get("updated_at"))
        except ValueError:
            errors.append(f"{here}.updated_at: {row.get('updated_at')!r} is not a date and time")
            continue
        answers.append(Answer(
            question_id=qid, level=None if na else level, na=na, note=str(row.get("note") or ""),
            evidence_url=str(row.get("evidence_url") or ""), answered_by=str(row.get("answered_by") or ""),
            updated_at=updated_at,
        ))
    return answers


def _parse_targets(rows: Any, q: Questionnaire, at: str, errors: list[str]) -> dict[Cell, int]:
    if not isinstance(rows, list):
        errors.append(f"{at}targets: not a list")
        return {}
    layers, dims = {x.id for x in q.layers}, {d.id for d in q.dimensions}
    found: dict[Cell, int] = {}
    for i, row in enumerate(rows):
        here = f"{at}targets[{i}]"
        if not isinstance(row, dict):
            errors.append(f"{here}: not an object")
            continue
        cell = (row.get("layer"), row.get("dimension"))
        if cell[0] not in layers or cell[1] not in dims:
            errors.append(f"{here}: {cell[0]}.{cell[1]} is not a layer.dimension of the questionnaire")
            continue
        if not is_level(row.get("level")):
            errors.append(f"{here}.level: {row.get('level')!r} is not a level 0–{MAX_LEVEL}")
            continue
        if cell in found:
            errors.append(f"{here}: {cell[0]}.{cell[1]} has two targets")
        found[cell] = row["level"]
    return found


def _parse_history(rows: Any, known: set[str], at: str, errors: list[str]) -> list[dict[str, Any]]:
    if not isinstance(rows, list):
        errors.append(f"{at}history: not a list")
        return []
    out = []
    for i, row in enumerate(rows):
        here = f"{at}history[{i}]"
        if not isinstance(row, dict) or row.get("question_id") not in known:
            errors.append(f"{here}: not a change to a question of the questionnaire")
            continue
        try:
            changed_at = timestamp(row.get("changed_at"))
        except ValueError:
            changed_at = None
        levels = [row.get("old_level"), row.get("new_level")]
        if changed_at is None or not all(x is None or is_level(x) for x in levels):
            errors.append(f"{here}: needs changed_at (a date and time) and levels 0–{MAX_LEVEL} or null")
            continue
        out.append({
            "question_id": row["question_id"], "old_level": levels[0],
            "old_na": None if row.get("old_na") is None else bool(row["old_na"]),
            "new_level": levels[1], "new_na": bool(row.get("new_na", False)),
            "note": str(row.get("note") or ""), "changed_by": str(row.get("changed_by") or ""),
            "changed_at": changed_at,
        })
    return out
