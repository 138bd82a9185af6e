"""The production topology on this machine: PostgreSQL, three app replicas started together and nginx
(deploy/nginx.conf) in front, every browser going through the proxy.

Migrations run once. A facilitator logs in and opens a workshop; six phones join, spread over the
replicas by nginx's route cookie, each staying on its replica (nginx's access log says which replica
served every request); one replica is killed mid-vote; its phones reload through the proxy, land on
another replica and keep their votes; the facilitator records the consensus, downloads an export, a
backup and the PDF and imports the export (an upload, which must reach the replica holding the
session). The database has every vote and both assessments.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from browser import DATA, PHONE, Q1, Q1_TEXT, free_port, no_errors, patient, settled, shot, vote
from playwright.sync_api import Browser, BrowserContext, Page, expect
from proxy import ROUTE_COOKIE, Proxy, listener_pid, nginx, replicas
from pypdf import PdfReader
from sqlalchemy import select, text

from assessment.content import load_questionnaire
from assessment.migrations import alembic_config
from assessment.storage import Store, make_engine
from assessment.storage.schema import participants

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

# ms; three servers, nginx and eight browser pages share the machine (2 slow cores in CI)
TIMEOUT = 30_000  # a rerun's result, or a live fragment's next read of the database
SLOW_TIMEOUT = 90_000  # a fresh page loading; the first PDF (kaleido's Chromium starts)
PHONES_PER_REPLICA = 2
CHOICES = [1, 2, 3, 4, 0, 2]  # phone i votes CHOICES[i] (levels)


def route(context: BrowserContext) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == ROUTE_COOKIE)


def served_by(proxy: Proxy, key: str) -> list[str]:
    """The replica that finally served each request with this route cookie, in order (nginx writes a
    request's log line just after its response, so wait for it)."""
    deadline = time.monotonic() + 5
    while not (seen := proxy.routes().get(key)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [entry.split(", ")[-1] for entry in seen or []]


def arrive(proxy: Proxy, context: BrowserContext) -> str:
    """A browser's first request through the proxy: nginx gives it a route cookie; the replica it chose."""
    assert context.request.get(f"{proxy.url}/_stcore/health").ok
    return served_by(proxy, route(context))[0]


def download(page: Page, button: str, timeout: float = TIMEOUT) -> bytes:
    """The file a download button gives, clicked once the page has drawn it and settled (a page just opened
    is "notRunning" until its first run starts)."""
    found = page.get_by_role("button", name=button)
    expect(found).to_be_enabled(timeout=SLOW_TIMEOUT)
    settled(page, TIMEOUT)
    with page.expect_download(timeout=timeout) as info:
        found.click(timeout=timeout / 2)
    return Path(info.value.path()).read_bytes()


def test_three_replicas_behind_nginx_survive_losing_one(browser: Browser, pg_url: str, tmp_path: Path) -> None:
    ports = [free_port() for _ in range(3)]
    upstreams = [f"127.0.0.1:{p}" for p in ports]
    env = {"DATABASE_URL": pg_url, "QUESTIONNAIRE_PATH": str(DATA), "ASSESSMENT_TRUSTED_PROXIES": "127.0.0.1"}
    store = Store(make_engine(pg_url))  # no upgrade here: the replicas migrate the empty schema
    contexts: list[BrowserContext] = []

    def new_context(**args: object) -> BrowserContext:
        contexts.append(browser.new_context(**args))
        return contexts[-1]

    def new_page(context: BrowserContext) -> Page:
        page = patient(context.new_page())
        page.set_default_timeout(TIMEOUT)
        page.set_default_navigation_timeout(SLOW_TIMEOUT)  # a fresh context downloads Streamlit's scripts
        return page

    dirs = [tmp_path / f"replica-{i}" for i in range(3)]
    try:
        with nginx(upstreams) as proxy, replicas(dirs, ports, **env) as urls:
            # Started together, each replica opens the empty schema with its first session at once:
            # one migrates, the others wait for it (an advisory lock) and find nothing left to do.
            first = [new_page(new_context()) for _ in urls]
            for page, url in zip(first, urls, strict=True):
                page.goto(url, wait_until="commit")
            for page in first:
                expect(page.get_by_role("heading", name="Assessments")).to_be_visible(timeout=SLOW_TIMEOUT)
                page.context.close()
            head = ScriptDirectory.from_config(alembic_config(store.engine)).get_current_head()
            with store.engine.connect() as conn:
                assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head]
            for d in dirs:
                log = (d / "streamlit.log").read_text()
                assert not re.search(r"Traceback|Error", log), f"{d.name}:\n{log}"

            store.add_user("ada", "correct horse")
            aid = store.create_assessment("Company workshop", "Platform", load_questionnaire(DATA / "mini.yaml"))

            # Fresh browsers get random routes: take new ones until every replica has two phones.
            # Each phone sends the X-Forwarded-For an outer load balancer would (on loopback every browser
            # is 127.0.0.1); nginx appends 127.0.0.1, which the replicas trust, so each phone counts as
            # its own address against the joins-per-address cap.
            facilitator_context = new_context(viewport={"width": 1280, "height": 900})
            facilitator_replica = arrive(proxy, facilitator_context)
            by_replica: dict[str, list[BrowserContext]] = {u: [] for u in upstreams}
            for n in range(1, 41):
                if all(len(c) == PHONES_PER_REPLICA for c in by_replica.values()):
                    break
                context = new_context(viewport=PHONE, is_mobile=True,
                                      extra_http_headers={"X-Forwarded-For": f"198.51.100.{n}"})
                replica = arrive(proxy, context)
                if len(by_replica[replica]) < PHONES_PER_REPLICA:
                    by_replica[replica].append(context)
                else:
                    context.close()
                    contexts.remove(context)
            assert all(len(c) == PHONES_PER_REPLICA for c in by_replica.values()), \
                {u: len(c) for u, c in by_replica.items()}
            phone_contexts = [c for i in range(PHONES_PER_REPLICA) for c in (by_replica[u][i] for u in upstreams)]
            replica_of = {id(c): u for u, cs in by_replica.items() for c in cs}

            # The facilitator logs in and opens the workshop, through the proxy
            facilitator = new_page(facilitator_context)
            facilitator.goto(proxy.url)
            facilitator.get_by_label("User name").fill("ada")
            facilitator.get_by_label("Password", exact=True).fill("correct horse")
            facilitator.get_by_role("button", name="Log in", exact=True).click()
            expect(facilitator.get_by_text("Logged in as ada")).to_be_visible(timeout=TIMEOUT)
            facilitator.goto(f"{proxy.url}/workshop?assessment={aid}")
            facilitator.get_by_role("button", name="Open a workshop").click()
            expect(facilitator.get_by_text("Join code:")).to_be_visible(timeout=TIMEOUT)
            facilitator.get_by_role("button", name="Put on screen").click()
            expect(facilitator.get_by_role("button", name="Reveal")).to_be_visible(timeout=TIMEOUT)
            expect(facilitator.get_by_text("0 have voted · 0 joined").first).to_be_visible(timeout=TIMEOUT)
            ws = store.active_workshop(aid)
            assert ws is not None and ws.current_question == Q1

            phones = [new_page(c) for c in phone_contexts]
            for page in phones:  # every phone opens the link at once, as a room does
                page.goto(f"{proxy.url}/?join={ws.code}", wait_until="commit")
            for i, page in enumerate(phones):
                expect(page.get_by_role("heading", name="Join the workshop")).to_be_visible(timeout=SLOW_TIMEOUT)
                page.get_by_label("Your name (optional)").fill(f"Phone {i}")
                page.get_by_role("button", name="Join").click()
            for page in phones:
                expect(page.get_by_text(Q1_TEXT)).to_be_visible(timeout=TIMEOUT)
            expect(facilitator.get_by_text("0 have voted · 6 joined").first).to_be_visible(timeout=TIMEOUT)

            # Mid-vote, a replica other than the facilitator's dies (SIGKILL: no goodbye to its browsers).
            victim = next(u for u in upstreams if u != facilitator_replica)
            doomed = [p for p in phones if replica_of[id(p.context)] == victim]
            survivors = [p for p in phones if replica_of[id(p.context)] != victim]
            late = doomed[1]  # has not voted when its replica dies
            for i, page in enumerate(phones):
                if page is not late:
                    vote(page, CHOICES[i], f"phone {i}")
            for i, page in enumerate(phones):
                if page is not late:
                    expect(page.get_by_text(f"Your vote: Level {CHOICES[i]}")).to_be_visible(timeout=TIMEOUT)
            expect(facilitator.get_by_text("5 have voted · 6 joined").first).to_be_visible(timeout=TIMEOUT)
            os.kill(listener_pid(int(victim.rsplit(":", 1)[1])), signal.SIGKILL)

            # Its phones reload through the proxy: nginx cannot reach the dead replica and passes them on
            for page in doomed:
                page.reload()
            expect(doomed[0].get_by_text(f"Your vote: Level {CHOICES[phones.index(doomed[0])]}")).to_be_visible(
                timeout=SLOW_TIMEOUT)
            i_late = phones.index(late)
            expect(late.get_by_text(Q1_TEXT)).to_be_visible(timeout=SLOW_TIMEOUT)
            vote(late, CHOICES[i_late], f"phone {i_late}")
            expect(late.get_by_text(f"Your vote: Level {CHOICES[i_late]}")).to_be_visible(timeout=TIMEOUT)
            # the other phones never noticed; one of them changes its mind on its live page
            changer = survivors[0]
            i_changer = phones.index(changer)
            CHOICES[i_changer] = 4 if CHOICES[i_changer] != 4 else 3
            vote(changer, CHOICES[i_changer], f"phone {i_changer}")
            expect(changer.get_by_text(f"Your vote: Level {CHOICES[i_changer]}")).to_be_visible(timeout=TIMEOUT)
            for page in survivors:
                expect(page.get_by_text("Connection error")).to_have_count(0)
                no_errors(page)
            expect(facilitator.get_by_text("6 have voted · 6 joined").first).to_be_visible(timeout=TIMEOUT)
            shot(late, "topology-phone-after-failover")

            # The database has every vote, each phone counted as its own address
            got = {v.comment: v.choice for v in store.votes_for(ws.id, Q1)}
            assert got == {f"phone {i}": str(c) for i, c in enumerate(CHOICES)}
            with store.engine.connect() as conn:
                keys = conn.execute(select(participants.c.client_key)
                                    .where(participants.c.workshop_id == ws.id)).scalars().all()
            assert len(set(keys)) == 6 and all(k.startswith("ip:198.51.100.") for k in keys), keys

            # Every browser stayed on its replica; the dead one's phones moved, each to one other replica
            for context in [facilitator_context, *phone_contexts]:
                seen = served_by(proxy, route(context))
                home = replica_of.get(id(context), facilitator_replica)
                if home != victim:
                    assert set(seen) == {home}, (home, seen)
                else:
                    moved = set(seen) - {victim}
                    assert len(moved) == 1 and seen.index(next(iter(moved))) > 0, (home, seen)

            # The facilitator reveals and records the consensus
            settled(facilitator, TIMEOUT).get_by_role("button", name="Reveal").click()
            expect(facilitator.get_by_role("button", name="Record consensus")).to_be_visible(timeout=TIMEOUT)
            settled(facilitator, TIMEOUT).get_by_role("button", name="Record consensus").click()
            expect(facilitator.get_by_text(re.compile(r"Recorded Level \d as the answer"))).to_be_visible(
                timeout=TIMEOUT)
            consensus = store.answers(aid)[Q1]
            assert consensus.level is not None

            # Downloads and an upload through the proxy: each must reach the replica holding the session
            facilitator.goto(f"{proxy.url}/data?assessment={aid}")
            export = download(facilitator, "JSON (lossless: re-import anywhere)")
            assert json.loads(export)["assessment"]["name"] == "Company workshop"
            backup = json.loads(download(facilitator, "Download a backup of every assessment"))
            assert [a["assessment"]["name"] for a in backup] == ["Company workshop"]
            facilitator.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
                files=[{"name": "company-workshop.json", "mimeType": "application/json", "buffer": export}])
            expect(facilitator.get_by_text("company-workshop.json is valid")).to_be_visible(timeout=TIMEOUT)
            facilitator.get_by_role("button", name="Import as a new assessment").click()
            expect(facilitator.get_by_text(re.compile(r"Imported as assessment #\d+"))).to_be_visible(timeout=TIMEOUT)
            no_errors(facilitator)
            shot(facilitator, "topology-data-imported")

            facilitator.goto(f"{proxy.url}/report?assessment={aid}")
            pdf = download(facilitator, "Download PDF report", timeout=SLOW_TIMEOUT)
            assert pdf.startswith(b"%PDF")
            assert "Company workshop" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)

            # Nothing lost: both assessments, the imported one with the consensus answer
            records = store.list_assessments()
            assert sorted(r.name for r in records) == ["Company workshop", "Company workshop"]
            imported = next(r.id for r in records if r.id != aid)
            assert store.answers(imported)[Q1].level == consensus.level
            assert store.participant_count(ws.id) == 6
            assert served_by(proxy, route(facilitator_context))[-1] == facilitator_replica
    finally:
        for context in contexts:
            context.close()
        store.engine.dispose()
