"""PDF reports: one assessment, departments compared, one department over time.

Pipeline: engine results (scoring, roadmap, compare, crosswalk) → a context of display values →
Jinja2 HTML (autoescaped) → WeasyPrint PDF. Every number is computed by the engine and formatted by
`fmt`, so the PDF, the app and the CLI show the same figures. Charts are the app's Plotly figures
(`charts.py`) drawn as vector SVG by kaleido: all of a report's charts are queued before its HTML is
rendered, and WeasyPrint collects each one (`<img src="report-chart:KEY">`) when its layout reaches
it, so Chromium draws while WeasyPrint parses and styles the document. Each chart is drawn once.

Speed (issue #8: a warm report under 3 s): WeasyPrint's cost follows what it must lay out and draw,
so the report is written to be cheap for it — charts as `charts.lean_svg` (the same picture in a
third to a half of the SVG nodes, labels pre-anchored), tables with fixed column widths, answers as
plain paragraphs rather than wrappers and inline boxes, no `leader()` dots, no template indentation —
and every render reuses the parsed stylesheet and a font configuration, with the cyclic garbage
collector paused (`_gc_paused`). Measured with `benchmarks/bench_report.py`.

Safety: the templates autoescape every value (notes and names are text, never markup), and the
renderer's URL fetcher loads nothing but the report's own charts — `file:`, `http:`, `https:` and
`data:` URLs are refused, so a hostile `<img src="file:///…">` or `<link href="http://…">` that ever
reached the HTML would fetch nothing. The stylesheet is passed as a string.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from assessment import charts
from assessment.compare import Comparison, compare, trend
from assessment.crosswalk import crosswalk_rows, function_coverage, nist_ai_rmf
from assessment.questionnaire import Questionnaire, level_names
from assessment.roadmap import (
    BACKLOG,
    DEFAULT_CAPACITY,
    PHASE_NAMES,
    PHASES,
    GapAnalysis,
    Roadmap,
    Targets,
    gap_analysis,
    plan,
    targets_for,
)
from assessment.scoring import Scores, score

if TYPE_CHECKING:
    from assessment.storage import Answer, AssessmentDetails, Store

TEMPLATES = Path(__file__).resolve().parent.parent / "report_templates"
ASSET_SCHEME = "report-chart:"
PAPER_SIZES = {"a4": "A4", "letter": "letter"}
CHART_WIDTH = 760  # px; the PDF scales each chart to the text width
CHART_TIMEOUT = 60  # seconds to wait for one chart
LAYER_QUESTIONS = 8  # questions furthest below target, listed on each layer's page
MATRIX_COLUMNS = 5  # departments or dates per table: wider tables are split


def fmt(value: float | None, digits: int = 1, *, signed: bool = False, percent: bool = False) -> str:
    """Every number shown (app, CLI, PDF): '2.4'; '+0.3' signed; '95%' for a ratio; '–' when unscored."""
    if value is None or pd.isna(value):
        return "–"
    if percent:
        return f"{value:.0%}"
    value = round(float(value), digits) + 0.0  # + 0.0: no '-0.0'
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def paper_size(paper: str) -> str:
    """'A4' or 'letter' as CSS @page sizes; anything else is a ValueError naming the choices."""
    try:
        return PAPER_SIZES[paper.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown paper size {paper!r}; choose a4 or letter") from None


# --- rendering ------------------------------------------------------------------------


@dataclass
class RefusingFetcher:
    """Builds a WeasyPrint URLFetcher that loads nothing but the report's own charts.

    `assets` maps a chart key to its SVG text, or to a future of it (still being drawn); a URL
    `report-chart:KEY` for a key in it is served from memory, every other URL is refused and remembered.
    """

    refused: list[str] = field(default_factory=list)
    assets: Mapping[str, str | Future] = field(default_factory=dict)
    served: list[str] = field(default_factory=list)

    def build(self) -> Any:
        from weasyprint.urls import URLFetcher, URLFetcherResponse

        refused, assets, served = self.refused, self.assets, self.served

        class _Fetcher(URLFetcher):
            def fetch(self, url: str, headers: Any = None) -> Any:
                key = url[len(ASSET_SCHEME):] if url.startswith(ASSET_SCHEME) else None
                if key is not None and key in assets:
                    svg = assets[key]
                    if isinstance(svg, Future):
                        svg = svg.result(timeout=CHART_TIMEOUT)
                    served.append(key)
                    return URLFetcherResponse(url, svg.encode("utf-8"), {"Content-Type": "image/svg+xml"})
                refused.append(url)
                raise ValueError(f"the report renderer does not load external resources: {url[:80]}")

        return _Fetcher(allowed_protocols=frozenset(), allow_redirects=False, timeout=1)


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # the templates are .html.j2: force escaping whatever the extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["asset_scheme"] = ASSET_SCHEME
    return env


@cache
def _stylesheet() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


# Whitespace that only indents the template, between two tags on different lines. WeasyPrint would
# parse it, style it and lay it out as anonymous text; no value can match (values are escaped).
_INDENT = re.compile(r">\s*\n\s*<")


def render_html(context: dict[str, Any], template: str = "report.html.j2") -> str:
    return _INDENT.sub("><", _env().get_template(template).render(**context))


_fonts = threading.local()


@cache
def _parsed_css(paper: str) -> tuple[Any, ...]:
    """The stylesheet and the paper size, parsed once per process: they load nothing (no url() in them)."""
    import weasyprint

    fetcher = RefusingFetcher().build()
    return (weasyprint.CSS(string=_stylesheet(), url_fetcher=fetcher),
            weasyprint.CSS(string=f"@page {{ size: {paper}; }}", url_fetcher=fetcher))


def _font_config() -> Any:
    """One WeasyPrint font configuration per thread: reused, Pango keeps the fonts it has loaded."""
    from weasyprint.text.fonts import FontConfiguration

    if not hasattr(_fonts, "config"):
        _fonts.config = FontConfiguration()
    return _fonts.config


_gc_lock = threading.Lock()
_gc_renders = 0  # renders in progress, in any thread
_gc_was_enabled = True


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a report is built and rendered, one young collection after.

    A render builds hundreds of thousands of objects that live until its PDF is written; as they pile
    up Python runs full collections, and each rescans every object in the process — in the app
    (pandas, Plotly, SQLAlchemy: 200 000–300 000 long-lived objects) that was a fifth to a third of
    the render time. Paused, the render's garbage (~100 000 objects in cycles) is collected once,
    when the last report in progress (in any thread; pauses nest) ends, in ~0.15 s; memory peaks no
    higher (191 vs 196 MB max RSS).
    """
    global _gc_renders, _gc_was_enabled
    with _gc_lock:
        if _gc_renders == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_renders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_renders -= 1
            last = _gc_renders == 0
            if last and _gc_was_enabled:
                gc.enable()
        if last and _gc_was_enabled:
            gc.collect(1)  # the render's objects are all still in the young generations


