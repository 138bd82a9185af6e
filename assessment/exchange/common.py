"""What every format shares: the imported value, the error naming the file, size limits, formula quoting."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from assessment.actions import Action
from assessment.model import Answer, Cell
from assessment.questionnaire import Questionnaire

FORMAT = "ai-ops-maturity-assessment"
SCHEMA_VERSION = 1
FORMATS = ("json", "csv", "xlsx")
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_BACKUP_BYTES = 2 * 1024 * 1024 * 1024
SHOWN_ERRORS = 10

# Limits every format checks before anything is written, so a file behaves the same on SQLite (which
# ignores column lengths and stores NUL) and PostgreSQL (which refuses both). The lengths are those of
# assessment/storage/schema.py's columns (a test keeps them equal); exchange is pure, so it cannot import them.
MAX_NAME = 200  # assessment, department, organisation, facilitator, answered_by, changed_by, question ids
MAX_QUESTIONNAIRE_ID = 200
MAX_VERSION = 100  # questionnaire_version
MAX_CELL_ID = 100  # a target's layer and dimension ids
MAX_NOTE = 32_767  # note, evidence_url: the most an Excel cell holds, so every stored note exports to XLSX
MAX_DB_INT = 2**31 - 1  # an Integer column (assessment.id)
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


class ImportError_(ValueError):
    """A file that cannot be imported; the message lists what is wrong and where (all of it in `errors`)."""

    def __init__(self, message: str, errors: Sequence[str] = ()):
        super().__init__(message)
        self.errors = list(errors) or [message]


@dataclass(frozen=True)
class ImportedAssessment:
    """A validated import file: everything needed to store it as an assessment, nothing written yet."""

    name: str
    department: str
    organisation: str
    facilitator: str
    assessed_on: dt.date
    status: str
    questionnaire: Questionnaire
    answers: list[Answer]
    targets: dict[Cell, int] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    id: int | None = None  # the id it had where it was exported (a restore keeps it)
    actions: list[Action] = field(default_factory=list)
    action_history: list[dict[str, Any]] = field(default_factory=list)
    previous_id: int | None = None  # the assessment it re-assessed there (a restore keeps it)
    business_unit: str = ""  # its department's business unit there (a restore keeps it; "" = none)


def fail(name: str, errors: Sequence[str]) -> NoReturn:
    """Raise one ImportError_ naming the file and the first SHOWN_ERRORS problems (all of them in `errors`)."""
    shown = "; ".join(errors[:SHOWN_ERRORS])
    if len(errors) > SHOWN_ERRORS:
        shown += f"; and {len(errors) - SHOWN_ERRORS} more"
    raise ImportError_(f"{name}: {shown}", [f"{name}: {e}" for e in errors])


def check_size(size: int, name: str, limit: int = MAX_IMPORT_BYTES) -> None:
    """Refuse an oversized file before reading or parsing it."""
    if size > limit:
        raise ImportError_(f"{name}: file is {size / 2**20:.0f} MB; the limit is {limit // 2**20} MB")


def csv_text(raw: bytes, name: str) -> str:
    """A CSV file's text (UTF-8, with or without Excel's BOM); one that is not UTF-8 names the line at fault."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ImportError_(f"{name}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                           "save the CSV as UTF-8 (Excel: CSV UTF-8)") from None


def shown(value: Any, width: int = 60) -> str:
    """A value as an error message quotes it: its repr (control characters escaped), cut to `width`."""
    text = repr(value)
    return text if len(text) <= width else text[:width - 1] + "…"


def text_problem(value: str, limit: int | None = None) -> str | None:
    """Why `value` cannot be stored as text (a NUL byte, a lone surrogate, too long), or None."""
    bad = _BAD_CHARACTER.search(value)
    if bad is not None:
        what = "a NUL byte" if bad.group() == "\x00" else f"a lone surrogate (U+{ord(bad.group()):04X})"
        return f"contains {what} at character {bad.start() + 1}"
    if limit is not None and len(value) > limit:
        return f"{len(value):,} characters; the limit is {limit:,}"
    return None


def questionnaire_problems(q: Questionnaire) -> list[str]:
    """What a questionnaire carried by a file has that the database's columns cannot store."""
    problems = []
    for what, value, limit in (("id", q.id, MAX_QUESTIONNAIRE_ID), ("version", q.version, MAX_VERSION)):
        if len(value) > limit:
            problems.append(f"questionnaire.{what}: {len(value):,} characters; the limit is {limit}")
    for kind, items, limit in (("layers", q.layers, MAX_CELL_ID), ("dimensions", q.dimensions, MAX_CELL_ID),
                               ("questions", q.questions, MAX_NAME)):
        problems += [f"questionnaire.{kind}[{i}].id: {len(x.id):,} characters; the limit is {limit}"
                     for i, x in enumerate(items) if len(x.id) > limit]
    return problems


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


# --- timestamps --------------------------------------------------------------------------


def iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def timestamp(value: Any) -> dt.datetime | None:
    """An aware datetime from ISO text or a spreadsheet datetime (naive means UTC); ValueError otherwise,
    also for years 1 and 9999, which a time zone could push out of range."""
    if value is None or value == "":
        return None
    if not isinstance(value, dt.datetime):
        if not isinstance(value, str) or len(value) > 64:
            raise ValueError
        value = dt.datetime.fromisoformat(value.strip())
    if not 1 < value.year < 9999:
        raise ValueError
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
