"""What every format shares: the imported value, the error naming the file, size limits, formula quoting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from assessment.model import Answer, Cell
from assessment.questionnaire import Questionnaire

FORMAT = "ai-ops-maturity-assessment"
SCHEMA_VERSION = 1
FORMATS = ("json", "csv", "xlsx")
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_BACKUP_BYTES = 2 * 1024 * 1024 * 1024
SHOWN_ERRORS = 10


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
    """An aware datetime from ISO text or a spreadsheet datetime (naive means UTC); ValueError otherwise."""
    if value is None or value == "":
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(value).strip())
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
