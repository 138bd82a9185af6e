"""Import and export as JSON, CSV and XLSX: round trips, spreadsheet safety, and bad files that import nothing.

Store-backed tests run on SQLite and on PostgreSQL (the `store` fixture).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from assessment import exchange
from assessment.cli import app
from assessment.exchange import ImportError_
from assessment.questionnaire import Questionnaire
from assessment.scoring import score
from assessment.storage import ReadOnly, Store

NOTES = {  # question → (level, N/A, note): every way a note can look like a formula
    "alpha.governance.q1": (2, False, '=HYPERLINK("http://evil.example","click")'),
    "alpha.governance.q2": (4, False, "+1 from the audit\nsecond line"),
    "alpha.monitoring.q1": (None, True, "-not used here"),
    "alpha.cost.q1": (0, False, "@SUM(A1:A9)"),
    "beta.governance.q1": (3, False, "\tindented with a tab"),
    "beta.governance.q2": (1, False, "\rcarriage return"),
    "beta.monitoring.q1": (None, False, "'=already quoted"),  # a note without a level yet
}


def filled(store: Store, q: Questionnaire) -> int:
    """An assessment with levels, N/A, a note-only answer, an unanswered question, targets and history."""
    aid = store.create_assessment("Baseline", "Platform", q, facilitator="Ada", assessed_on=dt.date(2026, 11, 2))
    store.save_answer(aid, "alpha.governance.q1", level=1, answered_by="ann")
    for qid, (level, na, note) in NOTES.items():
        store.save_answer(aid, qid, level=level, na=na, note=note, evidence_url=f"https://wiki.example/{qid}",
                          answered_by="bo")
    store.set_targets(aid, {("alpha", "governance"): 4, ("beta", "cost"): 2})
    return aid  # beta.cost.q1 stays unanswered


def resolve_in(store: Store, *installed: Questionnaire) -> exchange.Resolve:
    return exchange.resolver(lambda: installed, store.questionnaire_by_hash)


def import_file(store: Store, raw: bytes, name: str, resolve: exchange.Resolve | None = None) -> int:
    """What `import` and the app do: validate the whole file, then write it in one transaction."""
    data = exchange.parse_file(raw, name, resolve or resolve_in(store))
    return store.import_assessment(
        data.name, data.department, data.questionnaire, data.answers, organisation=data.organisation,
        facilitator=data.facilitator, assessed_on=data.assessed_on, status=data.status,
        targets=data.targets, history=data.history)


def export(store: Store, aid: int, fmt: str) -> bytes:
    return exchange.export_as(fmt, store.get_assessment(aid), store.answers(aid), store.targets(aid),
                              store.history(aid))


def scores_of(store: Store, aid: int) -> dict:
    return score(store.get_assessment(aid).questionnaire, store.load(aid).values).as_dict()


def comparable(store: Store, aid: int) -> dict:
    return {qid: (a.level, a.na, a.note, a.evidence_url, a.answered_by) for qid, a in store.answers(aid).items()}


# --- round trips ------------------------------------------------------------------------


def test_json_csv_and_xlsx_round_trips_give_identical_scores(store: Store, mini: Questionnaire) -> None:
    aid = filled(store, mini)
    copies = {fmt: import_file(store, export(store, aid, fmt), f"a.{fmt}") for fmt in exchange.FORMATS}
    assert scores_of(store, copies["json"]) == scores_of(store, copies["xlsx"]) == scores_of(store, aid)
    assert scores_of(store, copies["csv"]) == scores_of(store, aid)
    for fmt, new_id in copies.items():
        expected = comparable(store, aid)
        if fmt == "xlsx":  # a cell's line breaks are LF (XML reads a CR as LF)
            expected = {k: (*v[:2], v[2].replace("\r", "\n"), *v[3:]) for k, v in expected.items()}
        assert comparable(store, new_id) == expected, fmt  # notes come back exactly
        record = store.get_assessment(new_id)
        assert (record.name, record.department, record.facilitator, record.assessed_on) == \
               ("Baseline", "Platform", "Ada", dt.date(2026, 11, 2))
        assert record.questionnaire == mini
    # JSON is the lossless one: targets and the answer history travel with it.
    assert store.targets(copies["json"]) == store.targets(aid)
    strip = [{k: v for k, v in h.items() if k not in ("id", "assessment_id", "changed_at")}
             for h in store.history(aid)]
    assert [{k: v for k, v in h.items() if k not in ("id", "assessment_id", "changed_at")}
            for h in store.history(copies["json"])] == strip


def test_csv_has_one_row_per_question_with_names(store: Store, mini: Questionnaire) -> None:
    aid = filled(store, mini)
    text = export(store, aid, "csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert list(rows[0]) == exchange.CSV_COLUMNS
    assert [r["question_id"] for r in rows] == [q.id for q in mini.questions]
    by_id = {r["question_id"]: r for r in rows}
    first = by_id["alpha.governance.q2"]
    assert (first["layer"], first["dimension"], first["level"], first["level_name"], first["na"]) == \
           ("Alpha", "Governance & compliance", "4", "Optimised", "no")
    assert first["question"] == mini.question("alpha.governance.q2").text
    assert (by_id["alpha.monitoring.q1"]["level_name"], by_id["alpha.monitoring.q1"]["na"]) == ("N/A", "yes")
    assert by_id["beta.cost.q1"]["level"] == "" and by_id["beta.cost.q1"]["answered_by"] == ""
    assert {r["assessment"] for r in rows} == {"Baseline"}
    assert by_id["alpha.cost.q1"]["evidence_url"] == "https://wiki.example/alpha.cost.q1"
    assert by_id["alpha.cost.q1"]["answered_by"] == "bo" and by_id["alpha.cost.q1"]["updated_at"]


def test_a_hand_made_csv_without_hash_uses_the_installed_questionnaire(store: Store, mini: Questionnaire) -> None:
    raw = (b"assessment,department,questionnaire,question_id,level,na,note\n"
           b"Offline,Ops,mini,alpha.governance.q1,3,,typed in Excel\n"
           b"Offline,Ops,mini,alpha.cost.q1,,yes,\n"
           b"Offline,Ops,mini,beta.cost.q1,,,\n")
    new_id = import_file(store, raw, "offline.csv", resolve_in(store, mini))
    assert store.load(new_id).values == {"alpha.governance.q1": 3, "alpha.cost.q1": None}
    assert store.answers(new_id)["alpha.governance.q1"].note == "typed in Excel"


def test_csv_of_a_changed_questionnaire_is_refused(store: Store, mini: Questionnaire) -> None:
    aid = filled(store, mini)
    raw = export(store, aid, "csv")
    store.delete_assessment(aid)  # no stored snapshot left, and the installed one differs
    changed = mini.model_copy(update={"version": "0.2"})
    with pytest.raises(ImportError_, match="row 2, column questionnaire_hash: questionnaire 'mini' with hash"):
        import_file(store, raw, "a.csv", resolve_in(store, changed))


# --- spreadsheet safety -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "'=x", "''+x", "'plain",
                                  "plain", "", "a=b", "'"])
def test_neutralise_is_reversible(text: str) -> None:
    out = exchange.neutralise(text)
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert exchange.restore_text(out) == text


def test_formula_injection_is_neutralised_in_csv_and_xlsx(store: Store, mini: Questionnaire) -> None:
    aid = filled(store, mini)
    rows = list(csv.DictReader(io.StringIO(export(store, aid, "csv").decode("utf-8-sig"), newline="")))
    notes = {r["question_id"]: r["note"] for r in rows}
    for qid, (_, _, note) in NOTES.items():
        assert notes[qid] == "'" + note, qid  # every one of them starts with a formula character
    wb = load_workbook(io.BytesIO(export(store, aid, "xlsx")))
    cells = [c for ws in wb.worksheets[1:3] for row in ws.iter_rows(min_row=2) for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    xlsx_notes = {ws.cell(r, 1).value: ws.cell(r, 8).value for ws in wb.worksheets[1:3]
                  for r in range(2, ws.max_row + 1)}
    assert xlsx_notes["alpha.governance.q1"] == "'" + NOTES["alpha.governance.q1"][2]
    assert xlsx_notes["alpha.cost.q1"] == "'@SUM(A1:A9)"


def test_names_that_look_like_formulas_are_neutralised_too(store: Store, mini: Questionnaire) -> None:
    aid = store.create_assessment("=cmd|' /C calc'!A0", "-Ops", mini)
    text = export(store, aid, "csv").decode("utf-8-sig")
    assert "'=cmd|" in text and ",'-Ops," in text
    new_id = import_file(store, export(store, aid, "xlsx"), "a.xlsx")
    assert (store.get_assessment(new_id).name, store.get_assessment(new_id).department) == \
           ("=cmd|' /C calc'!A0", "-Ops")


def test_xlsx_is_readable_in_excel(store: Store, mini: Questionnaire) -> None:
    aid = filled(store, mini)
    wb = load_workbook(io.BytesIO(export(store, aid, "xlsx")))
    assert wb.sheetnames == ["Summary", "Alpha", "Beta", "_questionnaire"]
    assert wb["_questionnaire"].sheet_state == "hidden"
    for ws in wb.worksheets[:3]:
        assert ws.freeze_panes == "A2"
        assert all(c.font.b for c in ws[1] if c.value)
        assert all(ws.column_dimensions[col].width >= 8 for col in "ABC")
    alpha = wb["Alpha"]
    assert [c.value for c in alpha[1]] == ["Question ID", "Layer", "Dimension", "Question", "Level", "Level name",
                                           "N/A", "Note", "Evidence URL", "Answered by", "Updated at"]
    assert alpha.max_row == 1 + 4 and alpha.auto_filter.ref
    assert alpha.column_dimensions["D"].width > 40 and alpha["D2"].alignment.wrap_text
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(min_row=2, max_col=2, values_only=True) if r[0]}
    assert summary["Assessment"] == "Baseline" and summary["Questionnaire"] == "mini"
    expected = scores_of(store, aid)
    assert summary["Overall"] == "All dimensions"  # the scores table's first row is the overall score
    overall_row = next(r for r in wb["Summary"].iter_rows(values_only=True) if r[0] == "Overall")
    assert overall_row[2] == pytest.approx(expected["overall"])
    dims = {(r[0], r[1]): r[2] for r in wb["Summary"].iter_rows(values_only=True) if r[0] in ("Alpha", "Beta")}
    assert dims[("Alpha", "Governance & compliance")] == pytest.approx(expected["layers"][0]["dimensions"][0]["score"])


# --- bad files: a clear error, and the database unchanged ------------------------------------


def state(store: Store) -> tuple:
    return tuple((a.id, a.status, tuple(sorted(comparable(store, a.id).items()))) for a in store.list_assessments())


def refused(store: Store, raw: bytes, name: str, match: str, resolve: exchange.Resolve | None = None) -> str:
    before = state(store)
    with pytest.raises(ImportError_, match=match) as info:
        import_file(store, raw, name, resolve)
    assert state(store) == before
    return str(info.value)


def json_export(store: Store, aid: int) -> dict:
    return json.loads(export(store, aid, "json"))


def test_truncated_json(store: Store, mini: Questionnaire) -> None:
    raw = export(store, filled(store, mini), "json")
    refused(store, raw[: len(raw) // 2], "a.json", r"a\.json:\d+: not valid JSON")


def test_wrong_schema_version(store: Store, mini: Questionnaire) -> None:
    data = json_export(store, filled(store, mini))
    data["schema_version"] = 2
    refused(store, json.dumps(data).encode(), "a.json", "schema_version 2 is not supported")


def test_wrong_schema_version_in_xlsx(store: Store, mini: Questionnaire) -> None:
    wb = load_workbook(io.BytesIO(export(store, filled(store, mini), "xlsx")))
    row = next(r for r in wb["Summary"].iter_rows() if r[0].value == "Schema version")
    row[1].value = 7
    out = io.BytesIO()
    wb.save(out)
    refused(store, out.getvalue(), "a.xlsx", r"cell B\d+ \(Schema version\): schema version 7 is not supported")


def test_unknown_question_ids(store: Store, mini: Questionnaire) -> None:
    aid = filled(store, mini)
    data = json_export(store, aid)
    data["answers"][2]["question_id"] = "alpha.nope"
    refused(store, json.dumps(data).encode(), "a.json", r"answers\[2\]\.question_id: unknown question 'alpha.nope'")
    text = export(store, aid, "csv").decode("utf-8-sig").replace("beta.cost.q1", "beta.cost.q9")
    refused(store, text.encode(), "a.csv", "row 9, column question_id: unknown question 'beta.cost.q9'")


def csv_rows(store: Store, aid: int) -> list[list[str]]:
    """The CSV export as a spreadsheet shows it: rows[0] is row 1, the header."""
    return list(csv.reader(io.StringIO(export(store, aid, "csv").decode("utf-8-sig"), newline="")))


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def test_levels_out_of_range(store: Store, mini: Questionnaire) -> None:
    aid = filled(store, mini)
    data = json_export(store, aid)
    data["answers"][0]["level"] = 7
    refused(store, json.dumps(data).encode(), "a.json", r"answers\[0\]\.level: 7 is not a level 0–4")
    rows = csv_rows(store, aid)
    level = rows[0].index("level")
    rows[3][level], rows[4][level] = "5", "two"
    message = refused(store, csv_bytes(rows), "a.csv", "row 4, column level: '5' is not a level 0–4")
    assert "row 5, column level: 'two' is not a level" in message  # every error, not just the first
    wb = load_workbook(io.BytesIO(export(store, aid, "xlsx")))
    wb["Beta"]["E3"] = 9
    saved = io.BytesIO()
    wb.save(saved)
    refused(store, saved.getvalue(), "a.xlsx", r"sheet 'Beta', cell E3 \(Level\): 9 is not a level 0–4")


def test_duplicate_rows(store: Store, mini: Questionnaire) -> None:
    aid = filled(store, mini)
    rows = csv_rows(store, aid)
    refused(store, csv_bytes([*rows, rows[2]]), "a.csv",
            "row 10, column question_id: 'alpha.governance.q2' is also on row 3")
    data = json_export(store, aid)
    data["answers"].append(dict(data["answers"][0]))
    refused(store, json.dumps(data).encode(), "a.json", r"answered twice \(first at answers\[0\]\)")
    wb = load_workbook(io.BytesIO(export(store, aid, "xlsx")))
    wb["Beta"].append([c.value for c in wb["Alpha"][2]])
    saved = io.BytesIO()
    wb.save(saved)
    refused(store, saved.getvalue(), "a.xlsx",
            r"sheet 'Beta', cell A6 \(Question ID\): 'alpha.governance.q1' is also on sheet 'Alpha' row 2")


def test_a_50_mb_file_is_refused_before_parsing(store: Store) -> None:
    huge = b"{" * (50 * 1024 * 1024)  # not even JSON: the size is what is reported
    for name in ("big.json", "big.csv", "big.xlsx"):
        refused(store, huge, name, r"file is 50 MB; the limit is 20 MB")


def test_non_utf8_csv(store: Store, mini: Questionnaire) -> None:
    text = export(store, filled(store, mini), "csv").decode("utf-8-sig").replace("Platform", "Plateforme Générale")
    refused(store, text.encode("latin-1"), "a.csv", r"a\.csv:2: not UTF-8 text \(byte 0xe9\); save the CSV as UTF-8")


def test_xlsx_with_a_layer_sheet_renamed(store: Store, mini: Questionnaire) -> None:
    wb = load_workbook(io.BytesIO(export(store, filled(store, mini), "xlsx")))
    wb["Beta"].title = "Beta (reviewed)"
    saved = io.BytesIO()
    wb.save(saved)
    message = refused(store, saved.getvalue(), "a.xlsx", "sheet 'Beta' is missing")
    assert "'Beta (reviewed)'" in message and "renamed" in message


def test_xlsx_with_the_summary_renamed(store: Store, mini: Questionnaire) -> None:
    wb = load_workbook(io.BytesIO(export(store, filled(store, mini), "xlsx")))
    wb["Summary"].title = "Overview"
    saved = io.BytesIO()
    wb.save(saved)
    refused(store, saved.getvalue(), "a.xlsx", "sheet 'Summary' is missing .*'Overview'.*renamed")


def test_not_a_workbook_and_unknown_types(store: Store) -> None:
    refused(store, b"PK\x03\x04 not really a zip", "a.xlsx", "not an XLSX workbook")
    refused(store, b"hello", "a.txt", r"unknown file type \.txt; use \.json, \.csv or \.xlsx")
    refused(store, b"", "a.csv", "empty file")
    refused(store, b"question_id,level\n", "a.csv", "column assessment is missing")


def test_csv_holds_one_assessment(store: Store, mini: Questionnaire) -> None:
    rows = csv_rows(store, filled(store, mini))
    rows[5][0] = "Another"
    refused(store, csv_bytes(rows), "a.csv", "row 6, column assessment: 'Another' differs from row 2 .*one assessment")


# --- the command line ---------------------------------------------------------------------


runner = CliRunner()


def cli(*args: str, ok: bool = True) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    return result.exit_code, result.stdout, result.stderr


def test_cli_export_import_every_format(cli_store: Store, mini: Questionnaire, tmp_path: Path) -> None:
    aid = filled(cli_store, mini)
    for fmt in exchange.FORMATS:
        out = tmp_path / f"a.{fmt}"
        assert cli("export", str(aid), "--format", fmt, "-o", str(out))[1] == f"wrote {out}\n"
        new_id = int(cli("import", str(out))[1].splitlines()[-1])
        assert scores_of(cli_store, new_id) == scores_of(cli_store, aid)
    _, text, _ = cli("export", str(aid), "--format", "csv")  # CSV to stdout
    assert text.startswith("assessment,department,")
    code, _, err = cli("export", str(aid), "--format", "xlsx", ok=False)
    assert code == 1 and "-o FILE.xlsx" in err


def test_cli_bad_import_lists_errors_and_imports_nothing(cli_store: Store, mini: Questionnaire,
                                                         tmp_path: Path) -> None:
    aid = filled(cli_store, mini)
    text = export(cli_store, aid, "csv").decode("utf-8-sig")
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace(",4,Optimised,", ",9,Optimised,").replace("beta.cost.q1", "nope"), encoding="utf-8")
    code, out, err = cli("import", str(bad), ok=False)
    assert code == 1 and out == ""
    assert "row 3, column level: '9' is not a level" in err and "row 9, column question_id: unknown" in err
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(50 * 1024 * 1024)
    assert "the limit is 20 MB" in cli("import", str(big), ok=False)[2]
    assert [a.id for a in cli_store.list_assessments()] == [aid]


def test_cli_final_assessment_refuses_edits_and_says_so(cli_store: Store, mini: Questionnaire) -> None:
    aid = filled(cli_store, mini)
    assert "is final" in cli("finalise", str(aid))[1]
    code, _, err = cli("targets", str(aid), "--set", "alpha.cost=4", ok=False)
    assert code == 1 and f"assessment {aid} is final and read-only" in err
    with pytest.raises(ReadOnly, match="final and read-only; reopen it as a draft first"):
        cli_store.save_answer(aid, "alpha.cost.q1", level=4)
    assert cli_store.answers(aid)["alpha.cost.q1"].level == 0
    assert "draft again" in cli("reopen", str(aid))[1]
    cli("targets", str(aid), "--set", "alpha.cost=4")
    assert cli_store.targets(aid)[("alpha", "cost")] == 4
    assert "no assessment with id 999" in cli("finalise", "999", ok=False)[2]
