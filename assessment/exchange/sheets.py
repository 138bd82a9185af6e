"""What CSV and XLSX share: one row per question, the assessment's details as cells, cells read back as
values, and finding the questionnaire a file names (a CSV does not carry its questionnaire)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from assessment.exchange.common import ImportedAssessment, ImportError_, iso, restore_text, timestamp
from assessment.model import Answer, AssessmentDetails, is_level
from assessment.questionnaire import MAX_LEVEL, LevelNames, Question, Questionnaire, combine

# A question and its answer, as CSV columns and as the columns of each layer sheet (titles in XLSX).
ANSWER_COLUMNS = ["question_id", "layer", "dimension", "question", "level", "level_name", "na", "note",
                  "evidence_url", "answered_by", "updated_at"]
# The assessment: repeated on every CSV row, one row each on the XLSX Summary sheet.
META_COLUMNS = ["assessment", "department", "organisation", "date", "status", "facilitator", "questionnaire",
                "questionnaire_version", "questionnaire_hash"]
TITLES = {"question_id": "Question ID", "na": "N/A", "evidence_url": "Evidence URL"}

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


def _yes(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    cell = str(value).strip().lower()
    if cell in ("", "no", "n", "false", "0"):
        return False
    if cell in ("yes", "y", "true", "1", "x", "n/a", "na"):
        return True
    raise ValueError


def _level(value: Any) -> int | None:
    """A cell as a level 0–4, None when empty; ValueError for anything else."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if not value.isdigit():
            raise ValueError
        value = int(value)
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if value is not None and not is_level(value):
        raise ValueError
    return value


def parse_answer(
    cells: Mapping[str, Any], where: Where, row_label: str, known: set[str], seen: dict[str, str],
    errors: list[str],
) -> Answer | None:
    """One CSV row or layer-sheet row → an answer; None for a question left unanswered."""
    qid = text(cells.get("question_id")).strip()
    if not qid:
        if any(text(v) for v in cells.values()):
            errors.append(f"{where('question_id')}: required")
        return None
    if qid not in known:
        errors.append(f"{where('question_id')}: unknown question {qid!r}")
        return None
    if qid in seen:
        errors.append(f"{where('question_id')}: {qid!r} is also on {seen[qid]}")
        return None
    seen[qid] = row_label
    raw_level = cells.get("level")
    na = False
    try:
        if isinstance(raw_level, str) and raw_level.strip().lower() in ("n/a", "na"):
            level, na = None, True
        else:
            level = _level(raw_level)
    except ValueError:
        errors.append(f"{where('level')}: {raw_level!r} is not a level 0–{MAX_LEVEL} (or empty, or N/A)")
        return None
    try:
        na = _yes(cells.get("na")) or na
    except ValueError:
        errors.append(f"{where('na')}: {cells.get('na')!r} is not yes or no")
        return None
    if na and level is not None:
        errors.append(f"{where('level')}: level {level} and N/A both given; keep one")
        return None
    try:
        raw_time = cells.get("updated_at")
        updated_at = timestamp(raw_time if isinstance(raw_time, dt.datetime) else text(raw_time).strip())
    except ValueError:
        errors.append(f"{where('updated_at')}: {cells.get('updated_at')!r} is not a date and time")
        return None
    note, evidence = text(cells.get("note")), text(cells.get("evidence_url"))
    if level is None and not na and not note and not evidence:
        return None
    return Answer(question_id=qid, level=level, na=na, note=note, evidence_url=evidence,
                  answered_by=text(cells.get("answered_by")), updated_at=updated_at)


def meta_values(meta: Mapping[str, Any], where: Where, errors: list[str]) -> dict[str, Any]:
    """The assessment's details from CSV or Summary cells, validated."""
    out: dict[str, Any] = {k: text(meta.get(k)).strip() for k in META_COLUMNS}
    for column in ("assessment", "department", "questionnaire"):
        if not out[column]:
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
            errors.append(f"{where('date')}: {out['date']!r} is not a date like 2026-11-23")
            out["date"] = dt.date.today()
    out["status"] = out["status"] or "draft"
    if out["status"] not in ("draft", "final"):
        errors.append(f"{where('status')}: must be draft or final, not {out['status']!r}")
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