def html_to_pdf(html: str, fetcher: RefusingFetcher | None = None, *, paper: str = "A4") -> bytes:
    """Render HTML to PDF with our stylesheet, the paper size, and a fetcher that loads no URL."""
    import weasyprint

    url_fetcher = (fetcher or RefusingFetcher()).build()
    stylesheets = _parsed_css(paper_size(paper))
    with _gc_paused():
        return weasyprint.HTML(string=html, url_fetcher=url_fetcher, base_url=None).write_pdf(
            stylesheets=stylesheets, font_config=_font_config())


def submit_charts(figures: Mapping[str, Any]) -> dict[str, Future]:
    """Queue a report's figures for drawing, as lean vector SVG (`charts.lean_svg`), by key."""
    return {key: charts.submit_svg(fig, width=CHART_WIDTH, lean=True) for key, fig in figures.items()}


def render_pdf(context: dict[str, Any], template: str, *, paper: str = "A4") -> bytes:
    """Queue the context's figures, render the HTML, lay it out; a chart that failed fails the report."""
    size = paper_size(paper)
    futures = submit_charts(context["figures"])
    fetcher = RefusingFetcher(assets=futures)
    pdf = html_to_pdf(render_html(context, template), fetcher, paper=size)
    for fut in futures.values():
        fut.result(timeout=CHART_TIMEOUT)  # re-raises the drawing error WeasyPrint only logged
    return pdf


# --- shared pieces ------------------------------------------------------------------------


