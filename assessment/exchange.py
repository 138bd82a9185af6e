"""Import and export of assessments: JSON (lossless, schema-versioned), CSV and XLSX. Pure: bytes in, values out.

- JSON carries everything: the questionnaire snapshot, every answer, targets and the answer history.
  A backup is a JSON list of such exports.
- CSV has one row per question of the questionnaire (answered or not), each with the assessment's
  details, so it opens in a spreadsheet and loads into pandas as it is.
- XLSX has a Summary sheet (details and scores) and one sheet per layer; a hidden sheet keeps the
  questionnaire snapshot, so the workbook imports back to the same scores as the JSON.

Every parser validates the whole file before returning, so a caller writes all of it or nothing; errors
name the row and column (or field) at fault. Text cells that a spreadsheet would run as a formula
(starting with = + - @, tab or CR) are written with a leading apostrophe, and read back without it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from assessment.questionnaire import (
    MAX_LEVEL,
    LevelNames,
    Questionnaire,
    combine,
    from_snapshot,
    level_names,
    to_snapshot,
)
from assessment.storage import Answer, AssessmentDump, AssessmentDetails

FORMAT = "ai-ops-maturity-assessment"
SCHEMA_VERSION = 1
FORMATS = ("json", "csv", "xlsx")
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNPACKED_BYTES = 200 * 1024 * 1024  # a workbook is a zip: refuse one that inflates beyond this
MAX_BACKUP_BYTES = 2 * 1024 * 1024 * 1024
SHOWN_ERRORS = 10

# A question and its answer, as CSV columns and as the columns of each layer sheet (titles in XLSX).
ANSWER_COLUMNS = ["question_id", "layer", "dimension", "question", "level", "level_name", "na", "note",
                  "evidence_url", "answered_by", "updated_at"]
# The assessment: repeated on every CSV row, one row each on the XLSX Summary sheet.
META_COLUMNS = ["assessment", "department", "organisation", "date", "status", "facilitator", "questionnaire",
                "questionnaire_version", "questionnaire_hash"]
CSV_COLUMNS = META_COLUMNS + ANSWER_COLUMNS
TITLES = {"question_id": "Question ID", "na": "N/A", "evidence_url": "Evidence URL"}
SUMMARY_SHEET = "Summary"
SNAPSHOT_SHEET = "_questionnaire"
SNAPSHOT_CHUNK = 30_000  # an Excel cell holds at most 32,767 characters

Resolve = Callable[[str, str], Questionnaire | None]  # (questionnaire id, content hash) → questionnaire


class ImportError_(ValueError):
    """A file that cannot be imported; the message lists what is wrong and where (all of it in `errors`)."""

    def __init__(self, message: str, errors: Sequence[str] = ()):
        super().__init__(message)
        self.errors = list(errors) or [message]


@dataclass(frozen=True)
class ImportedAssessment:
    name: str
    department: str
    organisation: str
    facilitator: str
    assessed_on: dt.date
    status: str
    questionnaire: Questionnaire
    answers: list[Answer]
    targets: dict[tuple[str, str], int] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    id: int | None = None  # the id it had where it was exported (a restore keeps it)


def _fail(name: str, errors: Sequence[str]) -> None:
    shown = "; ".join(errors[:SHOWN_ERRORS])
    if len(errors) > SHOWN_ERRORS:
        shown += f"; and {len(errors) - SHOWN_ERRORS} more"
    raise ImportError_(f"{name}: {shown}", [f"{name}: {e}" for e in errors])


def check_size(size: int, name: str, limit: int = MAX_IMPORT_BYTES) -> None:
    """Refuse an oversized file before reading or parsing it."""
    if size > limit:
        raise ImportError_(f"{name}: file is {size / 2**20:.0f} MB; the limit is {limit // 2**20} MB")


def format_of(filename: str) -> str:
    """json, csv or xlsx, from the file name's extension."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in FORMATS:
        raise ImportError_(f"{filename}: unknown file type {('.' + suffix) if suffix else '(no extension)'}; "
                           "use .json, .csv or .xlsx")
    return suffix


# --- formula injection ---------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _needs_quote(text: str) -> bool:
    return text.startswith(_FORMULA_START) or (text.startswith("'") and _needs_quote(text[1:]))


