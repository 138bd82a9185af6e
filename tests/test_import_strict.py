"""Imports are strict: every hostile or careless file is refused with one line naming the file and the field
(JSON path, CSV row and column, XLSX sheet and cell), never coerced, and never anything but ImportError_.

The parsers are pure, so most tests feed bytes and read the refusal; a few go through the CLI, the store
(SQLite and PostgreSQL: a file must behave the same on both) and the Data page. The last part fuzzes every
parser and the questionnaire loader with Hypothesis.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import datetime as dt
import io
import json
import re
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from clirunner import fails
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from assessment import exchange
from assessment.exchange import ImportError_, xlsxfile
from assessment.exchange import common as limits
from assessment.model import Answer, Assessment
from assessment.questionnaire import Questionnaire, QuestionnaireError, parse_questionnaire
from assessment.storage import Store, schema

DATA = Path(__file__).resolve().parent / "data"
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def exported(mini: Questionnaire) -> Assessment:
    """Two levels, an N/A and a note: enough for every field of every format to be present."""
    a = Assessment.from_values(7, "Platform", dt.date(2026, 11, 2), mini,
                               {"alpha.governance.q1": 2, "alpha.cost.q1": None}, name="Baseline")
    answers = {**a.answers, "beta.cost.q1": Answer("beta.cost.q1", 3, False, "a note", "https://x.example", "bo")}
    return Assessment(a.details, mini, answers, {("alpha", "governance"): 4})


def export(a: Assessment, fmt: str) -> bytes:
    return exchange.export_as(fmt, a.details, a.answers, a.targets)


def resolve(a: Assessment) -> exchange.Resolve:
    return exchange.resolver(lambda: [a.questionnaire])


def refused(raw: bytes, name: str, a: Assessment) -> str:
    """The one-line refusal of `raw`; it names the file."""
    with pytest.raises(ImportError_) as info:
        exchange.parse_file(raw, name, resolve(a))
    message = str(info.value)
    assert message.startswith(f"{name}:") and "\n" not in message, message
    return message


def json_with(a: Assessment, change: Callable[[dict[str, Any]], Any]) -> bytes:
    data = json.loads(export(a, "json"))
    change(data)
    return json.dumps(data).encode()


def csv_with(a: Assessment, row: int, column: str, value: str) -> bytes:
    """The CSV export with one cell changed; `row` counted as a spreadsheet does (1 is the header). The
    assessment's details are repeated on every row, so one of them is changed on every row."""
    rows = list(csv.reader(io.StringIO(export(a, "csv").decode("utf-8-sig"), newline="")))
    for r in rows[1:] if column in exchange.META_COLUMNS else [rows[row - 1]]:
        r[rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def xlsx_with(a: Assessment, sheet: str, cell: str, value: Any) -> bytes:
    wb = load_workbook(io.BytesIO(export(a, "xlsx")))
    wb[sheet][cell] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def zipped(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def parts_of(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        return {name: z.read(name) for name in z.namelist()}


def with_shared_strings(a: Assessment, strings: int, length: int = 1) -> dict[str, bytes]:
    """The XLSX export's parts plus a shared-strings table (openpyxl writes its text inline; Excel does not)."""
    parts = parts_of(export(a, "xlsx"))
    types = b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-' \
            b'officedocument.spreadsheetml.sharedStrings+xml" /></Types>'
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", types)
    parts["xl/sharedStrings.xml"] = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                                     + (b"<si><t>" + b"A" * length + b"</t></si>") * strings + b"</sst>")
    return parts


def lying_about_sizes(raw: bytes, part: str, size: int) -> bytes:
    """`raw` with `part`'s unpacked size declared as `size` in its local header and the central directory."""
    out = bytearray(raw)
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        info, central = z.getinfo(part), z.start_dir
    out[info.header_offset + 22:info.header_offset + 26] = size.to_bytes(4, "little")
    while out[central:central + 4] == b"PK\x01\x02":
        name_len, extra, comment = (int.from_bytes(out[central + i:central + i + 2], "little") for i in (28, 30, 32))
        if out[central + 46:central + 46 + name_len].decode() == part:
            out[central + 24:central + 28] = size.to_bytes(4, "little")
        central += 46 + name_len + extra + comment
    return bytes(out)


# --- JSON: a wrong type is refused with its path, never coerced ---------------------------------


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["answers"][0].update(na="no"), r"answers\[0\]\.na: 'no' is not true or false"),
    (lambda d: d["answers"][1].update(note={"a": 1}), r"answers\[1\]\.note: \{'a': 1\} is not text"),
    (lambda d: d["answers"][1].update(question_id=["x"]), r"answers\[1\]\.question_id: \['x'\] is not text"),
    (lambda d: d["targets"][0].update(layer={}), r"targets\[0\]\.layer: \{\} is not text"),
    (lambda d: d["answers"][0].update(level="2"), r"answers\[0\]\.level: '2' is not a level 0–4"),
    (lambda d: d["answers"][0].update(level=2.0), r"answers\[0\]\.level: 2\.0 is not a level 0–4"),
    (lambda d: d["answers"][2].update(levle=3), r"answers\[2\]\.levle: unknown field"),
    (lambda d: d["answers"][1].update(na=True), r"answers\[1\]: level 2 and na true both given"),
    (lambda d: d["assessment"].update(name="x" * 201), r"assessment\.name: 201 characters; the limit is 200"),
    (lambda d: d["assessment"].update(department="  "), r"assessment\.department: required text"),
    (lambda d: d["assessment"].update(id=2**31), r"assessment\.id: .*2147483647"),
    (lambda d: d["assessment"].update(date=20261102), r"assessment\.date: not a date like 2026-11-23"),
    (lambda d: d["answers"][2].update(note="x" * 32_768),
     r"answers\[2\]\.note: 32,768 characters; the limit is 32,767"),
    (lambda d: d["questionnaire"]["questions"][0].update(weight="2"), r"questionnaire\.questions\[0\]\.weight"),
    (lambda d: d["questionnaire"]["layers"][0].update(id="a" * 101), r"questionnaire\.layers\[0\]\.id: 101 char"),
    (lambda d: d.update(schema_version=True), r"schema_version True is not supported"),
])
def test_json_wrong_types_name_the_field(exported: Assessment, change: Callable, message: str) -> None:
    with pytest.raises(ImportError_, match=rf"^a\.json: {message}"):
        exchange.parse_json(json_with(exported, change), "a.json")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace('"level": 2', '"level": ' + "9" * 5000),
     r"answers\[1\]\.level: a number with 5,000 digits"),
    (lambda t: t.replace('"note": "a note"', '"note": "\\ud800"'), r"answers\[2\]\.note: contains a lone surrogate"),
    (lambda t: t.replace('"note": "a note"', '"note": "a\\u0000b"'), r"answers\[2\]\.note: contains a NUL byte"),
    (lambda t: t.replace('"name": "Baseline"', '"Base\\udfff": 1, "name": "Baseline"'),
     r"assessment: the key .* lone surrogate"),
    (lambda t: t.replace('"note": "a note"', '"note": "a", "note": "b"'), r"key 'note' appears twice"),
    (lambda t: t.replace('"level": 2', '"level": NaN'), r"NaN is not a number"),
    (lambda t: t[:-1] + ', "deep": ' + "[" * 40 + "]" * 40 + "}", r"deep\[0\]\[0\]\[0\]…: nested deeper than 32"),
    (lambda t: "[" * 100_000 + "]" * 100_000, r"nested deeper than 32 levels"),
])
def test_json_limits(exported: Assessment, edit: Callable[[str], str], message: str) -> None:
    raw = edit(export(exported, "json").decode()).encode("utf-8", "surrogatepass")
    start = time.perf_counter()
    with pytest.raises(ImportError_, match=rf"^a\.json: {message}"):
        exchange.parse_json(raw, "a.json")
    assert time.perf_counter() - start < 1