def _generated() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _values(answers: Mapping[str, Answer]) -> dict[str, int | None]:
    """Scoring input from stored answers: level, or None for N/A; unanswered left out."""
    return {k: a.value for k, a in answers.items() if a.na or a.level is not None}


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "report"


def _glossary() -> list[Any]:
    return level_names().levels


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    """(start, end) of each group of at most `size` columns: a wide table is printed as several."""
    return [(i, min(i + size, n)) for i in range(0, n, size)] or [(0, 0)]


# --- the single-assessment report -------------------------------------------------------------


def strengths(scores: Scores, n: int = 3) -> pd.DataFrame:
    """The n highest scored layer × dimension cells; ties in questionnaire order."""
    d = scores.dimensions[scores.dimensions["score"].notna()]
    return d.sort_values("score", ascending=False, kind="stable").head(n)


def reading(department: str, analysis: GapAnalysis, roadmap: Roadmap) -> str:
    """The executive summary's paragraph, written from the scores: deterministic, no template logic."""
    s, q, names = analysis.scores, analysis.questionnaire, level_names()
    layer_names = {x.id: x.name for x in q.layers}
    dim_names = {d.id: d.name for d in q.dimensions}
    if s.answered == 0:
        return (f"{department} has not answered any of its {_plural(s.total, 'question')} with a level yet, "
                "so there is no score to read.")
    rule = (" under the weakest-link rule (the lowest layer × dimension score)"
            if q.scoring.overall == "weakest_link" else "")
    out = [f"{department} scores {fmt(s.overall)} out of 4 overall{rule}, "
           f"which is level {names.name(s.overall)}."]
    layers = s.layers[s.layers["score"].notna()].sort_values("score", ascending=False, kind="stable")
    if len(layers) > 1 and layers["score"].iloc[0] != layers["score"].iloc[-1]:
        top, low = layers.iloc[0], layers.iloc[-1]
        out.append(f"{layer_names[top.layer]} is the most mature layer at {fmt(top.score)}, "
                   f"{layer_names[low.layer]} the least at {fmt(low.score)}.")
    best = strengths(s, 1).iloc[0]
    best_text = f"{dim_names[best.dimension]} in {layer_names[best.layer]} ({fmt(best.score)})"
    cells = int(s.dimensions["score"].notna().sum())
    if analysis.dimensions.empty:
        out.append(f"The strongest area is {best_text}, and every scored area is at or above its target.")
    else:
        gap = analysis.dimensions.iloc[0]
        out.append(f"The strongest area is {best_text}; the most pressing gap is {gap.dimension_name} in "
                   f"{gap.layer_name}, at {fmt(gap.score)} against a target of {gap.target:g}. "
                   f"{len(analysis.dimensions)} of {cells} scored layer × dimension areas are below target.")
    counts = {p: len(items) for p, items in roadmap.by_phase().items()}
    if sum(counts.values()):
        text = (f"The roadmap plans {_plural(counts['now'], 'step')} for the next three months, "
                f"{counts['next']} for months 3–6 and {counts['later']} for months 6–12")
        backlog = counts[BACKLOG]
        out.append(text + (f"; {_plural(backlog, 'further step waits', 'further steps wait')} in the backlog."
                           if backlog else "."))
    unanswered = len(analysis.unanswered)
    if unanswered:
        out.append(f"{_plural(unanswered, 'question is', 'questions are')} still unanswered and so in no gap yet: "
                   "the picture may change when they are.")
    return " ".join(out)


def _answer_text(question: Any, answer: Answer | None, names: Any) -> dict[str, Any]:
    if answer is None or (not answer.na and answer.level is None):
        return {"state": "missing", "level": None, "label": "Not answered", "description": ""}
    if answer.na:
        return {"state": "na", "level": None, "label": "N/A — does not apply", "description": ""}
    return {"state": "level", "level": answer.level,
            "label": f"Level {answer.level} ({names.levels[answer.level].name})",
            "description": question.levels[answer.level]}


