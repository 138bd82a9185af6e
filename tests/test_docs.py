"""The README tells the truth: every CLI command is documented, with an example in its help, and the
Quick start is two commands."""

from __future__ import annotations

import re
from pathlib import Path

from assessment.cli import app, db_app, user_app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def command_names() -> list[str]:
    names = [c.name or c.callback.__name__.rstrip("_").replace("_", "-") for c in app.registered_commands]
    names += [f"db {c.name or c.callback.__name__.removeprefix('db_')}" for c in db_app.registered_commands]
    names += [f"user {c.name}" for c in user_app.registered_commands]
    return names


def test_every_command_is_in_the_readme() -> None:
    for name in command_names():
        assert f"`{name}" in README, f"README does not document `{name}`"


def test_every_command_has_an_example() -> None:
    for group in (app, db_app, user_app):
        for command in group.registered_commands:
            assert "Example:" in (command.callback.__doc__ or ""), command.callback.__name__


def test_quick_start_is_exactly_make_run_and_make_test() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    assert block.split("\n")[:-1] == ["make run", "make test"]


def test_readme_mentions_database_url_and_questionnaire_path() -> None:
    for word in ("DATABASE_URL", "QUESTIONNAIRE_PATH", "ASSESSMENT_DATA_DIR", "levels:", "nist_ai_rmf"):
        assert word in README


def test_every_setting_the_code_reads_is_documented() -> None:
    """Each ASSESSMENT_* variable read anywhere in the app is explained in the README or SECURITY.md."""
    import re

    root = Path(__file__).resolve().parent.parent
    docs = README + (root / "SECURITY.md").read_text()
    code = "".join(p.read_text() for folder in ("assessment", "assessment_app") for p in (root / folder).rglob("*.py"))
    for name in sorted(set(re.findall(r"ASSESSMENT_[A-Z_]+[A-Z]", code))):
        assert f"`{name}" in docs, f"{name} is read by the code but documented nowhere"


def test_the_configuration_table_lists_every_setting() -> None:
    """README's Configuration table has one row per field of the settings model, with a default and a meaning,
    and nothing else."""
    from assessment.settings import env_names

    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \| ([^|]+) \|$", section, re.M)
    assert [name for name, _, _ in rows] == list(env_names().values())
    assert all(default.strip() and meaning.strip() for _, default, meaning in rows)


def test_security_page_names_the_threats_and_the_lock_down() -> None:
    text = (Path(__file__).resolve().parent.parent / "SECURITY.md").read_text()
    for heading in ("## Who we protect against", "## What is protected, and how",
                    "## The default mode, and how to lock it down", "## Reporting a problem"):
        assert heading in text
