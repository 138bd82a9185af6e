"""The organisation's structure: departments in business units, stored (SQLite and PostgreSQL), read from
and written to a CSV (`org import`, `org export`), renamed, and kept by a JSON backup."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from clirunner import fails, invoke

from assessment import exchange
from assessment.exchange.orgfile import export_org_csv, parse_org_csv
from assessment.questionnaire import Questionnaire
from assessment.storage import NotFound, StorageError, Store


def departments(store: Store, q: Questionnaire, *names: str) -> list[int]:
    return [store.create_assessment(f"{n} 2026", n, q, assessed_on=dt.date(2026, 3, 1)) for n in names]


# --- storage ---------------------------------------------------------------------------------


def test_units_are_set_listed_renamed_and_read_with_assessments(store: Store, mini: Questionnaire) -> None:
    ids = departments(store, mini, "Payments", "Cards", "Search", "Legal")
    assert store.business_units() == {"": ["Cards", "Legal", "Payments", "Search"]}
    assert store.set_business_units({"Payments": "Retail", "Cards": " Retail ", "Search": "Digital"}) == 3
    assert store.business_units() == {"Digital": ["Search"], "Retail": ["Cards", "Payments"], "": ["Legal"]}
    assert store.load(ids[0]).business_unit == "Retail"
    assert [a.business_unit for a in store.load_many(ids)] == ["Retail", "Retail", "Digital", ""]
    assert store.set_business_units({"Payments": "Retail"}) == 0  # unchanged
    assert store.rename_business_unit("Retail", "Retail banking") == 2
    assert store.department_units()["Cards"] == "Retail banking"
    assert store.rename_business_unit("Digital", "Retail banking") == 1  # onto an existing unit: they merge
    assert store.business_units() == {"Retail banking": ["Cards", "Payments", "Search"], "": ["Legal"]}
    store.set_business_unit("Search", "unassigned")  # the name views use for none takes it out
    assert store.department_units()["Search"] == ""


def test_bad_unit_changes_write_nothing(store: Store, mini: Questionnaire) -> None:
    departments(store, mini, "Payments")
    with pytest.raises(NotFound, match="no department named 'Paymnets'; nothing was changed"):
        store.set_business_units({"Payments": "Retail", "Paymnets": "Retail"})
    with pytest.raises(StorageError, match="NUL byte"):
        store.set_business_unit("Payments", "Re\x00tail")
    with pytest.raises(StorageError, match="limit is 200"):
        store.set_business_unit("Payments", "x" * 201)
    assert store.department_units() == {"Payments": ""}
    with pytest.raises(NotFound, match="no business unit named 'Retail'"):
        store.rename_business_unit("Retail", "Digital")
    store.set_business_unit("Payments", "Retail")
    with pytest.raises(StorageError, match="needs a name"):
        store.rename_business_unit("Retail", "  ")
    assert store.department_units() == {"Payments": "Retail"}


def test_json_backup_keeps_units_and_an_older_backup_restores(store: Store, mini: Questionnaire,
                                                              tmp_path: Path) -> None:
    departments(store, mini, "Payments", "Legal")
    store.set_business_unit("Payments", "Retail")
    backup = exchange.export_backup(store.dump()).encode()
    assert [e["assessment"].get("business_unit") for e in json.loads(backup)] == ["Retail", None]
    restored = store.restore(exchange.parse_backup(backup), replace=True)
    assert restored.count == 2
    assert store.business_units() == {"Retail": ["Payments"], "": ["Legal"]}
    older = json.loads(backup)  # as written before business units: no key at all
    for element in older:
        element["assessment"].pop("business_unit", None)
    store.restore(exchange.parse_backup(json.dumps(older).encode()), replace=True)
    assert store.business_units() == {"": ["Legal", "Payments"]}


def test_migration_0007_upgrades_a_0006_database_and_back(db_url: str, mini: Questionnaire) -> None:
    from alembic import command

    from assessment.migrations import alembic_config, current_revision
    from assessment.storage import make_engine

    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0006")
    with engine.begin() as conn:  # a department written by the 0006 schema
        conn.exec_driver_sql("insert into organisations (name) values ('Org')")
        conn.exec_driver_sql("insert into departments (organisation_id, name) select id, 'Platform' from organisations")
    store = Store(engine)
    store.upgrade()
    assert current_revision(engine) == "0007"
    assert store.department_units() == {"Platform": ""}
    aid = store.create_assessment("After", "Platform", mini, organisation="Org")
    store.set_business_unit("Platform", "Core")
    command.downgrade(alembic_config(engine), "0006")  # and back: the assessment survives both ways
    command.upgrade(alembic_config(engine), "head")
    assert store.load(aid).name == "After" and store.load(aid).business_unit == ""
    engine.dispose()


# --- the CSV ---------------------------------------------------------------------------------


def test_the_csv_is_read_strictly_and_written_back() -> None:
    raw = "\ufeffDepartment, Business Unit\r\nPayments,Retail\n\n Cards ,Retail\nLegal,\nSearch,Unassigned\n"
    units = parse_org_csv(raw.encode(), "org.csv")
    assert units == {"Payments": "Retail", "Cards": "Retail", "Legal": "", "Search": ""}
    swapped = parse_org_csv(b"business_unit,department\nRetail,Payments\n", "org.csv")
    assert swapped == {"Payments": "Retail"}
    written = export_org_csv(units)
    assert written.startswith(b"\xef\xbb\xbf")
    assert written.decode("utf-8-sig").splitlines() == [
        "department,business_unit", "Cards,Retail", "Payments,Retail", "Legal,", "Search,"]
    assert parse_org_csv(written, "again.csv") == units


def test_formulas_are_neutralised_on_export_and_read_back_as_they_were() -> None:
    units = {"=HYPERLINK(\"http://x\")": "+cmd|' /C calc'!A0", "@SUM(1)": "-2"}
    written = export_org_csv(units).decode("utf-8-sig")
    assert all(line.split(",")[0].startswith(("'", "\"'")) for line in written.splitlines()[1:])
    assert "\n=" not in written and ",+" not in written and ",-" not in written
    assert parse_org_csv(written.encode(), "f.csv") == units


@pytest.mark.parametrize(("raw", "message"), [
    (b"", "org.csv:1: empty file; expected the header department,business_unit"),
    (b"department\nPayments\n", "org.csv:1: column business_unit is missing (expected department, business_unit)"),
    (b"department,business_unit,owner\n", "org.csv:1: unknown column 'owner' (expected department, business_unit)"),
    (b"department,department\n", "org.csv:1: column department appears twice (expected department, business_unit)"),
    (b"department,business_unit\nPayments,Retail,extra\n",
     "org.csv:2: 3 cells, expected 2 (department, business_unit)"),
    (b"department,business_unit\nPayments,Retail\n ,Retail\n", "org.csv:3: column department: required text"),
    (b"department,business_unit\nPayments,Retail\n\nPayments,Digital\n",
     "org.csv:4: column department: 'Payments' is already on line 2"),
    (b"department,business_unit\nPay\x00ments,Retail\n",
     "org.csv:2: column department: 'Pay\\x00ments' contains a NUL byte at character 4"),
    (b"department,business_unit\nPayments," + b"x" * 201 + b"\n",
     "org.csv:2: column business_unit: business unit 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… "
     "201 characters; the limit is 200"),
    (b"department,business_unit\nPayments,Ret\xe9il\n", "org.csv:2: not UTF-8 text (byte 0xe9)"),
    (b"department,business_unit\nPayments,\"Retail\n", "org.csv:2: not a readable CSV (unexpected end of data)"),
])
def test_each_bad_csv_is_refused_with_one_line_naming_line_and_column(raw: bytes, message: str) -> None:
    with pytest.raises(exchange.ImportError_) as caught:
        parse_org_csv(raw, "org.csv")
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


# --- the command line ------------------------------------------------------------------------


def test_org_import_export_and_rename_on_the_command_line(tmp_path: Path, mini: Questionnaire) -> None:
    store = Store.open()
    departments(store, mini, "Payments", "Cards", "Legal")
    good = tmp_path / "org.csv"
    good.write_text("department,business_unit\nPayments,Retail\nCards,Retail\n", encoding="utf-8")
    assert invoke("org", "import", str(good)).output.strip() == f"read 2 department(s) from {good}; 2 changed"
    assert invoke("org", "export").output.splitlines() == [
        "department,business_unit", "Cards,Retail", "Payments,Retail", "Legal,"]
    out = tmp_path / "out.csv"
    invoke("org", "export", "-o", str(out))
    assert parse_org_csv(out.read_bytes(), str(out)) == {"Cards": "Retail", "Payments": "Retail", "Legal": ""}
    assert "renamed 'Retail' to 'Retail banking' (2 department(s))" in invoke(
        "org", "rename", "Retail", " Retail banking ").output
    bad = tmp_path / "bad.csv"
    bad.write_text("department,business_unit\nPayments,Digital\nPaymnets,Digital\n", encoding="utf-8")
    assert fails("org", "import", str(bad)) == ("error: no department named 'Paymnets'; nothing was changed")
    bad.write_text("department;business_unit\n", encoding="utf-8")
    assert fails("org", "import", str(bad)).startswith(f"error: {bad}:1: unknown column 'department;business_unit'")
    assert fails("org", "import", str(tmp_path / "missing.csv")).startswith("error: [Errno 2]")
    assert fails("org", "rename", "Nope", "X") == "error: no business unit named 'Nope'"
    assert store.business_units() == {"Retail banking": ["Cards", "Payments"], "": ["Legal"]}


def test_org_commands_are_documented_with_examples() -> None:
    from assessment.cli import org_app

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for command in org_app.registered_commands:
        assert f"`org {command.name}" in readme
        assert "Example:" in (command.callback.__doc__ or "")
