"""The wheel is the whole tool: it holds the questionnaires, the report templates, the app, its pages and
Streamlit's options; installed in a fresh virtual environment outside the checkout, it validates, creates
a demo, writes a PDF and serves the app from an empty folder (as `pipx install` of the wheel would).

The wheel is built from a copy of the checkout, so the build's files (build/, *.egg-info) never land in
the working tree. The fresh environment gets only the wheel (`pip install --no-deps`); its dependencies
come from the environment running the tests, through a `.pth` line, so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest
from browser import free_port, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
PACKAGES = ("assessment", "assessment_app")
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "data", "test-artifacts", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis")


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--quiet", *args], check=True, timeout=600)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built as the README says (`pip wheel . --no-deps`) from a copy of the checkout."""
    src = tmp_path_factory.mktemp("src") / "checkout"
    shutil.copytree(ROOT, src, ignore=NOT_SOURCE)
    out = tmp_path_factory.mktemp("dist")
    pip("wheel", str(src), "--no-deps", "-w", str(out))
    [built] = out.glob("*.whl")
    return built


def test_the_wheel_holds_everything_the_tool_reads(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    # every file of the checkout's two packages: content, templates, migrations, app, pages, config
    in_checkout = {p.relative_to(ROOT).as_posix() for package in PACKAGES for p in (ROOT / package).rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts}
    assert sorted(in_checkout - names) == []
    for needed in ("assessment/questionnaires/mlops.yaml", "assessment/questionnaires/levels.yaml",
                   "assessment/questionnaires/objectives.yaml", "assessment/questionnaires/nist-ai-rmf.yaml",
                   "assessment/report_templates/report.html.j2", "assessment/report_templates/report.css",
                   "assessment/migrations/script.py.mako", "assessment_app/app.py", "assessment_app/config.toml",
                   "assessment_app/app_pages/questionnaire.py", "assessment_app/app_pages/level_cards.js",
                   "assessment_app/app_pages/level_cards.css"):
        assert needed in names
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "benchmarks/", "deploy/"))]
    dist_info = wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"
    metadata = zipfile.ZipFile(wheel).read(f"{dist_info}/METADATA").decode()
    assert "\nName: aiops-maturity-assessment\n" in metadata
    assert "assessment = assessment.cli:main" in zipfile.ZipFile(wheel).read(f"{dist_info}/entry_points.txt").decode()


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding the wheel; returns its bin/ folder."""
    env = tmp_path_factory.mktemp("venv") / "env"
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # the dependencies: the test environment's site-packages, after the fresh one's own
    (Path(purelib) / "_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    pip("--python", str(python), "install", "--no-deps", str(wheel))
    return env / "bin"


@pytest.fixture
def empty_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def clean_env(**extra: str) -> dict[str, str]:
    """The shell of someone who installed the tool: no checkout on the path, no test settings."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "DATABASE_URL", "QUESTIONNAIRE_PATH", "ASSESSMENT_DATA_DIR", "VIRTUAL_ENV")}
    return {**env, **extra}


def run(bin_dir: Path, cwd: Path, *args: str, **env: str) -> str:
    result = subprocess.run([str(bin_dir / "assessment"), *args], cwd=cwd, env=clean_env(**env),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


@pytest.mark.slow
def test_the_installed_tool_works_from_an_empty_folder(installed: Path, empty_folder: Path) -> None:
    where = subprocess.run([str(installed / "python"), "-c", "import assessment, assessment_app; "
                            "print(assessment.__file__); print(assessment_app.__file__)"],
                           cwd=empty_folder, env=clean_env(), capture_output=True, text=True, check=True)
    for path in where.stdout.split():
        assert Path(path).is_relative_to(installed.parent), path  # the wheel's copy, not the checkout

    found = json.loads(run(installed, empty_folder, "validate", "--json"))
    assert found["ok"] and {q["id"] for q in found["questionnaires"]} >= {"mlops", "llmops", "aiops"}
    # QUESTIONNAIRE_PATH still adds the team's own questionnaires
    found = json.loads(run(installed, empty_folder, "validate", "--json", QUESTIONNAIRE_PATH=str(DATA)))
    assert "mini" in {q["id"] for q in found["questionnaires"]}

    assessment_id = run(installed, empty_folder, "demo").split()[-1]
    assert (empty_folder / "data" / "assessments.db").is_file()  # the data folder of where it runs
    run(installed, empty_folder, "report", assessment_id, "-o", "r.pdf")
    assert (empty_folder / "r.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.slow
def test_the_installed_tool_serves_the_app_from_an_empty_folder(installed: Path, empty_folder: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = empty_folder.parent / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen([str(installed / "assessment"), "serve", "--port", str(port)], cwd=empty_folder,
                                env=clean_env(), stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_healthy(url, proc, log)
        with urllib.request.urlopen(url, timeout=10) as resp:
            page = resp.read().decode()
        assert '<div id="root">' in page
        if Path(f"/proc/{proc.pid}/cmdline").exists():  # serve became Streamlit: what is it running?
            command = Path(f"/proc/{proc.pid}/cmdline").read_text().split("\0")
            app = next(part for part in command if part.endswith("app.py"))
            assert Path(app).is_relative_to(installed.parent)
            assert command[command.index("--runner.postScriptGC") + 1] == "false"  # the packaged options
            assert command[command.index("--server.address") + 1] == "127.0.0.1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert "Traceback" not in log.read_text()


def test_serving_on_every_interface_asks_the_internet_nothing() -> None:
    """Streamlit's welcome message looks the machine's public address up online when it listens on
    0.0.0.0: the command hides it (and prints the addresses itself)."""
    from assessment_app import streamlit_command

    wildcard = streamlit_command("0.0.0.0", 8501)
    assert wildcard[wildcard.index("--logger.hideWelcomeMessage") + 1] == "true"
    assert "--logger.hideWelcomeMessage" not in streamlit_command("127.0.0.1", 8501)
