"""XLSX: a Summary sheet (details and scores) and one sheet per layer; a hidden sheet keeps the
questionnaire snapshot, so the workbook imports back to the same scores as the JSON.

A workbook is a zip of XML parts, so a small file can unpack to gigabytes. Reading checks the zip first
(entries, each part's and the total unpacked size, the compression ratio; zipfile never inflates a part
beyond the size it declares), then opens it with openpyxl in read-only (streaming) mode with caps on shared
strings, rows and cells per sheet. Any damage openpyxl trips over is refused as an unreadable workbook.

openpyxl is imported inside the functions: the app and the CLI load this package without needing it.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from assessment.exchange import sheets
from assessment.exchange.common import (
    FORMAT,
    SCHEMA_VERSION,
    ImportedAssessment,
    ImportError_,
    check_size,
    fail,
    neutralise,
    questionnaire_problems,
    restore_text,
    shown,
)
from assessment.exchange.jsonfile import load_json
from assessment.model import Answer, AssessmentDetails, scoring_values
from assessment.questionnaire import MAX_LEVEL, LevelNames, Questionnaire, to_snapshot

# An export of 500 questions with long notes unpacks to a few MB; these leave room for ten times that.
MAX_XLSX_UNPACKED_BYTES = 64 * 2**20  # all parts together
MAX_XLSX_PART_BYTES = 16 * 2**20  # one part: xl/sharedStrings.xml or a sheet
MAX_XLSX_ENTRIES = 300  # an export has 10 + 2 per sheet
MAX_XLSX_RATIO = 100  # unpacked / packed, for parts over 1 MB: spreadsheet XML packs 5–20:1
MAX_SHARED_STRINGS = 100_000  # distinct texts (an export has about 5 per question)
MAX_SHEET_CELLS = 200_000  # cells read from one sheet
SUMMARY_SHEET = "Summary"
SNAPSHOT_SHEET = "_questionnaire"
SNAPSHOT_CHUNK = 30_000  # an Excel cell holds at most 32,767 characters


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


# --- writing ---------------------------------------------------------------------------


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


def _cell(value: Any) -> Any:
    """A value for openpyxl: text neutralised and stripped of the control characters XLSX cannot hold.

    Line breaks become LF, as Excel writes them: XML would turn a CR into LF on reading anyway.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if not isinstance(value, str):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", neutralise(value.replace("\r\n", "\n").replace("\r", "\n")))


def _summary_rows(record: AssessmentDetails, answers: Mapping[str, Answer],
                  names: LevelNames) -> tuple[list[list[Any]], list[list[Any]]]:
    """The Summary sheet's two tables: the details (field, value), then the scores."""
    from assessment.scoring import score

    q = record.questionnaire
    result = score(q, scoring_values(answers)).as_dict()
    meta = sheets.meta_row(record)
    details: list[list[Any]] = [["Field", "Value"]]
    details += [[sheets.title(k), record.assessed_on if k == "date" else meta[k]] for k in sheets.META_COLUMNS]
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
    return details, scores


def _write_summary(wb: Any, record: AssessmentDetails, answers: Mapping[str, Answer], names: LevelNames) -> None:
    from openpyxl.styles import Font

    summary = wb.active
    summary.title = SUMMARY_SHEET
    details, scores = _summary_rows(record, answers, names)
    for row in [*details, [], *scores]:
        summary.append([_cell(v) for v in row])
    _style_sheet(summary, _widths([*details, *scores], {2: 60}))
    first_score_row = len(details) + 2
    for cell in summary[first_score_row]:
        cell.font = Font(bold=True)
    for row in summary.iter_rows(min_row=first_score_row + 1, min_col=3, max_col=8):
        row[0].number_format = "0.0"
        row[5].number_format = "0%"
    summary.cell(row=2 + sheets.META_COLUMNS.index("date"), column=2).number_format = "yyyy-mm-dd"


def _write_layers(wb: Any, q: Questionnaire, answers: Mapping[str, Answer], names: LevelNames) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    rows = sheets.answer_rows(q, answers, names)
    sheet_of = layer_sheet_names(q)
    layer_of = {x.id: x.layer for x in q.questions}
    header = [sheets.title(c) for c in sheets.ANSWER_COLUMNS]
    level_col = sheets.ANSWER_COLUMNS.index("level") + 1
    na_col = sheets.ANSWER_COLUMNS.index("na") + 1
    caps = {sheets.ANSWER_COLUMNS.index("question") + 1: 70, sheets.ANSWER_COLUMNS.index("note") + 1: 50}
    for layer in q.layers:
        ws = wb.create_sheet(sheet_of[layer.id])
        mine = [[r[c] for c in sheets.ANSWER_COLUMNS] for r in rows if layer_of[r["question_id"]] == layer.id]
        ws.append(header)
        for r in mine:
            ws.append([_cell(v) for v in r])
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


