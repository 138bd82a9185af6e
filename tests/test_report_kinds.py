"""The three PDF reports read back as text: sections, page numbers, and the engine's numbers.

One small database (the mini questionnaire, four departments, one of them assessed twice) and one
rendering per report kind for the whole module; the CLI variants render in process (clirunner.py).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from clirunner import fails, invoke
from pypdf import PdfReader

from assessment import charts, report, svg
from assessment.analysis import analyse
from assessment.compare import compare, trend
from assessment.content import level_names
from assessment.present import department_assessments, fmt
from assessment.questionnaire import Questionnaire
from assessment.roadmap import BACKLOG, PHASE_NAMES, PHASES
from assessment.storage import Store, make_engine

A4 = (595, 842)
LETTER = (612, 792)
HOSTILE = "<b>R&D</b> <script>x()</script>"
# department, days ago, levels of the 8 mini questions (None: N/A, "-": unanswered)
DEPARTMENTS = [
    ("Platform", 200, [1, 2, 0, 1, 2, 1, 0, 1]),
    ("Platform", 10, [2, 4, 1, 3, 0, 2, 4, 3]),
    ("Data", 20, [3, 3, 2, None, 1, 1, 2, "-"]),
    ("Operations", 30, [4, 3, 3, 2, 3, 4, 2, 2]),
    (HOSTILE, 40, [0, 1, 1, 0, 2, 0, 1, 1]),
]
STORED_TARGETS = {("alpha", "governance"): 4, ("beta", "cost"): 2}


def pdf_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def squash(text: str) -> str:
    """Text without whitespace: pypdf breaks lines where the PDF does."""
    return "".join(text.split())


def page_size(pdf: bytes) -> tuple[int, int]:
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


class Acme(NamedTuple):
    """The module's database: one assessment per row of DEPARTMENTS, in that order (`ids`)."""

    store: Store
    ids: list[int]
    url: str


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory, mini: Questionnaire) -> Iterator[Acme]:
    path = tmp_path_factory.mktemp("kinds") / "kinds.db"
    store = Store(make_engine(f"sqlite:///{path}"))
    store.upgrade()
    ids = []
    for department, days, levels in DEPARTMENTS:
        on = dt.date(2026, 11, 1) - dt.timedelta(days=days)
        aid = store.create_assessment(f"{department} {on:%B %Y}", department, mini, organisation="Acme",
                                      facilitator="Grace Hopper", assessed_on=on)
        for question, level in zip(mini.questions, levels, strict=True):
            if level != "-":
                store.save_answer(aid, question.id, level=level, na=level is None, note=f"note on {question.id}")
        ids.append(aid)
    store.set_targets(ids[1], STORED_TARGETS)
    yield Acme(store, ids, f"sqlite:///{path}")
    store.engine.dispose()


@pytest.fixture(scope="module")
def single(acme: Acme) -> dict:
    store, aid = acme.store, acme.ids[1]
    record = store.load(aid)
    pdf = report.assessment_pdf(record)
    whole = analyse(record)
    return {"pdf": pdf, "pages": pdf_text(pdf), "record": record, "whole": whole, "analysis": whole.gaps,
            "plan": whole.roadmap}


@pytest.fixture(scope="module")
def comparison(acme: Acme) -> dict:
    ids = [acme.ids[i] for i in (1, 2, 3, 4)]
    entries = acme.store.load_many(ids)
    pdf = report.comparison_pdf(entries, paper="letter")
    return {"pdf": pdf, "pages": pdf_text(pdf), "result": compare(entries)}


@pytest.fixture(scope="module")
def trend_report(acme: Acme) -> dict:
    store = acme.store
    _, ids = department_assessments(store.list_assessments(), "platform")  # names match ignoring case
    entries = store.load_many(ids)
    pdf = report.trend_pdf(entries)
    return {"pdf": pdf, "pages": pdf_text(pdf), "result": trend(store.load_many(acme.ids[:2]))}


# --- the single-assessment report ---------------------------------------------------------------


def test_cover_names_the_assessment(single: dict) -> None:
    cover, record = single["pages"][0], single["record"]
    for text in ("Acme", "Platform", record.assessed_on.isoformat(), "Mini questionnaire", "version 0.1",
                 "Grace Hopper"):
        assert text in cover


