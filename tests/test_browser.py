"""The real app in Chromium: what only a browser shows (clicks on labels, reloads, the PDF download).

A module-scoped fixture starts `streamlit run app.py` on a free port with its own data folder and
tests/data on QUESTIONNAIRE_PATH; the form then assesses only the `mini` questionnaire.
Screenshots of every page visited are saved in test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

from assessment.questionnaire import load_questionnaire
from assessment.report import fmt
from assessment.scoring import score
from assessment.storage import Store

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
ARTIFACTS = ROOT / "test-artifacts"
STARTUP_TIMEOUT = 60  # seconds for /_stcore/health to answer
RERUN_TIMEOUT = 15_000  # ms for a rerun's result to show (generous for slow CI machines)
PDF_TIMEOUT = 90_000  # ms: the first PDF starts kaleido's Chromium


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"streamlit did not answer /_stcore/health within {STARTUP_TIMEOUT} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser-data")


@contextlib.contextmanager
def serve_app(data_dir: Path, port: int | None = None, **env_overrides: str | None) -> Iterator[str]:
    """`streamlit run app.py` on `port` (default: a free one) with its own data folder; yields its URL,
    stops it after.

    `env_overrides` set variables, or remove them when None (DATABASE_URL is always removed).
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ASSESSMENT_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    for key, value in env_overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    log = data_dir / "streamlit.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.headless", "true", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
        try:
            wait_healthy(url, proc, log)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def app_url(data_dir: Path) -> Iterator[str]:
    """The real app, started once for the module, with its own database."""
    with serve_app(data_dir, QUESTIONNAIRE_PATH=str(DATA)) as url:
        yield url


def shot(page: Page, name: str) -> None:
    """Full-page screenshot. Streamlit scrolls inside its main container, not the document, so
    `full_page=True` alone stops at the viewport: grow the viewport to the content's height first."""
    ARTIFACTS.mkdir(exist_ok=True)
    viewport = page.viewport_size
    height = page.evaluate(
        """() => Math.max(document.body.scrollHeight,
            ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]')]
               .map(e => e.scrollHeight))"""
    )
    page.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.screenshot(path=ARTIFACTS / f"browser-{name}.png", full_page=True)
    page.set_viewport_size(viewport)


def no_errors(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)


MINI = "Mini questionnaire (8 questions)"


def create_assessment(page: Page, name: str) -> None:
    """Fill the create form with only the mini questionnaire in "Layers to assess", then submit."""
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Department", exact=True).fill("Platform")
    page.get_by_label("Facilitator (optional)").fill("Ada")
    layers = page.get_by_test_id("stMultiSelect").filter(has_text="Layers to assess")
    others = layers.get_by_role("button", name=re.compile(rf"^Remove (?!{re.escape(MINI)})"))
    while others.count():  # whatever the default selection is, remove every other questionnaire
        others.first.click()
    if not layers.get_by_role("button", name=f"Remove {MINI}").count():
        layers.get_by_role("combobox").click()
        page.get_by_role("option", name=MINI).click()
        page.keyboard.press("Escape")
    expect(layers.get_by_role("button", name=re.compile(r"^Remove "))).to_have_count(1)
    expect(layers.get_by_role("button", name=f"Remove {MINI}")).to_be_visible()
    shot(page, "assessments-form")
    page.get_by_role("button", name="Create assessment").click()


# The first dimension (governance) shows these questions, one layer at a time, each with one radio.
FIRST_DIMENSION = [
    "Question 1 about governance & compliance in alpha?",
    "Question 2 about governance & compliance in alpha?",
    "Question 5 about governance & compliance in beta?",
    "Question 6 about governance & compliance in beta?",
]


def show_layer(page: Page, name: str) -> None:
    """Click a layer in the Questionnaire's layer control and wait for its questions."""
    page.get_by_test_id("stButtonGroup").get_by_role("radio", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(rf"^{name} · "))).to_be_visible()


def level_radio(page: Page, question: str) -> Locator:
    """The level radio of a question: the radio group is labelled by the question's text."""
    radio = page.get_by_test_id("stRadio").filter(has=page.get_by_text(question, exact=True))
    expect(radio).to_have_count(1)
    return radio


# Three answers on the first dimension: question text, its id, the level label clicked, stored level.
ANSWERS = [
    ("Question 1 about governance & compliance in alpha?", "alpha.governance.q1", "2 · Repeatable", 2),
    ("Question 2 about governance & compliance in alpha?", "alpha.governance.q2", "4 · Optimised", 4),
    ("Question 5 about governance & compliance in beta?", "beta.governance.q1", "N/A", None),
]


@pytest.fixture
def page(page: Page) -> Page:
    """pytest-playwright's page, sized like a laptop screen, waiting long enough for reruns."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.set_default_timeout(RERUN_TIMEOUT)
    expect.set_options(timeout=RERUN_TIMEOUT)
    return page


def db(data_dir: Path) -> Store:
    """The running app's database, opened from the test (dispose the engine when done)."""
    return Store.open(f"sqlite:///{data_dir / 'assessments.db'}")


