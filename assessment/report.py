"""PDF reports: one assessment, departments compared, one department over time — built from values.

Pipeline: `analysis.analyse` (or `compare`/`trend`) → a context of display values → Jinja2 HTML
(autoescaped) → WeasyPrint PDF (`pdf.py`). Every function here takes `model.Assessment` values, never a
database: the caller loads them (`store.load`, `store.load_many`). Every number is computed by the
engine and written by `present.fmt`, so the PDF, the app and the CLI show the same figures. Charts are
the app's Plotly figures (`charts.py`) drawn as vector SVG by kaleido (`svg.py`): all of a report's
charts are queued before its HTML is rendered, and WeasyPrint collects each one
(`<img src="report-chart:KEY">`) when its layout reaches it, so Chromium draws while WeasyPrint parses
and styles the document. Each chart is drawn once.

Speed (issue #8: a warm report under 3 s): WeasyPrint's cost follows what it must lay out and draw,
so the report is written to be cheap for it — charts as `svg.lean_svg` (the same picture in a
third to a half of the SVG nodes, labels pre-anchored), tables with fixed column widths, answers as
plain paragraphs rather than wrappers and inline boxes, no `leader()` dots, no template indentation —
and every render reuses the parsed stylesheet and a font configuration, with the cyclic garbage
collector paused (`pdf.gc_paused`). Measured with `benchmarks/bench_report.py`.

Safety: the templates autoescape every value (notes and names are text, never markup), and the
renderer's URL fetcher (`pdf.RefusingFetcher`) loads nothing but the report's own charts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from assessment import charts, svg
from assessment.actions import action_plan, progress
from assessment.analysis import Analysis, analyse
from assessment.compare import Comparison, compare, trend
from assessment.content import level_names, nist_ai_rmf
from assessment.crosswalk import crosswalk_rows, function_coverage
from assessment.model import Assessment
from assessment.pdf import (  # noqa: F401 - RefusingFetcher, html_to_pdf: the report's renderer, for callers
    ASSET_SCHEME,
    CHART_TIMEOUT,
    TEMPLATES,
    RefusingFetcher,
    gc_paused,
    html_to_pdf,
    paper_size,
)
from assessment.portfolio import Movement, portfolio
from assessment.present import answer_text, fmt, plural
from assessment.roadmap import BACKLOG, DEFAULT_CAPACITY, PHASE_NAMES, PHASES
from assessment.workshop import vote_summary

CHART_WIDTH = 760  # px; the PDF scales each chart to the text width
LAYER_QUESTIONS = 8  # questions furthest below target, listed on each layer's page
MATRIX_COLUMNS = 5  # departments or dates per table: wider tables are split
ACTION_ROWS = 14  # actions on the action plan's one page


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


# Whitespace that only indents the template, between two tags on different lines. WeasyPrint would
# parse it, style it and lay it out as anonymous text; no value can match (values are escaped).
_INDENT = re.compile(r">\s*\n\s*<")


def render_html(context: dict[str, Any], template: str = "report.html.j2") -> str:
    return _INDENT.sub("><", _env().get_template(template).render(**context))


def submit_charts(figures: Mapping[str, Any]) -> dict[str, Future]:
    """Queue a report's figures for drawing, as lean vector SVG (`svg.lean_svg`), by key."""
    return {key: svg.submit_svg(fig, width=CHART_WIDTH, lean=True) for key, fig in figures.items()}


def render_pdf(context: dict[str, Any], template: str, *, paper: str = "A4", tagged: bool = True) -> bytes:
    """Queue the context's figures, render the HTML, lay it out; a chart that failed fails the report.

    Tagged PDF/UA-1 by default (`pdf.html_to_pdf`); each chart's alternative text is `context["alts"]`."""
    size = paper_size(paper)
    futures = submit_charts(context["figures"])
    fetcher = RefusingFetcher(assets=futures)
    pdf = html_to_pdf(render_html(context, template), fetcher, paper=size, tagged=tagged)
    for fut in futures.values():
        fut.result(timeout=CHART_TIMEOUT)  # re-raises the drawing error WeasyPrint only logged
    return pdf


# --- shared pieces ------------------------------------------------------------------------


def _generated() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _report_day() -> dt.date:
    """The day the report is generated on (from `_generated`): what its action plan counts as overdue."""
    return dt.date.fromisoformat(_generated()[:10])