def test_sections_in_order_and_contents_has_their_page_numbers(single: dict) -> None:
    pages = single["pages"]
    headings = ["Executive summary", "Alpha", "Beta", "Roadmap", "NIST AI RMF crosswalk", "Appendix: every answer",
                "Level glossary"]
    contents = pages[1]
    assert contents.splitlines()[0] == "Contents"
    found = []
    for heading in headings:
        match = re.search(re.escape(heading) + r"[ .]*?(\d+)\s*$", contents, re.M)
        assert match, f"{heading!r} not in the contents:\n{contents}"
        number = int(match.group(1))
        assert pages[number - 1].splitlines()[0] == heading  # the page it points to starts with it
        found.append(number)
    assert found == sorted(found) and found[0] == 3


def test_every_number_equals_the_engine(single: dict) -> None:
    analysis, pages = single["analysis"], single["pages"]
    s = analysis.scores
    summary = next(p for p in pages if "Executive summary" in p and "Scores by layer" in p)
    assert f"Overall {fmt(s.overall)} {level_names().name(s.overall)}" in summary
    for layer in s.layers.itertuples():
        name = {"alpha": "Alpha", "beta": "Beta"}[layer.layer]
        assert re.search(rf"{name} {re.escape(fmt(layer.score))} ", summary)
        page = next(p for p in pages if p.splitlines()[0] == name)
        assert squash(f"{name}{fmt(layer.score)}{level_names().name(layer.score)}") in squash(page)
        for d in s.dimensions[s.dimensions["layer"] == layer.layer].itertuples():
            dim = {x.id: x.name for x in single["record"].questionnaire.dimensions}[d.dimension]
            target = single["whole"].targets[(layer.layer, d.dimension)]
            assert re.search(rf"{re.escape(dim)} {re.escape(fmt(d.score))} \w+ {target} ", page), (dim, page)
    text = "\n".join(pages)
    by_phase = single["plan"].by_phase()
    for phase in PHASES:
        n = len(by_phase[phase])
        assert f"{PHASE_NAMES[phase]}: {n} step" in text
    assert f"Backlog (after 12 months): {len(by_phase[BACKLOG])} step" in text


def test_executive_summary_has_the_engines_reading_strengths_and_gaps(single: dict) -> None:
    summary = squash(next(p for p in single["pages"] if "Executive summary" in p and "Strengths" in p))
    assert squash(report.reading(single["whole"])) in summary
    for r in single["whole"].strengths.itertuples():
        assert squash(fmt(r.score)) in summary
    for g in single["analysis"].dimensions.head(5).itertuples():
        assert squash(f"{g.dimension_name}{fmt(g.score)}{g.target:g}{fmt(g.gap)}") in summary


def test_an_unanswered_assessment_still_reads(acme: Acme, mini: Questionnaire) -> None:
    store = acme.store
    aid = store.create_assessment("Blank", "Nobody yet", mini)
    try:
        context = report.build_context(analyse(store.load(aid)))
        assert context["overall"] == "–" and context["strengths"] == [] and "roadmap" not in context["figures"]
        assert context["reading"] == "Nobody yet has not answered any of its 8 questions with a level yet, " \
                                     "so there is no score to read."
        html = report.render_html(context)
        assert "nothing to plan" in html and "Not scored" in html
    finally:
        store.delete_assessment(aid)


def test_radar_target_follows_the_stored_targets(single: dict) -> None:
    context = report.build_context(single["whole"])
    target = next(t for t in context["figures"]["radar-alpha"].data if t.name == "Target")
    assert list(target.r) == [4, 3, 3, 4]  # governance 4 (stored), monitoring, cost 3, closed polygon
    target = next(t for t in context["figures"]["radar-beta"].data if t.name == "Target")
    assert list(target.r) == [3, 3, 2, 3]


def test_template_places_every_chart_and_nothing_else_is_fetched(single: dict) -> None:
    context = report.build_context(single["whole"])
    assert set(context["figures"]) == {"radar-alpha", "gaps-alpha", "radar-beta", "gaps-beta", "roadmap"}
    fetcher = report.RefusingFetcher(assets={key: "<svg xmlns='http://www.w3.org/2000/svg'/>"
                                             for key in context["figures"]})
    report.html_to_pdf(report.render_html(context), fetcher)
    assert sorted(fetcher.served) == sorted(context["figures"]) and fetcher.refused == []