def test_backup_elements_are_as_strict(exported: Assessment) -> None:
    one = json.loads(export(exported, "json"))
    bad = copy.deepcopy(one)
    bad["answers"][0]["na"] = "no"
    with pytest.raises(ImportError_, match=r"^b\.json: \[1\]\.answers\[0\]\.na: 'no' is not true or false"):
        exchange.parse_backup(json.dumps([one, bad]).encode(), "b.json")
    bad = copy.deepcopy(one)
    bad["assessment"]["id"] = [7]  # unhashable, where ids are compared
    with pytest.raises(ImportError_, match=r"\[1\]\.assessment\.id"):
        exchange.parse_backup(json.dumps([one, bad]).encode(), "b.json")
    with pytest.raises(ImportError_, match="two assessments have the same assessment.id"):
        exchange.parse_backup(json.dumps([one, one]).encode(), "b.json")


def test_a_valid_export_still_imports_at_the_limits(exported: Assessment) -> None:
    def fill(d: dict[str, Any]) -> None:
        d["assessment"]["name"] = "n" * 200
        d["answers"][2]["note"] = "é" * 32_767
        d["answers"][0]["note"] = None  # null optional text is empty text
    copy_ = exchange.parse_json(json_with(exported, fill), "a.json")
    assert len(copy_.name) == 200 and len(copy_.answers[2].note) == 32_767 and copy_.answers[0].note == ""


