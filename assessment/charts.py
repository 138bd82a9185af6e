"""Plotly figures shared by the app and the PDF report (one builder, the same picture)."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import html
import re
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Coroutine, Mapping, Sequence
from concurrent.futures import Future
from functools import cache
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


def text_label(name: str) -> str:
    """A user's name (department, assessment) as chart text: Plotly reads <b>, <a href>… in labels as
    markup; a name is shown as typed. Every chart of a name goes through this, in the app and the PDF."""
    return html.escape(name, quote=False)


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

_SVG = "{http://www.w3.org/2000/svg}"
_XLINK = "{http://www.w3.org/1999/xlink}"
# Declarations that restate SVG's defaults, and attributes with no meaning on paper (Plotly's classes,
# data-*, pointer events): WeasyPrint would parse each of them for every node.
_DEFAULTS = {("fill-opacity", "1"), ("stroke-opacity", "1"), ("opacity", "1"), ("vector-effect", "none"),
             ("white-space", "pre")}
_NO_INK = {"class", "pointer-events", "shape-rendering", "style"}
_RGB = re.compile(r"rgb\((\d+), ?(\d+), ?(\d+)\)")
_TRANSLATE = re.compile(r"translate\(\s*([-\d.e]+)(?:[ ,]\s*([-\d.e]+))?\s*\)")
_NUMBER = re.compile(r"[-\d.e]+")


def _hex(value: str) -> str:
    return _RGB.sub(lambda m: "#{:02x}{:02x}{:02x}".format(*(int(n) for n in m.groups())), value)


@cache
def _advances(families: str) -> tuple[dict[int, int], int] | None:
    """Advance widths (font units) by code point, and units per em, of the regular font fontconfig
    picks for a family list such as 'DejaVu Sans,Arial,sans-serif'; None when it cannot tell."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        path = subprocess.run(["fc-match", "--format=%{file}", f"{families}:style=Regular"],
                              capture_output=True, text=True, timeout=10, check=True).stdout
        font = TTFont(path, lazy=True)
        hmtx = font["hmtx"]
        return {code: hmtx[name][0] for code, name in font.getBestCmap().items()}, font["head"].unitsPerEm
    except (OSError, subprocess.SubprocessError, TTLibError, KeyError):
        return None


def _anchor_at_start(attrib: dict[str, str], text: str) -> None:
    """Turn a middle- or end-anchored label into a start-anchored one at the same place.

    WeasyPrint draws an anchored label into a group of its own (a PDF form object) to measure and
    shift it; a third of a chart's drawing time. Its SVG labels are laid out letter by letter with
    no kerning, so their width is the sum of the glyphs' advances, read here from the font file
    fontconfig picks, as Pango does. Labels this cannot measure exactly keep their anchor.
    """
    anchor = attrib.get("text-anchor")
    if anchor == "start":  # the default
        del attrib["text-anchor"]
    size = attrib.get("font-size", "")
    if (anchor not in ("middle", "end") or not size.endswith("px") or not _NUMBER.fullmatch(attrib.get("x", "0"))
            or text != " ".join(text.split()) or attrib.get("font-weight", "normal") not in ("normal", "400")
            or attrib.get("font-style", "normal") != "normal"
            or any(k in attrib for k in ("direction", "dx", "rotate", "letter-spacing", "textLength"))):
        return
    families = ",".join(f.strip().strip("'\"") for f in attrib.get("font-family", "sans-serif").split(","))
    metrics = _advances(families)
    if metrics is None or any(ord(c) not in metrics[0] for c in text):
        return
    advances, units = metrics
    width = sum(advances[ord(c)] for c in text) * float(size[:-2]) / units
    attrib["x"] = f"{float(attrib.get('x', 0)) - (width / 2 if anchor == 'middle' else width):.6g}"
    del attrib["text-anchor"]


