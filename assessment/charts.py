"""Plotly figures shared by the app and the PDF report (one builder, the same picture).

Every text a builder is given (names, questions, titles, legend entries, hover texts) is taken as typed:
the builders escape it for Plotly's label markup (`text_label`), so callers pass names as they are.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from assessment.present import fmt
from assessment.questionnaire import MAX_LEVEL

# Okabe–Ito: distinguishable with the common colour-vision deficiencies and in greyscale pairs.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
CURRENT_COLOUR = PALETTE[0]
TARGET_COLOUR = "#555555"
FONT = "DejaVu Sans, Arial, sans-serif"
# Overlaid series also differ by dash and marker, so a black-and-white print tells them apart.
DASHES = ["solid", "dot", "dash", "longdash", "dashdot", "longdashdot"]
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star", "cross", "triangle-down"]
HEAT_SCALE = "Blues"


def radar(
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    target: Sequence[float] | None = None,
    title: str = "",
    height: int = 460,
    colours: Mapping[str, str] | None = None,
) -> go.Figure:
    """Radar of dimension scores on the 0–4 scale: one trace per series, target dashed.

    Unscored dimensions (None/NaN) are drawn at 0 with a hover text saying so, so the polygon
    keeps its shape and the gap stays visible. `colours` (e.g. `colour_map`, keyed by the series' names
    as given) fixes a series' colour; several series also differ by dash and marker.
    """
    labels = _labels(labels)
    closed = labels + labels[:1]
    fig = go.Figure()
    if target is not None:
        values = list(target)
        fig.add_trace(go.Scatterpolar(
            r=values + values[:1], theta=closed, name="Target", mode="lines",
            line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
            hovertemplate="%{theta}<br>target %{r:.1f}<extra></extra>",
        ))
    for i, (name, raw) in enumerate(series.items()):
        values = [0.0 if v is None or pd.isna(v) else float(v) for v in raw]
        text = ["not scored" if v is None or pd.isna(v) else f"{float(v):.2f}" for v in raw]
        colour = (colours or {}).get(name, PALETTE[i % len(PALETTE)])
        single = len(series) == 1
        fig.add_trace(go.Scatterpolar(
            r=values + values[:1], theta=closed, name=text_label(name), mode="lines+markers",
            fill="toself" if single else "none", opacity=0.9,
            line={"color": colour, "width": 3 if single else 2.5,
                  "dash": "solid" if single else DASHES[i % len(DASHES)]},
            marker={"size": 7 if single else 8, "symbol": "circle" if single else SYMBOLS[i % len(SYMBOLS)]},
            text=text + text[:1], hovertemplate="%{theta}<br>%{fullData.name}: %{text}<extra></extra>",
        ))
    fig.update_layout(
        title={"text": text_label(title), "x": 0.5, "xanchor": "center", "y": 0.98, "yanchor": "top"}
        if title else None,
        polar={
            "radialaxis": {"range": [0, MAX_LEVEL], "tickvals": list(range(MAX_LEVEL + 1)),
                           "tickfont": {"size": 11}, "angle": 90, "gridcolor": "#cccccc"},
            "angularaxis": {"tickfont": {"size": 13}, "direction": "clockwise", "gridcolor": "#cccccc"},
            "bgcolor": "white",
        },
        font={"family": FONT, "size": 13, "color": "#222222"},
        legend={"orientation": "h", "y": -0.12, "x": 0.5, "xanchor": "center"},
        margin={"l": 120, "r": 120, "t": 90 if title else 40, "b": 40},
        height=height,
        paper_bgcolor="white",
    )
    return fig


def text_label(name: object) -> str:
    """Untrusted text (a name, a question, an imported layer) as chart text, shown as typed: Plotly reads
    <b>, <a href>, <span style>… in labels, titles and hover texts as markup. The builders below apply it
    to every text they are given; callers never do (twice would show '&amp;')."""
    return html.escape(str(name), quote=False)


def _labels(names: Sequence[object]) -> list[str]:
    return [text_label(n) for n in names]


def colour_map(names: Sequence[str]) -> dict[str, str]:
    """Stable colours: the same department or layer gets the same colour on every chart."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(set(names)))}


def _layout(fig: go.Figure, *, title: str, height: int, **extra: object) -> go.Figure:
    fig.update_layout(
        title={"text": text_label(title), "x": 0.5, "xanchor": "center"} if title else None,
        font={"family": FONT, "size": 13, "color": "#222222"}, height=height,
        paper_bgcolor="white", plot_bgcolor="white",
        margin={"l": 10, "r": 20, "t": 60 if title else 20, "b": 40}, **extra,
    )
    return fig