def action_rows(result: Analysis, today: dt.date) -> dict[str, Any]:
    """The action plan's page: the actions in Now, Next and Later, and those someone edited, at most
    ACTION_ROWS; overdue is written out, not only coloured."""
    plan = action_plan(result, today)
    shown = [p for p in plan if p.stored or p.phase in PHASES][:ACTION_ROWS]
    counted = progress(plan)
    return {
        "rows": [{"what": p.recommendation or p.question, "where": f"{p.layer_name} · {p.dimension_name}",
                  "phase": p.phase.capitalize() if p.phase else "Off", "owner": p.action.owner or "—",
                  "due": p.due.isoformat() if p.due else "—", "status": p.action.status_name,
                  "reason": p.action.reason, "overdue": p.overdue, "ticket": p.action.ticket} for p in shown],
        "total": len(plan), "left_out": len(plan) - len(shown), "done": counted.done,
        "overdue": counted.overdue, "dropped": counted.dropped, "day": today.isoformat(),
        "share_done": fmt(counted.share_done, percent=True),
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "report"


def _glossary() -> list[Any]:
    return level_names().levels


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    """(start, end) of each group of at most `size` columns: a wide table is printed as several."""
    return [(i, min(i + size, n)) for i in range(0, n, size)] or [(0, 0)]


# --- the single-assessment report -------------------------------------------------------------


def reading(analysis: Analysis) -> str:
    """The executive summary's paragraph, written from the analysis: deterministic, no template logic."""
    department, roadmap = analysis.assessment.department, analysis.roadmap
    s, q, names = analysis.scores, analysis.questionnaire, level_names()
    layer_names = {x.id: x.name for x in q.layers}
    dim_names = {d.id: d.name for d in q.dimensions}
    if s.answered == 0:
        return (f"{department} has not answered any of its {plural(s.total, 'question')} with a level yet, "
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
    best = analysis.strengths.iloc[0]
    best_text = f"{dim_names[best.dimension]} in {layer_names[best.layer]} ({fmt(best.score)})"
    cells = int(s.dimensions["score"].notna().sum())
    below = analysis.gaps.dimensions
    if below.empty:
        out.append(f"The strongest area is {best_text}, and every scored area is at or above its target.")
    else:
        gap = below.iloc[0]
        out.append(f"The strongest area is {best_text}; the most pressing gap is {gap.dimension_name} in "
                   f"{gap.layer_name}, at {fmt(gap.score)} against a target of {gap.target:g}. "
                   f"{len(below)} of {cells} scored layer × dimension areas are below target.")
    counts = {p: len(items) for p, items in roadmap.by_phase().items()}
    if sum(counts.values()):
        text = (f"The roadmap plans {plural(counts['now'], 'step')} for the next three months, "
                f"{counts['next']} for months 3–6 and {counts['later']} for months 6–12")
        backlog = counts[BACKLOG]
        out.append(text + (f"; {plural(backlog, 'further step waits', 'further steps wait')} in the backlog."
                           if backlog else "."))
    unanswered = len(analysis.unanswered)
    if unanswered:
        out.append(f"{plural(unanswered, 'question is', 'questions are')} still unanswered and so in no gap yet: "
                   "the picture may change when they are.")
    return " ".join(out)


def build_context(result: Analysis) -> dict[str, Any]:
    """Everything the single-assessment template shows, from `analyse`: no logic in the template.

    The context's `figures` are the Plotly figures to draw, by the key the template refers to them with.
    """
    record, q = result.assessment, result.questionnaire
    answers, votes = record.answers, vote_summaries(record)
    analysis, cells, s, roadmap = result.gaps, result.targets, result.scores, result.roadmap
    values = record.values
    names = level_names()
    dim_names = {d.id: d.name for d in q.dimensions}
    layer_names = {x.id: x.name for x in q.layers}
    below = {(r.layer, r.dimension): r for r in analysis.dimensions.itertuples()}
    layer_gap = {r.layer: r for r in analysis.layers.itertuples()}
    figures: dict[str, Any] = {}
    alts: dict[str, str] = {}  # each chart's one-sentence summary: its alternative text in the PDF
    layer_questions = dict(tuple(analysis.questions.groupby("layer", sort=False)))

    layers = []
    for layer in q.layers:
        rows = s.dimensions[s.dimensions["layer"] == layer.id]
        lrows = s.layers[s.layers["layer"] == layer.id]
        if rows.empty or lrows.empty:
            continue  # a layer without questions
        lrow = lrows.iloc[0]
        labels = [dim_names[d] for d in rows["dimension"]]
        goal = [cells[(layer.id, d)] for d in rows["dimension"]]
        figures[f"radar-{layer.id}"] = charts.radar(labels, {"Current": list(rows["score"])}, target=goal,
                                                    height=480)
        figures[f"gaps-{layer.id}"] = charts.gap_bars(labels, list(rows["score"]), goal, height=80 + 32 * len(labels))
        alts[f"radar-{layer.id}"] = f"{layer.name}: " + charts.describe_radar(
            labels, {"Current": list(rows["score"])}, target=goal)
        alts[f"gaps-{layer.id}"] = f"{layer.name}: " + charts.describe_gap_bars(labels, list(rows["score"]), goal)
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
        figures["roadmap"] = charts.roadmap_timeline(charts.timeline_items(roadmap.items))
        alts["roadmap"] = charts.describe_timeline(charts.timeline_items(roadmap.items))

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
                    {"id": x.id, "text": x.text, "answer": answers.get(x.id), "na_rule": x.not_applicable_when,
                     "votes": _vote_line(votes.get(x.id)) if votes else None,
                     **answer_text(x, answers.get(x.id), names)} for x in qs]})
        if groups:
            appendix.append({"name": layer.name, "dimensions": groups})

    toc = [("summary", "Executive summary", False), *[(x["anchor"], x["name"], True) for x in layers],
           ("roadmap", "Roadmap", False), ("actions", "Action plan", False), ("nist", "NIST AI RMF crosswalk", False),
           ("appendix", "Appendix: every answer", False), ("glossary", "Level glossary", False)]
    return {
        "kind": "assessment",
        "title": record.name,
        "assessment": record.details,
        "questionnaire": q,
        "generated": _generated(),
        "toc": [{"anchor": a, "title": t, "sub": sub} for a, t, sub in toc], "toc_on_cover": False,
        "overall": fmt(s.overall),
        "overall_name": names.name(s.overall),
        "coverage": fmt(s.coverage, percent=True),
        "answered": s.answered, "na": s.na, "total": s.total,
        "unanswered": len(analysis.unanswered),
        "rule": q.scoring.overall,
        "custom_targets": result.custom_targets,
        "reading": reading(result),
        "strengths": [{"layer": layer_names[r.layer], "dimension": dim_names[r.dimension], "score": fmt(r.score),
                       "level_name": names.name(r.score)} for r in result.strengths.itertuples()],
        "gaps": [{"layer": g.layer_name, "dimension": g.dimension_name, "score": fmt(g.score),
                  "target": f"{g.target:g}", "gap": fmt(g.gap), "priority": fmt(g.priority)}
                 for g in analysis.dimensions.head(5).itertuples()],
        "gap_count": len(analysis.dimensions),
        "layers": layers,
        "phases": phases,
        "backlog": len(roadmap.backlog),
        "capacity": roadmap.capacity["now"],
        "steps": len(roadmap.items),
        "actions": action_rows(result, _report_day()),
        "nist": nist, "framework": framework.title,
        "appendix": appendix,
        "levels": _glossary(),
        "figures": figures, "alts": alts,
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


def vote_summaries(assessment: Assessment) -> dict[str, dict[str, Any]]:
    """Workshop votes per question of an assessment, summarised for the appendix."""
    return {qid: vote_summary(v) for qid, v in assessment.votes.items()}


def assessment_pdf(assessment: Assessment, *, paper: str = "A4", capacity: int = DEFAULT_CAPACITY) -> bytes:
    """The gap report of one assessment as PDF bytes: its analysis, its workshop votes in the appendix."""
    with gc_paused():
        return render_pdf(build_context(analyse(assessment, capacity=capacity)), "report.html.j2", paper=paper)


# --- comparison and trend -------------------------------------------------------------------------


def _dimension_rows(c: Comparison) -> list[Any]:
    present = set(c.pivot.columns)
    return [d for d in c.questionnaire.ordered_dimensions if d.id in present]


def _score_summary(s: Any) -> dict[str, Any]:
    names = level_names()
    return {"overall": fmt(s.overall), "level_name": names.name(s.overall),
            "coverage": fmt(s.coverage, percent=True),
            "layers": {r.layer: fmt(r.score) for r in s.layers.itertuples()}}


def _matrix_parts(c: Comparison, rows: list[dict[str, Any]], figures: dict[str, Any],
                  alts: dict[str, str]) -> dict[str, Any]:
    """What the comparison and trend reports share: column groups, questions left out, glossary, charts."""
    return {"chunks": _chunks(len(rows), MATRIX_COLUMNS), "left_out": c.left_out,
            "question_changes": [str(change) for change in c.changes],
            "shared_questions": len(c.questionnaire.questions), "levels": _glossary(), "figures": figures,
            "alts": alts}


def _portfolio_parts(entries: Sequence[Assessment], baselines: Mapping[int, Assessment] | None,
                     moved: Movement | None) -> dict[str, Any]:
    """Percentage to target and progress per department, business unit and the organisation
    (`portfolio.portfolio`), and the movement between two dates when given, as display values."""
    p = portfolio(entries, baselines)

    def shown(rows: pd.DataFrame) -> list[dict[str, Any]]:
        return [{"name": r.name, "business_unit": r.business_unit, "departments": r.departments,
                 "to_target": fmt(r.percentage_to_target, percent=True),
                 "progress": fmt(r.progress, percent=True) if pd.notna(r.progress) else f"– ({r.progress_note})"}
                for r in rows.itertuples()]

    out: dict[str, Any] = {"portfolio": {
        "departments": shown(p.relative_rows("department")),
        "units": shown(pd.concat([p.relative_rows("business_unit"), p.relative_rows("organisation")])),
        "baselines": sum(1 for b in p.departments["baseline_id"] if pd.notna(b)),
    }}
    if moved is not None:
        out["movement"] = {
            "start": moved.start.isoformat(), "end": moved.end.isoformat(),
            "leaders": [{"unit": r.business_unit, "dimension": r.dimension_name, "departments": r.departments,
                         "improved": f"{r.most_improved} ({fmt(r.improved_by, signed=True)})" if r.most_improved
                         else "none",
                         "declined": f"{r.most_declined} ({fmt(r.declined_by, signed=True)})" if r.most_declined
                         else "none"} for r in moved.leaders.itertuples()],
            "not_reassessed": [{"department": r.department, "unit": r.business_unit,
                                "last": r.last_date.isoformat()} for r in moved.not_reassessed.itertuples()],
            "first_assessed": moved.first_assessed,
        }
    return out


def comparison_context(entries: Sequence[Assessment], *, baselines: Mapping[int, Assessment] | None = None,
                       movement: Movement | None = None) -> dict[str, Any]:
    """The comparison report's context: N assessments side by side, from `compare.compare`; progress is
    measured from `baselines` (current id → assessment; `portfolio.baselines`), and `movement` adds its
    chapter."""
    if len(entries) < 2:
        raise ValueError("a comparison needs two or more assessment ids")
    by_id = {e.id: e for e in entries}
    c = compare(entries)
    dims = _dimension_rows(c)
    labels = list(c.pivot.index)
    colours = charts.colour_map(labels)
    matrix = [[c.pivot.at[label, d.id] for d in dims] for label in labels]
    names = [d.name for d in dims]
    figures = {
        "radar": charts.radar(names, dict(zip(labels, matrix, strict=True)), colours=colours, height=480),
        "heatmap": charts.heatmap(labels, names, matrix),
    }
    alts = {"radar": charts.describe_radar(names, dict(zip(labels, matrix, strict=True))),
            "heatmap": charts.describe_heatmap(labels, names, matrix)}
    rows = []
    day = _report_day()
    for r in c.assessments.itertuples():
        entry = by_id[r.id]
        analysis = analyse(entry)
        gaps, done = analysis.gaps, progress(action_plan(analysis, day))
        rows.append({
            "label": r.label, "name": entry.name, "department": r.department, "date": r.assessed_on.isoformat(),
            "id": r.id, "colour": colours[r.label], **_score_summary(gaps.scores),
            "scores": [fmt(c.pivot.at[r.label, d.id]) for d in dims],
            "deltas": [fmt(c.deltas.at[r.label, d.id], signed=True) for d in dims],
            "gaps": [{"layer": g.layer_name, "dimension": g.dimension_name, "score": fmt(g.score),
                      "target": f"{g.target:g}", "gap": fmt(g.gap)} for g in gaps.dimensions.head(5).itertuples()],
            "gap_count": len(gaps.dimensions),
            "actions_done": fmt(done.share_done, percent=True),
            "actions_overdue": fmt(done.share_overdue, percent=True),
        })
    organisations = sorted({e.organisation for e in by_id.values()})
    dates = sorted(e.assessed_on for e in by_id.values())
    toc = [("overview", "Overview"), ("dimensions", "Dimension scores"), ("deltas", "Delta to the organisation mean"),
           ("top-gaps", "Top gaps per department"), ("progress", "Progress against targets"),
           *([("movement", "Movement over time")] if movement is not None else []), ("glossary", "Level glossary")]
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
        "extremes": [{"dimension": e["dimension_name"], "strongest": e["strongest"] or "–",
                      "strongest_score": fmt(e["strongest_score"]), "weakest": e["weakest"] or "–",
                      "weakest_score": fmt(e["weakest_score"])} for e in c.extremes.to_dict(orient="records")],
        **_matrix_parts(c, rows, figures, alts),
        **_portfolio_parts(entries, baselines, movement),
    }


