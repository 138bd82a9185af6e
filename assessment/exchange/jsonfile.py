"""JSON: the lossless export of one assessment (questionnaire snapshot, answers, targets, history, actions), and
the backup, a JSON list of such exports.

Reading is strict, in two steps. `load_json` turns bytes into plain data and refuses what no field may
hold: nesting deeper than MAX_JSON_DEPTH, an integer longer than MAX_INT_DIGITS digits, NaN or Infinity,
a key given twice, a NUL byte or a lone surrogate anywhere. Then the schema of format version 1
(`ExportFile`, pydantic in strict mode) checks every field's type and length: `"na": "no"` is refused,
not read as true; a note that is an object is refused, not stored as its repr.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

from assessment.actions import STATUSES as ACTION_STATUSES
from assessment.actions import Action, ActionError, check_ticket
from assessment.exchange.common import (
    FORMAT,
    MAX_BACKUP_BYTES,
    MAX_CELL_ID,
    MAX_DB_INT,
    MAX_NAME,
    MAX_NOTE,
    SCHEMA_VERSION,
    SHOWN_ERRORS,
    ImportedAssessment,
    ImportError_,
    check_size,
    fail,
    iso,
    questionnaire_problems,
    shown,
    text_problem,
    timestamp,
)
from assessment.model import Answer, AssessmentDetails, AssessmentDump, Cell
from assessment.questionnaire import MAX_LEVEL, Questionnaire

MAX_JSON_DEPTH = 32  # an export nests 5 deep (file, questionnaire, questions, a question, its levels)
MAX_INT_DIGITS = 18  # no field holds more; int() of a long digit string is slow, and refused past 4,300


def export_dict(
    record: AssessmentDetails, answers: Mapping[str, Answer],
    targets: Mapping[Cell, int] | None = None, history: Sequence[Mapping[str, Any]] | None = None,
    actions: Mapping[str, Action] | None = None, action_history: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The JSON export of one assessment as plain data."""
    data = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "assessment": {
            "id": record.id,
            "name": record.name, "department": record.department, "organisation": record.organisation,
            "facilitator": record.facilitator, "date": record.assessed_on.isoformat(),
            "status": record.status, "questionnaire_hash": record.questionnaire_hash,
            **({"previous_id": record.previous_id} if record.previous_id is not None else {}),
            **({"business_unit": record.business_unit} if record.business_unit else {}),
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
    if actions or action_history:  # files without actions stay as earlier versions wrote them
        data["actions"] = [
            {"question_id": a.question_id, "owner": a.owner, "due": iso(a.due), "status": a.status,
             "reason": a.reason, "ticket": a.ticket, "updated_by": a.updated_by, "updated_at": iso(a.updated_at)}
            for a in sorted((actions or {}).values(), key=lambda a: a.question_id)
        ]
        data["action_history"] = [
            {"question_id": h["question_id"], "owner": h["owner"], "due": iso(h["due"]), "status": h["status"],
             "reason": h["reason"], "ticket": h["ticket"], "changed_by": h["changed_by"],
             "changed_at": iso(h["changed_at"])}
            for h in action_history or []
        ]
    return data


def export_json(
    record: AssessmentDetails, answers: Mapping[str, Answer],
    targets: Mapping[Cell, int] | None = None, history: Sequence[Mapping[str, Any]] | None = None,
    actions: Mapping[str, Action] | None = None, action_history: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    return json.dumps(export_dict(record, answers, targets, history, actions, action_history), indent=2,
                      ensure_ascii=False)


def parse_json(raw: bytes, name: str = "<file>") -> ImportedAssessment:
    """Validate a whole export file before anything is written; errors name the field."""
    check_size(len(raw), name)
    return _parse_export(load_json(raw, name), name)


def export_backup(dumps: Iterable[AssessmentDump]) -> str:
    """A JSON list of every assessment's export (the format `import` reads, one element each)."""
    items = [export_dict(d.assessment.details, d.assessment.answers, d.assessment.targets, d.history,
                         d.assessment.actions, d.action_history)
             for d in dumps]
    return json.dumps(items, indent=1, ensure_ascii=False)


def parse_backup(raw: bytes, name: str = "<backup>") -> list[ImportedAssessment]:
    """Validate a whole backup before anything is restored."""
    check_size(len(raw), name, MAX_BACKUP_BYTES)
    data = load_json(raw, name)
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


# --- reading: plain data with limits --------------------------------------------------------


class _Refused(ValueError):
    """Raised by a json.loads hook: the file holds something no field may hold."""


class _LongInteger:
    """An integer too long to convert (json.loads hands it over as text); `load_json` refuses it with its path."""

    def __init__(self, digits: int):
        self.digits = digits


def _integer(text: str) -> int | _LongInteger:
    digits = len(text) - text.startswith("-")
    return int(text) if digits <= MAX_INT_DIGITS else _LongInteger(digits)


def _constant(text: str) -> Any:
    raise _Refused(f"{text} is not a number (JSON has no NaN or Infinity)")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        twice = next(k for i, (k, _) in enumerate(pairs) if any(k == other for other, _ in pairs[:i]))
        raise _Refused(f"key {shown(twice)} appears twice in one object")
    return obj


def load_json(raw: bytes | str, name: str) -> Any:
    """JSON text as plain data, refusing what no field of any format version may hold (see the module)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ImportError_(f"{name}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None
    try:
        data = json.loads(text, parse_int=_integer, parse_constant=_constant, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise ImportError_(f"{name}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise ImportError_(f"{name}: nested deeper than {MAX_JSON_DEPTH} levels") from None
    except _Refused as exc:
        raise ImportError_(f"{name}: {exc}") from None
    problems = _tree_problems(data)
    if problems:
        fail(name, problems)
    return data


def path(loc: Iterable[str | int]) -> str:
    """A location as an error names it: ('answers', 3, 'na') → answers[3].na."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _tree_problems(data: Any) -> list[str]:
    """Deep nesting, long integers, NUL bytes and lone surrogates, each with its path (the first few)."""
    problems: list[str] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack and len(problems) < SHOWN_ERRORS:
        value, loc = stack.pop()
        if len(loc) >= MAX_JSON_DEPTH and isinstance(value, dict | list):
            problems.append(f"{path(loc[:4])}…: nested deeper than {MAX_JSON_DEPTH} levels")
        elif isinstance(value, str):
            if (problem := text_problem(value)) is not None:
                problems.append(f"{path(loc)}: {problem}")
        elif isinstance(value, _LongInteger):
            problems.append(f"{path(loc)}: a number with {value.digits:,} digits")
        elif isinstance(value, dict):
            for k in value:
                if (problem := text_problem(k)) is not None:
                    problems.append(f"{path(loc)}: the key {shown(k)} {problem}")
            stack += [(v, (*loc, k)) for k, v in reversed(value.items())]
        elif isinstance(value, list):
            stack += [(v, (*loc, i)) for i, v in reversed(list(enumerate(value)))]
    return problems


# --- reading: the schema of format version 1 ------------------------------------------------


def _date(value: Any) -> dt.date:
    if not isinstance(value, str) or len(value) > 32:
        raise ValueError("not a date like 2026-11-23")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{shown(value)} is not a date like 2026-11-23") from None


def _time(value: Any) -> dt.datetime | None:
    try:
        return timestamp(value)
    except ValueError:
        raise ValueError(f"{shown(value)} is not a date and time like 2026-11-23T09:30:00+00:00") from None


def _text_or_empty(value: Any) -> Any:
    return "" if value is None else value  # null for an optional text is empty; any other type is refused


Name = Annotated[str, StringConstraints(max_length=MAX_NAME)]
Required = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)]
OptionalText = Annotated[str, BeforeValidator(_text_or_empty), StringConstraints(max_length=MAX_NAME)]
Note = Annotated[str, BeforeValidator(_text_or_empty), StringConstraints(max_length=MAX_NOTE)]
CellId = Annotated[str, StringConstraints(max_length=MAX_CELL_ID)]
Level = Annotated[int, Field(ge=0, le=MAX_LEVEL)]
Date = Annotated[dt.date, BeforeValidator(_date)]
Time = Annotated[dt.datetime | None, BeforeValidator(_time)]
LEVEL_FIELDS = ("level", "old_level", "new_level")


