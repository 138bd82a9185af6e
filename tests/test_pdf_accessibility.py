"""The PDF reports are tagged PDF/UA-1: a screen reader gets headings, tables and the charts' summaries.

pikepdf reads each report's structure tree: /StructTreeRoot and /MarkInfo /Marked true, the document's
/Lang and title (shown instead of the file name), bookmarks from the headings, headings in order, tables
with header cells, and one /Figure per chart whose /Alt is that chart's one-sentence summary (the same
sentence the app shows under the chart). The untagged variant, kept for the benchmark, has none of it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pikepdf
import pytest

from assessment import report
from assessment.compare import compare, trend
from assessment.demo import create_demo
from assessment.questionnaire import Questionnaire
from assessment.storage import Store, make_engine

HOSTILE = "<b>R&D</b> <script>x()</script>"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, mini: Questionnaire) -> Iterator[tuple[Store, list[int]]]:
    """Two assessments of one department (a trend) and one of another, with a hostile name, on `mini`."""
    path = tmp_path_factory.mktemp("pdf-a11y") / "a11y.db"
    s = Store(make_engine(f"sqlite:///{path}"))
    s.upgrade()
    ids = [create_demo(s, mini, "Platform", days_ago=90, seed=1, skew=-1),
           create_demo(s, mini, "Platform", days_ago=5, seed=2, skew=1),
           create_demo(s, mini, HOSTILE, days_ago=10, seed=3)]
    yield s, ids
    s.engine.dispose()


def structure(pdf: bytes) -> dict:
    """What a screen reader walks: every structure element's type in document order, figures' /Alt,
    the catalog's /Lang, /MarkInfo, title, bookmarks, and whether pages carry marked content."""
    doc = pikepdf.open(io.BytesIO(pdf))
    root = doc.Root
    found: dict = {"tags": [], "alts": [], "figures_without_alt": 0, "th": 0}
    assert "/StructTreeRoot" in root, "no structure tree: the PDF is not tagged"

    def walk(node: pikepdf.Object) -> None:
        if isinstance(node, pikepdf.Array):
            for kid in node:
                walk(kid)
            return
        if not isinstance(node, pikepdf.Dictionary) or "/S" not in node:
            return
        tag = str(node.S)
        found["tags"].append(tag)
        if tag == "/Figure":
            if "/Alt" in node:
                found["alts"].append(str(node.Alt))
            else:
                found["figures_without_alt"] += 1
        if tag == "/TH":
            found["th"] += 1
        if "/K" in node:
            walk(node.K)

    walk(root.StructTreeRoot.K)
    found["lang"] = str(root.get("/Lang", ""))
    found["marked"] = bool(root.get("/MarkInfo", {}).get("/Marked", False))
    found["title"] = str(doc.docinfo.get("/Title", ""))
    found["display_title"] = bool(root.get("/ViewerPreferences", {}).get("/DisplayDocTitle", False))
    found["outlines"] = "/Outlines" in root and "/First" in root.Outlines
    found["marked_content"] = b"/MCID" in doc.pages[1].Contents.read_bytes() if len(doc.pages) > 1 else False
    with doc.open_metadata() as meta:
        found["pdfuaid"] = meta.get("pdfuaid:part")
    return found


def check_tagged(pdf: bytes, context: dict) -> dict:
    """The PDF/UA basics every report must have; returns the structure for report-specific checks."""
    s = structure(pdf)
    assert s["marked"] and s["marked_content"]
    assert s["lang"] == "en"
    assert s["title"] and s["display_title"]
    assert s["pdfuaid"] == "1"
    assert s["outlines"], "no bookmarks"
    assert "/H1" in s["tags"] and "/H2" in s["tags"] and "/Table" in s["tags"] and s["th"] > 0
    headings = [int(t[2]) for t in s["tags"] if t in ("/H1", "/H2", "/H3", "/H4", "/H5", "/H6")]
    assert headings[0] == 1 and all(b <= a + 1 for a, b in zip(headings, headings[1:], strict=False)), \
        "a heading skips a level"
    # one Figure per chart, each described by the same sentence the app shows under the chart
    assert s["figures_without_alt"] == 0
    assert len(s["alts"]) == len(context["figures"]) > 0
    assert sorted(s["alts"]) == sorted(context["alts"][k] for k in context["figures"])
    return s


def test_the_gap_report_is_tagged_with_a_summary_per_chart(store: tuple[Store, list[int]]) -> None:
    s, ids = store
    from assessment.analysis import analyse

    record = s.load(ids[1])
    context = report.build_context(analyse(record))
    pdf = report.assessment_pdf(record)
    found = check_tagged(pdf, context)
    assert any("below target" in alt or "at or above" in alt for alt in found["alts"])
    assert any(alt.startswith("Roadmap timeline of") for alt in found["alts"]) == ("roadmap" in context["figures"])
    assert structure(pdf)["title"].startswith("AI operations maturity report")


def test_the_comparison_report_is_tagged_and_its_alt_texts_keep_names_as_typed(
        store: tuple[Store, list[int]]) -> None:
    s, ids = store
    entries = s.load_many([ids[1], ids[2]])
    context = report.comparison_context(entries)
    found = check_tagged(report.comparison_pdf(entries), context)
    heatmap = next(alt for alt in found["alts"] if alt.startswith("Heatmap"))
    assert "2 × " in heatmap and "each written in its cell" in heatmap
    assert any(HOSTILE in alt for alt in found["alts"])  # text, neither markup nor escaped twice
    assert len(compare(entries).pivot) == 2


def test_the_trend_report_is_tagged(store: tuple[Store, list[int]]) -> None:
    s, ids = store
    entries = s.load_many(ids[:2])
    context = report.trend_context(entries)
    found = check_tagged(report.trend_pdf(entries), context)
    assert any(alt.startswith("Lines of") for alt in found["alts"])
    assert len(trend(entries).scores) == 2


def test_the_untagged_variant_has_no_structure_tree(store: tuple[Store, list[int]]) -> None:
    """Kept only to measure what tagging costs (benchmarks/bench_report.py)."""
    s, ids = store
    from assessment.analysis import analyse

    pdf = report.render_pdf(report.build_context(analyse(s.load(ids[0]))), "report.html.j2", tagged=False)
    doc = pikepdf.open(io.BytesIO(pdf))
    assert "/StructTreeRoot" not in doc.Root