def build_context(
    record: AssessmentDetails,
    answers: Mapping[str, Answer],
    *,
    targets: Targets | None = None,
    capacity: int = DEFAULT_CAPACITY,
    questionnaire: Questionnaire | None = None,
    votes: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything the single-assessment template shows, from the engine: no logic in the template.

    `targets` are the assessment's stored targets (level 3 where none is stored). The context's
    `figures` are the Plotly figures to draw, by the key the template refers to them with.
    """
    q = questionnaire or record.questionnaire
    values = _values(answers)
    analysis = gap_analysis(q, values, targets_for(q, targets))
    cells, s = analysis.targets, analysis.scores
    roadmap = plan(analysis, capacity)
    names = level_names()
    dim_names = {d.id: d.name for d in q.dimensions}
    layer_names = {x.id: x.name for x in q.layers}
    below = {(r.layer, r.dimension): r for r in analysis.dimensions.itertuples()}
    layer_gap = {r.layer: r for r in analysis.layers.itertuples()}
    figures: dict[str, Any] = {}
    layer_questions = dict(tuple(analysis.questions.groupby("layer", sort=False)))

    layers = []
    for layer in q.layers:
        rows = s.dimensions[s.dimensions["layer"] == layer.id]
        lrows = s.layers[s.layers["layer"] == layer.id]
        if rows.empty or lrows.empty:
            continue  # a layer without questions
        lrow = lrows.iloc[0]
        labels = [charts.text_label(dim_names[d]) for d in rows["dimension"]]
        goal = [cells[(layer.id, d)] for d in rows["dimension"]]
        figures[f"radar-{layer.id}"] = charts.radar(labels, {"Current": list(rows["score"])}, target=goal,
                                                    height=480)
        figures[f"gaps-{layer.id}"] = charts.gap_bars(labels, list(rows["score"]), goal, height=80 + 32 * len(labels))
        gap_row = layer_gap.get(layer.id)
        layers.append({
            "id": layer.id, "anchor": f"layer-{layer.id}", "name": layer.name, "description": layer.description,
            "score": fmt(lrow["score"]), "level_name": names.name(lrow["score"]),
            "coverage": fmt(lrow["coverage"], percent=True),
            "gap": fmt(gap_row.gap) if gap_row is not None else fmt(0.0) if pd.notna(lrow["score"]) else "–",
            "below": sum(1 for cell in below if cell[0] == layer.id), "cells": len(rows),
            "dimensions": [
                {"name": dim_names[r.dimension], "score": fmt(r.score), "level_name": names.name(r.score),
                 "target": cells[(layer.id, r.dimension)],
                 "gap": (fmt(below[(layer.id, r.dimension)].gap) if (layer.id, r.dimension) in below
                         else "–" if pd.isna(r.score) else fmt(0.0)),
                 "answered": int(r.answered), "na": int(r.na), "total": int(r.total)}
                for r in rows.itertuples()
            ],
            "questions": [
                {"id": r.question_id, "text": r.question, "dimension": r.dimension_name, "level": int(r.level),
                 "target": int(r.target), "gap": int(r.gap), "priority": int(r.priority)}
                for r in layer_questions.get(layer.id, analysis.questions.head(0)).head(LAYER_QUESTIONS).itertuples()
            ],
            "questions_below": len(layer_questions.get(layer.id, ())),
        })

    phases = []
    for phase in PHASES:
        items = roadmap.phases[phase]
        phases.append({"id": phase, "name": PHASE_NAMES[phase], "count": len(items), "steps": [
            {"rank": rank, "question_id": i.question_id, "question": i.question, "layer": i.layer_name,
             "dimension": i.dimension_name, "from_level": i.from_level, "to_level": i.to_level,
             "from_name": names.levels[i.from_level].name, "to_name": names.levels[i.to_level].name,
             "target": i.target, "recommendation": i.recommendation, "reason": i.reason, "priority": i.priority}
            for rank, i in enumerate(items, 1)]})
    if any(p["count"] for p in phases):
        items = [{**i, "label": charts.text_label(i["label"]), "hover": charts.text_label(i["hover"])}
                 for i in charts.timeline_items(roadmap.items)]
        figures["roadmap"] = charts.roadmap_timeline(items)

    framework = nist_ai_rmf()
    rows = crosswalk_rows([q])
    coverage = function_coverage(rows, framework).set_index("function")
    answered_ids = set(values)
    nist = [{
        "id": f.id, "name": f.name, "summary": f.summary,
        "subcategories": int(coverage.at[f.id, "subcategories"]), "covered": int(coverage.at[f.id, "covered"]),
        "percent": fmt(coverage.at[f.id, "percent"] / 100, percent=True),
        "questions": int(coverage.at[f.id, "questions"]),
        "answered": rows.loc[(rows["function"] == f.id) & rows["question_id"].isin(answered_ids),
                             "question_id"].nunique(),
        "list": sorted(rows.loc[rows["function"] == f.id, "subcategory"].unique(),
                       key=lambda sub: tuple(int(n) for n in sub.split()[1].split("."))),
    } for f in framework.functions]

    appendix = []
    for layer in q.layers:
        groups = []
        for d in q.ordered_dimensions:
            qs = [x for x in q.questions if x.layer == layer.id and x.dimension == d.id]
            if qs:
                groups.append({"name": d.name, "questions": [
                    {"id": x.id, "text": x.text, "answer": answers.get(x.id),
                     "votes": _vote_line(votes.get(x.id)) if votes else None,
                     **_answer_text(x, answers.get(x.id), names)} for x in qs]})
        if groups:
            appendix.append({"name": layer.name, "dimensions": groups})

    top = strengths(s)
    toc = [("summary", "Executive summary", False), *[(x["anchor"], x["name"], True) for x in layers],
           ("roadmap", "Roadmap", False), ("nist", "NIST AI RMF crosswalk", False),
           ("appendix", "Appendix: every answer", False), ("glossary", "Level glossary", False)]
    return {
        "kind": "assessment",
        "title": record.name,
        "assessment": record,
        "questionnaire": q,
        "generated": _generated(),
        "toc": [{"anchor": a, "title": t, "sub": sub} for a, t, sub in toc], "toc_on_cover": False,
        "overall": fmt(s.overall),
        "overall_name": names.name(s.overall),
        "coverage": fmt(s.coverage, percent=True),
        "answered": s.answered, "na": s.na, "total": s.total,
        "unanswered": len(analysis.unanswered),
        "rule": q.scoring.overall,
        "custom_targets": bool(targets),
        "reading": reading(record.department, analysis, roadmap),
        "strengths": [{"layer": layer_names[r.layer], "dimension": dim_names[r.dimension], "score": fmt(r.score),
                       "level_name": names.name(r.score)} for r in top.itertuples()],
        "gaps": [{"layer": g.layer_name, "dimension": g.dimension_name, "score": fmt(g.score),
                  "target": f"{g.target:g}", "gap": fmt(g.gap), "priority": fmt(g.priority)}
                 for g in analysis.dimensions.head(5).itertuples()],
        "gap_count": len(analysis.dimensions),
        "layers": layers,
        "phases": phases,
        "backlog": len(roadmap.backlog),
        "capacity": capacity,
        "steps": len(roadmap.items),
        "nist": nist, "framework": framework.title,
        "appendix": appendix,
        "levels": _glossary(),
        "figures": figures,
    }


def _vote_line(summary: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A question's workshop votes for the appendix: counts per choice, median, range, disagreement."""
    if not summary or not summary.get("votes"):
        return None
    counts = [f"{summary['labels'][c]} ×{n}" for c, n in summary["distribution"].items() if n]
    spread = (f"; median {fmt(summary['median'])}, range {summary['low']}–{summary['high']}"
              if summary.get("median") is not None else "")
    return {"text": f"{summary['votes']} votes: {', '.join(counts)}{spread}",
            "disagreement": bool(summary.get("disagreement"))}


def vote_summaries(store: Store, assessment_id: int) -> dict[str, dict[str, Any]]:
    """Workshop votes per question of an assessment, summarised for the appendix."""
    from assessment.workshop import vote_summary

    return {qid: vote_summary(v) for qid, v in store.workshop_votes(assessment_id).items()}


def assessment_pdf(
    record: AssessmentDetails, answers: Mapping[str, Answer], *, targets: Targets | None = None,
    paper: str = "A4", votes: Mapping[str, Mapping[str, Any]] | None = None,
) -> bytes:
    """The gap report of one assessment as PDF bytes; `targets` are its stored targets (`store.targets`),
    `votes` its workshop votes (`vote_summaries`), shown per question in the appendix."""
    with _gc_paused():
        return render_pdf(build_context(record, answers, targets=targets, votes=votes), "report.html.j2", paper=paper)


# --- comparison and trend -------------------------------------------------------------------------


def _dimension_rows(c: Comparison) -> list[Any]:
    present = set(c.pivot.columns)
    return [d for d in c.questionnaire.ordered_dimensions if d.id in present]


def _score_summary(q: Questionnaire, values: Mapping[str, int | None]) -> dict[str, Any]:
    s = score(q, values)
    names = level_names()
    return {"overall": fmt(s.overall), "level_name": names.name(s.overall),
            "coverage": fmt(s.coverage, percent=True),
            "layers": {r.layer: fmt(r.score) for r in s.layers.itertuples()}}


def comparison_context(store: Store, ids: Sequence[int]) -> dict[str, Any]:
    """The comparison report's context: N assessments side by side, from `compare.compare`."""
    if len(ids) < 2:
        raise ValueError("a comparison needs two or more assessment ids")
    entries = store.comparable(list(ids))
    by_id = {e.id: e for e in entries}
    records = {i: store.get_assessment(i) for i in by_id}
    c = compare(entries)
    dims = _dimension_rows(c)
    labels = list(c.pivot.index)
    colours = charts.colour_map(labels)
    matrix = [[c.pivot.at[label, d.id] for d in dims] for label in labels]
    names = [charts.text_label(d.name) for d in dims]
    figures = {
        "radar": charts.radar(names, {charts.text_label(lbl): row for lbl, row in zip(labels, matrix, strict=True)},
                              colours={charts.text_label(lbl): colour for lbl, colour in colours.items()}, height=480),
        "heatmap": charts.heatmap([charts.text_label(lbl) for lbl in labels], names, matrix),
    }
    rows = []
    for r in c.assessments.itertuples():
        entry = by_id[r.id]
        record, q = records[r.id], entry.questionnaire
        analysis = gap_analysis(q, entry.answers, targets_for(q, store.targets(r.id)))
        rows.append({
            "label": r.label, "name": record.name, "department": r.department, "date": r.assessed_on.isoformat(),
            "id": r.id, "colour": colours[r.label], **_score_summary(q, entry.answers),
            "scores": [fmt(c.pivot.at[r.label, d.id]) for d in dims],
            "deltas": [fmt(c.deltas.at[r.label, d.id], signed=True) for d in dims],
            "gaps": [{"layer": g.layer_name, "dimension": g.dimension_name, "score": fmt(g.score),
                      "target": f"{g.target:g}", "gap": fmt(g.gap)} for g in analysis.dimensions.head(5).itertuples()],
            "gap_count": len(analysis.dimensions),
        })
    organisations = sorted({r.organisation for r in records.values()})
    dates = sorted(r.assessed_on for r in records.values())
    toc = [("overview", "Overview"), ("dimensions", "Dimension scores"), ("deltas", "Delta to the organisation mean"),
           ("top-gaps", "Top gaps per department"), ("glossary", "Level glossary")]
    return {
        "kind": "comparison",
        "title": f"Comparison of {len(rows)} assessments",
        "organisation": ", ".join(organisations),
        "period": f"{dates[0].isoformat()} – {dates[-1].isoformat()}" if dates[0] != dates[-1]
        else dates[0].isoformat(),
        "questionnaire": c.questionnaire,
        "generated": _generated(),
        "toc": [{"anchor": a, "title": t, "sub": False} for a, t in toc], "toc_on_cover": True,
        "dimensions": [d.name for d in dims],
        "rows": rows,
        "mean": [fmt(c.mean[d.id]) for d in dims],
        "chunks": _chunks(len(rows), MATRIX_COLUMNS),
        "extremes": [{"dimension": e["dimension_name"], "strongest": e["strongest"] or "–",
                      "strongest_score": fmt(e["strongest_score"]), "weakest": e["weakest"] or "–",
                      "weakest_score": fmt(e["weakest_score"])} for e in c.extremes.to_dict(orient="records")],
        "left_out": c.left_out, "shared_questions": len(c.questionnaire.questions),
        "levels": _glossary(),
        "figures": figures,
    }


def comparison_pdf(store: Store, ids: list[int], *, paper: str = "A4") -> bytes:
    """Departments side by side: overlaid radar, heatmap, deltas to the organisation mean, top gaps."""
    with _gc_paused():
        return render_pdf(comparison_context(store, ids), "comparison.html.j2", paper=paper)


def department_ids(store: Store, department: str) -> tuple[str, list[int]]:
    """The department's name as stored (matched ignoring case) and its assessment ids."""
    records = store.list_assessments()
    wanted = department.strip().casefold()
    found = [r for r in records if r.department.casefold() == wanted]
    if not found:
        known = sorted({r.department for r in records})
        raise ValueError(f"no assessment for department {department!r}"
                         + (f"; departments: {', '.join(known)}" if known else "; the database is empty"))
    return found[0].department, [r.id for r in found]


def trend_context(store: Store, department: str) -> dict[str, Any]:
    """The trend report's context: one department's assessments in date order, from `compare.trend`."""
    name, ids = department_ids(store, department)
    entries = store.comparable(ids)
    t = trend(entries)
    c = t.comparison
    dims = _dimension_rows(c)
    labels = list(t.scores.index)
    by_id = {e.id: e for e in entries}
    records = {i: store.get_assessment(i) for i in ids}
    rows = []
    for r in c.assessments.itertuples():
        entry = by_id[r.id]
        rows.append({"label": r.label, "name": records[r.id].name, "id": r.id,
                     **_score_summary(entry.questionnaire, entry.answers),
                     "scores": [fmt(t.scores.at[r.label, d.id]) for d in dims]})
    layers = [x for x in c.questionnaire.layers if any(x.id in row["layers"] for row in rows)]
    shown = [labels[0], labels[-1]] if len(labels) > 1 else labels
    figures = {
        "trend": charts.trend_lines(labels, {charts.text_label(d.name): list(t.scores[d.id]) for d in dims},
                                    height=460),
        "radar": charts.radar([charts.text_label(d.name) for d in dims],
                              {lbl: [t.scores.at[lbl, d.id] for d in dims] for lbl in shown},
                              colours=dict(zip(shown, charts.PALETTE, strict=False)), height=440),
    }
    toc = [("over-time", "Scores over time", False), ("dimensions", "Dimension scores", False),
           ("changes", "Change between consecutive assessments", True), ("glossary", "Level glossary", False)]
    organisations = sorted({r.organisation for r in records.values()})
    return {
        "kind": "trend",
        "title": f"{name} over time",
        "department": name,
        "organisation": ", ".join(organisations),
        "period": f"{labels[0]} – {labels[-1]}" if len(labels) > 1 else labels[0],
        "questionnaire": c.questionnaire,
        "generated": _generated(),
        "toc": [{"anchor": a, "title": tt, "sub": sub} for a, tt, sub in toc], "toc_on_cover": True,
        "dimensions": [d.name for d in dims],
        "layers": [{"id": x.id, "name": x.name} for x in layers],
        "rows": rows,
        "first": shown[0], "last": shown[-1],
        "changes": [{"between": k, "deltas": [fmt(row[d.id], signed=True) for d in dims]}
                    for k, row in t.changes.iterrows()],
        "chunks": _chunks(len(rows), MATRIX_COLUMNS),
        "change_chunks": _chunks(len(t.changes), MATRIX_COLUMNS - 1),
        "left_out": c.left_out, "shared_questions": len(c.questionnaire.questions),
        "levels": _glossary(),
        "figures": figures,
    }


def trend_pdf(store: Store, department: str, *, paper: str = "A4") -> bytes:
    """One department over time: trend lines per dimension and the change between consecutive dates."""
    with _gc_paused():
        return render_pdf(trend_context(store, department), "trend.html.j2", paper=paper)


def batch_reports(store: Store, out_dir: Path | str, *, paper: str = "A4",
                  progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """The gap report of every assessment into `out_dir`; `progress(i, n)` after each one."""
    paper_size(paper)  # a bad size fails before the first report, not after
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records = sorted(store.list_assessments(), key=lambda r: r.id)
    paths = []
    for i, r in enumerate(records, 1):
        path = out / f"assessment-{r.id}-{_slug(r.department)}-{r.assessed_on.isoformat()}.pdf"
        path.write_bytes(assessment_pdf(r, store.answers(r.id), targets=store.targets(r.id), paper=paper,
                                        votes=vote_summaries(store, r.id)))
        paths.append(path)
        if progress:
            progress(i, len(records))
    return paths