def test_crosswalk_and_appendix(single: dict) -> None:
    text = "\n".join(single["pages"])
    assert squash("GOVERN — Govern") in squash(text) and squash("Evidenced: GOVERN 1.1") in squash(text)
    for question in single["record"].questionnaire.questions:
        assert question.id in text
        assert f"note on {question.id}" in text


def test_charts_are_vector_in_every_kind(single: dict, comparison: dict, trend_report: dict) -> None:
    for pdf in (single["pdf"], comparison["pdf"], trend_report["pdf"]):
        for page in PdfReader(io.BytesIO(pdf)).pages:
            assert not page.images, "charts must be vector drawings, not embedded images"


def test_paper_sizes(single: dict, comparison: dict) -> None:
    assert page_size(single["pdf"]) == A4
    assert page_size(comparison["pdf"]) == LETTER
    assert page_size(report.html_to_pdf("<p>x</p>", paper="Letter")) == LETTER
    with pytest.raises(ValueError, match="choose a4 or letter"):
        report.paper_size("A5")


# --- comparison and trend -----------------------------------------------------------------------


def test_comparison_sections_and_numbers(comparison: dict) -> None:
    text, c = "\n".join(comparison["pages"]), comparison["result"]
    for heading in ("Contents", "Overview", "Dimension scores", "Delta to the organisation mean",
                    "Top gaps per department", "Level glossary"):
        assert heading in text
    assert HOSTILE in text  # a department name is text, never markup
    flat = squash(text)
    for dim in c.pivot.columns:
        name = {d.id: d.name for d in c.questionnaire.dimensions}[dim]
        scores = "".join(fmt(v) for v in c.pivot[dim])
        deltas = "".join(fmt(v, signed=True) for v in c.deltas[dim])
        assert squash(f"{name}{fmt(c.mean[dim])}{scores}") in flat
        assert squash(f"{name}{fmt(c.mean[dim])}{deltas}") in flat


def test_trend_sections_and_numbers(trend_report: dict) -> None:
    text, t = "\n".join(trend_report["pages"]), trend_report["result"]
    for heading in ("Scores over time", "Dimension scores", "Change between consecutive assessments",
                    "Level glossary"):
        assert heading in text
    flat = squash(text)
    for dim in t.scores.columns:
        name = {d.id: d.name for d in t.comparison.questionnaire.dimensions}[dim]
        assert squash(name + "".join(fmt(v) for v in t.scores[dim])) in flat
        assert squash(name + "".join(fmt(v, signed=True) for v in t.changes[dim])) in flat


def test_names_in_charts_are_text_not_plotly_markup(acme: Acme) -> None:
    context = report.comparison_context(acme.store.load_many(acme.ids[1:]))
    drawn = svg.to_svg(context["figures"]["radar"])
    assert "&#60;b&#62;R&amp;D&#60;/b&#62;" in drawn  # Plotly would otherwise draw <b> as bold and keep <a> links
    assert "font-weight:bold" not in drawn


def test_fetcher_serves_only_the_reports_own_charts() -> None:
    fetcher = report.RefusingFetcher(assets={"radar": "<svg xmlns='http://www.w3.org/2000/svg'/>"})
    html = ('<img src="report-chart:radar"><img src="report-chart:other"><img src="https://example.com/x.png">'
            '<img src="file:///etc/passwd"><img src="data:image/svg+xml,<svg/>">')
    report.html_to_pdf(html, fetcher)
    assert fetcher.served == ["radar"]
    assert [u.split(":")[0] for u in fetcher.refused] == ["report-chart", "https", "file", "data"]


def test_trend_of_an_unknown_department_names_the_known_ones(acme: Acme) -> None:
    with pytest.raises(ValueError, match="departments: .*Operations"):
        department_assessments(acme.store.list_assessments(), "Finance")


def test_comparison_needs_two(acme: Acme) -> None:
    with pytest.raises(ValueError, match="two or more"):
        report.comparison_context(acme.store.load_many([acme.ids[0]]))


# --- batch and CLI ---------------------------------------------------------------------------------


