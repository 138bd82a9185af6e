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