def heatmap(rows: Sequence[str], columns: Sequence[str], values: Sequence[Sequence[float | None]], *,
            title: str = "", height: int | None = None) -> go.Figure:
    """Scores 0–4 as a heatmap with the value written in every cell (readable in greyscale).

    Cells are vector rectangles, not a Heatmap trace: plotly draws a Heatmap as a raster image,
    which the PDF would embed as a bitmap (and the report's renderer would refuse as a data: URL).
    """
    rows, columns = _labels(rows), _labels(columns)
    z = [[None if v is None or pd.isna(v) else float(v) for v in row] for row in values]
    cells = [(i, j, v) for i, row in enumerate(z) for j, v in enumerate(row)]
    shades = dict(zip([v for *_, v in cells if v is not None],
                      sample_colorscale(HEAT_SCALE, [v / MAX_LEVEL for *_, v in cells if v is not None]), strict=True))
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=[j for _, j, _ in cells], y=[i for i, _, _ in cells], mode="text",
        text=["–" if v is None else f"{v:.1f}" for *_, v in cells],
        textfont={"size": 13, "color": ["#ffffff" if v is not None and v / MAX_LEVEL > 0.55 else "#222222"
                                        for *_, v in cells]},
        customdata=[[rows[i], columns[j]] for i, j, _ in cells], showlegend=False,
        hovertemplate="%{customdata[0]} · %{customdata[1]}<br>score %{text}<extra></extra>",
    ))
    fig.add_trace(go.Scatter(  # carries the colour bar only
        x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
        marker={"colorscale": HEAT_SCALE, "cmin": 0, "cmax": MAX_LEVEL, "color": [0], "showscale": True,
                "colorbar": {"title": {"text": "Level"}, "tickvals": list(range(MAX_LEVEL + 1)), "thickness": 14}},
    ))
    shapes = [{"type": "rect", "layer": "below", "line": {"width": 0}, "x0": j - 0.48, "x1": j + 0.48,
               "y0": i - 0.46, "y1": i + 0.46, "fillcolor": "#eeeeee" if v is None else shades[v]}
              for i, j, v in cells]
    fig.update_yaxes(range=[len(rows) - 0.5, -0.5], tickvals=list(range(len(rows))), ticktext=rows,
                     showgrid=False, zeroline=False, automargin=True)
    fig.update_xaxes(range=[-0.5, len(columns) - 0.5], tickvals=list(range(len(columns))), ticktext=columns,
                     showgrid=False, zeroline=False, side="bottom", automargin=True, tickangle=-25)
    return _layout(fig, title=title, height=height or max(340, 200 + 48 * len(rows)), shapes=shapes)


def gap_bars(labels: Sequence[str], current: Sequence[float | None], target: Sequence[float], *,
             title: str = "", height: int | None = None) -> go.Figure:
    """Horizontal bars: current score per dimension, with the target marked."""
    cur = [0.0 if v is None or pd.isna(v) else float(v) for v in current]
    fig = go.Figure()
    labels = _labels(labels)
    fig.add_trace(go.Bar(y=labels, x=cur, orientation="h", name="Current", marker_color=CURRENT_COLOUR,
                         text=[f"{v:.1f}" for v in cur], textposition="auto",
                         hovertemplate="%{y}: %{x:.2f}<extra></extra>"))
    fig.add_trace(go.Scatter(y=labels, x=list(target), mode="markers", name="Target",
                             marker={"symbol": "line-ns", "size": 22, "line": {"width": 3, "color": TARGET_COLOUR}},
                             hovertemplate="%{y}: target %{x}<extra></extra>"))
    fig.update_xaxes(range=[0, MAX_LEVEL], dtick=1, gridcolor="#dddddd", title_text="Level")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return _layout(fig, title=title, height=height or 90 + 36 * len(labels),
                   legend={"orientation": "h", "y": -0.15, "x": 0.5, "xanchor": "center"})



