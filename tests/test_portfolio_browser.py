"""The Compare page with business units in Chromium: a scale demo (`demo.create_scale_demo`, 24 departments
in 4 business units, on the built-in questionnaires), the Organisation section listing the units, the
percentage to target and progress tables, the movement section; a screenshot for a human to look at
(test-artifacts/browser-portfolio-compare.png)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import no_errors, patient, serve_app, shot
from playwright.sync_api import Page, expect

from assessment.content import DEFAULT_FOLDER, load_all
from assessment.demo import create_scale_demo, scale_plan
from assessment.questionnaire import combine
from assessment.storage import Store

pytestmark = pytest.mark.browser

UNITS = sorted({u for _, u, _ in scale_plan(24, 4)})


@pytest.fixture(scope="module")
def scale_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("portfolio-browser")
    store = Store.open(f"sqlite:///{folder / 'assessments.db'}")
    try:
        create_scale_demo(store, combine(load_all([DEFAULT_FOLDER])[:3]), 24, 4)
    finally:
        store.engine.dispose()
    with serve_app(folder, QUESTIONNAIRE_PATH=None) as url:
        yield url


def test_compare_shows_business_units_and_relative_metrics(page: Page, scale_url: str) -> None:
    patient(page)
    page.goto(f"{scale_url}/compare")
    expect(page.get_by_role("heading", name="Compare", exact=True)).to_be_visible()
    page.get_by_text("Organisation: departments in business units").click()
    listing = page.get_by_test_id("stExpander").get_by_role("list").first
    for unit in UNITS:
        expect(listing).to_contain_text(f"{unit} (6)")
    # The whole comparison of 24 departments draws before these: give it a minute on a loaded machine.
    expect(page.get_by_role("heading", name="Movement over time", exact=True)).to_be_visible(timeout=60_000)
    for heading in ("Progress against targets", "Business units"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_text("Percentage to target = 1 − Σ(target − score) / Σ target")).to_be_visible()
    expect(page.get_by_text("Not re-assessed since")).to_be_visible()
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    no_errors(page)
    shot(page, "portfolio-compare")
