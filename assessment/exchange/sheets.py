"""What CSV and XLSX share: one row per question, the assessment's details as cells, cells read back as
values, and finding the questionnaire a file names (a CSV does not carry its questionnaire).

Cells are read strictly: a level is 0–4 (a whole number, or its digit as text) or N/A; N/A is one of
NA_SPELLINGS; a text cell holds text (a number or date typed into it becomes its text) within its
column's length, without NUL bytes; anything else is refused with its cell, never guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from assessment.exchange.common import (
    MAX_NAME,
    MAX_NOTE,
    MAX_QUESTIONNAIRE_ID,
    MAX_VERSION,
    ImportedAssessment,
    ImportError_,
    iso,
    restore_text,
    shown,
    text_problem,
    timestamp,
)
from assessment.model import Answer, AssessmentDetails
from assessment.questionnaire import MAX_LEVEL, LevelNames, Question, Questionnaire, combine

# A question and its answer, as CSV columns and as the columns of each layer sheet (titles in XLSX).
ANSWER_COLUMNS = ["question_id", "layer", "dimension", "question", "level", "level_name", "na", "note",
                  "evidence_url", "answered_by", "updated_at"]
# The assessment: repeated on every CSV row, one row each on the XLSX Summary sheet.
META_COLUMNS = ["assessment", "department", "organisation", "date", "status", "facilitator", "questionnaire",
                "questionnaire_version", "questionnaire_hash"]
TITLES = {"question_id": "Question ID", "na": "N/A", "evidence_url": "Evidence URL"}
# The N/A column: these spellings (any case, spaces around ignored) and nothing else.
NA_SPELLINGS = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False, "": False}
LEVEL_NA = ("n/a", "na")  # a level cell may say N/A instead of the N/A column
# Most characters a text column holds (the database's column lengths, assessment/storage/schema.py).
TEXT_LIMITS = {"question_id": MAX_NAME, "note": MAX_NOTE, "evidence_url": MAX_NOTE, "answered_by": MAX_NAME,
               "assessment": MAX_NAME, "department": MAX_NAME, "organisation": MAX_NAME, "facilitator": MAX_NAME,
               "questionnaire": MAX_QUESTIONNAIRE_ID, "questionnaire_version": MAX_VERSION,
               "questionnaire_hash": 64, "date": 32, "status": 16}
MAX_ROWS = 10_000  # rows of a CSV file or of one sheet (an export has one per question)
MAX_COLUMNS = 100  # cells in one row (an export has 20)

Resolve = Callable[[str, str], Questionnaire | None]  # (questionnaire id, content hash) → questionnaire
Where = Callable[[str], str]  # a column's key → where its cell is, for an error message


# --- writing ---------------------------------------------------------------------------


def title(key: str) -> str:
    """A field name as a column header: question_id → 'Question ID'."""
    return TITLES.get(key, key.replace("_", " ").capitalize())


def meta_row(record: AssessmentDetails) -> dict[str, Any]:
    """The assessment's details, keyed by META_COLUMNS."""
    return {
        "assessment": record.name, "department": record.department, "organisation": record.organisation,
        "date": record.assessed_on.isoformat(), "status": record.status, "facilitator": record.facilitator,
        "questionnaire": record.questionnaire_id, "questionnaire_version": record.questionnaire_version,
        "questionnaire_hash": record.questionnaire_hash,
    }


def _ordered_questions(q: Questionnaire) -> list[Question]:
    """Questions in the app's order: layer, then dimension order, then as written."""
    layer = {x.id: i for i, x in enumerate(q.layers)}
    dim = {d.id: i for i, d in enumerate(q.ordered_dimensions)}
    return sorted(q.questions, key=lambda x: (layer[x.layer], dim[x.dimension]))  # stable: as written


