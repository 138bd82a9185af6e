"""Untrusted text in Chromium: with hostile names, notes, evidence links and questionnaire texts on every page
(tests/hostile.py), pointing at a listener this test starts on a loopback port, the browser fetches nothing
from it and no link leads to it or to the `www.` address.

AppTest (test_untrusted_text.py) checks every element's text; only a browser shows whether Markdown fetched an
image, a <style> or a Plotly label loaded a URL, or an autolink was made.
"""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import DATA, no_errors, serve_app, settled, shot
from hostile import MARK, Hostile, corpus, populate
from playwright.sync_api import Page, expect

from assessment.present import WORD_JOINER
from assessment.storage import Store

pytestmark = pytest.mark.browser

PAGES = ["", "scope", "questionnaire", "workshop", "results", "roadmap", "compare", "report", "data"]


class Listener(http.server.ThreadingHTTPServer):
    """Records the path of every request it receives (none is expected)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                listener.requests.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    server = Listener()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def hostile(listener: Listener) -> Hostile:
    return corpus(listener.url)


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory, hostile: Hostile) -> Path:
    """The server's database with three assessments full of hostile text, before the server starts."""
    folder = tmp_path_factory.mktemp("browser-untrusted-data")
    store = Store.open(f"sqlite:///{folder / 'assessments.db'}")
    try:
        populate(store, hostile)
    finally:
        store.engine.dispose()
    return folder


@pytest.fixture(scope="module")
def hostile_url(hostile_dir: Path) -> Iterator[str]:
    with serve_app(hostile_dir, QUESTIONNAIRE_PATH=str(DATA)) as url:
        yield url


def links(page: Page) -> list[str]:
    """Every link target on the page, HTML and SVG (Plotly draws a label's <a href> as an SVG link)."""
    return page.evaluate("""() => [...document.querySelectorAll('a')]
        .map(a => a.getAttribute('href') || a.getAttribute('xlink:href') || '')""")


def test_no_page_fetches_or_links_a_hostile_address(page: Page, hostile_url: str, listener: Listener,
                                                    hostile: Hostile) -> None:
    forbidden = re.compile(rf"127\.0\.0\.1:{listener.server_address[1]}|evil\.example")
    for path in PAGES:
        page.goto(f"{hostile_url}/{path}?assessment=1")
        main = page.get_by_test_id("stMain")
        expect(main.get_by_role("heading").first).to_be_visible()
        expect(page.get_by_test_id("stSkeleton")).to_have_count(0)
        expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
        settled(page)  # drawn to the end (a fresh server's first run reads the questionnaires after the title)
        page.wait_for_timeout(500)  # charts and images drawn after the rerun
        no_errors(page)
        if path in ("", "results", "roadmap", "report", "data", "questionnaire"):
            # the open assessment's name, shown as typed (present.plain's word joiners are invisible)
            assert f"{MARK} md ![i]({listener.url}/md-image.png)" in main.inner_text().replace(WORD_JOINER, ""), path
        assert not [href for href in links(page) if forbidden.search(href)], path
        shot(page, f"untrusted-{path or 'assessments'}")
        if path == "compare":  # and one department over time: the trend chart
            page.get_by_test_id("stButtonGroup").get_by_role("radio", name="Over time").click()
            expect(page.get_by_test_id("stPlotlyChart")).to_have_count(1)
            page.wait_for_timeout(500)
            assert not [href for href in links(page) if forbidden.search(href)], "compare over time"
    assert listener.requests == []
