"""The CLI contract, run as a user runs it: `python -m assessment …` in a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict[str, str], ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "assessment", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=180)
    assert "Traceback" not in result.stderr, result.stderr
    if ok:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "COLUMNS": "200"}


@pytest.fixture
def demo_id(env: dict[str, str]) -> str:
    return run("demo", env=env).stdout.strip().splitlines()[-1]


def test_demo_list_score(env: dict[str, str], demo_id: str) -> None:
    assert demo_id.isdigit()
    listed = json.loads(run("list", "--json", env=env).stdout)
    assert [a["id"] for a in listed] == [int(demo_id)]
    assert {"id", "name", "department", "date", "questionnaire"} <= listed[0].keys()
    scores = json.loads(run("score", demo_id, "--json", env=env).stdout)
    assert {"overall", "layers", "dimensions", "coverage"} <= scores.keys()
    assert [x["id"] for x in scores["layers"]] == ["mlops", "llmops", "aiops"]
    assert 0 <= scores["overall"] <= 4
    assert [d["id"] for d in scores["dimensions"]][:4] == ["governance", "monitoring", "automation", "cost"]
    text = run("score", demo_id, env=env).stdout
    assert "MLOps" in text and "overall" in text


def test_demo_organisation_if_empty(env: dict[str, str]) -> None:
    first = run("demo", "--if-empty", env=env).stdout
    assert first.count("created demo assessment") == 6
    second = run("demo", "--if-empty", env=env).stdout
    assert "no demo created" in second
    departments = {a["department"] for a in json.loads(run("list", "--json", env=env).stdout)}
    assert departments == {"Data Science Platform", "Customer Service AI", "IT Operations"}


def test_export_import_round_trip(env: dict[str, str], demo_id: str, tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    run("export", demo_id, "--format", "json", "-o", str(out), env=env)
    new_id = run("import", str(out), env=env).stdout.strip().splitlines()[-1]
    assert new_id != demo_id
    a = json.loads(run("score", demo_id, "--json", env=env).stdout)
    b = json.loads(run("score", new_id, "--json", env=env).stdout)
    assert {k: a[k] for k in ("overall", "layers", "dimensions", "coverage")} == \
           {k: b[k] for k in ("overall", "layers", "dimensions", "coverage")}


def test_report_writes_a_pdf(env: dict[str, str], demo_id: str, tmp_path: Path) -> None:
    out = tmp_path / "x.pdf"
    run("report", demo_id, "-o", str(out), env=env)
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(("args", "message"), [
    (("score", "abc"), "assessment id must be a number"),
    (("score", "999"), "no assessment with id 999"),
    (("report", "999", "-o", "/tmp/never.pdf"), "no assessment with id 999"),
    (("export", "999", "--format", "json"), "no assessment with id 999"),
    (("export", "1", "--format", "yaml"), "unknown format"),
    (("import", "/no/such/file.json"), "no such file"),
    (("crosswalk", "--format", "xml"), "unknown format"),
])
def test_bad_input_is_one_line(env: dict[str, str], args: tuple[str, ...], message: str) -> None:
    result = run(*args, env=env, ok=False)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


@pytest.mark.parametrize(("content", "message"), [
    (b'{"format": "ai-ops-maturity-assessment", "schema_version": 1, "assess', "not valid JSON"),
    (b'{"format": "ai-ops-maturity-assessment", "schema_version": 99}', "schema_version 99 is not supported"),
    (b'{"hello": 1}', "not an assessment export"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
])
def test_broken_import_imports_nothing(env: dict[str, str], tmp_path: Path, content: bytes, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    result = run("import", str(bad), env=env, ok=False)
    assert result.returncode == 1 and message in result.stderr
    assert json.loads(run("list", "--json", env=env).stdout) == []


def test_import_with_unknown_question_and_bad_level(env: dict[str, str], demo_id: str, tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    run("export", demo_id, "-o", str(out), env=env)
    data = json.loads(out.read_text())
    data["answers"][0]["question_id"] = "mlops.gov.no-such-question"
    data["answers"][1]["level"] = 9
    out.write_text(json.dumps(data))
    result = run("import", str(out), env=env, ok=False)
    assert "answers[0].question_id: unknown question" in result.stderr
    assert "answers[1].level: 9 is not a level" in result.stderr
    assert len(json.loads(run("list", "--json", env=env).stdout)) == 1  # only the demo


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    result = run("list", env=env, ok=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot open the database postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_validate_built_in_questionnaires(env: dict[str, str]) -> None:
    data = json.loads(run("validate", "--json", env=env).stdout)
    assert data["ok"] is True


def test_every_command_has_an_example(env: dict[str, str]) -> None:
    from assessment.cli import app, db_app

    for group in (app, db_app):
        for command in group.registered_commands:
            assert "Example:" in (command.callback.__doc__ or ""), command.callback.__name__