def neutralise(text: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would run as a formula (reversible by `restore_text`)."""
    return "'" + text if _needs_quote(text) else text


def restore_text(text: str) -> str:
    """Undo `neutralise`: drop the apostrophe it added, and only that one."""
    return text[1:] if text.startswith("'") and _needs_quote(text[1:]) else text


# --- JSON ------------------------------------------------------------------------------


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_dict(
    record: AssessmentDetails, answers: Mapping[str, Answer],
    targets: Mapping[tuple[str, str], int] | None = None, history: Sequence[Mapping[str, Any]] | None = None,
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
             "evidence_url": a.evidence_url, "answered_by": a.answered_by, "updated_at": _iso(a.updated_at)}
            for a in sorted(answers.values(), key=lambda a: a.question_id)
        ],
        "targets": [{"layer": layer, "dimension": dim, "level": level}
                    for (layer, dim), level in sorted((targets or {}).items())],
        "history": [
            {"question_id": h["question_id"], "old_level": h["old_level"], "old_na": h["old_na"],
             "new_level": h["new_level"], "new_na": h["new_na"], "note": h["note"],
             "changed_by": h["changed_by"], "changed_at": _iso(h["changed_at"])}
            for h in history or []
        ],
    }


def export_json(
    record: AssessmentDetails, answers: Mapping[str, Answer],
    targets: Mapping[tuple[str, str], int] | None = None, history: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    return json.dumps(export_dict(record, answers, targets, history), indent=2, ensure_ascii=False)


def _decode_json(raw: bytes, name: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ImportError_(f"{name}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ImportError_(f"{name}:{exc.lineno}: not valid JSON ({exc.msg})") from None


def parse_json(raw: bytes, name: str = "<file>") -> ImportedAssessment:
    """Validate a whole export file before anything is written; errors name the field."""
    check_size(len(raw), name)
    return _parse_export(_decode_json(raw, name), name)


def _is_level(value: Any) -> bool:
    """JSON: a whole number 0–4, nothing else."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_LEVEL


def _cell_level(value: Any) -> int | None:
    """A spreadsheet cell as a level 0–4, None when empty; ValueError for anything else."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if not value.isdigit():
            raise ValueError
        value = int(value)
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if value is not None and not _is_level(value):
        raise ValueError
    return value


def _timestamp(value: Any) -> dt.datetime | None:
    """An aware datetime from ISO text or a spreadsheet datetime (naive means UTC); ValueError otherwise."""
    if value is None or value == "":
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(value).strip())
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


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
    seen: dict[str, int] = {}
    answers: list[Answer] = []
    rows = data.get("answers")
    if not isinstance(rows, list):
        errors.append(f"{at}answers: missing or not a list")
        rows = []
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
        if level is not None and not _is_level(level):
            errors.append(f"{here}.level: {level!r} is not a level 0–{MAX_LEVEL}")
            continue
        try:
            updated_at = _timestamp(row.get("updated_at"))
        except ValueError:
            errors.append(f"{here}.updated_at: {row.get('updated_at')!r} is not a date and time")
            continue
        answers.append(Answer(
            question_id=qid, level=None if na else level, na=na, note=str(row.get("note") or ""),
            evidence_url=str(row.get("evidence_url") or ""), answered_by=str(row.get("answered_by") or ""),
            updated_at=updated_at,
        ))
    targets = _parse_targets(data.get("targets", []), questionnaire, at, errors)
    history = _parse_history(data.get("history", []), known, at, errors)
    if errors:
        _fail(name, errors)
    return ImportedAssessment(
        name=meta["name"].strip(), department=meta["department"].strip(),
        organisation=str(meta.get("organisation") or "").strip(),
        facilitator=str(meta.get("facilitator") or ""), assessed_on=assessed_on, status=status,
        questionnaire=questionnaire, answers=answers, targets=targets, history=history, id=original_id,
    )


def _parse_targets(rows: Any, q: Questionnaire, at: str, errors: list[str]) -> dict[tuple[str, str], int]:
    if not isinstance(rows, list):
        errors.append(f"{at}targets: not a list")
        return {}
    layers, dims = {x.id for x in q.layers}, {d.id for d in q.dimensions}
    found: dict[tuple[str, str], int] = {}
    for i, row in enumerate(rows):
        here = f"{at}targets[{i}]"
        if not isinstance(row, dict):
            errors.append(f"{here}: not an object")
            continue
        cell = (row.get("layer"), row.get("dimension"))
        if cell[0] not in layers or cell[1] not in dims:
            errors.append(f"{here}: {cell[0]}.{cell[1]} is not a layer.dimension of the questionnaire")
            continue
        if not _is_level(row.get("level")):
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
            changed_at = _timestamp(row.get("changed_at"))
        except ValueError:
            changed_at = None
        levels = [row.get("old_level"), row.get("new_level")]
        if changed_at is None or not all(x is None or _is_level(x) for x in levels):
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


# --- backup: every assessment in one JSON list --------------------------------------------


def export_backup(dumps: Iterable[AssessmentDump]) -> str:
    """A JSON list of every assessment's export (the format `import` reads, one element each)."""
    items = [export_dict(d.record, d.answers, d.targets, d.history) for d in dumps]
    return json.dumps(items, indent=1, ensure_ascii=False)


def parse_backup(raw: bytes, name: str = "<backup>") -> list[ImportedAssessment]:
    """Validate a whole backup before anything is restored."""
    check_size(len(raw), name, MAX_BACKUP_BYTES)
    data = _decode_json(raw, name)
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
        _fail(name, errors)
    return items


# --- CSV and XLSX: shared cell handling ---------------------------------------------------


def _key(header: Any) -> str:
    """A column header as a field name: 'Question ID' → question_id, 'N/A' → na."""
    return str(header or "").strip().lower().replace("/", "").replace(" ", "_")


def _title(key: str) -> str:
    return TITLES.get(key, key.replace("_", " ").capitalize())


def _text(value: Any) -> str:
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
    text = str(value).strip().lower()
    if text in ("", "no", "n", "false", "0"):
        return False
    if text in ("yes", "y", "true", "1", "x", "n/a", "na"):
        return True
    raise ValueError


def _ordered_questions(q: Questionnaire) -> list[Any]:
    """Questions in the app's order: layer, then dimension order, then as written."""
    layer = {x.id: i for i, x in enumerate(q.layers)}
    dim = {d.id: i for i, d in enumerate(q.ordered_dimensions)}
    return sorted(q.questions, key=lambda x: (layer[x.layer], dim[x.dimension]))  # stable: as written


def _answer_rows(q: Questionnaire, answers: Mapping[str, Answer], names: LevelNames) -> list[dict[str, Any]]:
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
            "answered_by": a.answered_by if a else "", "updated_at": _iso(a.updated_at) if a else "",
        })
    return rows