def test_limits_are_the_database_columns() -> None:
    length = {f"{c.table.name}.{c.name}": getattr(c.type, "length", None)
              for t in schema.metadata.tables.values() for c in t.columns}
    for column in ("assessments.name", "departments.name", "organisations.name", "assessments.facilitator",
                   "answers.question_id", "answers.answered_by", "answer_history.changed_by"):
        assert length[column] == limits.MAX_NAME, column
    assert length["assessments.questionnaire_id"] == limits.MAX_QUESTIONNAIRE_ID
    assert length["assessments.questionnaire_version"] == limits.MAX_VERSION
    assert length["targets.layer"] == length["targets.dimension"] == limits.MAX_CELL_ID


# --- CSV and XLSX: strict cells, named by row and column or sheet and cell ------------------------


@pytest.mark.parametrize("spelling", ["yes", "YES", " true ", "1", "True"])
def test_csv_na_spellings(exported: Assessment, spelling: str) -> None:
    raw = csv_with(exported, 3, "na", spelling)  # row 3: alpha.governance.q2, unanswered
    answers = {a.question_id: a for a in exchange.parse_file(raw, "a.csv", resolve(exported)).answers}
    assert answers["alpha.governance.q2"].na


@pytest.mark.parametrize(("column", "value", "message"), [
    ("na", "maybe", r"row 3, column na: 'maybe' is not yes or no \(write yes, no, true, false, 1, 0"),
    ("na", "x", r"row 3, column na: 'x' is not yes or no"),
    ("level", "２", r"row 3, column level: '２' is not a level 0–4"),
    ("level", "9" * 5000, r"row 3, column level: '9999+… is not a level 0–4"),
    ("level", "2.5", r"row 3, column level: '2\.5' is not a level"),
    ("note", "a\x00b", r"row 3, column note: contains a NUL byte at character 2"),
    ("department", "x" * 300, r"row 2, column department: 300 characters; the limit is 200"),
    ("answered_by", "y" * 201, r"row 3, column answered_by: 201 characters; the limit is 200"),
])
def test_csv_cells_are_strict(exported: Assessment, column: str, value: str, message: str) -> None:
    assert re.search(message, refused(csv_with(exported, 3, column, value), "a.csv", exported))


def test_csv_unknown_columns_and_huge_rows(exported: Assessment) -> None:
    text = export(exported, "csv").decode("utf-8-sig").replace("note", "notes", 1)
    assert "row 1: unknown column 'notes'" in refused(text.encode(), "a.csv", exported)
    assert "row 2: 5,000 cells; the limit is 100" in refused(b"a,b\n" + b"," * 4999 + b"\n", "a.csv", exported)


@pytest.mark.parametrize(("sheet", "cell", "value", "message"), [
    ("Alpha", "G2", "maybe", r"sheet 'Alpha', cell G2 \(N/A\): 'maybe' is not yes or no"),
    ("Alpha", "E2", True, r"sheet 'Alpha', cell E2 \(Level\): True is not a level 0–4"),
    ("Alpha", "E3", 2.5, r"sheet 'Alpha', cell E3 \(Level\): 2\.5 is not a level 0–4"),
    ("Alpha", "H2", dt.time(9, 30), r"sheet 'Alpha', cell H2 \(Note\): datetime\.time\(9, 30\) is not text"),
    ("Summary", "B3", "d" * 201, r"sheet 'Summary', cell B3 \(Department\): 201 characters; the limit is 200"),
    ("Alpha", "L1", "Extra", r"sheet 'Alpha', row 1: unknown column 'extra'"),
])
def test_xlsx_cells_are_strict(exported: Assessment, sheet: str, cell: str, value: Any, message: str) -> None:
    assert re.search(message, refused(xlsx_with(exported, sheet, cell, value), "a.xlsx", exported))


