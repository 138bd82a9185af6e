"""The organisation file: a CSV of `department,business_unit`, one department a line, read and written.

Reading is strict and all-or-nothing: UTF-8 (a byte-order mark is fine), a header naming exactly those
two columns (any order, any case), two cells a line, each department once, names within the database's
limits. The first problem stops the parse with one line naming the file, the line and the column, the
bad value quoted as text. Blank lines are skipped; an empty `business_unit` takes the department out of
any unit, and so does "Unassigned", the name under which every view groups those departments.
Written cells that a spreadsheet would run as a formula are neutralised, as `csvfile` does, and read back.
Pure: no database, no files.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from assessment.exchange.common import (
    MAX_NAME,
    ImportError_,
    check_size,
    csv_text,
    neutralise,
    restore_text,
    shown,
    text_problem,
)

COLUMNS = ("department", "business_unit")
UNASSIGNED = "Unassigned"  # how views name the departments in no unit
MAX_LINES = 100_000


def clean_unit(unit: str) -> str:
    """A unit name as stored: trimmed; "" or "Unassigned" (any case) for none. ValueError if unstorable."""
    unit = unit.strip()
    problem = text_problem(unit, MAX_NAME)
    if problem:
        raise ValueError(f"business unit {shown(unit)} {problem}")
    return "" if unit.casefold() == UNASSIGNED.casefold() else unit


def parse_org_csv(raw: bytes, name: str) -> dict[str, str]:
    """department → business unit ("" = none), in file order; ImportError_ at the first problem."""
    check_size(len(raw), name)
    text = csv_text(raw, name)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out: dict[str, str] = {}
    first_seen: dict[str, int] = {}
    header: list[str] | None = None
    try:
        for record in reader:
            line = reader.line_num
            if line > MAX_LINES:
                raise ImportError_(f"{name}:{line}: more than {MAX_LINES:,} lines")
            if header is None:
                header = _header(record, name, line)
                continue
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(COLUMNS):
                raise ImportError_(f"{name}:{line}: {len(record)} cells, expected {len(COLUMNS)} "
                                   f"({', '.join(COLUMNS)})")
            cells = {h: restore_text(cell) for h, cell in zip(header, record, strict=True)}
            department = cells["department"].strip()
            if not department:
                raise ImportError_(f"{name}:{line}: column department: required text")
            problem = text_problem(department, MAX_NAME)
            if problem:
                raise ImportError_(f"{name}:{line}: column department: {shown(department)} {problem}")
            if department in first_seen:
                raise ImportError_(f"{name}:{line}: column department: {shown(department)} is already on "
                                   f"line {first_seen[department]}")
            try:
                out[department] = clean_unit(cells["business_unit"])
            except ValueError as exc:
                raise ImportError_(f"{name}:{line}: column business_unit: {exc}") from None
            first_seen[department] = line
    except csv.Error as exc:
        raise ImportError_(f"{name}:{reader.line_num}: not a readable CSV ({exc})") from None
    if header is None:
        raise ImportError_(f"{name}:1: empty file; expected the header {','.join(COLUMNS)}")
    return out


def _header(record: list[str], name: str, line: int) -> list[str]:
    header = [h.strip().casefold().replace(" ", "_") for h in record]
    for h in header:
        if h not in COLUMNS:
            raise ImportError_(f"{name}:{line}: unknown column {shown(h)} (expected {', '.join(COLUMNS)})")
    for column in COLUMNS:
        if header.count(column) != 1:
            raise ImportError_(f"{name}:{line}: column {column} "
                               f"{'is missing' if column not in header else 'appears twice'} "
                               f"(expected {', '.join(COLUMNS)})")
    return header


def export_org_csv(units: Mapping[str, str]) -> bytes:
    """department → unit as UTF-8 CSV with a byte-order mark, sorted by unit then department; the file
    `parse_org_csv` reads (departments in no unit have an empty business_unit)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for department, unit in sorted(units.items(), key=lambda kv: (kv[1] == "", kv[1], kv[0])):
        writer.writerow([neutralise(department), neutralise(unit)])
    return out.getvalue().encode("utf-8-sig")