def _meta_row(record: AssessmentDetails) -> dict[str, Any]:
    return {
        "assessment": record.name, "department": record.department, "organisation": record.organisation,
        "date": record.assessed_on.isoformat(), "status": record.status, "facilitator": record.facilitator,
        "questionnaire": record.questionnaire_id, "questionnaire_version": record.questionnaire_version,
        "questionnaire_hash": record.questionnaire_hash,
    }


def _cell_out(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else ("" if value is None else value)


def _parse_answer(
    cells: Mapping[str, Any], where: Callable[[str], str], row_label: str, known: set[str],
    seen: dict[str, str], errors: list[str],
) -> Answer | None:
    """One CSV row or layer-sheet row → an answer; None for a question left unanswered."""
    qid = _text(cells.get("question_id")).strip()
    if not qid:
        if any(_text(v) for v in cells.values()):
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
            level = _cell_level(raw_level)
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
        updated_at = _timestamp(raw_time if isinstance(raw_time, dt.datetime) else _text(raw_time).strip())
    except ValueError:
        errors.append(f"{where('updated_at')}: {cells.get('updated_at')!r} is not a date and time")
        return None
    note, evidence = _text(cells.get("note")), _text(cells.get("evidence_url"))
    if level is None and not na and not note and not evidence:
        return None
    return Answer(question_id=qid, level=level, na=na, note=note, evidence_url=evidence,
                        answered_by=_text(cells.get("answered_by")), updated_at=updated_at)


def _meta_values(meta: Mapping[str, Any], where: Callable[[str], str], errors: list[str]) -> dict[str, Any]:
    """The assessment's details from CSV or Summary cells, validated."""
    out: dict[str, Any] = {k: _text(meta.get(k)).strip() for k in META_COLUMNS}
    for key in ("assessment", "department", "questionnaire"):
        if not out[key]:
            errors.append(f"{where(key)}: required")
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


def _questionnaire_for(meta: Mapping[str, Any], resolve: Resolve, where: Callable[[str], str]) -> Questionnaire:
    found = resolve(meta["questionnaire"], meta["questionnaire_hash"])
    if found is None:
        raise ImportError_(
            f"{where('questionnaire_hash')}: questionnaire {meta['questionnaire']!r} "
            f"{'with hash ' + meta['questionnaire_hash'] + ' ' if meta['questionnaire_hash'] else ''}"
            "is neither installed nor used by an assessment in the database (it may have changed since "
            "the export); import the JSON or XLSX export, which carry their questionnaire")
    return found


def resolver(
    installed: Callable[[], Iterable[Questionnaire]], stored: Callable[[str], Questionnaire | None] | None = None,
) -> Resolve:
    """Find the questionnaire a CSV or XLSX names: one already stored with that content hash, else the
    installed questionnaires of that id (combined for `mlops+llmops`) if their content is the same.
    An empty hash accepts the installed questionnaire as it is (a hand-made file)."""

    def resolve(questionnaire_id: str, content_hash: str) -> Questionnaire | None:
        if content_hash and stored is not None and (found := stored(content_hash)) is not None:
            return found
        by_id = {q.id: q for q in installed()}
        parts = [by_id.get(p) for p in questionnaire_id.split("+")]
        if not parts or any(p is None for p in parts):
            return None
        q = combine(parts)  # type: ignore[arg-type]
        return q if not content_hash or q.content_hash() == content_hash else None

    return resolve


def _imported(meta: Mapping[str, Any], q: Questionnaire, answers: list[Answer]) -> ImportedAssessment:
    return ImportedAssessment(
        name=meta["assessment"], department=meta["department"], organisation=meta["organisation"],
        facilitator=meta["facilitator"], assessed_on=meta["date"], status=meta["status"],
        questionnaire=q, answers=answers,
    )


# --- CSV ---------------------------------------------------------------------------------


def export_csv(record: AssessmentDetails, answers: Mapping[str, Answer], names: LevelNames | None = None) -> bytes:
    """UTF-8 CSV (with a byte-order mark, so Excel reads accents right): one row per question."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    meta = _meta_row(record)
    for row in _answer_rows(record.questionnaire, answers, names or level_names()):
        cells = {**meta, **row}
        writer.writerow([_cell_out(cells[c]) for c in CSV_COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def parse_csv(raw: bytes, name: str, resolve: Resolve) -> ImportedAssessment:
    """Validate a whole CSV export (or a hand-made one with the same columns) before anything is written."""
    check_size(len(raw), name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ImportError_(f"{name}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                           "save the CSV as UTF-8 (Excel: CSV UTF-8)") from None
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ImportError_(f"{name}: not a readable CSV ({exc})") from None
    if not records:
        raise ImportError_(f"{name}: empty file")
    header = [_key(h) for h in records[0]]
    errors: list[str] = []
    for key in ("question_id", "level", "assessment", "department", "questionnaire"):
        if key not in header:
            errors.append(f"row 1: column {key} is missing (columns: {', '.join(CSV_COLUMNS)})")
    for key in {h for h in header if h and header.count(h) > 1}:
        errors.append(f"row 1: column {key} appears twice")
    if errors:
        _fail(name, errors)
    rows = [(n, dict(zip(header, r, strict=False))) for n, r in enumerate(records[1:], start=2)
            if any(cell.strip() for cell in r)]
    for n, r in enumerate(records[1:], start=2):
        if any(cell.strip() for cell in r) and len(r) != len(header):
            errors.append(f"row {n}: {len(r)} cells, but the header has {len(header)}")
    if not rows:
        _fail(name, errors or ["no rows after the header"])
    first_n, first = rows[0]
    for n, cells in rows[1:]:
        for key in META_COLUMNS:
            if key in header and cells.get(key, "") != first.get(key, ""):
                errors.append(f"row {n}, column {key}: {cells.get(key)!r} differs from row {first_n} "
                              f"({first.get(key)!r}); a CSV file holds one assessment")
    meta = _meta_values(first, lambda col: f"row {first_n}, column {col}", errors)
    if errors:
        _fail(name, errors)
    q = _questionnaire_for(meta, resolve, lambda col: f"{name}: row {first_n}, column {col}")
    known, seen, answers = {x.id for x in q.questions}, {}, []
    for n, cells in rows:
        a = _parse_answer(cells, lambda col, n=n: f"row {n}, column {col}", f"row {n}", known, seen, errors)
        if a is not None:
            answers.append(a)
    if errors:
        _fail(name, errors)
    return _imported(meta, q, answers)


# --- XLSX --------------------------------------------------------------------------------


def layer_sheet_names(q: Questionnaire) -> dict[str, str]:
    """Layer id → its sheet's name: the layer's name, made valid for Excel and unique."""
    names: dict[str, str] = {}
    taken = {SUMMARY_SHEET.lower(), SNAPSHOT_SHEET.lower()}
    for layer in q.layers:
        base = "".join(" " if c in "[]:*?/\\" else c for c in layer.name).strip(" '")[:31] or layer.id[:31]
        candidate, n = base, 2
        while candidate.lower() in taken:
            candidate = f"{base[:27]} ({n})"
            n += 1
        taken.add(candidate.lower())
        names[layer.id] = candidate
    return names


def _style_sheet(ws: Any, widths: Mapping[int, float], wrap: Iterable[int] = ()) -> None:
    """Bold header row, frozen below it, sensible column widths, long text wrapped."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE4EE")
    ws.freeze_panes = "A2"
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    top = Alignment(vertical="top", wrap_text=True)
    for col in wrap:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.alignment = top