def answer_rows(q: Questionnaire, answers: Mapping[str, Answer], names: LevelNames) -> list[dict[str, Any]]:
    """One row per question, answered or not, keyed by ANSWER_COLUMNS."""
    layers = {x.id: x.name for x in q.layers}
    dims = {d.id: d.name for d in q.dimensions}
    level_name = {x.level: x.name for x in names.levels}
    rows = []
    for question in _ordered_questions(q):
        a = answers.get(question.id)
        na = a is not None and a.na
        level = None if a is None or na else a.level
        rows.append({
            "question_id": question.id, "layer": layers[question.layer], "dimension": dims[question.dimension],
            "question": question.text, "level": level,
            "level_name": "N/A" if na else ("" if level is None else level_name[level]),
            "na": "yes" if na else "no",
            "note": a.note if a else "", "evidence_url": a.evidence_url if a else "",
            "answered_by": a.answered_by if a else "", "updated_at": iso(a.updated_at) if a else "",
        })
    return rows


# --- reading ---------------------------------------------------------------------------


def key(header: Any) -> str:
    """A column header as a field name: 'Question ID' → question_id, 'N/A' → na."""
    return str(header or "").strip().lower().replace("/", "").replace(" ", "_")


def text(value: Any) -> str:
    """A cell as text: numbers a spreadsheet made of typed text become that text again."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return restore_text(value) if isinstance(value, str) else str(value)


def cell_text(value: Any, limit: int) -> str:
    """A text cell as text, strictly: ValueError (with the reason) for a boolean, a NUL byte, too long…"""
    if isinstance(value, bool) or not isinstance(value, str | int | float | dt.date | None):
        raise ValueError(f"{shown(value)} is not text")
    out = text(value)
    if (problem := text_problem(out, limit)) is not None:
        raise ValueError(problem)
    return out


def _na(value: Any) -> bool:
    """The N/A column: a spreadsheet's TRUE/FALSE or 1/0, or one of NA_SPELLINGS; ValueError otherwise."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in NA_SPELLINGS:
        return NA_SPELLINGS[value.strip().lower()]
    raise ValueError


def _level(value: Any) -> int | None:
    """A cell as a level 0–4, None when empty; ValueError for anything else (True is not level 1)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if value not in ("0", "1", "2", "3", "4"):
            raise ValueError
        return int(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and value in range(MAX_LEVEL + 1):
        return int(value)  # a spreadsheet stores 2 as 2.0
    raise ValueError


def parse_answer(
    cells: Mapping[str, Any], where: Where, row_label: str, known: set[str], seen: dict[str, str],
    errors: list[str],
) -> Answer | None:
    """One CSV row or layer-sheet row → an answer; None for a question left unanswered."""
    try:
        qid = cell_text(cells.get("question_id"), MAX_NAME).strip()
    except ValueError as exc:
        errors.append(f"{where('question_id')}: {exc}")
        return None
    if not qid:
        if any(text(v).strip() for v in cells.values()):
            errors.append(f"{where('question_id')}: required")
        return None
    if qid not in known:
        errors.append(f"{where('question_id')}: unknown question {shown(qid)}")
        return None
    if qid in seen:
        errors.append(f"{where('question_id')}: {shown(qid)} is also on {seen[qid]}")
        return None
    seen[qid] = row_label
    raw_level = cells.get("level")
    na = False
    try:
        if isinstance(raw_level, str) and raw_level.strip().lower() in LEVEL_NA:
            level, na = None, True
        else:
            level = _level(raw_level)
    except ValueError:
        errors.append(f"{where('level')}: {shown(raw_level)} is not a level 0–{MAX_LEVEL} (or empty, or N/A)")
        return None
    try:
        na = _na(cells.get("na")) or na
    except ValueError:
        errors.append(f"{where('na')}: {shown(cells.get('na'))} is not yes or no "
                      f"(write yes, no, true, false, 1, 0 or leave it empty)")
        return None
    if na and level is not None:
        errors.append(f"{where('level')}: level {level} and N/A both given; keep one")
        return None
    try:
        raw_time = cells.get("updated_at")
        updated_at = timestamp(raw_time if isinstance(raw_time, dt.datetime) else text(raw_time).strip())
    except ValueError:
        errors.append(f"{where('updated_at')}: {shown(cells.get('updated_at'))} is not a date and time")
        return None
    values = read_texts(cells, ("note", "evidence_url", "answered_by"), where, errors)
    if len(values) < 3:
        return None
    if level is None and not na and not values["note"] and not values["evidence_url"]:
        return None
    return Answer(question_id=qid, level=level, na=na, updated_at=updated_at, **values)


def read_texts(cells: Mapping[str, Any], columns: Iterable[str], where: Where, errors: list[str]) -> dict[str, str]:
    """The text cells of `columns` (within TEXT_LIMITS); a refused one is left out, its error noted."""
    out = {}
    for column in columns:
        try:
            out[column] = cell_text(cells.get(column), TEXT_LIMITS[column])
        except ValueError as exc:
            errors.append(f"{where(column)}: {exc}")
    return out


def meta_values(meta: Mapping[str, Any], where: Where, errors: list[str]) -> dict[str, Any]:
    """The assessment's details from CSV or Summary cells, validated."""
    texts = read_texts(meta, [k for k in META_COLUMNS if k != "date"], where, errors)
    out: dict[str, Any] = {k: texts.get(k, "").strip() for k in META_COLUMNS}
    out["date"] = text(meta.get("date")).strip()[:TEXT_LIMITS["date"] + 1]
    for column in ("assessment", "department", "questionnaire"):
        if not out[column] and column in texts:
            errors.append(f"{where(column)}: required")
    date = meta.get("date")
    if isinstance(date, dt.datetime):
        date = date.date()
    if isinstance(date, dt.date):
        out["date"] = date
    else:
        try:
            out["date"] = dt.date.fromisoformat(out["date"]) if out["date"] else dt.date.today()
        except ValueError:
            errors.append(f"{where('date')}: {shown(out['date'])} is not a date like 2026-11-23")
            out["date"] = dt.date.today()
    out["status"] = out["status"] or "draft"
    if out["status"] not in ("draft", "final"):
        errors.append(f"{where('status')}: must be draft or final, not {shown(out['status'])}")
    return out


