"""Benchmark: the PDF gap report, warm, tagged and untagged, beside bare WeasyPrint on the same HTML; then a batch.

Demo assessments (`assessment.demo`) on the built-in questionnaires (3 layers, 119 questions) in a
temporary SQLite file. After a warm-up (kaleido's Chromium started, one report written), runs
alternate between:
- report: `assessment_pdf` as the app calls it — store reads, engine, 7 charts through kaleido,
  Jinja, WeasyPrint — tagged PDF/UA-1 (structure tree, figures' alt texts: issue #20);
- untagged: the same report without the tags (`render_pdf(..., tagged=False)`);
- bare: WeasyPrint alone on the same HTML, with the same charts already drawn as SVG, called the
  plain way (`HTML(string=…).write_pdf(stylesheets=[CSS(string=…)])`);
- html_to_pdf: the report's own WeasyPrint call on that HTML and those SVGs (stylesheet and fonts
  reused, garbage collector paused); report minus this is what the engine, kaleido and Jinja add.
The ratio untagged/bare is the engine's overhead (goal ≤ 1.5), tagged_ratio report/untagged what
tagging costs (goal ≤ 1.2). Then `batch_reports` writes the report of every
department (20; 2 with --quick). Peak memory: the process's max RSS, and (not with --quick, it slows
the run down a lot) tracemalloc's peak over one report. Goal: ≤ 1.5× bare, tagging ≤ 1.2× untagged,
and under 3 s warm.

Measured 2026-11-23 on 2 cores shared with other test runs, medians, 25 pages. Load average ≤ 2:
before (commit 292b2a9) report 4.1 s, bare 4.1 s; after, report 2.4–2.7 s, bare 2.1–2.5 s,
html_to_pdf 1.7–2.2 s; the full run 2.5 s (bare 2.5 s), batch 2.9 s/report, 321 MB max RSS, 31 MB
traced. Load 3–5: before 4.8–5.2 s, after 3.0–3.6 s. WeasyPrint's own work fell by a third (Python
calls 4.9 M → 3.2 M): chart SVG with a third to a half of the nodes and labels anchored in advance,
no table cell, inline box or wrapper where a paragraph does, fixed table and margin-box widths, no
leader() dots; plus the garbage collector paused (full collections over the app's heap were a
fifth to a third of a render). What is left is mostly text — per glyph when drawing, per letter for
chart labels (WeasyPrint lays out SVG text letter by letter: ~0.3 s for the 7 charts) — and, in a
report, Chromium drawing the charts on the same two cores.

Tagging (issue #20), measured 2026-12-01 with other test runs loading the machine (load 5–7, so every
time is 2–3× the above): --quick --repeat 5 medians tagged 6.9 s, untagged 7.6 s (tagged_ratio 0.91; an
earlier run at load ~19 gave 1.25); WeasyPrint alone on the same HTML, five alternating runs each,
tagged/untagged 1.03. The structure tree is one walk over the laid-out boxes: a few percent, within the
noise of a shared machine.

    python benchmarks/bench_report.py [--quick] [--departments N] [--repeat N]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import timed  # noqa: E402

from assessment import report, svg  # noqa: E402
from assessment.analysis import analyse  # noqa: E402
from assessment.content import load_all  # noqa: E402
from assessment.demo import create_demo  # noqa: E402
from assessment.questionnaire import combine  # noqa: E402
from assessment.storage import Store, make_engine  # noqa: E402


def bare_weasyprint(html: str, svgs: dict[str, str]) -> Callable[[], bytes]:
    """WeasyPrint with nothing of ours: a fetcher that hands out the pre-drawn SVGs, the same CSS."""
    import weasyprint
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class Charts(URLFetcher):
        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            key = url.removeprefix(report.ASSET_SCHEME)
            if key not in svgs:
                raise ValueError(url)
            return URLFetcherResponse(url, svgs[key].encode(), {"Content-Type": "image/svg+xml"})

    css = (report.TEMPLATES / "report.css").read_text(encoding="utf-8") + "\n@page { size: A4; }"

    def run() -> bytes:
        fetcher = Charts()
        return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(
            stylesheets=[weasyprint.CSS(string=css, url_fetcher=fetcher)])

    return run


def pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="Fewer runs, a 2-department batch, no tracemalloc (< 1 minute).")
    parser.add_argument("--departments", type=int, default=None, help="Batch size (default 20, quick 2).")
    parser.add_argument("--repeat", type=int, default=None, help="Timed runs of each (default 7, quick 3).")
    args = parser.parse_args()
    departments = args.departments or (2 if args.quick else 20)
    repeat = args.repeat or (3 if args.quick else 7)

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}"))
        store.upgrade()
        q = combine(load_all())
        start = time.perf_counter()
        ids = [create_demo(store, q, f"Department {i + 1:02d}", days_ago=i, seed=100 + i, skew=i % 3 - 1)
               for i in range(departments)]
        setup_s = time.perf_counter() - start
        aid = ids[0]

        start = time.perf_counter()
        svg.start_renderer()
        kaleido_start_s = time.perf_counter() - start

        def project() -> bytes:
            return report.assessment_pdf(store.load(aid))

        def untagged() -> bytes:  # assessment_pdf without the PDF/UA tags
            with report.gc_paused():
                return report.render_pdf(report.build_context(analyse(store.load(aid))), "report.html.j2",
                                         tagged=False)

        start = time.perf_counter()
        first = project()  # warm-up: imports, fonts, templates, kaleido's page
        first_s = time.perf_counter() - start

        # The same HTML and charts for bare WeasyPrint, and the project's steps one by one.
        steps: dict[str, float] = {}
        start = time.perf_counter()
        context = report.build_context(analyse(store.load(aid)))
        steps["context_s"] = time.perf_counter() - start
        start = time.perf_counter()
        futures = report.submit_charts(context["figures"])
        svgs = {key: f.result() for key, f in futures.items()}
        steps["charts_s"] = time.perf_counter() - start
        start = time.perf_counter()
        html = report.render_html(context)
        steps["html_s"] = time.perf_counter() - start
        bare = bare_weasyprint(html, svgs)
        if not args.quick:
            assert pages(bare()) == pages(first), "bare and project PDFs differ in length"

        def step() -> bytes:  # the report's own WeasyPrint call (html_to_pdf), charts already drawn
            return report.html_to_pdf(html, report.RefusingFetcher(assets=svgs))

        project_times, untagged_times, bare_times, step_times = timed([project, untagged, bare, step], repeat)

        peak = None
        if not args.quick:
            tracemalloc.start()
            project()
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()

        out = Path(tmp) / "reports"
        start = time.perf_counter()
        paths = report.batch_reports(store.load_many(ids), out)
        batch_s = time.perf_counter() - start
        assert len(paths) == departments
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        store.engine.dispose()

    project_s, bare_s = statistics.median(project_times), statistics.median(bare_times)
    untagged_s, step_s = statistics.median(untagged_times), statistics.median(step_times)
    ratio = untagged_s / bare_s
    tagged_ratio = project_s / untagged_s
    met = ratio <= 1.5 and tagged_ratio <= 1.2 and project_s < 3
    print(f"{departments} demo departments (created in {setup_s:.1f} s); report: {pages(first)} pages, "
          f"{len(svgs)} charts; kaleido start {kaleido_start_s:.1f} s, first report {first_s:.1f} s")
    print(f"warm, {repeat} runs each, medians:")
    print(f"  report (store → engine → charts → Jinja → WeasyPrint): {project_s:6.2f} s  (tagged PDF/UA-1)")
    print(f"  the same report untagged:                             {untagged_s:6.2f} s")
    print(f"  bare WeasyPrint, same HTML and SVGs:                  {bare_s:6.2f} s")
    print(f"  html_to_pdf alone, same HTML and SVGs:                {step_s:6.2f} s"
          "  (the report's WeasyPrint call: GC paused, CSS and fonts reused)")
    print(f"  ratio untagged/bare {ratio:.2f}, tagged/untagged {tagged_ratio:.2f} "
          f"(goal ≤ 1.5, ≤ 1.2 and under 3 s: {'met' if met else 'NOT met'})")
    print("  before WeasyPrint, step by step (charts drawn alone here; in a report they overlap WeasyPrint): "
          + ", ".join(f"{k.removesuffix('_s')} {v:.2f} s" for k, v in steps.items()))
    print(f"batch of {departments}: {batch_s:.1f} s, {batch_s / departments:.2f} s/report")
    traced = "not measured with --quick" if peak is None else f"{peak / 2**20:.0f} MB"
    print(f"peak memory: process {rss:.0f} MB max RSS (Chromium is a separate process); "
          f"one report's Python objects (tracemalloc) {traced}")
    print(json.dumps({
        "bench": "report", "departments": departments, "repeat": repeat, "pages": pages(first),
        "charts": len(svgs), "kaleido_start_s": round(kaleido_start_s, 2), "first_report_s": round(first_s, 2),
        "report_s": round(project_s, 3), "untagged_s": round(untagged_s, 3), "bare_s": round(bare_s, 3),
        "ratio": round(ratio, 2), "tagged_ratio": round(tagged_ratio, 2),
        "untagged_runs_s": [round(t, 3) for t in untagged_times],
        "report_runs_s": [round(t, 3) for t in project_times], "bare_runs_s": [round(t, 3) for t in bare_times],
        "html_to_pdf_s": round(step_s, 3), "html_to_pdf_runs_s": [round(t, 3) for t in step_times],
        "steps": {k: round(v, 3) for k, v in steps.items()},
        "batch_s": round(batch_s, 2), "batch_s_per_report": round(batch_s / departments, 3),
        "tracemalloc_peak_mb": None if peak is None else round(peak / 2**20, 1), "rss_peak_mb": round(rss, 1),
        "goal_met": met,
    }))


if __name__ == "__main__":
    main()
