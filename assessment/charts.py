"""Plotly figures shared by the app and the PDF report (one builder, the same picture)."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import threading
from collections.abc import Coroutine, Mapping, Sequence
from concurrent.futures import Future
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

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
    keeps its shape and the gap stays visible. `colours` (e.g. `colour_map`) fixes a series' colour;
    several series also differ by dash and marker.
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
        colour = (colours or {}).get(name, PALETTE[i % len(PALETTE)])
        single = len(series) == 1
        fig.add_trace(go.Scatterpolar(
            r=values + values[:1], theta=closed, name=name, mode="lines+markers",
            fill="toself" if single else "none", opacity=0.9,
            line={"color": colour, "width": 3 if single else 2.5,
                  "dash": "solid" if single else DASHES[i % len(DASHES)]},
            marker={"size": 7 if single else 8, "symbol": "circle" if single else SYMBOLS[i % len(SYMBOLS)]},
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
    """Scores 0–4 as a heatmap with the value written in every cell (readable in greyscale).

    Cells are vector rectangles, not a Heatmap trace: plotly draws a Heatmap as a raster image,
    which the PDF would embed as a bitmap (and the report's renderer would refuse as a data: URL).
    """
    rows, columns = list(rows), list(columns)
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



def vote_distribution(summary: Mapping[str, Any], *, title: str = "", height: int = 320) -> go.Figure:
    """A workshop question's votes: one bar per level 0–4, then N/A and don't know (greyed).

    `summary` is `workshop.vote_summary(votes)`; the median is marked with a dashed line.
    """
    choices = list(summary["distribution"])
    counts = [summary["distribution"][c] for c in choices]
    colours = [CURRENT_COLOUR if c.isdigit() else "#bbbbbb" for c in choices]
    fig = go.Figure(go.Bar(
        x=[summary["labels"][c] for c in choices], y=counts, marker_color=colours,
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


def timeline_items(items: Sequence[Any]) -> list[dict]:
    """`roadmap_timeline` input from RoadmapItems: 'MLOps · model-inventory 1→2', backlog left out."""
    return [{"phase": i.phase, "label": f"{i.layer_name} · {i.question_id.split('.')[-1]} {i.from_level}→{i.to_level}",
             "hover": f"{i.question}<br>{i.from_level} → {i.to_level}: {i.recommendation}"}
            for i in items if i.phase in PHASE_SPANS]


def trend_lines(dates: Sequence[str], series: dict[str, Sequence[float | None]], *, title: str = "",
                height: int = 420) -> go.Figure:
    """One line per dimension (or layer) across assessment dates; lines differ by colour, dash and marker."""
    fig = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        fig.add_trace(go.Scatter(x=list(dates), y=[None if v is None or pd.isna(v) else v for v in values],
                                 mode="lines+markers", name=name,
                                 line={"color": PALETTE[i % len(PALETTE)], "width": 2.5,
                                       "dash": DASHES[i % len(DASHES)]},
                                 marker={"size": 9, "symbol": SYMBOLS[i % len(SYMBOLS)]},
                                 hovertemplate=name + " · %{x}: %{y:.2f}<extra></extra>"))
    fig.update_yaxes(range=[0, MAX_LEVEL], dtick=1, gridcolor="#dddddd", title_text="Level")
    fig.update_xaxes(type="category", range=[-0.3, len(dates) - 0.7])  # room between the first point and the axis
    return _layout(fig, title=title, height=height,
                   legend={"orientation": "h", "y": -0.2, "x": 0.5, "xanchor": "center"})


# --- static SVG through kaleido (PDF) ------------------------------------------------

RELOAD_EVERY = 200  # renders between two reloads of kaleido's page (see _kaleido_class)
START_TIMEOUT = 120  # seconds for Chromium to start on a loaded machine
RENDER_TIMEOUT = 60


def _kaleido_class() -> type:
    import kaleido

    class _ReusingKaleido(kaleido.Kaleido):
        """Kaleido reloading its page every RELOAD_EVERY renders instead of after every one.

        Plotly.toImage draws each figure into a throw-away element, so the page keeps nothing from
        one figure to the next; reloading it (plotly.js parsed again) was ~80 % of a render's time
        (8 charts: 2.5 s → 0.4 s). It is still reloaded now and then, to bound the page's memory.
        """

        _renders = 0

        async def _return_kaleido_tab(self, tab: Any) -> None:
            self._renders += 1
            if self._renders % RELOAD_EVERY and hasattr(self, "tabs_ready"):
                await self.tabs_ready.put(tab)
            else:
                await super()._return_kaleido_tab(tab)

    # The tab bookkeeping is kaleido's private API: if it ever changes, keep its default behaviour.
    return _ReusingKaleido if hasattr(kaleido.Kaleido, "_return_kaleido_tab") else kaleido.Kaleido


class ChartRenderer:
    """One kaleido Chromium for the process, driven by an event loop in its own thread.

    Each figure gets its own future, so concurrent callers (Streamlit sessions are threads) never
    receive each other's images, as they can with kaleido's sync server (plotly/Kaleido#444), and a
    report can queue all its charts at once and collect them when it needs them.
    """

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kaleido", daemon=True)
        self._thread.start()
        self._kaleido = self._run(self._open()).result(timeout=START_TIMEOUT)
        atexit.register(self.close)

    def _run(self, coro: Coroutine[Any, Any, Any]) -> Future:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    @staticmethod
    async def _open() -> Any:
        k = _kaleido_class()(n=1, mathjax=False)  # no MathJax: no formula in our charts, no CDN request
        await k.open()
        return k

    async def _svg(self, spec: dict, width: int, height: int) -> str:
        data = await self._kaleido.calc_fig(spec, opts={"format": "svg", "width": width, "height": height})
        svg = data.decode("utf-8")
        return svg[svg.index("<svg"):] if "<svg" in svg else svg

    def submit(self, fig: go.Figure, width: int = 760, height: int | None = None) -> Future:
        """Queue a figure; the future's result is its SVG text."""
        spec = fig.to_dict()  # here, in the caller's thread: figures are not thread-safe
        return self._run(self._svg(spec, width, int(height or fig.layout.height or 460)))

    def close(self) -> None:
        if self._loop.is_running():
            with contextlib.suppress(Exception):
                self._run(self._kaleido.close()).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)


_renderer: ChartRenderer | None = None
_renderer_lock = threading.Lock()


def _start_kaleido() -> ChartRenderer:
    """The process's chart renderer, started on first use (Chromium takes ~2 s to start)."""
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = ChartRenderer()
        return _renderer


def submit_svg(fig: go.Figure, width: int = 760, height: int | None = None) -> Future:
    """Start drawing a figure as vector SVG; `.result()` gives the SVG text."""
    return _start_kaleido().submit(fig, width, height)


def to_svg(fig: go.Figure, width: int = 760, height: int | None = None) -> str:
    """Vector SVG of a figure (one kaleido Chromium per process, started on first use)."""
    return submit_svg(fig, width, height).result(timeout=RENDER_TIMEOUT)