def export_xlsx(record: AssessmentDetails, answers: Mapping[str, Answer], names: LevelNames) -> bytes:
    """A workbook for people: Summary (details and scores), one sheet per layer, the snapshot hidden."""
    from openpyxl import Workbook

    q = record.questionnaire
    wb = Workbook()
    _write_summary(wb, record, answers, names)
    _write_layers(wb, q, answers, names)
    hidden = wb.create_sheet(SNAPSHOT_SHEET)
    hidden.sheet_state = "hidden"
    hidden.append(["The questionnaire this assessment was taken with (JSON, in pieces). Do not edit."])
    snapshot = to_snapshot(q)
    for start in range(0, len(snapshot), SNAPSHOT_CHUNK):
        hidden.append([neutralise(snapshot[start:start + SNAPSHOT_CHUNK])])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading ---------------------------------------------------------------------------


def _check_zip(raw: bytes, name: str) -> None:
    """Refuse a zip that is not one, or would unpack too far, before openpyxl reads a byte of it."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            infos = z.infolist()
    except Exception:  # zipfile raises several types for bytes that are not a zip
        raise ImportError_(f"{name}: not an XLSX workbook (save it from Excel as .xlsx)") from None
    if len(infos) > MAX_XLSX_ENTRIES:
        raise ImportError_(f"{name}: the workbook has {len(infos):,} parts; the limit is {MAX_XLSX_ENTRIES}")
    for info in infos:
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > MAX_XLSX_PART_BYTES:
            raise ImportError_(f"{name}: part {shown(info.filename)} unpacks to {size / 2**20:,.0f} MB; the limit "
                               f"for one part is {MAX_XLSX_PART_BYTES // 2**20} MB")
        if size > 2**20 and size > MAX_XLSX_RATIO * packed:
            raise ImportError_(f"{name}: part {shown(info.filename)} is compressed {size // packed:,}:1; a "
                               f"workbook's parts are at most {MAX_XLSX_RATIO}:1 (is it a zip bomb?)")
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ImportError_(f"{name}: workbook unpacks to {unpacked / 2**20:,.0f} MB; the limit is "
                           f"{MAX_XLSX_UNPACKED_BYTES // 2**20} MB")


def _open_workbook(raw: bytes, name: str) -> Any:
    from openpyxl import load_workbook

    _check_zip(raw, name)
    wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    shared = getattr(wb.worksheets[0], "_shared_strings", ()) if wb.worksheets else ()  # read at load
    if len(shared) > MAX_SHARED_STRINGS:
        wb.close()
        raise ImportError_(f"{name}: the workbook holds {len(shared):,} distinct texts; the limit is "
                           f"{MAX_SHARED_STRINGS:,}")
    return wb


def _rows(wb: Any, sheet: str, name: str, **kwargs: Any) -> Iterator[tuple[Any, ...]]:
    """A sheet's rows as values, streamed, within MAX_ROWS and MAX_SHEET_CELLS.

    The dimensions a sheet declares are dropped first: openpyxl pads every row to them, so a sheet
    declaring A1:XFD1048576 would yield a billion empty cells.
    """
    ws = wb[sheet]
    ws.reset_dimensions()
    cells = 0
    for n, row in enumerate(ws.iter_rows(values_only=True, **kwargs), start=1):
        cells += len(row)
        if n > sheets.MAX_ROWS + 1 or len(row) > sheets.MAX_COLUMNS or cells > MAX_SHEET_CELLS:
            raise ImportError_(f"{name}: sheet {shown(sheet)} is too big (the limits are {sheets.MAX_ROWS:,} "
                               f"rows, {sheets.MAX_COLUMNS} columns and {MAX_SHEET_CELLS:,} cells)")
        yield row


def _missing_sheet(name: str, sheet: str, present: Sequence[str]) -> ImportError_:
    others = ", ".join(repr(s) for s in present if s != SNAPSHOT_SHEET) or "none"
    return ImportError_(f"{name}: sheet {sheet!r} is missing (the workbook has {others}); was it renamed? "
                        "Keep the sheet names as exported")


def parse_xlsx(raw: bytes, name: str, resolve: sheets.Resolve) -> ImportedAssessment:
    """Validate a whole XLSX export (Summary plus the layer sheets) before anything is written."""
    check_size(len(raw), name)
    wb = None
    try:
        wb = _open_workbook(raw, name)
        return _parse_workbook(wb, name, resolve)
    except ImportError_:
        raise
    except Exception as exc:  # openpyxl and the XML parser raise many types for a damaged workbook
        raise ImportError_(f"{name}: not a readable XLSX workbook ({type(exc).__name__}: "
                           f"{shown(str(exc), 100)})") from None
    finally:
        if wb is not None:
            wb.close()


def _parse_workbook(wb: Any, name: str, resolve: sheets.Resolve) -> ImportedAssessment:
    present = list(wb.sheetnames)
    if SUMMARY_SHEET not in present:
        raise _missing_sheet(name, SUMMARY_SHEET, present)
    errors: list[str] = []
    cells: dict[str, Any] = {}
    where_row: dict[str, int] = {}
    for n, row in enumerate(_rows(wb, SUMMARY_SHEET, name, max_col=2), start=1):
        if n == 1:
            continue
        if not row or row[0] is None or str(row[0]).strip() == "":
            break
        cells[sheets.key(row[0])] = row[1] if len(row) > 1 else None
        where_row[sheets.key(row[0])] = n

    def where(field: str) -> str:
        return f"sheet {SUMMARY_SHEET!r}, cell B{where_row[field]} ({sheets.title(field)})" if field in where_row \
            else f"sheet {SUMMARY_SHEET!r}: row {sheets.title(field)!r} is missing"

    if "format" in cells and cells["format"] != FORMAT:
        errors.append(f"{where('format')}: {shown(cells['format'])} is not {FORMAT!r}")
    if "schema_version" in cells and sheets.text(cells["schema_version"]) != str(SCHEMA_VERSION):
        raise ImportError_(f"{name}: {where('schema_version')}: schema version {shown(cells['schema_version'])} "
                           f"is not supported (this version reads {SCHEMA_VERSION})")
    meta = sheets.meta_values(cells, where, errors)
    if errors:
        fail(name, errors)
    if SNAPSHOT_SHEET in present:
        rows = list(_rows(wb, SNAPSHOT_SHEET, name, max_col=1))[1:]
        snapshot = "".join(restore_text(r[0]) for r in rows if r and isinstance(r[0], str))
        q = _snapshot(snapshot, f"{name}: sheet {SNAPSHOT_SHEET!r}")
    else:
        q = sheets.questionnaire_for(meta, resolve, lambda field: f"{name}: {where(field)}")
    sheet_of = layer_sheet_names(q)
    missing = [s for s in sheet_of.values() if s not in present]
    if missing:
        raise _missing_sheet(name, missing[0], present)
    answers = _parse_layer_sheets(wb, sheet_of.values(), {x.id for x in q.questions}, errors, name)
    if errors:
        fail(name, errors)
    return sheets.imported(meta, q, answers)


def _snapshot(snapshot: str, where: str) -> Questionnaire:
    """The hidden sheet's questionnaire, as strictly as a JSON export's."""
    try:
        q = Questionnaire.model_validate(load_json(snapshot, where), strict=True)
    except (ImportError_, ValidationError) as exc:
        reason = exc.errors[0] if isinstance(exc, ImportError_) else exc.errors()[0]["msg"]
        raise ImportError_(f"{where}: the questionnaire was edited and is no longer valid ({reason})") from None
    problems = questionnaire_problems(q)
    if problems:
        raise ImportError_(f"{where}: {problems[0]}")
    return q


def _parse_layer_sheets(wb: Any, names: Iterable[str], known: set[str], errors: list[str], name: str) -> list[Answer]:
    from openpyxl.utils import get_column_letter

    seen: dict[str, str] = {}
    answers: list[Answer] = []
    for sheet in names:
        rows = _rows(wb, sheet, name)
        header = [sheets.key(h) for h in next(rows, ())]
        for column in ("question_id", "level"):
            if column not in header:
                errors.append(f"sheet {sheet!r}, row 1: column {sheets.title(column)!r} is missing")
        errors += [f"sheet {sheet!r}, row 1: unknown column {shown(h)}" for h in header
                   if h and h not in sheets.ANSWER_COLUMNS]
        if "question_id" not in header or "level" not in header:
            continue
        letters = {k: get_column_letter(i) for i, k in enumerate(header, start=1)}
        for n, row in enumerate(rows, start=2):
            row_cells = dict(zip(header, row, strict=False))
            a = sheets.parse_answer(
                row_cells, lambda col, n=n, s=sheet, at=letters: f"sheet {s!r}, cell {at.get(col, '?')}{n} "
                f"({sheets.title(col)})", f"sheet {sheet!r} row {n}", known, seen, errors)
            if a is not None:
                answers.append(a)
    return answers