class _Strict(BaseModel):
    """No coercion (`"no"` is not a bool, 1 is not text) and no unknown fields (a typo is not dropped)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class AssessmentFields(_Strict):
    id: Annotated[int, Field(ge=1, le=MAX_DB_INT)] | None = None
    name: Required
    department: Required
    organisation: Annotated[OptionalText, StringConstraints(strip_whitespace=True)] = ""
    facilitator: OptionalText = ""
    date: Date
    status: Literal["draft", "final"] = "draft"
    questionnaire_hash: Annotated[str, StringConstraints(max_length=64)] | None = None
    previous_id: Annotated[int, Field(ge=1, le=MAX_DB_INT)] | None = None
    business_unit: Annotated[OptionalText, StringConstraints(strip_whitespace=True)] = ""  # older files: none


class AnswerFields(_Strict):
    question_id: Name
    level: Level | None = None
    na: bool = False
    note: Note = ""
    evidence_url: Note = ""
    answered_by: OptionalText = ""
    updated_at: Time = None


class TargetFields(_Strict):
    layer: CellId
    dimension: CellId
    level: Level


class HistoryFields(_Strict):
    question_id: Name
    old_level: Level | None = None
    old_na: bool | None = None
    new_level: Level | None = None
    new_na: bool = False
    note: Note = ""
    changed_by: OptionalText = ""
    changed_at: Annotated[dt.datetime, BeforeValidator(_time)]


ActionStatus = Literal[ACTION_STATUSES]  # type: ignore[valid-type]
OptionalDate = Annotated[dt.date | None, BeforeValidator(lambda v: None if v is None else _date(v))]


class ActionFields(_Strict):
    question_id: Name
    owner: OptionalText = ""
    due: OptionalDate = None
    status: ActionStatus = "planned"
    reason: Note = ""
    ticket: Note = ""
    updated_by: OptionalText = ""
    updated_at: Time = None


class ActionHistoryFields(_Strict):
    question_id: Name
    owner: OptionalText = ""
    due: OptionalDate = None
    status: ActionStatus
    reason: Note = ""
    ticket: Note = ""
    changed_by: OptionalText = ""
    changed_at: Annotated[dt.datetime, BeforeValidator(_time)]


class ExportFile(_Strict):
    """An export, format version 1: what `export_dict` writes."""

    format: str  # checked first, with its own message
    schema_version: int
    exported_at: Annotated[str, StringConstraints(max_length=64)] | None = None
    assessment: AssessmentFields
    questionnaire: dict[str, Any]
    answers: list[AnswerFields]
    targets: list[TargetFields] = []
    history: list[HistoryFields] = []
    actions: list[ActionFields] = []
    action_history: list[ActionHistoryFields] = []


def _problems(exc: ValidationError, at: str) -> list[str]:
    """pydantic's errors as this module words them: `answers[3].na: 'no' is not true or false`."""
    out = []
    for e in exc.errors(include_url=False):
        loc, got, kind = e["loc"], e.get("input"), e["type"]
        if kind == "missing":
            message = "required"
        elif kind == "extra_forbidden":
            message = "unknown field"
        elif loc and loc[-1] in LEVEL_FIELDS:
            message = f"{shown(got)} is not a level 0–{MAX_LEVEL}"
        elif kind == "bool_type":
            message = f"{shown(got)} is not true or false"
        elif kind == "string_type":
            message = f"{shown(got)} is not text"
        elif kind in ("string_too_long", "too_long") and isinstance(got, str):
            message = f"{len(got):,} characters; the limit is {e['ctx']['max_length']:,}"
        elif kind == "string_too_short":
            message = "required text"
        else:
            message = f"{e['msg'].removeprefix('Value error, ')} (got {shown(got)})"
        out.append(f"{at}{path(loc)}: {message}")
    return out