def _lean_node(node: ET.Element, used_ids: set[str]) -> None:
    node.tag = node.tag.removeprefix(_SVG)
    attrib = node.attrib
    for decl in attrib.get("style", "").split(";"):
        name, _, value = decl.partition(":")
        name, value = name.strip(), value.strip()
        if name and value and (name, value) not in _DEFAULTS:
            attrib[name] = value
    for key in [k for k in attrib if k in _NO_INK or k.startswith("data-")]:
        del attrib[key]
    for key in ("fill", "stroke"):
        if key in attrib:
            attrib[key] = _hex(attrib[key])
    transform = attrib.get("transform")
    if transform is not None and not transform.strip():
        del attrib["transform"]
    elif (node.tag == "text" and len(node) == 0 and transform and (m := _TRANSLATE.fullmatch(transform.strip()))
          and _NUMBER.fullmatch(attrib.get("x", "0")) and _NUMBER.fullmatch(attrib.get("y", "0"))):
        # a label's own translate folded into its x/y (no tspan to move with it): one matrix less per label
        attrib["x"] = f"{float(attrib.get('x', 0)) + float(m[1]):.6g}"
        attrib["y"] = f"{float(attrib.get('y', 0)) + float(m[2] or 0):.6g}"
        del attrib["transform"]
    if node.tag == "text" and len(node) == 0 and node.text:
        _anchor_at_start(attrib, node.text)
    for child in list(node):
        _lean_node(child, used_ids)
        if _no_ink(child, used_ids):
            node.remove(child)
    if node.tag != "text":  # a group with no attributes: its children take its place
        node[:] = [grand for child in node for grand in
                   (list(child) if child.tag == "g" and not child.attrib else [child])]


def _no_ink(node: ET.Element, used_ids: set[str]) -> bool:
    """Whether a node draws nothing: an empty group, a path without data, an unused definition, a
    zero-sized or fully transparent rectangle (Plotly's legend toggles and scrollbars, which no
    group around them gives a stroke)."""
    a, tag = node.attrib, node.tag
    if tag in ("g", "defs"):
        return len(node) == 0
    if tag in ("clipPath", "linearGradient", "radialGradient", "pattern"):
        return a.get("id") not in used_ids
    if tag == "path":
        return not a.get("d")
    if tag == "rect":
        unseen = a.get("fill-opacity") == "0" and a.get("stroke", "none") == "none"
        return unseen or a.get("width") == "0" or a.get("height") == "0"
    return False


def lean_svg(svg: str) -> str:
    """A kaleido SVG as the PDF draws it: the same picture in 35–50 % of the nodes.

    Plotly's SVG is made for the browser: a group per layer whether or not it holds anything, a
    `style` attribute restating defaults on every node, invisible hover and legend-toggle shapes.
    WeasyPrint walks and parses all of it for every chart, so the report draws this instead:
    styles become presentation attributes, defaults and classes go, empty groups and invisible
    shapes go, and attribute-less groups are unwrapped. Text stays text.
    """
    root = ET.fromstring(svg)
    used_ids = set(re.findall(r"""(?:url\(#|href=["']#)([^)"']+)""", svg))
    _lean_node(root, used_ids)
    root.set("xmlns", _SVG[1:-1])
    linked = [(node, key) for node in root.iter() for key in node.attrib if key.startswith(_XLINK)]
    for node, key in linked:  # namespaced attributes written out as ElementTree would not
        node.attrib["xlink:" + key.removeprefix(_XLINK)] = node.attrib.pop(key)
    if linked:
        root.set("xmlns:xlink", _XLINK[1:-1])
    return ET.tostring(root, encoding="unicode")


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

    async def _svg(self, spec: dict, width: int, height: int, lean: bool) -> str:
        data = await self._kaleido.calc_fig(spec, opts={"format": "svg", "width": width, "height": height})
        svg = data.decode("utf-8")
        svg = svg[svg.index("<svg"):] if "<svg" in svg else svg
        return lean_svg(svg) if lean else svg

    def submit(self, fig: go.Figure, width: int = 760, height: int | None = None, *, lean: bool = False) -> Future:
        """Queue a figure; the future's result is its SVG text (`lean_svg`'d with `lean`)."""
        spec = fig.to_dict()  # here, in the caller's thread: figures are not thread-safe
        return self._run(self._svg(spec, width, int(height or fig.layout.height or 460), lean))

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


def submit_svg(fig: go.Figure, width: int = 760, height: int | None = None, *, lean: bool = False) -> Future:
    """Start drawing a figure as vector SVG; `.result()` gives the SVG text (`lean_svg`'d with `lean`)."""
    return _start_kaleido().submit(fig, width, height, lean=lean)


def to_svg(fig: go.Figure, width: int = 760, height: int | None = None) -> str:
    """Vector SVG of a figure (one kaleido Chromium per process, started on first use)."""
    return submit_svg(fig, width, height).result(timeout=RENDER_TIMEOUT)
