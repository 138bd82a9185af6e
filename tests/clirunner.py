"""Run the `assessment` command line in process, as a user runs it from the shell.

Commands open the database a user's would: DATABASE_URL when a test sets it (conftest's `cli_store`),
otherwise the default one in ASSESSMENT_DATA_DIR, which conftest points at a tmp dir for every test.
"""

from __future__ import annotations

from click.testing import Result
from typer.testing import CliRunner

from assessment.cli import app


def invoke(*args: str, input: str | None = None, ok: bool = True) -> Result:
    """`assessment ARGS…`, with `input` on stdin; unless `ok` is False, it must exit with 0.

    A command may fail with an error message and an exit code; an exception it did not handle is re-raised,
    so the test shows its traceback (a user would see one too).
    """
    result = CliRunner().invoke(app, list(args), input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    if ok:
        assert result.exit_code == 0, result.output
    return result


def fails(*args: str) -> str:
    """The one line of error `assessment ARGS…` writes to stderr, exiting with 1."""
    result = invoke(*args, ok=False)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]
