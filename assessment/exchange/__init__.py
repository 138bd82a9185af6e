"""Import and export of assessments: JSON (lossless, schema-versioned), CSV and XLSX. Pure: bytes in, values out.

- JSON carries everything: the questionnaire snapshot, every answer, targets and the answer history.
  A backup is a JSON list of such exports (`jsonfile`).
- CSV has one row per question of the questionnaire (answered or not), each with the assessment's
  details, so it opens in a spreadsheet and loads into pandas as it is (`csvfile`).
- XLSX has a Summary sheet (details and scores) and one sheet per layer; a hidden sheet keeps the
  questionnaire snapshot, so the workbook imports back to the same scores as the JSON (`xlsxfile`).

Every parser validates the whole file before returning, so a caller writes all of it or nothing; errors
name the row and column (or field) at fault. Text cells that a spreadsheet would run as a formula
(starting with = + - @, tab or CR) are written with a leading apostrophe, and read back without it.

Values in and out are `assessment.model`'s; nothing here touches a database or a file. A CSV names its
questionnaire instead of carrying it: the caller says where to look for it with `resolver`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from assessment.actions import Action
from assessment.exchange.common import (
    FORMAT,
    FORMATS,
    MAX_BACKUP_BYTES,
    MAX_IMPORT_BYTES,
    SCHEMA_VERSION,
    ImportedAssessment,
    ImportError_,
    check_size,
    format_of,
    neutralise,
    restore_text,
)
from assessment.exchange.csvfile import CSV_COLUMNS, export_csv, parse_csv
from assessment.exchange.jsonfile import export_backup, export_dict, export_json, parse_backup, parse_json
from assessment.exchange.sheets import ANSWER_COLUMNS, META_COLUMNS, Resolve, resolver
from assessment.exchange.xlsxfile import (
    MAX_XLSX_UNPACKED_BYTES,
    SNAPSHOT_SHEET,
    SUMMARY_SHEET,
    export_xlsx,
    layer_sheet_names,
    parse_xlsx,
)
from assessment.model import Answer, AssessmentDetails, Cell
from assessment.questionnaire import LevelNames

__all__ = [
    "ANSWER_COLUMNS", "CSV_COLUMNS", "FORMAT", "FORMATS", "MAX_BACKUP_BYTES", "MAX_IMPORT_BYTES",
    "MAX_XLSX_UNPACKED_BYTES", "META_COLUMNS", "SCHEMA_VERSION", "SNAPSHOT_SHEET", "SUMMARY_SHEET",
    "ImportError_", "ImportedAssessment", "Resolve",
    "check_size", "export_as", "export_backup", "export_csv", "export_dict", "export_json", "export_stored",
    "export_xlsx", "format_of", "layer_sheet_names", "neutralise", "parse_backup", "parse_csv", "parse_file",
    "parse_json", "parse_xlsx", "resolver", "restore_text",
]


def export_as(
    fmt: str, record: AssessmentDetails, answers: Mapping[str, Answer],
    targets: Mapping[Cell, int] | None = None, history: Sequence[Mapping[str, Any]] | None = None,
    names: LevelNames | None = None, *, actions: Mapping[str, Action] | None = None,
    action_history: Sequence[Mapping[str, Any]] | None = None,
) -> bytes:
    """The file for `fmt` (json, csv or xlsx). Targets, history and actions travel in JSON only; CSV and XLSX
    name each level with `names`, by default the installed ones (assessment/questionnaires/levels.yaml)."""
    if fmt == "json":
        return export_json(record, answers, targets, history, actions, action_history).encode("utf-8")
    if fmt in ("csv", "xlsx"):
        if names is None:
            from assessment.content import level_names  # reads a file: only when the caller has no names

            names = level_names()
        return (export_csv if fmt == "csv" else export_xlsx)(record, answers, names)
    raise ImportError_(f"unknown format {fmt!r}; choose json, csv or xlsx")


class _Stored(Protocol):  # what export_stored reads: assessment.storage.Store
    def get_assessment(self, assessment_id: int) -> AssessmentDetails: ...
    def answers(self, assessment_id: int) -> Mapping[str, Answer]: ...
    def targets(self, assessment_id: int) -> Mapping[Cell, int]: ...
    def history(self, assessment_id: int) -> Sequence[Mapping[str, Any]]: ...
    def actions(self, assessment_id: int) -> Mapping[str, Action]: ...
    def action_history(self, assessment_id: int) -> Sequence[Mapping[str, Any]]: ...


def export_stored(fmt: str, store: _Stored, assessment_id: int) -> bytes:
    """The export of a stored assessment as it is now, with everything its format carries (the CLI's
    `export` and the Data page's downloads)."""
    record = store.get_assessment(assessment_id)
    return export_as(fmt, record, store.answers(assessment_id), store.targets(assessment_id),
                     store.history(assessment_id), actions=store.actions(assessment_id),
                     action_history=store.action_history(assessment_id))


def parse_file(raw: bytes, name: str, resolve: Resolve) -> ImportedAssessment:
    """Any export, its format told by the file name's extension."""
    fmt = format_of(name)
    if fmt == "json":
        return parse_json(raw, name)
    return parse_csv(raw, name, resolve) if fmt == "csv" else parse_xlsx(raw, name, resolve)