def _parse_export(data: Any, name: str, where: str = "") -> ImportedAssessment:
    """One export object (the whole file, or one element of a backup) → ImportedAssessment."""
    at = f"{where}." if where else ""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportError_(f"{name}: {where + ': ' if where else ''}not an assessment export "
                           f"(expected \"format\": \"{FORMAT}\")")
    version = data.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:
        raise ImportError_(f"{name}: {at}schema_version {shown(version)} is not supported "
                           f"(this version reads {SCHEMA_VERSION})")
    try:
        export = ExportFile.model_validate(data)
    except ValidationError as exc:
        fail(name, _problems(exc, at))
    try:
        questionnaire = Questionnaire.model_validate(export.questionnaire, strict=True)
    except ValidationError as exc:
        fail(name, _problems(exc, f"{at}questionnaire."))
    errors = [at + p for p in questionnaire_problems(questionnaire)]
    known = {q.id for q in questionnaire.questions}
    answers = _answers(export.answers, known, at, errors)
    targets = _targets(export.targets, questionnaire, at, errors)
    for i, h in enumerate(export.history):
        if h.question_id not in known:
            errors.append(f"{at}history[{i}].question_id: unknown question {shown(h.question_id)}")
    actions = _actions(export.actions, known, at, errors)
    for i, h in enumerate(export.action_history):
        if h.question_id not in known:
            errors.append(f"{at}action_history[{i}].question_id: unknown question {shown(h.question_id)}")
    if errors:
        fail(name, errors)
    meta = export.assessment
    return ImportedAssessment(
        name=meta.name, department=meta.department, organisation=meta.organisation,
        facilitator=meta.facilitator, assessed_on=meta.date, status=meta.status,
        questionnaire=questionnaire, answers=answers, targets=targets, id=meta.id,
        history=[h.model_dump() for h in export.history],
        actions=actions, action_history=[h.model_dump() for h in export.action_history],
        previous_id=meta.previous_id, business_unit=meta.business_unit,
    )