def _widths(rows: Iterable[Sequence[Any]], caps: Mapping[int, int] | None = None, cap: int = 40) -> dict[int, float]:
    """Column widths (in characters) from the longest cell of each column, capped."""
    widest: dict[int, int] = {}
    for row in rows:
        for i, value in enumerate(row, start=1):
            length = max((len(line) for line in str("" if value is None else value).splitlines()), default=0)
            widest[i] = max(widest.get(i, 0), length)
    return {i: max(min(w, (caps or {}).get(i, cap)) + 2, 8) for i, w in widest.items()}


def _xlsx_cell(value: Any) -> Any:
    """A value for openpyxl: text neutralised and stripped of the control characters XLSX cannot hold.

    Line breaks become LF, as Excel writes them: XML would turn a CR into LF on reading anyway.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if not isinstance(value, str):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", neutralise(value.replace("\r\n", "\n").replace("\r", "\n")))


def export_xlsx(
    record: AssessmentDetails, answers: Mapping[str, Answer], names: LevelNames | None = None,
) -> bytes:
    """A workbook for people: Summary (details and scores), one sheet per layer, the snapshot hidden."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    from assessment.scoring import score

    names = names or level_names()
    q = record.questionnaire
    values = {qid: a.value for qid, a in answers.items() if a.na or a.level is not None}
    result = score(q, values).as_dict()
    wb = Workbook()
    summary = wb.active
    summary.title = SUMMARY_SHEET
    meta = _meta_row(record)
    details: list[list[Any]] = [["Field", "Value"]]
    details += [[_title(k), record.assessed_on if k == "date" else meta[k]] for k in META_COLUMNS]
    details += [["Questionnaire title", q.title], ["Format", FORMAT], ["Schema version", SCHEMA_VERSION],
                ["Exported at", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")]]
    score_header = ["Layer", "Dimension", "Score (0–4)", "Level reached", "Answered", "N/A", "Questions", "Coverage"]
    cov = result["coverage"]
    scores: list[list[Any]] = [score_header, ["Overall", "All dimensions", result["overall"],
                                              names.name(result["overall"]), cov["answered"], cov["na"],
                                              cov["total"], cov["ratio"]]]
    for layer in result["layers"]:
        scores.append([layer["name"], "All dimensions", layer["score"], names.name(layer["score"]),
                       None, None, None, layer["coverage"]])
    for layer in result["layers"]:
        for d in layer["dimensions"]:
            scores.append([layer["name"], d["name"], d["score"], names.name(d["score"]), d["answered"], d["na"],
                           d["total"], (d["answered"] + d["na"]) / d["total"] if d["total"] else None])
    for d in result["dimensions"]:
        scores.append(["All layers", d["name"], d["score"], names.name(d["score"]), None, None, None, d["coverage"]])
    for row in [*details, [], *scores]:
        summary.append([_xlsx_cell(v) for v in row])
    _style_sheet(summary, _widths([*details, *scores], {2: 60}))
    first_score_row = len(details) + 2
    for cell in summary[first_score_row]:
        cell.font = Font(bold=True)
    for row in summary.iter_rows(min_row=first_score_row + 1, min_col=3, max_col=8):
        row[0].number_format = "0.0"
        row[5].number_format = "0%"
    summary.cell(row=2 + META_COLUMNS.index("date"), column=2).number_format = "yyyy-mm-dd"

    rows = _answer_rows(q, answers, names)
    sheets = layer_sheet_names(q)
    layer_of = {x.id: x.layer for x in q.questions}
    header = [_title(c) for c in ANSWER_COLUMNS]
    level_col = ANSWER_COLUMNS.index("level") + 1
    na_col = ANSWER_COLUMNS.index("na") + 1
    for layer in q.layers:
        ws = wb.create_sheet(sheets[layer.id])
        mine = [[r[c] for c in ANSWER_COLUMNS] for r in rows if layer_of[r["question_id"]] == layer.id]
        ws.append(header)
        for r in mine:
            ws.append([_xlsx_cell(v) for v in r])
        caps = {ANSWER_COLUMNS.index("question") + 1: 70, ANSWER_COLUMNS.index("note") + 1: 50}
        _style_sheet(ws, _widths([header, *mine], caps), wrap=caps)
        ws.auto_filter.ref = ws.dimensions
        last = len(mine) + 1
        levels = DataValidation(type="whole", operator="between", formula1="0", formula2=str(MAX_LEVEL),
                                allow_blank=True, error=f"A level is a whole number 0–{MAX_LEVEL}; "
                                "leave it empty for N/A or unanswered")
        yes_no = DataValidation(type="list", formula1='"yes,no"', allow_blank=True)
        for dv, col in ((levels, level_col), (yes_no, na_col)):
            ws.add_data_validation(dv)
            letter = ws.cell(row=1, column=col).column_letter
            dv.add(f"{letter}2:{letter}{max(last, 2)}")

    hidden = wb.create_sheet(SNAPSHOT_SHEET)
    hidden.sheet_state = "hidden"
    hidden.append(["The questionnaire this assessment was taken with (JSON, in pieces). Do not edit."])
    snapshot = to_snapshot(q)
    for start in range(0, len(snapshot), SNAPSHOT_CHUNK):
        hidden.append([neutralise(snapshot[start:start + SNAPSHOT_CHUNK])])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _open_workbook(raw: bytes, name: str) -> Any:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            unpacked = sum(info.file_size for info in z.infolist())
    except zipfile.BadZipFile:
        raise ImportError_(f"{name}: not an XLSX workbook (save it from Excel as .xlsx)") from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ImportError_(f"{name}: workbook unpacks to {unpacked // 2**20} MB; the limit is "
                           f"{MAX_XLSX_UNPACKED_BYTES // 2**20} MB")
    try:
        return load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise ImportError_(f"{name}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None


def _missing_sheet(name: str, sheet: str, present: Sequence[str]) -> ImportError_:
    others = ", ".join(repr(s) for s in present if s != SNAPSHOT_SHEET) or "none"
    return ImportError_(f"{name}: sheet {sheet!r} is missing (the workbook has {others}); was it renamed? "
                        "Keep the sheet names as exported")


def parse_xlsx(raw: bytes, name: str, resolve: Resolve) -> ImportedAssessment:
    """Validate a whole XLSX export (Summary plus the layer sheets) before anything is written."""
    check_size(len(raw), name)
    wb = _open_workbook(raw, name)
    try:
        return _parse_workbook(wb, name, resolve)
    finally:
        wb.close()


def _parse_workbook(wb: Any, name: str, resolve: Resolve) -> ImportedAssessment:
    present = list(wb.sheetnames)
    if SUMMARY_SHEET not in present:
        raise _missing_sheet(name, SUMMARY_SHEET, present)
    errors: list[str] = []
    cells: dict[str, Any] = {}
    where_row: dict[str, int] = {}
    for n, row in enumerate(wb[SUMMARY_SHEET].iter_rows(min_row=2, max_col=2, values_only=True), start=2):
        if not row or row[0] is None or str(row[0]).strip() == "":
            break
        cells[_key(row[0])] = row[1] if len(row) > 1 else None
        where_row[_key(row[0])] = n

    def where(key: str) -> str:
        return f"sheet {SUMMARY_SHEET!r}, cell B{where_row[key]} ({_title(key)})" if key in where_row \
            else f"sheet {SUMMARY_SHEET!r}: row {_title(key)!r} is missing"

    if "format" in cells and cells["format"] != FORMAT:
        errors.append(f"{where('format')}: {cells['format']!r} is not {FORMAT!r}")
    if "schema_version" in cells and _text(cells["schema_version"]) != str(SCHEMA_VERSION):
        raise ImportError_(f"{name}: {where('schema_version')}: schema version {cells['schema_version']!r} "
                           f"is not supported (this version reads {SCHEMA_VERSION})")
    meta = _meta_values(cells, where, errors)
    if errors:
        _fail(name, errors)
    if SNAPSHOT_SHEET in present:
        text = "".join(restore_text(str(r[0])) for r in wb[SNAPSHOT_SHEET].iter_rows(min_row=2, max_col=1,
                                                                                     values_only=True) if r and r[0])
        try:
            q = from_snapshot(text)
        except ValidationError as exc:
            raise ImportError_(f"{name}: sheet {SNAPSHOT_SHEET!r}: the questionnaire was edited and is no longer "
                               f"valid ({exc.errors()[0]['msg']})") from None
    else:
        q = _questionnaire_for(meta, resolve, lambda key: f"{name}: {where(key)}")
    sheets = layer_sheet_names(q)
    missing = [s for s in sheets.values() if s not in present]
    if missing:
        raise _missing_sheet(name, missing[0], present)
    known: set[str] = {x.id for x in q.questions}
    seen: dict[str, str] = {}
    answers: list[Answer] = []
    for sheet in sheets.values():
        rows = wb[sheet].iter_rows(values_only=True)
        header = [_key(h) for h in next(rows, ())]
        for key in ("question_id", "level"):
            if key not in header:
                errors.append(f"sheet {sheet!r}, row 1: column {_title(key)!r} is missing")
        if "question_id" not in header or "level" not in header:
            continue
        letters = {k: _column_letter(i) for i, k in enumerate(header, start=1)}
        for n, row in enumerate(rows, start=2):
            row_cells = dict(zip(header, row, strict=False))
            a = _parse_answer(
                row_cells, lambda col, n=n, s=sheet, at=letters: f"sheet {s!r}, cell {at.get(col, '?')}{n} "
                f"({_title(col)})", f"sheet {sheet!r} row {n}", known, seen, errors)
            if a is not None:
                answers.append(a)
    if errors:
        _fail(name, errors)
    return _imported(meta, q, answers)


def _column_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)


# --- one entry point per direction --------------------------------------------------------


def export_as(
    fmt: str, record: AssessmentDetails, answers: Mapping[str, Answer],
    targets: Mapping[tuple[str, str], int] | None = None, history: Sequence[Mapping[str, Any]] | None = None,
) -> bytes:
    """The file for `fmt` (json, csv or xlsx). Targets and history travel in JSON only."""
    if fmt == "json":
        return export_json(record, answers, targets, history).encode("utf-8")
    if fmt == "csv":
        return export_csv(record, answers)
    if fmt == "xlsx":
        return export_xlsx(record, answers)
    raise ImportError_(f"unknown format {fmt!r}; choose json, csv or xlsx")


def parse_file(raw: bytes, name: str, resolve: Resolve) -> ImportedAssessment:
    """Any export, its format told by the file name's extension."""
    fmt = format_of(name)
    if fmt == "json":
        return parse_json(raw, name)
    return parse_csv(raw, name, resolve) if fmt == "csv" else parse_xlsx(raw, name, resolve)
