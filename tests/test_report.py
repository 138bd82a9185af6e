"""The PDF report with hostile input: real WeasyPrint + kaleido output, read back as text; notes and names
stay inert text and the renderer fetches nothing. Sections, numbers and vector charts of every report
kind are test_report_kinds.py's."""

from __future__ import annotations

import http.server
import io
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from pypdf import PdfReader

from assessment.analysis import analyse
from assessment.pdf import RefusingFetcher, html_to_pdf
from assessment.questionnaire import Questionnaire
from assessment.report import assessment_pdf, build_context, render_html
from assessment.storage import Store, make_engine


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { background: red }")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def listener() -> Iterator[int]:
    """A local HTTP server that records any request: the report must never reach it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def hostile_notes(port: int) -> list[str]:
    return [
        "<script>alert('x')</script>",
        '<img src="file:///etc/passwd">',
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/evil.css">',
        '<link rel="attachment" href="file:///etc/hostname">',
        f'<img src="http://127.0.0.1:{port}/pixel.png">',
    ]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, mini: Questionnaire, listener: int):
    db = tmp_path_factory.mktemp("report") / "r.db"
    store = Store(make_engine(f"sqlite:///{db}"))
    store.upgrade()
    aid = store.create_assessment("Q4 <b>baseline</b>", "Platform & Data", mini, facilitator="Ada")
    secret_file = db.parent / "secret.txt"
    secret = "TOP-SECRET-4f9a1c"
    secret_file.write_text(secret)
    notes = [*hostile_notes(listener), f'<link rel="attachment" href="file://{secret_file}">']
    levels = [2, 4, 1, 3, 0, 2, 4, 3]  # one note per question, every hostile kind used
    for i, (question, level) in enumerate(zip(mini.questions, levels, strict=True)):
        store.save_answer(aid, question.id, level=level, note=notes[i % len(notes)],
                          evidence_url=f"file:///etc/shadow#{i}" if i == 0 else "")
    record = store.load(aid)
    pdf = assessment_pdf(record)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return {"pdf": pdf, "text": text, "record": record, "secret": secret}


def test_pdf_is_multi_page_and_names_every_layer(report) -> None:
    reader = PdfReader(io.BytesIO(report["pdf"]))
    assert report["pdf"].startswith(b"%PDF") and len(reader.pages) >= 4
    for name in ("Alpha", "Beta", "Scores", "Gaps to target", "Appendix: every answer", "Level glossary"):
        assert name in report["text"]


def test_hostile_notes_are_text_and_fetch_nothing(report) -> None:
    assert "<script>alert('x')</script>" in report["text"]  # printed literally, as a note
    assert "file:///etc/passwd" in report["text"]
    assert "Q4 <b>baseline</b>" in report["text"]
    assert _Recorder.hits == []  # the local listener saw no request
    assert b"/EmbeddedFile" not in report["pdf"]  # no attachment smuggled in
    assert report["secret"].encode() not in report["pdf"]
    assert report["secret"] not in report["text"]


def test_renderer_refuses_urls_even_in_the_template(listener: int) -> None:
    """If markup ever reached the renderer unescaped, the fetcher still loads nothing."""
    fetcher = RefusingFetcher()
    html = (f'<html><head><link rel="stylesheet" href="http://127.0.0.1:{listener}/t.css"></head>'
            '<body><img src="file:///etc/passwd"><img src="data:image/png;base64,iVBORw0KGgo=">'
            '<link rel="attachment" href="file:///etc/hostname"><p>hello</p></body></html>')
    pdf = html_to_pdf(html, fetcher)
    assert pdf.startswith(b"%PDF")
    assert _Recorder.hits == []
    assert any(u.startswith("file:") for u in fetcher.refused)
    assert any(u.startswith("http:") for u in fetcher.refused)
    assert any(u.startswith("data:") for u in fetcher.refused)


def test_template_escapes_notes(report) -> None:
    html = render_html(build_context(analyse(report["record"])))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert '<img src="file:' not in html


def test_printed_charts_do_not_take_streamlits_plotly_template(monkeypatch: pytest.MonkeyPatch) -> None:
    """Importing Streamlit makes its Plotly template the default: the app's PDF must still be the CLI's."""
    import plotly.io as pio
    import streamlit  # noqa: F401 - sets pio.templates.default to "streamlit"

    from assessment import charts, svg

    def drawn(template: str) -> str:
        monkeypatch.setattr(pio.templates, "default", template)
        out = svg.to_svg(charts.gap_bars(["Data quality", "Cost optimisation"], [1.2, 3.0], [3, 2]))
        uid = re.search(r'id="defs-(\w+)"', out)[1]  # each drawing has its own random ids
        # the picture as the PDF draws it (no classes), attributes in one order (Chromium's order varies)
        return ET.canonicalize(svg.lean_svg(out.replace(uid, "UID")))

    assert drawn("streamlit") == drawn("plotly")