def test_create_answer_reload_results_and_pdf(page: Page, app_url: str, data_dir: Path) -> None:
    # Assessments: create one through the form.
    page.goto(app_url)
    expect(page.get_by_role("heading", name="Assessments")).to_be_visible()
    expect(page.get_by_role("heading", name="Create an assessment")).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_be_editable()
    expect(page.get_by_role("button", name="Create assessment")).to_be_enabled()
    no_errors(page)
    shot(page, "assessments")
    create_assessment(page, "Browser baseline")

    # Questionnaire: opened on the new assessment, first dimension.
    expect(page.get_by_role("heading", name="Questionnaire")).to_be_visible()
    expect(page.get_by_text("Browser baseline", exact=False).first).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]assessment=\d+"))
    aid = int(re.search(r"assessment=(\d+)", page.url).group(1))
    expect(page.get_by_test_id("stRadio")).to_have_count(2)  # the first layer's two questions

    for n, (text, _, label, _) in enumerate(ANSWERS, start=1):
        if "beta" in text:
            show_layer(page, "Beta")
        radio = level_radio(page, text)
        radio.get_by_text(label, exact=True).click()
        expect(page.get_by_text(f"{n} of 8 questions answered")).to_be_visible()
        expect(radio.get_by_role("radio", name=label)).to_be_checked()
    expect(page.get_by_text("✓ Saved at")).to_have_count(1)  # the beta question on screen
    expect(page.get_by_text("✓ Alpha 2/2 · Beta 1/2")).to_be_visible()
    no_errors(page)
    shot(page, "questionnaire")

    # Reload: a new session; the URL alone brings back the assessment, the layer and the answers.
    page.reload()
    expect(page.get_by_role("heading", name="Questionnaire")).to_be_visible()
    expect(page.get_by_role("heading", name="Beta · Governance & compliance")).to_be_visible()
    expect(page.get_by_test_id("stRadio")).to_have_count(2)
    expect(page.get_by_text("3 of 8 questions answered")).to_be_visible()
    for text, _, label, _ in reversed(ANSWERS):
        if "alpha" in text:
            show_layer(page, "Alpha")
        radio = level_radio(page, text)
        expect(radio.get_by_role("radio", name=label)).to_be_checked()
        expect(radio.get_by_role("radio", checked=True)).to_have_count(1)
    show_layer(page, "Beta")
    unanswered = level_radio(page, "Question 6 about governance & compliance in beta?")
    expect(unanswered.get_by_role("radio", checked=True)).to_have_count(0)
    no_errors(page)
    shot(page, "questionnaire-reloaded")

    store = db(data_dir)
    try:
        saved = store.answers(aid)
        record = store.get_assessment(aid)
    finally:
        store.engine.dispose()
    assert {qid: (a.level, a.na) for qid, a in saved.items()} == {
        qid: (level, level is None) for _, qid, _, level in ANSWERS
    }
    assert record.questionnaire_id == "mini"

    # Results through the sidebar: the session remembers the assessment even though the link drops the URL.
    page.get_by_test_id("stSidebarNav").get_by_text("Results", exact=True).click()
    expect(page.get_by_role("heading", name="Results")).to_be_visible()
    expected = score(load_questionnaire(DATA / "mini.yaml"), {qid: level for _, qid, _, level in ANSWERS})
    overall = page.get_by_test_id("stMetric").filter(has_text="Overall")
    expect(overall.get_by_test_id("stMetricValue")).to_have_text(f"{fmt(expected.overall)} / 4")
    expect(page.get_by_text("5 of 8 questions are unanswered")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    expect(page).to_have_url(re.compile(rf"[?&]assessment={aid}\b"))
    no_errors(page)
    shot(page, "results")

    # The PDF report, built when the button is clicked.
    with page.expect_download(timeout=PDF_TIMEOUT) as info:
        page.get_by_role("button", name="Download PDF report").click()
    download = info.value
    assert download.failure() is None
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 5_000
    assert download.suggested_filename == f"assessment-{aid}-report.pdf"
    assert "Browser baseline" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    ARTIFACTS.mkdir(exist_ok=True)
    download.save_as(ARTIFACTS / "browser-report.pdf")
    no_errors(page)


def test_the_dimension_stays_put_while_answering(page: Page, app_url: str, data_dir: Path) -> None:
    store = db(data_dir)
    try:
        aid = store.create_assessment("Navigation", "Platform", load_questionnaire(DATA / "mini.yaml"))
    finally:
        store.engine.dispose()
    page.goto(f"{app_url}/questionnaire?assessment={aid}")
    expect(page.get_by_text(FIRST_DIMENSION[0], exact=True).first).to_be_visible()

    page.get_by_role("button", name="Next →").click()  # the same dimension's next layer
    expect(page.get_by_text(FIRST_DIMENSION[2], exact=True).first).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]layer=beta\b"))
    page.get_by_role("button", name="Next →").click()  # the next dimension's first layer
    steps = [("alpha", 3, "2 · Repeatable"), ("beta", 7, "3 · Defined")]  # layer, question number, level
    for n, (layer, number, label) in enumerate(steps, start=1):
        monitoring = f"Question {number} about monitoring & observability in {layer}?"
        expect(page.get_by_text(monitoring, exact=True).first).to_be_visible()
        page.get_by_test_id("stRadio").first.get_by_text(label, exact=True).click()
        expect(page.get_by_text(f"{n} of 8 questions answered")).to_be_visible()
        expect(page.get_by_text(monitoring, exact=True).first).to_be_visible()  # it stays put
        expect(page).to_have_url(re.compile(r"[?&]dimension=1\b"))
        expect(page).to_have_url(re.compile(rf"[?&]layer={layer}\b"))
        if layer == "alpha":
            page.get_by_role("button", name="Next →").click()
    expect(page.get_by_text("Monitoring & observability is complete")).to_be_visible()
    no_errors(page)
    shot(page, "questionnaire-second-dimension")

    page.get_by_role("button", name="Next →").click()
    expect(page.get_by_text("Question 4 about cost optimisation in alpha?", exact=True).first).to_be_visible()
    page.get_by_role("button", name="Next →").click()
    expect(page.get_by_text("Question 8 about cost optimisation in beta?", exact=True).first).to_be_visible()
    expect(page.get_by_role("button", name="See results →")).to_be_visible()
