"""A download built on click still arrives when the server is busy with a live workshop.

Streamlit stores the file a download button's callable builds under a media id no session refers to, and
sweeps such files at the end of every script run of every session: one phone on the voting page (a
fragment run every second) deletes it within a second or two. A browser that fetches it later — a busy
machine, a proxy, a slow network; here a fetch held back three seconds — got nothing: about one run in
three of the topology test lost a download this way. assessment_app/downloads.py keeps such a file out of
the sweep for a while; these tests fail without it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from browser import DATA, PHONE, Q1, Q1_TEXT, RERUN_TIMEOUT, no_errors
from playwright.sync_api import Browser, Route, expect

from assessment.content import load_questionnaire
from assessment.storage import Store
from assessment_app import downloads

FETCH_DELAY = 3.0  # seconds between the file being built and the browser asking for it


def test_the_fix_fits_the_installed_streamlit() -> None:
    """A Streamlit release that renames what the fix wraps fails here, not silently in a workshop."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    assert downloads.install(MediaFileManager)
    assert downloads.install(MediaFileManager)  # idempotent: imported by every page run


def test_the_sweep_spares_a_fresh_download_and_takes_it_later() -> None:
    class Manager:  # the two methods the fix wraps, as Streamlit's MediaFileManager has them
        stored = {"kept", "built"}

        def execute_deferred(self, file_id: str) -> str:
            return f"/media/{file_id}.json"

        def _get_inactive_file_ids(self) -> set[str]:
            return set(self.stored)

    assert downloads.install(Manager, grace=0.3)
    manager = Manager()
    assert manager.execute_deferred("built") == "/media/built.json"
    assert manager._get_inactive_file_ids() == {"kept"}
    time.sleep(0.35)
    assert manager._get_inactive_file_ids() == {"kept", "built"}


def test_a_fresh_class_without_the_methods_is_left_alone(caplog: pytest.LogCaptureFixture) -> None:
    class Renamed:
        def execute_deferred(self, file_id: str) -> str:
            return file_id

    assert not downloads.install(Renamed)
    assert "no _get_inactive_file_ids" in caplog.text
    assert Renamed().execute_deferred("x") == "x"


@pytest.mark.browser
def test_a_slow_download_survives_a_live_workshop(browser: Browser, app_url: str, server_store: Store) -> None:
    aid = server_store.create_assessment("Busy day", "Platform", load_questionnaire(DATA / "mini.yaml"))
    server_store.set_action(aid, Q1, owner="Ada", changed_by="test")
    ws = server_store.open_workshop(aid)
    server_store.set_current_question(ws.id, Q1)

    phone = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    phone.goto(f"{app_url}/?join={ws.code}")
    phone.get_by_role("button", name="Join").click()
    expect(phone.get_by_text(Q1_TEXT)).to_be_visible(timeout=RERUN_TIMEOUT)  # its fragment runs every second

    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    facilitator = context.new_page()
    facilitator.goto(app_url)  # a workshop is open, so the facilitator proves who they are first
    facilitator.get_by_role("textbox", name="One-time facilitator key").fill(server_store.new_facilitator_key())
    facilitator.get_by_role("button", name="Use the key").click()
    expect(facilitator.get_by_role("heading", name="Assessments")).to_be_visible(timeout=RERUN_TIMEOUT)
    facilitator.goto(f"{app_url}/data?assessment={aid}")
    expect(facilitator.get_by_role("heading", name="Data")).to_be_visible(timeout=RERUN_TIMEOUT)

    def late(route: Route) -> None:
        time.sleep(FETCH_DELAY)  # the phone's runs go on meanwhile, each ending with a sweep
        route.continue_()

    facilitator.route("**/media/**", late)
    def export_ok(data: bytes) -> bool:  # the whole assessment, its roadmap actions included
        export = json.loads(data)
        return export["assessment"]["name"] == "Busy day" and [
            (a["question_id"], a["owner"]) for a in export["actions"]] == [(Q1, "Ada")]

    for button, check in [("JSON (lossless: re-import anywhere)", export_ok),
                          ("Download a backup of every assessment",
                           lambda data: [a["assessment"]["name"] for a in json.loads(data)] == ["Busy day"])]:
        expect(facilitator.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
        with facilitator.expect_download(timeout=RERUN_TIMEOUT + FETCH_DELAY * 1000) as info:
            facilitator.get_by_role("button", name=button).click()
        assert check(Path(info.value.path()).read_bytes()), button
    no_errors(facilitator)
    expect(phone.get_by_text(Q1_TEXT)).to_be_visible()
    context.close()
    phone.context.close()