def test_xlsx_booleans_and_numbers_a_spreadsheet_writes(exported: Assessment) -> None:
    raw = xlsx_with(exported, "Alpha", "G3", True)  # Excel's TRUE in the N/A column
    answers = {a.question_id: a for a in exchange.parse_file(raw, "a.xlsx", resolve(exported)).answers}
    assert answers["alpha.governance.q2"].na


def test_xlsx_snapshot_edited_with_a_surrogate(exported: Assessment) -> None:
    wb = load_workbook(io.BytesIO(export(exported, "xlsx")))
    cell = wb["_questionnaire"]["A2"]
    cell.value = cell.value.replace('"title":"', '"title":"\\udc00', 1)
    out = io.BytesIO()
    wb.save(out)
    assert "the questionnaire was edited and is no longer valid" in refused(out.getvalue(), "a.xlsx", exported)


# --- XLSX: broken and hostile workbooks ----------------------------------------------------


def test_broken_workbooks_are_one_line(exported: Assessment) -> None:
    raw = export(exported, "xlsx")
    assert "not an XLSX workbook" in refused(raw[: len(raw) // 2], "a.xlsx", exported)
    parts = parts_of(raw)
    broken = {**parts, "xl/worksheets/sheet2.xml": b"<worksheet><sheetData><row><c r='A1' t='s'><v>99999"}
    assert "not a readable XLSX workbook" in refused(zipped(broken), "a.xlsx", exported)
    no_sheet = {k: v for k, v in parts.items() if k != "xl/worksheets/sheet2.xml"}
    assert "sheet 'Alpha' is missing" in refused(zipped(no_sheet), "a.xlsx", exported)
    no_types = {k: v for k, v in parts.items() if k != "[Content_Types].xml"}
    assert "not a readable XLSX workbook" in refused(zipped(no_types), "a.xlsx", exported)


def test_a_shared_strings_bomb_is_refused_quickly_and_small(exported: Assessment) -> None:
    """566 KB holding a 190 MB sharedStrings.xml took 82 s and 1.2 GB; now the zip's sizes refuse it."""
    raw = zipped(with_shared_strings(exported, 190_000, 1000))
    assert len(raw) < 2 * 2**20
    tracemalloc.start()
    start = time.perf_counter()
    try:
        message = refused(raw, "bomb.xlsx", exported)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 5 and peak < 300 * 2**20
    assert re.search(r"part 'xl/sharedStrings\.xml' unpacks to 18\d MB; the limit for one part is 16 MB", message)


def test_a_part_lying_about_its_size_is_refused(exported: Assessment) -> None:
    """zipfile never inflates a part past its declared size, so a lie ends as a damaged workbook."""
    raw = lying_about_sizes(zipped(with_shared_strings(exported, 50_000, 1000)), "xl/sharedStrings.xml", 4096)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        message = refused(raw, "liar.xlsx", exported)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 5 and peak < 300 * 2**20
    assert "not a readable XLSX workbook (BadZipFile" in message


def test_other_zip_limits(exported: Assessment, monkeypatch: pytest.MonkeyPatch) -> None:
    parts = parts_of(export(exported, "xlsx"))
    packed = {**parts, "xl/media/padding.bin": b"\0" * (8 * 2**20)}
    assert "is compressed" in refused(zipped(packed), "a.xlsx", exported)
    many = {**parts, **{f"xl/extra/{i}.xml": b"<x/>" for i in range(400)}}
    assert "400 parts" not in refused(zipped(many), "a.xlsx", exported)  # the count includes the real parts
    assert "the limit is 300" in refused(zipped(many), "a.xlsx", exported)
    monkeypatch.setattr(xlsxfile, "MAX_SHARED_STRINGS", 5)
    assert "holds 6 distinct texts; the limit is 5" in refused(zipped(with_shared_strings(exported, 6)), "a.xlsx",
                                                              exported)


def test_declared_dimensions_do_not_pad_rows(exported: Assessment) -> None:
    """A sheet declaring A1:XFD1048576 made openpyxl yield a billion empty cells."""
    parts = parts_of(export(exported, "xlsx"))
    sheet = "xl/worksheets/sheet2.xml"
    parts[sheet] = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', parts[sheet])
    assert b"XFD1048576" in parts[sheet]
    start = time.perf_counter()
    copy_ = exchange.parse_file(zipped(parts), "a.xlsx", resolve(exported))
    assert time.perf_counter() - start < 5 and len(copy_.answers) == 3


def test_too_many_rows(exported: Assessment) -> None:
    wb = load_workbook(io.BytesIO(export(exported, "xlsx")))
    for _ in range(10_001):
        wb["Beta"].append([None, "x"])
    out = io.BytesIO()
    wb.save(out)
    assert "sheet 'Beta' is too big" in refused(out.getvalue(), "a.xlsx", exported)


# --- through the CLI, the store and the Data page: refused before writing, on SQLite and PostgreSQL ---


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d["answers"][2].update(note="a\0b"), r"answers\[2\]\.note: contains a NUL byte"),
    (lambda d: d["assessment"].update(department="d" * 300), r"assessment\.department: 300 characters"),
])
def test_cli_refuses_before_writing(db_url: str, monkeypatch: pytest.MonkeyPatch, exported: Assessment,
                                    tmp_path: Path, change: Callable, field: str) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    bad = tmp_path / "bad.json"
    bad.write_bytes(json_with(exported, change))
    line = fails("import", str(bad))
    assert re.match(rf"error: {re.escape(str(bad))}: {field}", line), line
    assert Store.open().list_assessments() == []