def comparison_pdf(entries: Sequence[Assessment], *, paper: str = "A4",
                   baselines: Mapping[int, Assessment] | None = None, movement: Movement | None = None) -> bytes:
    """Departments side by side: overlaid radar, heatmap, deltas to the organisation mean, top gaps,
    percentage to target and progress, and movement over time when given."""
    with gc_paused():
        return render_pdf(comparison_context(entries, baselines=baselines, movement=movement),
                          "comparison.html.j2", paper=paper)


def trend_context(entries: Sequence[Assessment]) -> dict[str, Any]:
    """The trend report's context: one department's assessments in date order, from `compare.trend`."""
    t = trend(entries)
    name = t.department
    c = t.comparison
    dims = _dimension_rows(c)
    labels = list(t.scores.index)
    by_id = {e.id: e for e in entries}
    rows = []
    for r in c.assessments.itertuples():
        entry = by_id[r.id]
        rows.append({"label": r.label, "name": entry.name, "id": r.id,
                     **_score_summary(analyse(entry).scores),
                     "scores": [fmt(t.scores.at[r.label, d.id]) for d in dims]})
    layers = [x for x in c.questionnaire.layers if any(x.id in row["layers"] for row in rows)]
    shown = [labels[0], labels[-1]] if len(labels) > 1 else labels
    figures = {
        "trend": charts.trend_lines(labels, {d.name: list(t.scores[d.id]) for d in dims},
                                    height=460),
        "radar": charts.radar([d.name for d in dims],
                              {lbl: [t.scores.at[lbl, d.id] for d in dims] for lbl in shown},
                              colours=dict(zip(shown, charts.PALETTE, strict=False)), height=440),
    }
    alts = {"trend": charts.describe_trend(labels, {d.name: list(t.scores[d.id]) for d in dims}),
            "radar": charts.describe_radar([d.name for d in dims],
                                           {lbl: [t.scores.at[lbl, d.id] for d in dims] for lbl in shown})}
    toc = [("over-time", "Scores over time", False), ("dimensions", "Dimension scores", False),
           ("changes", "Change between consecutive assessments", True), ("glossary", "Level glossary", False)]
    organisations = sorted({e.organisation for e in by_id.values()})
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
        "change_chunks": _chunks(len(t.changes), MATRIX_COLUMNS - 1),
        **_matrix_parts(c, rows, figures, alts),
    }


def trend_pdf(entries: Sequence[Assessment], *, paper: str = "A4") -> bytes:
    """One department over time: trend lines per dimension and the change between consecutive dates."""
    with gc_paused():
        return render_pdf(trend_context(entries), "trend.html.j2", paper=paper)


def batch_reports(assessments: Iterable[Assessment], out_dir: Path | str, *, paper: str = "A4",
                  progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """The gap report of every assessment given into `out_dir`, by id; `progress(i, n)` after each one."""
    paper_size(paper)  # a bad size fails before the first report, not after
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records = sorted(assessments, key=lambda r: r.id)
    paths = []
    for i, r in enumerate(records, 1):
        path = out / f"assessment-{r.id}-{_slug(r.department)}-{r.assessed_on.isoformat()}.pdf"
        path.write_bytes(assessment_pdf(r, paper=paper))
        paths.append(path)
        if progress:
            progress(i, len(records))
    return paths
