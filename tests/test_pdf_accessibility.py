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

from assessment import charts, report
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


# --- the summaries themselves (charts.describe_*): the facts the picture shows, in one sentence ---------


def test_a_radar_summary_names_the_range_and_the_dimensions_below_target() -> None:
    text = charts.describe_radar(["Cost", "Data", "Security"], {"Current": [1.0, None, 3.5]}, target=[3, 3, 3])
    assert text == ("Radar of 3 dimensions: Current scores range from 1.0 (Cost) to 3.5 (Security) out of 4; "
                    "1 of 2 scored dimensions is below target.")
    overlaid = charts.describe_radar(["Cost", "Data"], {"Ops": [1, 2], HOSTILE: [3, 4]})
    assert overlaid == (f"Radar of 2 dimensions overlaying Ops and {HOSTILE}: {HOSTILE} has the highest mean "
                        "score (3.5), Ops the lowest (1.5).")


def test_the_other_summaries_and_their_tables() -> None:
    assert charts.describe_heatmap(["A", "B"], ["x", "y"], [[1.0, None], [2.5, 0.5]]) == (
        "Heatmap of 2 × 2 scores, each written in its cell: the highest is 2.5 (B, x), the lowest 0.5 (B, y); "
        "1 not scored.")
    assert list(charts.heatmap_table(["A", "B"], ["x", "y"], [[1.0, None], [2.5, 0.5]]).loc["A"]) == ["1.0", "–"]
    assert charts.describe_gap_bars(["Cost", "Data"], [1.0, 3.0], [3, 3]) == (
        "Bars of 2 dimensions: 1 is below target; the largest gap is Cost, at 1.0 against a target of 3.")
    assert list(charts.gap_table(["Cost", "Data"], [1.0, 3.0], [3, 3])["Gap"]) == ["2.0", "0.0"]
    assert "every scored dimension is at or above" in charts.describe_gap_bars(["Cost"], [3.0], [3])
    items = [{"phase": "now", "label": "a"}, {"phase": "later", "label": "b"}, {"phase": "backlog", "label": "c"}]
    assert charts.describe_timeline(items) == ("Roadmap timeline of 2 steps: 1 in Now (months 0–3), "
                                               "0 in Next (months 3–6), 1 in Later (months 6–12).")
    assert charts.describe_trend(["2026-01", "2026-06"], {"Cost": [1.0, 2.0], "Data": [3.0, 2.5]}) == (
        "Lines of 2 dimensions over 2 assessments from 2026-01 to 2026-06; Cost rose most (+1.0); "
        "Data fell most (-0.5).")
    votes = {"votes": 3, "distribution": {"1": 1, "3": 2, "na": 0}, "labels": {"1": "Level 1", "3": "Level 3",
                                                                                "na": "N/A"},
             "median": 3, "low": 1, "high": 3, "disagreement": True}
    assert charts.describe_votes(votes) == ("3 votes: Level 1: 1, Level 3: 2; median 3, range 1–3; "
                                            "a disagreement, the votes span two levels or more.")
    assert list(charts.votes_table(votes)["Votes"]) == [1, 2, 0]