def vote_distribution(summary: Mapping[str, Any], *, title: str = "", height: int = 320) -> go.Figure:
    """A workshop question's votes: one bar per level 0–4, then N/A and don't know (greyed).

    `summary` is `workshop.vote_summary(votes)`; the median is marked with a dashed line.
    """
    choices = list(summary["distribution"])
    counts = [summary["distribution"][c] for c in choices]
    colours = [CURRENT_COLOUR if c.isdigit() else "#bbbbbb" for c in choices]
    fig = go.Figure(go.Bar(
        x=[text_label(summary["labels"][c]) for c in choices], y=counts, marker_color=colours,
        text=[str(n) if n else "" for n in counts], textposition="outside",
        hovertemplate="%{x}: %{y} vote(s)<extra></extra>", showlegend=False,
    ))
    if summary.get("median") is not None:
        # categories sit at 0..n-1 and levels 0–4 are the first five: the median's x is the level itself
        fig.add_vline(x=summary["median"], line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
                      annotation_text=f"median {summary['median']:g}", annotation_position="top")
    fig.update_yaxes(rangemode="tozero", dtick=max(1, (max(counts, default=0) + 4) // 5), gridcolor="#dddddd",
                     title_text="votes", range=[0, max(counts, default=0) * 1.25 + 1])
    return _layout(fig, title=title, height=height)


PHASE_SPANS = {"now": (0, 3), "next": (3, 6), "later": (6, 12)}
PHASE_COLOURS = {"now": PALETTE[5], "next": PALETTE[1], "later": PALETTE[4]}
PHASE_NAMES_SHORT = {"now": "Now", "next": "Next", "later": "Later"}


def roadmap_timeline(items: Sequence[dict], *, title: str = "", height: int | None = None) -> go.Figure:
    """Now / Next / Later as a month timeline; one bar per roadmap item (dicts with phase, label and an
    optional hover text whose lines are separated by newlines)."""
    shown = [i for i in items if i["phase"] in PHASE_SPANS]
    fig = go.Figure()
    for phase, (start, end) in PHASE_SPANS.items():
        part = [i for i in shown if i["phase"] == phase]
        if not part:
            continue
        fig.add_trace(go.Bar(
            y=[text_label(i["label"]) for i in part], x=[end - start] * len(part), base=[start] * len(part),
            orientation="h", name=PHASE_NAMES_SHORT[phase],
            marker_color=PHASE_COLOURS[phase],
            # the phase is written on its bars too: the colour is never the only sign of it
            text=[PHASE_NAMES_SHORT[phase]] * len(part), textposition="inside", insidetextanchor="middle",
            textfont={"color": "#000000"},
            hovertext=["<br>".join(_labels(i.get("hover", i["label"]).split("\n"))) for i in part],
            hovertemplate="%{hovertext}<extra></extra>",
        ))
    fig.update_xaxes(range=[0, 12], tickvals=[0, 3, 6, 9, 12], ticksuffix=" m", gridcolor="#dddddd",
                     title_text="Months from today")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return _layout(fig, title=title, height=height or 110 + 30 * max(1, len(shown)), barmode="overlay",
                   legend={"orientation": "h", "y": -0.12, "x": 0.5, "xanchor": "center"})


def timeline_items(items: Sequence[Any]) -> list[dict]:
    """`roadmap_timeline` input from RoadmapItems: 'MLOps · model-inventory 1→2', backlog left out."""
    return [{"phase": i.phase, "label": f"{i.layer_name} · {i.question_id.split('.')[-1]} {i.from_level}→{i.to_level}",
             "hover": f"{i.question}\n{i.from_level} → {i.to_level}: {i.recommendation}"}
            for i in items if i.phase in PHASE_SPANS]


def trend_lines(dates: Sequence[str], series: dict[str, Sequence[float | None]], *, title: str = "",
                height: int = 420) -> go.Figure:
    """One line per dimension (or layer) across assessment dates; lines differ by colour, dash and marker."""
    fig = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        fig.add_trace(go.Scatter(x=_labels(dates), y=[None if v is None or pd.isna(v) else v for v in values],
                                 mode="lines+markers", name=text_label(name),
                                 line={"color": PALETTE[i % len(PALETTE)], "width": 2.5,
                                       "dash": DASHES[i % len(DASHES)]},
                                 marker={"size": 9, "symbol": SYMBOLS[i % len(SYMBOLS)]},
                                 hovertemplate="%{fullData.name} · %{x}: %{y:.2f}<extra></extra>"))
    fig.update_yaxes(range=[0, MAX_LEVEL], dtick=1, gridcolor="#dddddd", title_text="Level")
    fig.update_xaxes(type="category", range=[-0.3, len(dates) - 0.7])  # room between the first point and the axis
    return _layout(fig, title=title, height=height,
                   legend={"orientation": "h", "y": -0.2, "x": 0.5, "xanchor": "center"})


# --- text alternatives: a one-sentence summary and the data as a table, beside each builder ----------
# A screen reader, a colour-blind reader and a printed page in greyscale get the same facts the picture
# shows: the app puts the sentence under the chart with the table one click away, the PDF makes the
# sentence the chart's alternative text (a tagged PDF's Figure /Alt). Texts are returned as given
# (no Plotly escaping): callers escape for where they show them (present.plain, Jinja's autoescape).


def _scored(values: Sequence[float | None]) -> list[float | None]:
    return [None if v is None or pd.isna(v) else float(v) for v in values]


def _names(items: Sequence[object]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    words = [str(i) for i in items]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1] if words else ""


def describe_radar(labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
                   target: Sequence[float] | None = None) -> str:
    """One sentence for a radar: the range of one series against its target, or the series' means."""
    labels = [str(x) for x in labels]
    if len(series) == 1:
        name, raw = next(iter(series.items()))
        values = _scored(raw)
        scored = [(v, lbl) for v, lbl in zip(values, labels, strict=True) if v is not None]
        if not scored:
            return f"Radar of {len(labels)} dimensions: none is scored yet."
        high, low = max(scored, key=lambda p: p[0]), min(scored, key=lambda p: p[0])
        text = (f"Radar of {len(labels)} dimensions: {name} scores range from {fmt(low[0])} ({low[1]}) "
                f"to {fmt(high[0])} ({high[1]}) out of {MAX_LEVEL}")
        if target is not None:
            below = sum(1 for v, t in zip(values, target, strict=True) if v is not None and v < t)
            text += f"; {below} of {len(scored)} scored dimensions {'is' if below == 1 else 'are'} below target"
        return text + "."
    means = {name: _mean(_scored(raw)) for name, raw in series.items()}
    ranked = sorted(((m, n) for n, m in means.items() if m is not None), reverse=True)
    text = f"Radar of {len(labels)} dimensions overlaying {_names(list(series))}"
    if len(ranked) >= 2:
        text += (f": {ranked[0][1]} has the highest mean score ({fmt(ranked[0][0])}), "
                 f"{ranked[-1][1]} the lowest ({fmt(ranked[-1][0])})")
    return text + "."


def _mean(values: Sequence[float | None]) -> float | None:
    scored = [v for v in values if v is not None]
    return sum(scored) / len(scored) if scored else None


def radar_table(labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
                target: Sequence[float] | None = None) -> pd.DataFrame:
    """A radar's data: one row per dimension, one column per series (and the target)."""
    table = pd.DataFrame({"Dimension": [str(x) for x in labels]})
    for name, raw in series.items():
        table[str(name)] = [fmt(v) for v in _scored(raw)]
    if target is not None:
        table["Target"] = [f"{t:g}" for t in target]
    return table


def describe_heatmap(rows: Sequence[str], columns: Sequence[str],
                     values: Sequence[Sequence[float | None]]) -> str:
    """One sentence for a heatmap: its size, its highest and lowest cells, the cells without a score."""
    cells = [(v, str(r), str(c)) for r, row in zip(rows, values, strict=True)
             for c, v in zip(columns, _scored(row), strict=True)]
    scored = [cell for cell in cells if cell[0] is not None]
    text = f"Heatmap of {len(rows)} × {len(columns)} scores"
    if scored:
        high, low = max(scored, key=lambda x: x[0]), min(scored, key=lambda x: x[0])
        text += (f", each written in its cell: the highest is {fmt(high[0])} ({high[1]}, {high[2]}), "
                 f"the lowest {fmt(low[0])} ({low[1]}, {low[2]})")
    missing = len(cells) - len(scored)
    if missing:
        text += f"; {missing} not scored"
    return text + "."


def heatmap_table(rows: Sequence[str], columns: Sequence[str],
                  values: Sequence[Sequence[float | None]]) -> pd.DataFrame:
    """A heatmap's data: its rows and columns, every cell's score written."""
    return pd.DataFrame([[fmt(v) for v in _scored(row)] for row in values],
                        index=pd.Index([str(r) for r in rows], name=""), columns=[str(c) for c in columns])


def describe_gap_bars(labels: Sequence[str], current: Sequence[float | None], target: Sequence[float]) -> str:
    """One sentence for a gap chart: how many dimensions are below target and the largest gap."""
    gaps = [(t - v, str(lbl), v, t) for lbl, v, t in zip(labels, _scored(current), target, strict=True)
            if v is not None and v < t]
    if not gaps:
        return f"Bars of {len(labels)} dimensions: every scored dimension is at or above its target."
    gap, label, score, goal = max(gaps, key=lambda g: g[0])
    return (f"Bars of {len(labels)} dimensions: {len(gaps)} {'is' if len(gaps) == 1 else 'are'} below target; "
            f"the largest gap is {label}, "
            f"at {fmt(score)} against a target of {goal:g}.")


def gap_table(labels: Sequence[str], current: Sequence[float | None], target: Sequence[float]) -> pd.DataFrame:
    """A gap chart's data: current, target and gap per dimension."""
    scored = _scored(current)
    return pd.DataFrame({"Dimension": [str(x) for x in labels], "Current": [fmt(v) for v in scored],
                         "Target": [f"{t:g}" for t in target],
                         "Gap": [fmt(max(t - v, 0.0)) if v is not None else "–"
                                 for v, t in zip(scored, target, strict=True)]})


def describe_votes(summary: Mapping[str, Any]) -> str:
    """One sentence for a vote distribution: the counts, the median, the range and a disagreement."""
    if not summary.get("votes"):
        return "No votes yet."
    counts = [f"{summary['labels'][c]}: {n}" for c, n in summary["distribution"].items() if n]
    text = f"{summary['votes']} votes: {', '.join(counts)}"
    if summary.get("median") is not None:
        text += f"; median {summary['median']:g}, range {summary['low']}–{summary['high']}"
    if summary.get("disagreement"):
        text += "; a disagreement, the votes span two levels or more"
    return text + "."


def votes_table(summary: Mapping[str, Any]) -> pd.DataFrame:
    """A vote distribution's data: votes per choice."""
    return pd.DataFrame({"Choice": [summary["labels"][c] for c in summary["distribution"]],
                         "Votes": list(summary["distribution"].values())})


PHASE_LABELS = {"now": "Now (months 0–3)", "next": "Next (months 3–6)", "later": "Later (months 6–12)"}


def describe_timeline(items: Sequence[dict]) -> str:
    """One sentence for the roadmap timeline: how many steps fall in each phase."""
    counts = {p: sum(1 for i in items if i["phase"] == p) for p in PHASE_SPANS}
    total = sum(counts.values())
    if not total:
        return "Roadmap timeline: no step is planned."
    return (f"Roadmap timeline of {total} steps: "
            + ", ".join(f"{n} in {PHASE_LABELS[p]}" for p, n in counts.items()) + ".")


def timeline_table(items: Sequence[dict]) -> pd.DataFrame:
    """The timeline's data: one row per step with its phase and months."""
    shown = [i for i in items if i["phase"] in PHASE_SPANS]
    return pd.DataFrame({"Phase": [PHASE_LABELS[i["phase"]] for i in shown],
                         "Step": [str(i["label"]) for i in shown]})


def describe_trend(dates: Sequence[str], series: Mapping[str, Sequence[float | None]]) -> str:
    """One sentence for trend lines: how many series over which dates, the largest rise and fall."""
    dates = [str(d) for d in dates]
    text = f"Lines of {len(series)} dimensions over {len(dates)} assessments"
    if len(dates) > 1:
        text += f" from {dates[0]} to {dates[-1]}"
    changes = []
    for name, raw in series.items():
        scored = [v for v in _scored(raw) if v is not None]
        if len(scored) >= 2:
            changes.append((scored[-1] - scored[0], str(name)))
    if changes:
        up, down = max(changes), min(changes)
        if up[0] > 0:
            text += f"; {up[1]} rose most ({fmt(up[0], signed=True)})"
        if down[0] < 0:
            text += f"; {down[1]} fell most ({fmt(down[0], signed=True)})"
        if up[0] <= 0 and down[0] >= 0:
            text += "; no score changed"
    return text + "."


def trend_table(dates: Sequence[str], series: Mapping[str, Sequence[float | None]]) -> pd.DataFrame:
    """Trend lines' data: one row per date, one column per series."""
    return pd.DataFrame({str(name): [fmt(v) for v in _scored(raw)] for name, raw in series.items()},
                        index=pd.Index([str(d) for d in dates], name="Date"))