def imported(meta: Mapping[str, Any], q: Questionnaire, answers: list[Answer]) -> ImportedAssessment:
    """The validated details (from `meta_values`) and answers as one ImportedAssessment."""
    return ImportedAssessment(
        name=meta["assessment"], department=meta["department"], organisation=meta["organisation"],
        facilitator=meta["facilitator"], assessed_on=meta["date"], status=meta["status"],
        questionnaire=q, answers=answers,
    )


# --- the questionnaire a file names ------------------------------------------------------


def questionnaire_for(meta: Mapping[str, Any], resolve: Resolve, where: Where) -> Questionnaire:
    found = resolve(meta["questionnaire"], meta["questionnaire_hash"])
    if found is None:
        raise ImportError_(
            f"{where('questionnaire_hash')}: questionnaire {meta['questionnaire']!r} "
            f"{'with hash ' + meta['questionnaire_hash'] + ' ' if meta['questionnaire_hash'] else ''}"
            "is neither installed nor used by an assessment in the database (it may have changed since "
            "the export); import the JSON or XLSX export, which carry their questionnaire")
    return found


def resolver(
    installed: Callable[[], Iterable[Questionnaire]], by_hash: Callable[[str], Questionnaire | None] | None = None,
) -> Resolve:
    """Find the questionnaire a CSV or XLSX names: `by_hash(content hash)` if it knows one (the shell
    passes one that looks in its database), else the installed questionnaires of that id (combined for
    `mlops+llmops`) if their content is the same. An empty hash accepts the installed questionnaire as
    it is (a hand-made file)."""

    def resolve(questionnaire_id: str, content_hash: str) -> Questionnaire | None:
        if content_hash and by_hash is not None and (found := by_hash(content_hash)) is not None:
            return found
        by_id = {q.id: q for q in installed()}
        parts = [by_id.get(p) for p in questionnaire_id.split("+")]
        if not parts or any(p is None for p in parts):
            return None
        q = combine(parts)  # type: ignore[arg-type]
        return q if not content_hash or q.content_hash() == content_hash else None

    return resolve
