"""Drive the real app in Chromium: start `assessment serve`, wait for reruns, check for errors, save
screenshots in test-artifacts/ for a human to look at, and vote from a phone in a live workshop.

conftest's `app_url` starts one server per module (its database: `server_store`); a test that needs its
own server (other settings, another database) calls `serve_app` itself.
"""

from __future__ import annotations

import contextlib
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
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
ARTIFACTS = ROOT / "test-artifacts"
STARTUP_TIMEOUT = 60  # seconds for /_stcore/health to answer
RERUN_TIMEOUT = 15_000  # ms for a rerun's result to show (generous for slow CI machines)


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


@contextlib.contextmanager
def serve_app(data_dir: Path, port: int | None = None, **env_overrides: str | None) -> Iterator[str]:
    """`python -m assessment serve` on 127.0.0.1:`port` (default: a free one) with its own data folder, in
    that folder, as the installed package starts the app; yields its URL, stops it after.

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
            [sys.executable, "-m", "assessment", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=data_dir, env=env, stdout=out, stderr=subprocess.STDOUT,
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


def patient(page: Page) -> Page:
    """Wait long enough for reruns, in actions and in `expect`."""
    page.set_default_timeout(RERUN_TIMEOUT)
    expect.set_options(timeout=RERUN_TIMEOUT)
    return page


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


def settled(page: Page, timeout: float = RERUN_TIMEOUT) -> Page:
    """The page once its script has finished running: drawn to the end, and a click on it lands on the
    buttons a rerun would otherwise be replacing (or asks for a download file a rerun is replacing)."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)
    return page


def no_errors(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)


# --- a participant's phone in a live workshop ---

PHONE = {"width": 390, "height": 844}
Q1 = "alpha.governance.q1"
Q1_TEXT = "Question 1 about governance & compliance in alpha?"


def choose(page: Page, option: int) -> None:
    """Click the option-th choice's text (0–4 levels, 5 N/A, 6 don't know)."""
    prefix = ["0 · ", "1 · ", "2 · ", "3 · ", "4 · ", "N/A — ", "Don't know"][option]
    page.get_by_test_id("stRadio").get_by_text(re.compile("^" + re.escape(prefix))).click()


def vote(page: Page, option: int, comment: str = "") -> None:
    """Pick the option-th choice (0–4 levels, 5 N/A, 6 don't know) and press Vote / Change my vote."""
    choose(page, option)
    if comment:
        page.get_by_label("Comment (optional)").fill(comment)
        page.get_by_label("Comment (optional)").press("Tab")
    page.get_by_role("button", name=re.compile(r"^(Vote|Change my vote)$")).click()
