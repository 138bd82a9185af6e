"""Plotly figures shared by the app and the PDF report (one builder, the same picture)."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from functools import cache

import pandas as pd
import plotly.graph_objects as go

from assessment.questionnaire import MAX_LEVEL

# Okabe–Ito: distinguishable with the common colour-vision deficiencies and in greyscale pairs.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
CURRENT_COLOUR = PALETTE[0]
TARGET_COLOUR = "#555555"
FONT = "DejaVu Sans, Arial, sans-serif"


def radar(
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    target: Sequence[float] | None = None,
    title: str = "",
    height: int = 460,
) -> go.Figure:
    """Radar of dimension scores on the 0–4 scale: one trace per series, target dashed.

    Unscored dimensions (None/NaN) are drawn at 0 with a hover text saying so, so the polygon
    keeps its shape and the gap stays visible.
    """
    labels = list(labels)
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
        colour = PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Scatterpolar(
            r=values + values[:1], theta=closed, name=name, mode="lines+markers",
            fill="toself" if len(series) == 1 else "none", opacity=0.9,
            line={"color": colour, "width": 3}, marker={"size": 7},
            text=text + text[:1], hovertemplate="%{theta}<br>" + name + ": %{text}<extra></extra>",
        ))
    fig.update_layout(
        title={"text": title, "x": 0.5, "xanchor": "center", "y": 0.98, "yanchor": "top"} if title else None,
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


def colour_map(names: Sequence[str]) -> dict[str, str]:
    """Stable colours: the same department or layer gets the same colour on every chart."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(set(names)))}


def _layout(fig: go.Figure, *, title: str, height: int, **extra: object) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.5, "xanchor": "center"} if title else None,
        font={"family": FONT, "size": 13, "color": "#222222"}, height=height,
        paper_bgcolor="white", plot_bgcolor="white",
        margin={"l": 10, "r": 20, "t": 60 if title else 20, "b": 40}, **extra,
    )
    return fig


def heatmap(rows: Sequence[str], columns: Sequence[str], values: Sequence[Sequence[float | None]], *,
            title: str = "", height: int | None = None) -> go.Figure:
    """Scores 0–4 as a heatmap with the value written in every cell (readable in greyscale)."""
    z = [[None if v is None or pd.isna(v) else float(v) for v in row] for row in values]
    text = [["–" if v is None else f"{v:.1f}" for v in row] for row in z]
    fig = go.Figure(go.Heatmap(
        z=z, x=list(columns), y=list(rows), zmin=0, zmax=MAX_LEVEL, colorscale="Blues",
        text=text, texttemplate="%{text}", textfont={"size": 13}, xgap=2, ygap=2,
        colorbar={"title": {"text": "Level"}, "tickvals": list(range(MAX_LEVEL + 1))},
        hovertemplate="%{y} · %{x}<br>score %{text}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(side="bottom", automargin=True, tickangle=-25)
    return _layout(fig, title=title, height=height or max(340, 200 + 48 * len(rows)))


def gap_bars(labels: Sequence[str], current: Sequence[float | None], target: Sequence[float], *,
             title: str = "", height: int | None = None) -> go.Figure:
    """Horizontal bars: current score per dimension, with the target marked."""
    cur = [0.0 if v is None or pd.isna(v) else float(v) for v in current]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=list(labels), x=cur, orientation="h", name="Current", marker_color=CURRENT_COLOUR,
                         text=[f"{v:.1f}" for v in cur], textposition="auto",
                         hovertemplate="%{y}: %{x:.2f}<extra></extra>"))
    fig.add_trace(go.Scatter(y=list(labels), x=list(target), mode="markers", name="Target",
                             marker={"symbol": "line-ns", "size": 22, "line": {"width": 3, "color": TARGET_COLOUR}},
                             hovertemplate="%{y}: target %{x}<extra></extra>"))
    fig.update_xaxes(range=[0, MAX_LEVEL], dtick=1, gridcolor="#dddddd", title_text="Level")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return _layout(fig, title=title, height=height or 90 + 36 * len(labels),
                   legend={"orientation": "h", "y": -0.15, "x": 0.5, "xanchor": "center"})


PHASE_SPANS = {"now": (0, 3), "next": (3, 6), "later": (6, 12)}
PHASE_COLOURS = {"now": PALETTE[5], "next": PALETTE[1], "later": PALETTE[4]}


def roadmap_timeline(items: Sequence[dict], *, title: str = "", height: int | None = None) -> go.Figure:
    """Now / Next / Later as a month timeline; one bar per roadmap item (dicts with phase and label)."""
    shown = [i for i in items if i["phase"] in PHASE_SPANS]
    fig = go.Figure()
    for phase, (start, end) in PHASE_SPANS.items():
        part = [i for i in shown if i["phase"] == phase]
        if not part:
            continue
        fig.add_trace(go.Bar(
            y=[i["label"] for i in part], x=[end - start] * len(part), base=[start] * len(part),
            orientation="h", name={"now": "Now", "next": "Next", "later": "Later"}[phase],
            marker_color=PHASE_COLOURS[phase], hovertext=[i.get("hover", i["label"]) for i in part],
            hovertemplate="%{hovertext}<extra></extra>",
        ))
    fig.update_xaxes(range=[0, 12], tickvals=[0, 3, 6, 9, 12], ticksuffix=" m", gridcolor="#dddddd",
                     title_text="Months from today")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return _layout(fig, title=title, height=height or 110 + 30 * max(1, len(shown)), barmode="overlay",
                   legend={"orientation": "h", "y": -0.12, "x": 0.5, "xanchor": "center"})


def trend_lines(dates: Sequence[str], series: dict[str, Sequence[float | None]], *, title: str = "",
                height: int = 420) -> go.Figure:
    """One line per dimension (or layer) across assessment dates."""
    fig = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        fig.add_trace(go.Scatter(x=list(dates), y=[None if v is None or pd.isna(v) else v for v in values],
                                 mode="lines+markers", name=name, line={"color": PALETTE[i % len(PALETTE)], "width": 3},
                                 hovertemplate=name + " · %{x}: %{y:.2f}<extra></extra>"))
    fig.update_yaxes(range=[0, MAX_LEVEL], dtick=1, gridcolor="#dddddd", title_text="Level")
    fig.update_xaxes(type="category")
    return _layout(fig, title=title, height=height,
                   legend={"orientation": "h", "y": -0.2, "x": 0.5, "xanchor": "center"})


# --- static SVG through kaleido (PDF) ------------------------------------------------

_kaleido_lock = threading.Lock()


@cache
def _start_kaleido() -> None:
    import kaleido

    kaleido.start_sync_server(silence_warnings=True)


def to_svg(fig: go.Figure, width: int = 760, height: int | None = None) -> str:
    """Vector SVG of a figure. One kaleido server per process; one caller at a time (Kaleido#444)."""
    import plotly.io as pio

    with _kaleido_lock:
        _start_kaleido()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*kopts.*")
            data = pio.to_image(fig, format="svg", width=width, height=height or fig.layout.height or 460)
    svg = data.decode("utf-8")
    return svg[svg.index("<svg"):] if "<svg" in svg else svg
