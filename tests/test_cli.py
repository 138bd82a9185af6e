"""The CLI contract: the demo, list and score as a script reads them, and every error in one line.

Commands run in process (clirunner.py) on the test's own database; one test runs `python -m assessment`
in a real process, as a user runs it. Each command's own behaviour is tested with its feature: compare in
test_compare.py; gaps, roadmap and targets in test_roadmap.py; report in test_report_kinds.py; export and
import in test_exchange.py; db backup and restore in test_backup.py; validate and crosswalk in
test_content.py; user add in test_login.py. test_docs.py checks every command is documented.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from clirunner import fails, invoke

ROOT = Path(__file__).resolve().parent.parent


def listed() -> list[dict]:
    """`assessment list --json`."""
    return json.loads(invoke("list", "--json").stdout)


@pytest.fixture
def demo_id() -> str:
    return invoke("demo").stdout.strip().splitlines()[-1]


def test_demo_list_score(demo_id: str) -> None:
    assert demo_id.isdigit()
    assert [a["id"] for a in listed()] == [int(demo_id)]
    assert {"id", "name", "department", "date", "questionnaire"} <= listed()[0].keys()
    scores = json.loads(invoke("score", demo_id, "--json").stdout)
    assert {"overall", "layers", "dimensions", "coverage"} <= scores.keys()
    assert [x["id"] for x in scores["layers"]] == ["mlops", "llmops", "aiops"]
    assert 0 <= scores["overall"] <= 4
    assert [d["id"] for d in scores["dimensions"]][:4] == ["governance", "monitoring", "automation", "cost"]
    text = invoke("score", demo_id).stdout
    assert "MLOps" in text and "overall" in text


def test_demo_organisation_if_empty() -> None:
    first = invoke("demo", "--if-empty").stdout
    assert first.count("created demo assessment") == 6
    second = invoke("demo", "--if-empty").stdout
    assert "no demo created" in second
    departments = {a["department"] for a in listed()}
    assert departments == {"Data Science Platform", "Customer Service AI", "IT Operations"}


@pytest.mark.parametrize(("args", "message"), [
    (("score", "abc"), "assessment id must be a number"),
    (("score", "999"), "no assessment with id 999"),
    (("export", "999", "--format", "json"), "no assessment with id 999"),
    (("export", "1", "--format", "yaml"), "unknown format"),
    (("import", "/no/such/file.json"), "no such file"),
    (("crosswalk", "--format", "xml"), "unknown format"),
])
def test_bad_input_is_one_line(args: tuple[str, ...], message: str) -> None:
    assert message in fails(*args)


@pytest.mark.parametrize(("content", "message"), [
    (b'{"format": "ai-ops-maturity-assessment", "schema_version": 1, "assess', "not valid JSON"),
    (b'{"format": "ai-ops-maturity-assessment", "schema_version": 99}', "schema_version 99 is not supported"),
    (b'{"hello": 1}', "not an assessment export"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
])
def test_broken_import_imports_nothing(tmp_path: Path, content: bytes, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    result = invoke("import", str(bad), ok=False)
    assert result.exit_code == 1 and message in result.stderr
    assert listed() == []


def test_unreachable_database_is_one_line_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = invoke("list", ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot open the database postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr  # one line, whatever the driver says


def test_python_dash_m_assessment_runs_in_a_real_process() -> None:
    """What a user types, in a process of its own (conftest points its database at a tmp dir)."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "assessment", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=180)

    ok = run("list", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == []
    bad = run("score", "999")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    [line] = bad.stderr.strip().splitlines()
    assert "no assessment with id 999" in line
