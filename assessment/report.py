"""PDF gap report: scores → Jinja2 HTML → WeasyPrint PDF, charts as inline vector SVG.

Safety: the template autoescapes every value (notes and names are text, never markup), and the
renderer's URL fetcher refuses every URL: the stylesheet is passed as a string and charts are
inline SVG, so a hostile `<img src="file:///…">` or `<link href="http://…">` in a note fetches nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from assessment import charts
from assessment.questionnaire import level_names
from assessment.scoring import DEFAULT_TARGET, Scores, gaps, score
from assessment.storage import AnswerRecord, AssessmentRecord

TEMPLATES = Path(__file__).resolve().parent.parent / "report_templates"


@dataclass
class RefusingFetcher:
    """Builds a WeasyPrint URLFetcher that loads nothing and remembers what it refused."""

    refused: list[str] = field(default_factory=list)

    def build(self) -> Any:
        from weasyprint.urls import URLFetcher

        refused = self.refused

        class _Fetcher(URLFetcher):
            def fetch(self, url: str, headers: Any = None) -> Any:
                refused.append(url)
                raise ValueError(f"the report renderer does not load external resources: {url[:80]}")

        return _Fetcher(allowed_protocols=frozenset(), allow_redirects=False, timeout=1)


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # the template is .html.j2: force escaping whatever the extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def fmt(value: float | None, digits: int = 1) -> str:
    """Scores are shown with one decimal everywhere (app, CLI, PDF): '2.4', or '–' when unscored."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def radar_figures(scores: Scores, target: float = DEFAULT_TARGET) -> dict[str, Any]:
    """The radars of an assessment: 'overall' plus one per layer (same builder as the app)."""
    q = scores.questionnaire
    dims = q.ordered_dimensions
    labels = [d.name for d in dims]
    figs: dict[str, Any] = {}
    overall = scores.overall_dimensions.set_index("dimension")["score"]
    figs["overall"] = charts.radar(labels, {"Current": [overall.get(d.id) for d in dims]},
                                   target=[target] * len(dims), title="All layers")
    for layer in q.layers:
        part = scores.dimensions[scores.dimensions["layer"] == layer.id].set_index("dimension")["score"]
        figs[layer.id] = charts.radar(labels, {"Current": [part.get(d.id) for d in dims]},
                                      target=[target] * len(dims), title=layer.name)
    return figs


def build_context(
    record: AssessmentRecord,
    answers: dict[str, AnswerRecord],
    *,
    target: float = DEFAULT_TARGET,
    charts_svg: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the template shows, computed by the scoring engine (no logic in the template)."""
    q = record.questionnaire
    scores = score(q, {k: a.value for k, a in answers.items() if a.na or a.level is not None})
    names = level_names()
    dim_names = {d.id: d.name for d in q.dimensions}
    gap_rows = gaps(q, scores, target)
    layers = []
    for layer in q.layers:
        lrow = scores.layers[scores.layers["layer"] == layer.id].iloc[0]
        rows = scores.dimensions[scores.dimensions["layer"] == layer.id]
        layers.append({
            "id": layer.id, "name": layer.name, "description": layer.description,
            "score": fmt(lrow["score"]), "level_name": names.name(lrow["score"]),
            "coverage": f"{lrow['coverage']:.0%}",
            "dimensions": [
                {"name": dim_names[r.dimension], "score": fmt(r.score), "level_name": names.name(r.score),
                 "answered": int(r.answered), "na": int(r.na), "total": int(r.total),
                 "gap": fmt(max(0.0, target - r.score)) if not math.isnan(r.score) else "–"}
                for r in rows.itertuples()
            ],
            "questions": [
                {
                    "id": x.id, "text": x.text, "dimension": dim_names[x.dimension],
                    "answer": answers.get(x.id),
                    "level_text": (x.levels[answers[x.id].level]
                                   if x.id in answers and answers[x.id].level is not None
                                   and not answers[x.id].na else ""),
                }
                for x in q.questions if x.layer == layer.id
            ],
        })
    return {
        "assessment": record,
        "questionnaire": q,
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "overall": fmt(scores.overall),
        "overall_name": names.name(scores.overall),
        "coverage": f"{scores.coverage:.0%}",
        "answered": scores.answered, "na": scores.na, "total": scores.total,
        "target": fmt(target),
        "layers": layers,
        "gaps": [
            {"layer": g.layer_name, "dimension": g.dimension_name, "score": fmt(g.score),
             "gap": fmt(g.gap), "weight": int(g.dimension_weight)}
            for g in gap_rows.itertuples()
        ],
        "levels": names.levels,
        "charts": {k: Markup(v) for k, v in (charts_svg or {}).items()},
        "rule": q.scoring.overall,
    }


def render_html(context: dict[str, Any], template: str = "report.html.j2") -> str:
    return _env().get_template(template).render(**context)


def html_to_pdf(html: str, fetcher: RefusingFetcher | None = None) -> bytes:
    """Render HTML to PDF with our stylesheet and a fetcher that loads nothing."""
    import weasyprint

    fetcher = fetcher or RefusingFetcher()
    url_fetcher = fetcher.build()
    css = weasyprint.CSS(string=(TEMPLATES / "report.css").read_text(encoding="utf-8"), url_fetcher=url_fetcher)
    return weasyprint.HTML(string=html, url_fetcher=url_fetcher, base_url=None).write_pdf(
        stylesheets=[css]
    )


def assessment_pdf(
    record: AssessmentRecord, answers: dict[str, AnswerRecord], *, target: float = DEFAULT_TARGET
) -> bytes:
    """The single-assessment gap report as PDF bytes."""
    q = record.questionnaire
    scores = score(q, {k: a.value for k, a in answers.items() if a.na or a.level is not None})
    svgs = {key: charts.to_svg(fig) for key, fig in radar_figures(scores, target).items()}
    context = build_context(record, answers, target=target, charts_svg=svgs)
    return html_to_pdf(render_html(context))
