"""Charts as vector SVG for the PDF: one kaleido Chromium per process, and a leaner SVG for WeasyPrint.

`submit_svg(fig)` queues a Plotly figure and returns a future of its SVG text; `to_svg` waits for it.
The renderer (`ChartRenderer`) is started on first use (Chromium takes ~2 s) and serves every thread
of the process through its own event loop. `lean_svg` rewrites Plotly's browser-oriented SVG into
the same picture in a third to a half of the nodes, which is what the PDF's layout pays for.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import re
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Coroutine
from concurrent.futures import Future
from functools import cache
from typing import Any

import plotly.graph_objects as go

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


@cache
def print_template() -> dict:
    """Plotly's default template as plain data: every printed chart is drawn with it."""
    import plotly.io as pio

    return pio.templates["plotly"].to_plotly_json()


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
        # A figure takes the process's default template when it is built, and importing Streamlit makes
        # that Streamlit's: the printed charts always use Plotly's own, so the app's PDF is the CLI's.
        spec.setdefault("layout", {})["template"] = print_template()
        return self._run(self._svg(spec, width, int(height or fig.layout.height or 460), lean))

    def close(self) -> None:
        if self._loop.is_running():
            with contextlib.suppress(Exception):
                self._run(self._kaleido.close()).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)


_renderer: ChartRenderer | None = None
_renderer_lock = threading.Lock()


def start_renderer() -> ChartRenderer:
    """The process's chart renderer, started on first use (Chromium takes ~2 s to start)."""
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = ChartRenderer()
        return _renderer


def submit_svg(fig: go.Figure, width: int = 760, height: int | None = None, *, lean: bool = False) -> Future:
    """Start drawing a figure as vector SVG; `.result()` gives the SVG text (`lean_svg`'d with `lean`)."""
    return start_renderer().submit(fig, width, height, lean=lean)


def to_svg(fig: go.Figure, width: int = 760, height: int | None = None) -> str:
    """Vector SVG of a figure (one kaleido Chromium per process, started on first use)."""
    return submit_svg(fig, width, height).result(timeout=RENDER_TIMEOUT)
