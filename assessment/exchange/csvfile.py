"""CSV: one row per question of the questionnaire (answered or not), each with the assessment's details,
so it opens in a spreadsheet and loads into pandas as it is. It names its questionnaire by id and hash."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from assessment.exchange import sheets
from assessment.exchange.common import (
    ImportedAssessment,
    ImportError_,
    check_size,
    csv_text,
    fail,
    neutralise,
    shown,
)
from assessment.model import Answer, AssessmentDetails
from assessment.questionnaire import LevelNames

CSV_COLUMNS = sheets.META_COLUMNS + sheets.ANSWER_COLUMNS


def _cell_out(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else ("" if value is None else value)


def export_csv(record: AssessmentDetails, answers: Mapping[str, Answer], names: LevelNames) -> bytes:
    """UTF-8 CSV (with a byte-order mark, so Excel reads accents right): one row per question."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    meta = sheets.meta_row(record)
    for row in sheets.answer_rows(record.questionnaire, answers, names):
        cells = {**meta, **row}
        writer.writerow([_cell_out(cells[c]) for c in CSV_COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def _records(raw: bytes, name: str) -> list[list[str]]:
    """The file's rows as text cells; a file that is not UTF-8 CSV names the line at fault."""
    text = csv_text(raw, name)
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text, newline="")):
            records.append(record)
            if len(record) > sheets.MAX_COLUMNS:
                raise ImportError_(f"{name}: row {len(records)}: {len(record):,} cells; the limit is "
                                   f"{sheets.MAX_COLUMNS}")
            if len(records) > sheets.MAX_ROWS + 1:
                raise ImportError_(f"{name}: more than {sheets.MAX_ROWS:,} rows after the header")
    except csv.Error as exc:
        raise ImportError_(f"{name}: row {len(records) + 1}: not a readable CSV ({exc})") from None
    if not records:
        raise ImportError_(f"{name}: empty file")
    return records


def parse_csv(raw: bytes, name: str, resolve: sheets.Resolve) -> ImportedAssessment:
    """Validate a whole CSV export (or a hand-made one with the same columns) before anything is written."""
    check_size(len(raw), name)
    records = _records(raw, name)
    header = [sheets.key(h) for h in records[0]]
    errors: list[str] = []
    for column in ("question_id", "level", "assessment", "department", "questionnaire"):
        if column not in header:
            errors.append(f"row 1: column {column} is missing (columns: {', '.join(CSV_COLUMNS)})")
    for column in sorted({h for h in header if h and header.count(h) > 1}):
        errors.append(f"row 1: column {column} appears twice")
    errors += [f"row 1: unknown column {shown(h)} (columns: {', '.join(CSV_COLUMNS)})"
               for h in header if h and h not in CSV_COLUMNS]
    if errors:
        fail(name, errors)
    rows = [(n, dict(zip(header, r, strict=False))) for n, r in enumerate(records[1:], start=2)
            if any(cell.strip() for cell in r)]
    for n, r in enumerate(records[1:], start=2):
        if any(cell.strip() for cell in r) and len(r) != len(header):
            errors.append(f"row {n}: {len(r)} cells, but the header has {len(header)}")
    if not rows:
        fail(name, errors or ["no rows after the header"])
    first_n, first = rows[0]
    for n, cells in rows[1:]:
        for column in sheets.META_COLUMNS:
            if column in header and cells.get(column, "") != first.get(column, ""):
                errors.append(f"row {n}, column {column}: {shown(cells.get(column))} differs from row {first_n} "
                              f"({shown(first.get(column))}); a CSV file holds one assessment")
    meta = sheets.meta_values(first, lambda col: f"row {first_n}, column {col}", errors)
    if errors:
        fail(name, errors)
    q = sheets.questionnaire_for(meta, resolve, lambda col: f"{name}: row {first_n}, column {col}")
    known, seen, answers = {x.id for x in q.questions}, {}, []
    for n, cells in rows:
        a = sheets.parse_answer(cells, lambda col, n=n: f"row {n}, column {col}", f"row {n}", known, seen, errors)
        if a is not None:
            answers.append(a)
    if errors:
        fail(name, errors)
    return sheets.imported(meta, q, answers)