def test_cli_report_variants(acme: Acme, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", acme.url)
    ids = [str(i) for i in acme.ids]
    runs = {
        "one.pdf": ["report", ids[0], "-o", str(tmp_path / "one.pdf"), "--paper", "letter"],
        "compare.pdf": ["report", "--compare", ids[0], ids[2], "-o", str(tmp_path / "compare.pdf")],
        "trend.pdf": ["report", "--trend", "Platform", "-o", str(tmp_path / "trend.pdf")],
    }
    for name, args in runs.items():
        invoke(*args)
        assert (tmp_path / name).read_bytes().startswith(b"%PDF")
    assert page_size((tmp_path / "one.pdf").read_bytes()) == LETTER
    papers = []  # --all: the wiring and the progress bar; each report's layout is tested above
    monkeypatch.setattr(report, "assessment_pdf", lambda *a, paper, **k: papers.append(paper) or b"%PDF-stub")
    result = invoke("report", "--all", "--out-dir", str(tmp_path / "all"), "--paper", "letter")
    written = sorted((tmp_path / "all").glob("*.pdf"))
    assert len(written) == len(ids) and f"wrote {len(ids)} report(s)" in result.stdout
    assert "Writing reports" in result.stderr and papers == ["letter"] * len(ids)


@pytest.mark.parametrize(("args", "message"), [
    ([], "give one assessment id"),
    (["1", "2"], "several ids: add --compare"),
    (["--compare", "1"], "--compare needs two or more"),
    (["--trend", "Platform", "1"], "--trend takes a department, not ids"),
    (["--all", "-o", "x.pdf"], "--all writes one file per assessment"),
    (["--all", "1"], "--all writes one file per assessment"),
    (["--compare", "--trend", "Platform", "1", "2"], "do not go together"),
    (["1", "--out-dir", "d"], "--out-dir goes with --all"),
    (["1", "--paper", "a5"], "unknown paper size"),
    (["--trend", "Nobody"], "no assessment for department"),
    (["999"], "no assessment with id 999"),
])
def test_cli_bad_combinations_are_one_line(acme: Acme, monkeypatch: pytest.MonkeyPatch, args: list[str],
                                           message: str) -> None:
    monkeypatch.setenv("DATABASE_URL", acme.url)
    assert message in fails("report", *args)


def test_batch_reports_progress(acme: Acme, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(report, "assessment_pdf", lambda *a, **k: b"%PDF-stub")  # the layout is tested above
    every = acme.store.load_many(acme.ids)
    paths = report.batch_reports(every, tmp_path / "out", progress=lambda i, n: calls.append((i, n)))
    n = len(acme.ids)
    assert calls == [(i, n) for i in range(1, n + 1)] and len(set(paths)) == n
    assert all(p.name.startswith("assessment-") and p.suffix == ".pdf" for p in paths)


# --- formatting and the chart renderer ----------------------------------------------------------------


def test_fmt_is_the_one_number_format() -> None:
    assert fmt(2.449) == "2.4"
    assert fmt(float("nan")) == "–" and fmt(None) == "–"
    assert fmt(0.3, signed=True) == "+0.3" and fmt(-0.04, signed=True) == "+0.0"
    assert fmt(-0.25, signed=True) == "-0.2"
    assert fmt(0.954, percent=True) == "95%"


def test_chart_renderer_gives_each_thread_its_own_figure() -> None:
    """One Chromium for the process; concurrent callers never receive each other's images (Kaleido#444)."""
    figures = {name: charts.radar(["a", "b", "c"], {"Current": [1, 2, 3]}, title=f"chart-{name}")
               for name in "ABCDEF"}
    results: dict[str, str] = {}

    def draw(name: str) -> None:
        results[name] = svg.to_svg(figures[name], width=300, height=300)

    threads = [threading.Thread(target=draw, args=(name,)) for name in figures]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, drawn in results.items():
        assert drawn.startswith("<svg") and f"chart-{name}" in drawn
        assert all(f"chart-{other}" not in drawn for other in figures if other != name)


def test_lean_svg_is_the_same_picture_in_fewer_nodes() -> None:
    """The PDF's charts: Plotly's shapes and labels without its empty groups, styles and invisible shapes."""
    raw = svg.to_svg(charts.gap_bars(["Data quality", "Cost optimisation"], [1.2, 3.0], [3, 2]))
    lean = svg.lean_svg(raw)

    def texts(svg: str) -> list[str]:
        return [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]

    assert len(list(ET.fromstring(lean).iter())) < 0.6 * len(list(ET.fromstring(raw).iter()))
    assert texts(lean) == texts(raw) and "Cost optimisation" in texts(lean)
    assert "style=" not in lean and "class=" not in lean and "ns0:" not in lean
    pdf = report.html_to_pdf('<img src="report-chart:c">', report.RefusingFetcher(assets={"c": lean}))
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert not page.images and "Cost optimisation" in page.extract_text()
