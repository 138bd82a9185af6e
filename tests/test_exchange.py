"""Import and export as JSON, CSV and XLSX: round trips, spreadsheet safety, and bad files refused.

The formats are pure (bytes in, `assessment.model` values out), so most tests build an assessment by
hand and never open a database. The last ones go through the store (SQLite and PostgreSQL, the `store`
fixture) and the CLI, for what only they can show: a stored assessment exported and imported back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from clirunner import invoke
from openpyxl import Workbook, load_workbook

from assessment import exchange
from assessment.exchange import ImportedAssessment, ImportError_
from assessment.model import Answer, Assessment, AssessmentDetails, scoring_values
from assessment.questionnaire import Questionnaire, to_snapshot
from assessment.scoring import score
from assessment.storage import ReadOnly, Store

ROOT = Path(__file__).resolve().parent.parent
NOTES = {  # question → (level, N/A, note): every way a note can look like a formula
    "alpha.governance.q1": (2, False, '=HYPERLINK("http://evil.example","click")'),
    "alpha.governance.q2": (4, False, "+1 from the audit\nsecond line"),
    "alpha.monitoring.q1": (None, True, "-not used here"),
    "alpha.cost.q1": (0, False, "@SUM(A1:A9)"),
    "beta.governance.q1": (3, False, "\tindented with a tab"),
    "beta.governance.q2": (1, False, "\rcarriage return"),
    "beta.monitoring.q1": (None, False, "'=already quoted"),  # a note without a level yet
}
TARGETS = {("alpha", "governance"): 4, ("beta", "cost"): 2}
AT = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
HISTORY = [
    {"question_id": "alpha.governance.q1", "old_level": None, "old_na": None, "new_level": 1, "new_na": False,
     "note": "", "changed_by": "ann", "changed_at": AT},
    {"question_id": "alpha.governance.q1", "old_level": 1, "old_na": False, "new_level": 2, "new_na": False,
     "note": NOTES["alpha.governance.q1"][2], "changed_by": "bo", "changed_at": AT + dt.timedelta(minutes=5)},
]


def details(q: Questionnaire, name: str = "Baseline", department: str = "Platform") -> AssessmentDetails:
    return AssessmentDetails(
        id=7, name=name, department=department, organisation="Acme", questionnaire_id=q.id,
        questionnaire_version=q.version, questionnaire_hash=q.content_hash(), assessed_on=dt.date(2026, 11, 2),
        status="draft", facilitator="Ada", created_at=None, snapshot=to_snapshot(q),
    )


@pytest.fixture
def baseline(mini: Questionnaire) -> Assessment:
    """Levels, N/A, a note-only answer, an unanswered question (beta.cost.q1) and targets, built by hand."""
    answers = {qid: Answer(qid, level, na, note, f"https://wiki.example/{qid}", "bo", AT)
               for qid, (level, na, note) in NOTES.items()}
    return Assessment(details(mini), mini, answers, TARGETS)


def export(a: Assessment, fmt: str) -> bytes:
    return exchange.export_as(fmt, a.details, a.answers, a.targets, HISTORY)


def resolve_for(*installed: Questionnaire, stored: Iterable[Questionnaire] = ()) -> exchange.Resolve:
    """What a shell passes: the installed questionnaires, and those its database holds by content hash."""
    return exchange.resolver(lambda: installed, {q.content_hash(): q for q in stored}.get)


def parse(raw: bytes, name: str, q: Questionnaire) -> ImportedAssessment:
    return exchange.parse_file(raw, name, resolve_for(stored=[q]))


def scores(q: Questionnaire, answers: Iterable[Answer]) -> dict:
    return score(q, scoring_values({a.question_id: a for a in answers})).as_dict()


def refused(raw: bytes, name: str, match: str, resolve: exchange.Resolve | None = None) -> str:
    with pytest.raises(ImportError_, match=match) as info:
        exchange.parse_file(raw, name, resolve or resolve_for())
    return str(info.value)


def workbook(a: Assessment) -> Workbook:
    return load_workbook(io.BytesIO(export(a, "xlsx")))


def saved(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_rows(a: Assessment) -> list[list[str]]:
    """The CSV export as a spreadsheet shows it: rows[0] is row 1, the header."""
    return list(csv.reader(io.StringIO(export(a, "csv").decode("utf-8-sig"), newline="")))


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def test_importing_exchange_loads_no_database_and_no_spreadsheet_library() -> None:
    code = ("import json, sys\nimport assessment.exchange\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'openpyxl', "
            "'pandas') or m == 'assessment.storage' or m.startswith('assessment.storage.'))))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


# --- round trips ------------------------------------------------------------------------


def test_json_csv_and_xlsx_round_trips_give_the_same_answers_and_scores(baseline: Assessment) -> None:
    for fmt in exchange.FORMATS:
        copy = parse(export(baseline, fmt), f"a.{fmt}", baseline.questionnaire)
        expected = dict(baseline.answers)
        if fmt == "xlsx":  # a cell's line breaks are LF (XML reads a CR as LF)
            expected = {k: Answer(a.question_id, a.level, a.na, a.note.replace("\r", "\n"), a.evidence_url,
                                  a.answered_by, a.updated_at) for k, a in expected.items()}
        assert {a.question_id: a for a in copy.answers} == expected, fmt  # notes come back exactly
        assert (copy.name, copy.department, copy.organisation, copy.facilitator, copy.assessed_on, copy.status) \
            == ("Baseline", "Platform", "Acme", "Ada", dt.date(2026, 11, 2), "draft"), fmt
        assert copy.questionnaire == baseline.questionnaire
        assert scores(copy.questionnaire, copy.answers) == scores(baseline.questionnaire, baseline.answers.values())
    # JSON is the lossless one: the id, targets and the answer history travel with it.
    copy = exchange.parse_json(export(baseline, "json"), "a.json")
    assert (copy.id, copy.targets, copy.history) == (7, TARGETS, HISTORY)


def test_csv_has_one_row_per_question_with_names(baseline: Assessment) -> None:
    mini = baseline.questionnaire
    rows = list(csv.DictReader(io.StringIO(export(baseline, "csv").decode("utf-8-sig"), newline="")))
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
    assert by_id["alpha.cost.q1"]["answered_by"] == "bo" and by_id["alpha.cost.q1"]["updated_at"] == AT.isoformat()


def test_a_hand_made_csv_without_hash_uses_the_installed_questionnaire(mini: Questionnaire) -> None:
    raw = (b"assessment,department,questionnaire,question_id,level,na,note\n"
           b"Offline,Ops,mini,alpha.governance.q1,3,,typed in Excel\n"
           b"Offline,Ops,mini,alpha.cost.q1,,yes,\n"
           b"Offline,Ops,mini,beta.cost.q1,,,\n")
    copy = exchange.parse_file(raw, "offline.csv", resolve_for(mini))
    assert [(a.question_id, a.level, a.na, a.note) for a in copy.answers] == \
           [("alpha.governance.q1", 3, False, "typed in Excel"), ("alpha.cost.q1", None, True, "")]
    assert (copy.name, copy.department, copy.status) == ("Offline", "Ops", "draft")


def test_csv_of_a_changed_questionnaire_is_refused(baseline: Assessment, mini: Questionnaire) -> None:
    changed = mini.model_copy(update={"version": "0.2"})  # no stored snapshot, and the installed one differs
    refused(export(baseline, "csv"), "a.csv", "row 2, column questionnaire_hash: questionnaire 'mini' with hash",
            resolve_for(changed))


# --- spreadsheet safety -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "'=x", "''+x", "'plain",
                                  "plain", "", "a=b", "'"])
def test_neutralise_is_reversible(text: str) -> None:
    out = exchange.neutralise(text)
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert exchange.restore_text(out) == text


def test_formula_injection_is_neutralised_in_csv_and_xlsx(baseline: Assessment) -> None:
    rows = list(csv.DictReader(io.StringIO(export(baseline, "csv").decode("utf-8-sig"), newline="")))
    notes = {r["question_id"]: r["note"] for r in rows}
    for qid, (_, _, note) in NOTES.items():
        assert notes[qid] == "'" + note, qid  # every one of them starts with a formula character
    wb = workbook(baseline)
    cells = [c for ws in wb.worksheets[1:3] for row in ws.iter_rows(min_row=2) for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    xlsx_notes = {ws.cell(r, 1).value: ws.cell(r, 8).value for ws in wb.worksheets[1:3]
                  for r in range(2, ws.max_row + 1)}
    assert xlsx_notes["alpha.governance.q1"] == "'" + NOTES["alpha.governance.q1"][2]
    assert xlsx_notes["alpha.cost.q1"] == "'@SUM(A1:A9)"


def test_names_that_look_like_formulas_are_neutralised_too(mini: Questionnaire) -> None:
    a = Assessment(details(mini, "=cmd|' /C calc'!A0", "-Ops"), mini)
    text = export(a, "csv").decode("utf-8-sig")
    assert "'=cmd|" in text and ",'-Ops," in text
    for fmt in ("csv", "xlsx"):
        copy = parse(export(a, fmt), f"a.{fmt}", mini)
        assert (copy.name, copy.department) == ("=cmd|' /C calc'!A0", "-Ops"), fmt


def test_xlsx_is_readable_in_excel(baseline: Assessment) -> None:
    wb = workbook(baseline)
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
    expected = scores(baseline.questionnaire, baseline.answers.values())
    assert summary["Overall"] == "All dimensions"  # the scores table's first row is the overall score
    overall_row = next(r for r in wb["Summary"].iter_rows(values_only=True) if r[0] == "Overall")
    assert overall_row[2] == pytest.approx(expected["overall"])
    dims = {(r[0], r[1]): r[2] for r in wb["Summary"].iter_rows(values_only=True) if r[0] in ("Alpha", "Beta")}
    assert dims[("Alpha", "Governance & compliance")] == pytest.approx(expected["layers"][0]["dimensions"][0]["score"])


# --- bad files: one clear error naming the file and where ---------------------------------------


def json_export(a: Assessment) -> dict[str, Any]:
    return json.loads(export(a, "json"))


def test_truncated_json(baseline: Assessment) -> None:
    raw = export(baseline, "json")
    refused(raw[: len(raw) // 2], "a.json", r"a\.json:\d+: not valid JSON")


def test_wrong_schema_version(baseline: Assessment) -> None:
    data = json_export(baseline)
    data["schema_version"] = 2
    refused(json.dumps(data).encode(), "a.json", "schema_version 2 is not supported")


def test_wrong_schema_version_in_xlsx(baseline: Assessment) -> None:
    wb = workbook(baseline)
    row = next(r for r in wb["Summary"].iter_rows() if r[0].value == "Schema version")
    row[1].value = 7
    refused(saved(wb), "a.xlsx", r"cell B\d+ \(Schema version\): schema version 7 is not supported")


def test_unknown_question_ids(baseline: Assessment) -> None:
    data = json_export(baseline)
    data["answers"][2]["question_id"] = "alpha.nope"
    refused(json.dumps(data).encode(), "a.json", r"answers\[2\]\.question_id: unknown question 'alpha.nope'")
    text = export(baseline, "csv").decode("utf-8-sig").replace("beta.cost.q1", "beta.cost.q9")
    refused(text.encode(), "a.csv", "row 9, column question_id: unknown question 'beta.cost.q9'",
            resolve_for(stored=[baseline.questionnaire]))


def test_levels_out_of_range(baseline: Assessment) -> None:
    data = json_export(baseline)
    data["answers"][0]["level"] = 7
    refused(json.dumps(data).encode(), "a.json", r"answers\[0\]\.level: 7 is not a level 0–4")
    data["answers"][0]["level"] = True  # JSON true is not level 1
    refused(json.dumps(data).encode(), "a.json", r"answers\[0\]\.level: True is not a level 0–4")
    rows = csv_rows(baseline)
    level = rows[0].index("level")
    rows[3][level], rows[4][level] = "5", "two"
    message = refused(csv_bytes(rows), "a.csv", "row 4, column level: '5' is not a level 0–4",
                      resolve_for(stored=[baseline.questionnaire]))
    assert "row 5, column level: 'two' is not a level" in message  # every error, not just the first
    wb = workbook(baseline)
    wb["Beta"]["E3"] = 9
    refused(saved(wb), "a.xlsx", r"sheet 'Beta', cell E3 \(Level\): 9 is not a level 0–4")


def test_duplicate_rows(baseline: Assessment) -> None:
    rows = csv_rows(baseline)
    refused(csv_bytes([*rows, rows[2]]), "a.csv", "row 10, column question_id: 'alpha.governance.q2' is also on row 3",
            resolve_for(stored=[baseline.questionnaire]))
    data = json_export(baseline)
    data["answers"].append(dict(data["answers"][0]))
    refused(json.dumps(data).encode(), "a.json", r"answered twice \(first at answers\[0\]\)")
    wb = workbook(baseline)
    wb["Beta"].append([c.value for c in wb["Alpha"][2]])
    refused(saved(wb), "a.xlsx",
            r"sheet 'Beta', cell A6 \(Question ID\): 'alpha.governance.q1' is also on sheet 'Alpha' row 2")


def test_a_50_mb_file_is_refused_before_parsing() -> None:
    huge = b"{" * (50 * 1024 * 1024)  # not even JSON: the size is what is reported
    for name in ("big.json", "big.csv", "big.xlsx"):
        refused(huge, name, r"file is 50 MB; the limit is 20 MB")


def test_non_utf8_csv(baseline: Assessment) -> None:
    text = export(baseline, "csv").decode("utf-8-sig").replace("Platform", "Plateforme Générale")
    refused(text.encode("latin-1"), "a.csv", r"a\.csv:2: not UTF-8 text \(byte 0xe9\); save the CSV as UTF-8")


def test_xlsx_with_a_layer_sheet_renamed(baseline: Assessment) -> None:
    wb = workbook(baseline)
    wb["Beta"].title = "Beta (reviewed)"
    message = refused(saved(wb), "a.xlsx", "sheet 'Beta' is missing")
    assert "'Beta (reviewed)'" in message and "renamed" in message


def test_xlsx_with_the_summary_renamed(baseline: Assessment) -> None:
    wb = workbook(baseline)
    wb["Summary"].title = "Overview"
    refused(saved(wb), "a.xlsx", "sheet 'Summary' is missing .*'Overview'.*renamed")


def test_not_a_workbook_and_unknown_types() -> None:
    refused(b"PK\x03\x04 not really a zip", "a.xlsx", "not an XLSX workbook")
    refused(b"hello", "a.txt", r"unknown file type \.txt; use \.json, \.csv or \.xlsx")
    refused(b"", "a.csv", "empty file")
    refused(b"question_id,level\n", "a.csv", "column assessment is missing")


def test_csv_holds_one_assessment(baseline: Assessment) -> None:
    rows = csv_rows(baseline)
    rows[5][0] = "Another"
    refused(csv_bytes(rows), "a.csv", "row 6, column assessment: 'Another' differs from row 2 .*one assessment")


# --- through the store: a stored assessment exported and imported back ---------------------------


def filled(store: Store, q: Questionnaire) -> int:
    """The `baseline` assessment in a database: its answers, the history they made, and targets."""
    aid = store.create_assessment("Baseline", "Platform", q, facilitator="Ada", assessed_on=dt.date(2026, 11, 2))
    store.save_answer(aid, "alpha.governance.q1", level=1, answered_by="ann")
    for qid, (level, na, note) in NOTES.items():
        store.save_answer(aid, qid, level=level, na=na, note=note, evidence_url=f"https://wiki.example/{qid}",
                          answered_by="bo")
    store.set_targets(aid, TARGETS)
    return aid  # beta.cost.q1 stays unanswered


def export_stored(store: Store, aid: int, fmt: str) -> bytes:
    return exchange.export_as(fmt, store.get_assessment(aid), store.answers(aid), store.targets(aid),
                              store.history(aid))


def stored_scores(store: Store, aid: int) -> dict:
    a = store.load(aid)
    return scores(a.questionnaire, a.answers.values())


def test_every_format_round_trips_through_the_store(store: Store, mini: Questionnaire) -> None:
    """What `import` and the app do; a CSV finds its questionnaire among the stored ones by content hash."""
    aid = filled(store, mini)
    resolve = exchange.resolver(lambda: (), store.questionnaire_by_hash)
    copies = {fmt: store.add_imported(exchange.parse_file(export_stored(store, aid, fmt), f"a.{fmt}", resolve))
              for fmt in exchange.FORMATS}
    kept = {qid: (a.level, a.na, a.note.replace("\r", "\n"), a.evidence_url, a.answered_by)
            for qid, a in store.answers(aid).items()}
    for fmt, new_id in copies.items():
        assert stored_scores(store, new_id) == stored_scores(store, aid), fmt
        assert {qid: (a.level, a.na, a.note.replace("\r", "\n"), a.evidence_url, a.answered_by)
                for qid, a in store.answers(new_id).items()} == kept, fmt
        record = store.get_assessment(new_id)
        assert (record.name, record.department, record.facilitator, record.assessed_on) == \
               ("Baseline", "Platform", "Ada", dt.date(2026, 11, 2))
        assert record.questionnaire == mini
    # JSON is the lossless one: targets and the answer history travel with it into the database.
    assert store.targets(copies["json"]) == TARGETS
    strip = [{k: v for k, v in h.items() if k not in ("id", "assessment_id", "changed_at")}
             for h in store.history(aid)]
    assert [{k: v for k, v in h.items() if k not in ("id", "assessment_id", "changed_at")}
            for h in store.history(copies["json"])] == strip


# --- the command line ---------------------------------------------------------------------




def test_cli_export_import_every_format(cli_store: Store, mini: Questionnaire, tmp_path: Path) -> None:
    aid = filled(cli_store, mini)
    for fmt in exchange.FORMATS:
        out = tmp_path / f"a.{fmt}"
        assert invoke("export", str(aid), "--format", fmt, "-o", str(out)).stdout == f"wrote {out}\n"
        new_id = int(invoke("import", str(out)).stdout.splitlines()[-1])
        assert stored_scores(cli_store, new_id) == stored_scores(cli_store, aid)
    text = invoke("export", str(aid), "--format", "csv").stdout  # CSV to stdout
    assert text.startswith("assessment,department,")
    result = invoke("export", str(aid), "--format", "xlsx", ok=False)
    code, _, err = result.exit_code, result.stdout, result.stderr
    assert code == 1 and "-o FILE.xlsx" in err


def test_cli_bad_import_lists_errors_and_imports_nothing(cli_store: Store, mini: Questionnaire,
                                                         tmp_path: Path) -> None:
    aid = filled(cli_store, mini)
    text = export_stored(cli_store, aid, "csv").decode("utf-8-sig")
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace(",4,Optimised,", ",9,Optimised,").replace("beta.cost.q1", "nope"), encoding="utf-8")
    result = invoke("import", str(bad), ok=False)
    code, out, err = result.exit_code, result.stdout, result.stderr
    assert code == 1 and out == ""
    assert "row 3, column level: '9' is not a level" in err and "row 9, column question_id: unknown" in err
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(50 * 1024 * 1024)
    assert "the limit is 20 MB" in invoke("import", str(big), ok=False).stderr
    assert [a.id for a in cli_store.list_assessments()] == [aid]


def test_cli_final_assessment_refuses_edits_and_says_so(cli_store: Store, mini: Questionnaire) -> None:
    aid = filled(cli_store, mini)
    assert "is final" in invoke("finalise", str(aid)).stdout
    result = invoke("targets", str(aid), "--set", "alpha.cost=4", ok=False)
    code, _, err = result.exit_code, result.stdout, result.stderr
    assert code == 1 and f"assessment {aid} is final and read-only" in err
    with pytest.raises(ReadOnly, match="final and read-only; reopen it as a draft first"):
        cli_store.save_answer(aid, "alpha.cost.q1", level=4)
    assert cli_store.answers(aid)["alpha.cost.q1"].level == 0
    assert "draft again" in invoke("reopen", str(aid)).stdout
    invoke("targets", str(aid), "--set", "alpha.cost=4")
    assert cli_store.targets(aid)[("alpha", "cost")] == 4
    assert "no assessment with id 999" in invoke("finalise", "999", ok=False).stderr