def _answers(rows: list[AnswerFields], known: set[str], at: str, errors: list[str]) -> list[Answer]:
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        here = f"{at}answers[{i}]"
        if row.question_id not in known:
            errors.append(f"{here}.question_id: unknown question {shown(row.question_id)}")
        elif row.question_id in seen:
            errors.append(f"{here}.question_id: {shown(row.question_id)} answered twice "
                          f"(first at answers[{seen[row.question_id]}])")
        seen.setdefault(row.question_id, i)
        if row.na and row.level is not None:
            errors.append(f"{here}: level {row.level} and na true both given; keep one")
    return [Answer(question_id=r.question_id, level=r.level, na=r.na, note=r.note, evidence_url=r.evidence_url,
                   answered_by=r.answered_by, updated_at=r.updated_at) for r in rows]


def _targets(rows: list[TargetFields], q: Questionnaire, at: str, errors: list[str]) -> dict[Cell, int]:
    layers, dims = {x.id for x in q.layers}, {d.id for d in q.dimensions}
    found: dict[Cell, int] = {}
    for i, row in enumerate(rows):
        here = f"{at}targets[{i}]"
        cell = (row.layer, row.dimension)
        if row.layer not in layers or row.dimension not in dims:
            errors.append(f"{here}: {shown(row.layer)}.{shown(row.dimension)} is not a layer.dimension "
                          "of the questionnaire")
        elif cell in found:
            errors.append(f"{here}: {row.layer}.{row.dimension} has two targets")
        found[cell] = row.level
    return found


def _actions(rows: list[ActionFields], known: set[str], at: str, errors: list[str]) -> list[Action]:
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        here = f"{at}actions[{i}]"
        if row.question_id not in known:
            errors.append(f"{here}.question_id: unknown question {shown(row.question_id)}")
        elif row.question_id in seen:
            errors.append(f"{here}.question_id: {shown(row.question_id)} has two actions "
                          f"(first at actions[{seen[row.question_id]}])")
        seen.setdefault(row.question_id, i)
        if row.status == "dropped" and not row.reason.strip():
            errors.append(f"{here}.reason: a dropped action needs a reason")
        try:
            check_ticket(row.ticket)
        except ActionError as exc:
            errors.append(f"{here}.{exc}")
    return [Action(question_id=r.question_id, owner=r.owner, due=r.due, status=r.status, reason=r.reason,
                   ticket=r.ticket, updated_by=r.updated_by, updated_at=r.updated_at) for r in rows]