def test_the_same_file_imports_on_sqlite_and_postgresql(store: Store, exported: Assessment) -> None:
    def fill(d: dict[str, Any]) -> None:
        d["assessment"].update(name="n" * 200, department="d" * 200, organisation="o" * 200, facilitator="f" * 200)
        d["answers"][2].update(note="é" * 32_767, answered_by="b" * 200)
    new_id = store.add_imported(exchange.parse_json(json_with(exported, fill), "a.json"))
    assert store.get_assessment(new_id).name == "n" * 200
    assert store.answers(new_id)["beta.cost.q1"].note == "é" * 32_767


def test_cli_broken_xlsx_is_one_line_exit_1(cli_store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(zipped({"xl/workbook.xml": b"<nonsense"}))
    assert fails("import", str(bad)).startswith(f"error: {bad}: not a readable XLSX workbook")
    deep = tmp_path / "deep.json"
    deep.write_bytes(b"[" * 50_000)
    assert fails("import", str(deep)) == f"error: {deep}: nested deeper than 32 levels"


@pytest.mark.usefixtures("app_env")
def test_data_page_shows_a_refusal_as_one_error(app_store: Store, aid: int, exported: Assessment,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from apptest import DATA_PAGE, app, run

    at = app(aid, page=DATA_PAGE)
    at.get("file_uploader")[0].set_value(("a.json", json_with(exported, lambda d: d["answers"][0].update(na="no")),
                                          "application/json"))
    run(at)
    assert not at.exception
    assert len(at.error) == 1 and "answers" in at.error[0].value and "is not true or false" in at.error[0].value
    monkeypatch.setattr(exchange, "parse_file", lambda *a: 1 / 0)
    at.get("file_uploader")[0].set_value(("b.json", b"{}", "application/json"))
    run(at)
    assert not at.exception
    assert "unexpected error, written to the server's log" in at.error[0].value


# --- fuzzing: the only exception that ever escapes is the documented refusal -----------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


_FROZEN: dict[str, bytes] = {}


def frozen(a: Assessment, fmt: str) -> bytes:
    """One export per format for all fuzz examples: Hypothesis replays draws, and a new "exported at"
    second would change the file under it."""
    if fmt not in _FROZEN:
        _FROZEN[fmt] = export(a, fmt)
    return _FROZEN[fmt]


def only_refusals(parse: Callable[[], Any]) -> None:
    try:
        parse()
    except ImportError_ as exc:
        assert "\n" not in str(exc)


def mutated(raw: bytes, data: st.DataObject) -> bytes:
    """`raw` with a few bytes flipped, inserted or cut."""
    out = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, max(len(out) - 1, 0)))
        action = data.draw(st.sampled_from(["flip", "insert", "cut"]))
        if action == "flip" and out:
            out[at] = data.draw(st.integers(0, 255))
        elif action == "insert":
            out[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        else:
            del out[at:at + data.draw(st.integers(1, 64))]
    return bytes(out)


def replaced_somewhere(value: Any, data: st.DataObject) -> Any:
    """`value` (plain JSON data) with one node, anywhere in it, replaced by a random value."""
    if isinstance(value, dict | list) and value and data.draw(st.integers(0, 3)):
        keys = list(value) if isinstance(value, dict) else list(range(len(value)))
        k = data.draw(st.sampled_from(keys))
        value = copy.copy(value)
        value[k] = replaced_somewhere(value[k], data)
        return value
    return data.draw(JSON_VALUES)


@FUZZ
@given(data=st.data())
def test_fuzz_json_exports(exported: Assessment, data: st.DataObject) -> None:
    original = json.loads(frozen(exported, "json"))
    changed = json.dumps(replaced_somewhere(original, data)).encode()
    only_refusals(lambda: exchange.parse_json(changed, "a.json"))
    only_refusals(lambda: exchange.parse_json(mutated(frozen(exported, "json"), data), "a.json"))
    only_refusals(lambda: exchange.parse_json(data.draw(st.binary(max_size=200)), "a.json"))


@FUZZ
@given(data=st.data())
def test_fuzz_backups(exported: Assessment, data: st.DataObject) -> None:
    original = [json.loads(frozen(exported, "json"))] * 2
    changed = json.dumps(replaced_somewhere(original, data)).encode()
    only_refusals(lambda: exchange.parse_backup(changed, "b.json"))
    only_refusals(lambda: exchange.parse_backup(mutated(json.dumps(original).encode(), data), "b.json"))


@FUZZ
@given(data=st.data())
def test_fuzz_csv(exported: Assessment, data: st.DataObject) -> None:
    raw = frozen(exported, "csv")
    only_refusals(lambda: exchange.parse_file(mutated(raw, data), "a.csv", resolve(exported)))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    row, col = data.draw(st.integers(0, len(rows) - 1)), data.draw(st.integers(0, len(rows[0]) - 1))
    rows[row][col] = data.draw(st.text(max_size=30))
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    only_refusals(lambda: exchange.parse_file(out.getvalue().encode("utf-8", "surrogatepass"), "a.csv",
                                              resolve(exported)))


@settings(FUZZ, max_examples=100)
@given(data=st.data())
def test_fuzz_xlsx(exported: Assessment, data: st.DataObject) -> None:
    raw = frozen(exported, "xlsx")
    parts = parts_of(raw)
    part = data.draw(st.sampled_from(sorted(parts)))
    changed = zipped({**parts, part: mutated(parts[part], data)})
    only_refusals(lambda: exchange.parse_file(changed, "a.xlsx", resolve(exported)))
    only_refusals(lambda: exchange.parse_file(mutated(raw, data), "a.xlsx", resolve(exported)))


@settings(FUZZ, max_examples=50)
@given(data=st.data())
def test_fuzz_xlsx_cells(exported: Assessment, data: st.DataObject) -> None:
    sheet = data.draw(st.sampled_from(["Summary", "Alpha", "Beta", "_questionnaire"]))
    cell = data.draw(st.sampled_from("ABCDEFGHIJKL")) + str(data.draw(st.integers(1, 8)))
    value = data.draw(st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False)
                      | st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=30)
                      | st.datetimes(dt.datetime(1900, 1, 2)))
    only_refusals(lambda: exchange.parse_file(xlsx_with(exported, sheet, cell, value), "a.xlsx", resolve(exported)))


@FUZZ
@given(data=st.data())
def test_fuzz_questionnaire_loader(data: st.DataObject) -> None:
    text = (DATA / "mini.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    at = data.draw(st.integers(0, len(lines) - 1))
    lines[at] = data.draw(st.sampled_from([
        "", "  " + lines[at], lines[at][: len(lines[at]) // 2], lines[at] + ": [", "&a [*a, *a]",
        "!!python/object:os.system", "- " + lines[at], lines[at].replace(":", ": {", 1), "? " + lines[at],
        "%TAG ! tag:x:", "\t" + lines[at],
    ])) if data.draw(st.booleans()) else data.draw(st.text(max_size=40))
    mutated_text = "\n".join(lines)
    if data.draw(st.booleans()):
        mutated_text = mutated(mutated_text.encode(), data).decode("utf-8", "replace")
    with contextlib.suppress(QuestionnaireError):  # the documented refusal; anything else fails the test
        parse_questionnaire(mutated_text, "q.yaml")
