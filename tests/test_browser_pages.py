"""Compare, Roadmap and Scope in Chromium, on a demo organisation: what only a browser shows.

A module-scoped fixture fills a fresh database with the demo organisation on the built-in questionnaires
(as the Assessments page's demo button does), then starts `assessment serve` on it. The tests check
the radar's legend, the roadmap timeline and presentation mode's hidden sidebar, and save a screenshot
of every page in test-artifacts/ (browser-pages-*.png) for a human to look at.
"""

from __future__ import annotations

import re

import pytest
from browser import no_errors, shot
from playwright.sync_api import Page, expect

from assessment.demo import DEMO_ORGANISATION
from assessment.roadmap import PHASE_NAMES

pytestmark = pytest.mark.browser

DEPARTMENTS = sorted({dep for dep, *_ in DEMO_ORGANISATION})


def settled(page: Page) -> None:
    """The rerun has finished drawing: no skeleton placeholders, no "Running…" indicator."""
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)


def test_compare_overlays_the_three_departments_on_one_radar(page: Page, demo_url: str) -> None:
    page.goto(f"{demo_url}/compare")
    expect(page.get_by_role("heading", name="Compare", exact=True)).to_be_visible()
    charts = page.get_by_test_id("stPlotlyChart")
    expect(charts).to_have_count(2)  # the radar and the heatmap
    radar = charts.first
    expect(radar.locator(".gtitle")).to_have_text("Dimension scores by department")
    expect(radar.locator(".legendtext")).to_have_text(DEPARTMENTS)  # one trace per department, no other
    expect(radar.locator(".scatterlayer .trace")).to_have_count(3)
    expect(page.get_by_role("heading", name="Delta against the organisation mean")).to_be_visible()
    settled(page)
    no_errors(page)
    shot(page, "pages-compare")

    # One department over time: its two dates and the change between them.
    page.get_by_test_id("stButtonGroup").get_by_role("radio", name="Over time").click()
    expect(page.get_by_role("heading", name="Change between consecutive assessments")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(1)
    expect(page.get_by_test_id("stPlotlyChart").locator(".gtitle")).to_have_text(f"{DEPARTMENTS[0]} over time")
    settled(page)
    no_errors(page)
    shot(page, "pages-compare-over-time")


def test_roadmap_of_a_demo_assessment_shows_the_timeline(page: Page, demo_url: str, demo_ids: list[int]) -> None:
    aid = demo_ids[0]  # Data Science Platform, 180 days ago: its answers sit below the default target of 3
    page.goto(f"{demo_url}/roadmap?assessment={aid}")
    expect(page.get_by_role("heading", name="Roadmap", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    now = page.get_by_role("heading", name=re.compile(rf"^{re.escape(PHASE_NAMES['now'])} · \d+ items"))
    expect(now).to_be_visible()
    expect(now).to_have_text(re.compile(rf"^{re.escape(PHASE_NAMES['now'])} · 5 items"))
    timeline = page.get_by_test_id("stPlotlyChart").first
    expect(timeline).to_be_visible()
    expect(timeline.locator(".legendtext")).to_have_text(["Now", "Next", "Later"])
    expect(timeline.locator(".barlayer .point")).to_have_count(15)  # 5 items per phase by default
    settled(page)
    no_errors(page)
    shot(page, "pages-roadmap")


def test_scope_renders_and_presentation_mode_hides_the_sidebar(page: Page, demo_url: str) -> None:
    page.goto(f"{demo_url}/scope")
    expect(page.get_by_role("heading", name="Scope", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="1 · Business objectives")).to_be_visible()
    expect(page.get_by_role("heading", name="2 · Layers, weights and targets")).to_be_visible()
    expect(page.get_by_role("button", name="Create assessment with this scope")).to_be_visible()
    editors = page.get_by_test_id("stDataFrame")  # dimension weights, targets per layer × dimension
    expect(editors).to_have_count(2)
    expect(editors.get_by_test_id("data-grid-canvas")).to_have_count(2)
    expect(page.get_by_label("Assessment name")).to_be_editable()
    expect(page.get_by_test_id("stFileUploader")).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_be_visible()
    settled(page)
    no_errors(page)
    shot(page, "pages-scope")

    sidebar.get_by_text("Presentation mode").click()
    expect(page.get_by_role("button", name="Exit presentation mode")).to_be_visible()
    expect(sidebar).to_be_hidden()
    expect(page.get_by_test_id("stSidebarCollapsedControl")).to_be_hidden()
    expect(page.get_by_role("heading", name="Scope", exact=True)).to_be_visible()
    settled(page)
    no_errors(page)
    shot(page, "pages-scope-presentation")

    page.get_by_role("button", name="Exit presentation mode").click()
    expect(sidebar).to_be_visible()
    expect(page.get_by_role("button", name="Exit presentation mode")).to_have_count(0)
