"""Live workshop: the pure core (codes, aggregation, rate limit), storage on both databases,
100 concurrent voters, and the facilitator's and the participants' pages through AppTest. The browser
flow is in test_browser_workshop.py; facilitator accounts and the login are test_login.py's.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from alembic import command
from apptest import ASSESSMENTS, WORKSHOP, app, by_label, metric, run, session, texts
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from assessment import workshop as w
from assessment.migrations import alembic_config, current_revision
from assessment.present import plain
from assessment.questionnaire import Questionnaire, to_snapshot
from assessment.storage import (
    JoinRefused,
    NotFound,
    RateLimited,
    StorageError,
    Store,
    VotingClosed,
    join_attempts,
    make_engine,
)
from assessment.workshop import Vote

Q1, Q2 = "alpha.governance.q1", "alpha.governance.q2"
T0 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def votes(*choices: str, question: str = Q1) -> list[Vote]:
    return [Vote(question, c) for c in choices]


# --- pure core ------------------------------------------------------------------------------


def test_codes_use_the_unambiguous_alphabet_and_differ() -> None:
    codes = {w.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and set(c) <= set(w.CODE_ALPHABET) for c in codes)
    assert len(w.CODE_ALPHABET) ** w.CODE_LENGTH > 10**11  # 8.5e11: the budget's guesses find one with odds 6e-10
    assert not set("01OIL") & set(w.CODE_ALPHABET)


def test_typed_codes_are_normalised() -> None:
    assert w.normalise_code(" k7pq-2m ") == "K7PQ2M"


def test_summary_of_a_split_room() -> None:
    # levels 1, 2, 2, 4 → median (2+2)/2 = 2, range 4−1 = 3 → disagreement; N/A and don't know apart
    s = w.summarise([*votes("1", "2", "2", "4", "na", "unknown"), Vote(Q1, "2", " we have a runbook ")])
    assert s.distribution == {"0": 0, "1": 1, "2": 3, "3": 0, "4": 1, "na": 1, "unknown": 1}
    assert s.votes == 7 and s.level_votes == 5
    assert (s.median, s.low, s.high, s.spread) == (2.0, 1, 4, 3)
    assert s.disagreement and s.consensus == 2
    assert s.comments == ["we have a runbook"]


def test_consensus_is_the_median_rounded_down() -> None:
    s = w.summarise(votes("1", "2"))  # median 1.5
    assert s.median == 1.5 and s.consensus == 1
    assert not s.disagreement  # range 1


def test_range_of_two_is_a_disagreement_range_of_one_is_not() -> None:
    assert w.summarise(votes("0", "2")).disagreement
    assert not w.summarise(votes("3", "4", "3")).disagreement


def test_no_level_votes_means_no_median() -> None:
    s = w.summarise(votes("na", "unknown"))
    assert (s.median, s.spread, s.consensus, s.disagreement) == (None, None, None, False)
    assert w.summarise([]).votes == 0


def test_vote_summary_is_plain_data_for_the_pdf() -> None:
    d = w.vote_summary(votes("0", "4", "4"))
    assert d["distribution"]["4"] == 2 and d["median"] == 4.0 and d["spread"] == 4 and d["disagreement"]
    assert d["labels"] == {"0": "Level 0", "1": "Level 1", "2": "Level 2", "3": "Level 3", "4": "Level 4",
                           "na": "N/A", "unknown": "Don't know"}


def test_unknown_choice_is_refused() -> None:
    with pytest.raises(ValueError, match="a vote is a level"):
        w.summarise(votes("5"))


def test_rate_limit_over_a_sliding_window() -> None:
    sec = dt.timedelta(seconds=1)
    nine = [T0 + i * sec for i in range(9)]
    assert w.retry_after(nine, T0 + 10 * sec) == 0.0  # 9 < 10 attempts in the last minute
    ten = [*nine, T0 + 9 * sec]
    # the 10 attempts in the window: the oldest (T0) leaves it at T0 + 60 s
    assert w.retry_after(ten, T0 + 10 * sec) == 50.0
    assert w.retry_after(ten, T0 + 60 * sec) == 0.0  # T0 left the window: 9 remain
    assert w.retry_after([T0 - 2 * w.JOIN_WINDOW] * 50, T0) == 0.0  # old attempts do not count


def test_trusted_proxies_are_read_from_the_setting() -> None:
    nets = w.trusted_proxies(" 10.0.0.5, 10.1.0.0/16 ,,::1 ")
    assert [str(n) for n in nets] == ["10.0.0.5/32", "10.1.0.0/16", "::1/128"]
    assert w.trusted_proxies("") == []
    with pytest.raises(ValueError, match="ASSESSMENT_TRUSTED_PROXIES: 'proxy.example' is not an IP"):
        w.trusted_proxies("10.0.0.5, proxy.example")


PROXY = w.trusted_proxies("10.0.0.5, 10.1.0.0/16")


@pytest.mark.parametrize(("peer", "forwarded", "trusted", "client"), [
    ("192.0.2.7", [], PROXY, "192.0.2.7"),  # no proxy in between
    ("192.0.2.7", ["203.0.113.9"], PROXY, "192.0.2.7"),  # an untrusted peer's header is ignored
    ("10.0.0.5", ["203.0.113.9"], [], "10.0.0.5"),  # nobody trusted: the proxy itself (the default)
    ("10.0.0.5", ["203.0.113.9"], PROXY, "203.0.113.9"),  # behind the trusted proxy
    ("10.0.0.5", ["1.1.1.1, 203.0.113.9"], PROXY, "203.0.113.9"),  # the client's own forged entry is skipped
    ("10.0.0.5", ["1.1.1.1", "203.0.113.9, 10.1.2.3"], PROXY, "203.0.113.9"),  # two trusted hops, two headers
    ("10.0.0.5", ["203.0.113.9:51234"], PROXY, "203.0.113.9"),  # a port is not part of the address
    ("10.0.0.5", ["[2001:db8::1]:443"], PROXY, "2001:db8::1"),
    ("10.0.0.5", ["evil, 10.1.2.3"], PROXY, "10.1.2.3"),  # garbage stops at the last trusted hop
    ("10.0.0.5", [], PROXY, "10.0.0.5"),  # a trusted proxy that sent no header
    (None, ["203.0.113.9"], w.trusted_proxies("127.0.0.1"), "203.0.113.9"),  # a proxy on loopback
    (None, ["203.0.113.9"], PROXY, "127.0.0.1"),  # loopback, not trusted: every local client shares a key
])
def test_the_client_address_is_the_right_most_untrusted_one(
    peer: str | None, forwarded: list[str], trusted: list, client: str,
) -> None:
    assert w.client_address(peer, forwarded, trusted) == client


def test_client_keys_group_ipv6_by_its_64_network() -> None:
    assert w.client_key("203.0.113.9") == "ip:203.0.113.9"
    assert w.client_key("2001:db8:1:2:aaaa::1") == w.client_key("2001:db8:1:2:bbbb::9") == "ip:2001:db8:1:2::/64"
    assert w.client_key("::ffff:203.0.113.9") == "ip:203.0.113.9"


def test_participants_are_named_or_numbered() -> None:
    assert w.participant_label("Ada", 0) == "Ada"
    assert w.participant_label("", 2) == "anonymous #2"


# --- storage, on SQLite and PostgreSQL ----------------------------------------------------------


@pytest.fixture
def ws(store: Store, mini: Questionnaire) -> int:
    aid = store.create_assessment("Workshop", "Platform", mini)
    workshop = store.open_workshop(aid)
    store.set_current_question(workshop.id, Q1)
    return workshop.id


def test_open_is_idempotent_and_close_expires_the_code(store: Store, mini: Questionnaire) -> None:
    aid = store.create_assessment("Workshop", "Platform", mini)
    first = store.open_workshop(aid)
    assert store.open_workshop(aid) == first and store.active_workshop(aid) == first
    assert store.join(first.code.lower()) and store.participant_count(first.id) == 1
    store.close_workshop(first.id)
    assert store.active_workshop(aid) is None
    with pytest.raises(NotFound, match="no open workshop"):
        store.join(first.code)
    assert store.open_workshop(aid).code != first.code


def test_double_submit_is_one_vote_and_a_change_overwrites(store: Store, ws: int) -> None:
    token = store.join(store.workshop(ws).code, "Ada")
    store.cast_vote(token, Q1, "2")
    store.cast_vote(token, Q1, "2")
    assert store.vote_count(ws, Q1) == 1
    store.cast_vote(token, Q1, "3", "changed my mind")
    assert store.votes_for(ws, Q1) == [Vote(Q1, "3", "changed my mind")]
    assert store.my_vote(token, Q1) == Vote(Q1, "3", "changed my mind")


def test_votes_are_refused_after_reveal_and_on_another_question(store: Store, ws: int) -> None:
    token = store.join(store.workshop(ws).code)
    with pytest.raises(VotingClosed, match="moved to another question"):
        store.cast_vote(token, Q2, "1")
    store.cast_vote(token, Q1, "1")
    store.reveal(ws)
    with pytest.raises(VotingClosed, match="revealed"):
        store.cast_vote(token, Q1, "4")
    assert store.votes_for(ws, Q1) == [Vote(Q1, "1")]
    store.set_current_question(ws, Q2)  # the next question opens voting again
    assert not store.workshop(ws).revealed
    store.cast_vote(token, Q2, "na")
    store.close_workshop(ws)
    with pytest.raises(VotingClosed, match="closed"):
        store.cast_vote(token, Q2, "2")


def test_bad_choices_and_tokens_are_refused(store: Store, ws: int) -> None:
    token = store.join(store.workshop(ws).code)
    with pytest.raises(StorageError, match="a vote is a level"):
        store.cast_vote(token, Q1, "7")
    with pytest.raises(NotFound):
        store.cast_vote("not-a-token", Q1, "1")
    with pytest.raises(StorageError, match="not in this assessment"):
        store.set_current_question(ws, "nope.q1")


def test_consensus_becomes_the_answer_with_comments_as_note(store: Store, ws: int) -> None:
    code = store.workshop(ws).code
    for choice, comment in [("1", "only in one team"), ("2", ""), ("3", "we have dashboards")]:
        store.cast_vote(store.join(code), Q1, choice, comment)
    with pytest.raises(VotingClosed, match="reveal the votes"):
        store.record_consensus(ws, Q1, 2)
    store.reveal(ws)
    saved = store.record_consensus(ws, Q1, 2)
    answer = store.answers(store.workshop(ws).assessment_id)[Q1]
    assert saved.level == answer.level == 2 and answer.answered_by == "workshop"
    assert answer.note == "- only in one team\n- we have dashboards"
    assert store.workshop_votes(store.workshop(ws).assessment_id) == {Q1: store.votes_for(ws, Q1)}


def test_anonymous_votes_carry_no_names(store: Store, ws: int) -> None:
    store.cast_vote(store.join(store.workshop(ws).code, "Grace"), Q1, "2", "fine")
    [vote] = store.votes_for(ws, Q1)
    assert "Grace" not in repr(vote)


def test_failed_joins_are_rate_limited_per_client(store: Store, ws: int) -> None:
    for _ in range(w.JOIN_LIMIT):
        with pytest.raises(NotFound):
            store.join("WRONG1", client_key="ip:10.0.0.9")
    with pytest.raises(RateLimited, match="try again in") as exc:
        store.join(store.workshop(ws).code, client_key="ip:10.0.0.9")  # even the right code waits
    assert 0 < exc.value.retry_after <= 60
    assert store.join(store.workshop(ws).code, client_key="ip:10.0.0.10")  # another client is not held up


def test_a_wrong_code_from_one_client_never_blocks_another_clients_right_code(store: Store, ws: int) -> None:
    # behind a trusted proxy every client has its own key: a guesser's wrong codes count against it alone
    for _ in range(w.JOIN_LIMIT * 3):
        with pytest.raises((NotFound, RateLimited)):
            store.join("WRONG123", client_key="ip:203.0.113.66")
    for n in range(w.JOINS_PER_CLIENT):
        assert store.join(store.workshop(ws).code, client_key=f"ip:198.51.100.{n}")


def test_the_workshops_budget_of_wrong_codes_stops_guessing(
    store: Store, ws: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(w, "JOIN_FAILURE_BUDGET", 5)
    code = store.workshop(ws).code
    assert store.join(code, client_key="ip:198.51.100.1")
    for n in range(5):  # five guessers, one wrong code each: no client limit is reached
        with pytest.raises(NotFound):
            store.join(f"GUESS{n}AA", client_key=f"ip:203.0.113.{n}")
    assert store.failed_joins(ws) == 5
    # the budget is spent: even the right code (a lucky guess) admits nobody now
    with pytest.raises(JoinRefused, match="too many wrong codes"):
        store.join(code, client_key="ip:198.51.100.2")
    reopened = store.open_doors(ws)  # the facilitator lets people in again, with a new code
    assert reopened.code != code and reopened.doors_open and store.failed_joins(ws) == 0
    with pytest.raises(NotFound):
        store.join(code, client_key="ip:198.51.100.2")
    assert store.join(reopened.code, client_key="ip:198.51.100.2")
    assert store.participant_count(ws) == 2


def test_joins_per_client_and_workshop_are_capped(store: Store, ws: int, mini: Questionnaire) -> None:
    code = store.workshop(ws).code
    for _ in range(w.JOINS_PER_CLIENT):
        store.join(code, client_key="ip:203.0.113.5")
    with pytest.raises(JoinRefused, match="already joined from this device"):  # no outvoting the room
        store.join(code, "sock puppet", client_key="ip:203.0.113.5")
    assert store.participant_count(ws) == w.JOINS_PER_CLIENT
    assert store.join(code, client_key="ip:203.0.113.6")  # the next person in the room
    other = store.open_workshop(store.create_assessment("Other", "Platform", mini))
    assert store.join(other.code, client_key="ip:203.0.113.5")  # the cap is per workshop


def test_old_attempt_rows_are_purged(store: Store, ws: int) -> None:
    old = dt.datetime.now(dt.UTC) - w.JOIN_ATTEMPT_RETENTION - dt.timedelta(minutes=1)
    with store.engine.begin() as conn:
        conn.execute(join_attempts.insert(), [{"client_key": f"ip:192.0.2.{n}", "attempted_at": old}
                                              for n in range(50)])
    with pytest.raises(NotFound):
        store.join("WRONG123", client_key="ip:203.0.113.1")
    with store.engine.begin() as conn:
        assert conn.execute(text("select client_key from join_attempts")).scalars().all() == ["ip:203.0.113.1"]


def test_closed_doors_admit_nobody_but_the_room_keeps_voting(store: Store, ws: int) -> None:
    code = store.workshop(ws).code
    token = store.join(code, "Ada", client_key="ip:203.0.113.1")
    store.close_doors(ws)
    assert not store.workshop(ws).doors_open
    with pytest.raises(JoinRefused, match="closed the doors"):
        store.join(code, client_key="ip:203.0.113.2")
    store.cast_vote(token, Q1, "2")
    assert store.vote_count(ws, Q1) == 1


def test_the_facilitator_sees_the_room_and_removes_a_participant(store: Store, ws: int) -> None:
    code = store.workshop(ws).code
    ada, anon1, anon2 = (store.join(code, name) for name in ("Ada", "", ""))
    assert [m.label for m in store.room(ws)] == ["Ada", "anonymous #1", "anonymous #2"]
    for token, choice in [(ada, "1"), (anon1, "4"), (anon2, "2")]:
        store.cast_vote(token, Q1, choice)
    [puppet] = [m for m in store.room(ws) if m.label == "anonymous #1"]
    store.remove_participant(ws, puppet.id)
    # their vote leaves the distribution, their token stops voting, the others keep their numbers
    assert sorted(v.choice for v in store.votes_for(ws, Q1)) == ["1", "2"]
    assert store.vote_count(ws, Q1) == 2 and store.participant_count(ws) == 2
    assert [m.label for m in store.room(ws)] == ["Ada", "anonymous #2"]
    assert store.participant(anon1)[0].removed
    with pytest.raises(VotingClosed, match="removed you"):
        store.cast_vote(anon1, Q1, "4")
    with pytest.raises(NotFound):
        store.remove_participant(ws, puppet.id)  # once is enough
    store.reveal(ws)
    assert w.summarise(store.votes_for(ws, Q1)).median == 1.5


def test_a_one_time_facilitator_key_logs_in_once(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from assessment.storage import workshops as storage_workshops

    assert not store.workshop_in_progress()
    key = store.new_facilitator_key()
    assert len(w.normalise_code(key)) == 16
    assert store.redeem_facilitator_key("WRONG-KEY") is None
    token = store.redeem_facilitator_key(key.lower().replace("-", " "))  # typed loosely
    assert token and store.key_session(token)
    assert store.workshop_in_progress()  # a facilitator holds a key: the open mode is over
    assert store.redeem_facilitator_key(key) is None  # one time only
    with store.engine.begin() as conn:
        assert key not in str(conn.execute(text("select * from facilitator_keys")).all())  # hashes only
    store.end_key_session(token)
    assert not store.key_session(token) and not store.workshop_in_progress()
    stale = store.new_facilitator_key()
    later = dt.datetime.now(dt.UTC) + storage_workshops.FACILITATOR_KEY_LIFETIME + dt.timedelta(minutes=1)
    monkeypatch.setattr(storage_workshops, "_now", lambda: later)
    assert store.redeem_facilitator_key(stale) is None  # an unused key expires


def test_an_open_workshop_ends_the_open_mode(store: Store, mini: Questionnaire) -> None:
    ws = store.open_workshop(store.create_assessment("Workshop", "Platform", mini))
    assert store.workshop_in_progress()
    store.close_workshop(ws.id)
    assert not store.workshop_in_progress()


def test_migration_0005_upgrades_a_0004_database(db_url: str, mini: Questionnaire) -> None:
    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0004")
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:  # an assessment with a workshop and a participant, written by the 0004 schema
        conn.execute(text("insert into organisations (name) values ('Org')"))
        conn.execute(text("insert into departments (organisation_id, name) select id, 'Platform' from organisations"))
        aid = conn.execute(text(
            "insert into assessments (name, department_id, questionnaire_id, questionnaire_version, questionnaire_hash,"
            " questionnaire_snapshot, assessed_on, status, facilitator, created_at)"
            " select 'Before', id, :qid, :version, 'old', :snapshot, :day, 'draft', '', :t from departments"
            " returning id"), {"qid": mini.id, "version": mini.version, "snapshot": to_snapshot(mini),
                               "day": now.date(), "t": now}).scalar_one()
        conn.execute(text("insert into workshops (assessment_id, code, status, revealed, created_at) "
                          "values (:a, 'OLDCODE1', 'open', false, :t)"), {"a": aid, "t": now})
        conn.execute(text("insert into participants (workshop_id, token, name, joined_at) "
                          "select id, 'old-token', 'Ada', :t from workshops"), {"t": now})
    store = Store(engine)
    store.upgrade()
    assert current_revision(engine) not in (None, "0004")
    ws = store.active_workshop(aid)
    assert ws is not None and ws.doors_open and [m.label for m in store.room(ws.id)] == ["Ada"]
    assert not store.participant("old-token")[0].removed
    assert store.join("OLDCODE1", client_key="ip:203.0.113.1")
    assert store.redeem_facilitator_key(store.new_facilitator_key())
    command.downgrade(alembic_config(engine), "0004")  # and back: the room survives both ways
    command.upgrade(alembic_config(engine), "head")
    assert [m.label for m in store.room(ws.id)] == ["Ada", "anonymous #1"]
    engine.dispose()


VOTERS = 100
ROUNDS = 3


def test_a_hundred_concurrent_voters_lose_nothing(db_url: str, mini: Questionnaire) -> None:
    """100 threads (one engine, as one server) join and vote three times each: their last vote counts."""
    store = Store(make_engine(db_url, pool_size=20, max_overflow=20, pool_timeout=60)
                  if not db_url.startswith("sqlite") else make_engine(db_url))
    store.upgrade()
    aid = store.create_assessment("Crowd", "Platform", mini)
    ws = store.open_workshop(aid)
    store.set_current_question(ws.id, Q1)
    start = threading.Barrier(VOTERS)
    errors: list[BaseException] = []
    expected: dict[str, str] = {}

    def voter(n: int) -> None:
        try:
            token = store.join(ws.code, f"voter {n}")
            start.wait(timeout=60)
            for rnd in range(ROUNDS):
                choice = str((n + rnd) % 5)
                store.cast_vote(token, Q1, choice, f"voter {n} round {rnd}")
            expected[f"voter {n} round {ROUNDS - 1}"] = choice
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=voter, args=(n,)) for n in range(VOTERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert not errors, errors[:3]
    got = store.votes_for(ws.id, Q1)
    assert len(got) == VOTERS
    assert {v.comment: v.choice for v in got} == expected
    store.engine.dispose()


# --- the pages, through AppTest -----------------------------------------------------------------


def markdown(at: AppTest) -> str:
    return "\n".join(texts(at.markdown))


def create_account(at: AppTest, name: str = "ada", password: str = "correct horse") -> None:
    """The Workshop page's first-account form."""
    by_label(at.text_input, "Your name (login)").input(name)
    by_label(at.text_input, "Password (8 characters or more)").input(password)
    by_label(at.text_input, "Password again").input(password)
    by_label(at.button, "Create the account and log in").click()
    run(at)


def token_in(at: AppTest) -> str:
    token = at.query_params["p"]
    return token[0] if isinstance(token, list) else token


@pytest.mark.usefixtures("app_env")
def test_facilitator_opens_reveals_and_records_the_consensus(app_store: Store, aid: int) -> None:
    at = app(aid, page=WORKSHOP)
    assert "Open a workshop" not in [b.label for b in at.button]  # nobody has proved to be the facilitator
    create_account(at)
    assert app_store.check_password("ada", "correct horse") and at.session_state["facilitator"] == "ada"
    assert any("address to everyone in the room" in t for t in texts(at.warning))
    by_label(at.button, "Open a workshop").click().run()
    ws = app_store.active_workshop(aid)
    assert ws is not None and ws.code in markdown(at) and texts(at.code) == [f"http://localhost:8501/?join={ws.code}"]
    assert at.get("image") or at.get("imgs") or at.get("image_list")  # the QR code
    by_label(at.button, "Put on screen").click().run()  # the first question is preselected
    assert app_store.workshop(ws.id).current_question == Q1
    for choice, comment in [("1", "one team only"), ("2", ""), ("4", "we automate this")]:
        app_store.cast_vote(app_store.join(ws.code), Q1, choice, comment)
    at.run()  # what the live fragment shows every second
    assert "3 have voted · 3 joined" in texts(at.subheader)
    by_label(at.button, "Reveal").click().run()
    assert not at.exception
    assert metric(at, "Median") == "2"
    assert any("The room disagrees" in t for t in texts(at.warning))
    assert by_label(at.radio, "Consensus").value == "2"  # default: the median
    assert "we automate this" in by_label(at.text_area, "Note").value
    by_label(at.button, "Record consensus").click().run()
    answer = app_store.answers(aid)[Q1]
    assert (answer.level, answer.answered_by) == (2, "ada")
    assert answer.note == "- one team only\n- we automate this"
    assert any("Recorded Level 2" in t for t in texts(at.success))
    by_label(at.button, "Next question").click().run()
    assert app_store.workshop(ws.id).current_question == Q2 and not app_store.workshop(ws.id).revealed


@pytest.mark.usefixtures("app_env")
def test_a_join_link_opens_the_voting_page_only(app_store: Store, aid: int) -> None:
    ws = app_store.open_workshop(aid)
    app_store.set_current_question(ws.id, Q1)
    at = session()
    at.query_params["join"] = ws.code.lower()
    at.run()
    assert texts(at.title) == ["Join the workshop"]
    assert not any(b.label == "Presentation mode" for b in at.toggle)  # no facilitator frame
    by_label(at.text_input, "Your name (optional)").input("Grace")
    by_label(at.button, "Join").click().run()
    token = at.query_params["p"]
    token = token[0] if isinstance(token, list) else token
    assert app_store.participant(token)[0].name == "Grace"
    by_label(at.radio, "Your vote").set_value("3")
    by_label(at.text_area, "Comment (optional)").input("dashboards exist").run()
    by_label(at.button, "Vote").click().run()
    assert app_store.my_vote(token, Q1) == Vote(Q1, "3", "dashboards exist")
    assert any("Your vote: **Level 3**" in t for t in texts(at.success))
    app_store.reveal(ws.id)
    at.run()
    assert by_label(at.radio, "Your vote").disabled


@pytest.mark.usefixtures("app_env")
def test_a_wrong_code_is_refused(app_store: Store, aid: int) -> None:
    app_store.open_workshop(aid)
    at = session()
    at.query_params["join"] = "ZZZZZZ"
    at.run()
    by_label(at.button, "Join").click().run()
    assert any("No open workshop has this code" in t for t in texts(at.error))


@pytest.fixture
def cookies(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """What the browser sends with a session's first request (AppTest has no browser to send any)."""
    sent: dict[str, str] = {}
    monkeypatch.setattr("assessment_app.app_pages.shared.session_cookie", lambda: sent.get("aiops_session"))
    monkeypatch.setattr("assessment_app.app_pages.shared.participant_cookie", lambda: sent.get("aiops_participant"))
    return sent


def html(at: AppTest) -> str:
    return "\n".join(e.proto.body for e in at.get("html"))


def open_with_a_key(app_store: Store, aid: int) -> tuple[AppTest, int]:
    """A facilitator without an account: the one-time key from the server, then a workshop on Q1."""
    at = app(aid, page=WORKSHOP)
    by_label(at.text_input, "One-time facilitator key").input("WRONG-KEY")
    by_label(at.button, "Use the key").click().run()
    assert any("unknown, used or expired" in t for t in texts(at.error))
    by_label(at.text_input, "One-time facilitator key").input(app_store.new_facilitator_key())
    by_label(at.button, "Use the key").click().run()
    assert at.session_state["facilitator"] == "facilitator (one-time key)"
    by_label(at.button, "Open a workshop").click().run()
    ws = app_store.active_workshop(aid)
    assert ws is not None
    app_store.set_current_question(ws.id, Q1)
    return run(at), ws.id


def join_as(code: str, name: str = "") -> AppTest:
    at = session()
    at.query_params["join"] = code
    run(at)
    if name:
        by_label(at.text_input, "Your name (optional)").input(name)
    by_label(at.button, "Join").click()
    return run(at)


@pytest.mark.usefixtures("app_env")
def test_a_participant_who_strips_the_link_reaches_nothing_else(
    app_store: Store, aid: int, cookies: dict[str, str],
) -> None:
    _, ws = open_with_a_key(app_store, aid)
    code = app_store.workshop(ws).code
    phone = join_as(code, "Grace")
    token = token_in(phone)
    assert f"aiops_participant={token}; Path=/; SameSite=Strict" in html(phone)  # for a reload

    # the attack: delete ?join= and ?p= (and try every page): this session stays on the voting page
    phone.query_params.clear()
    run(phone)
    assert token_in(phone) == token and any("you are **Grace**" in t for t in texts(phone.caption))  # voting page
    assert not any(b.label == "Presentation mode" for b in phone.toggle)
    with pytest.raises(ValueError, match="Known pages: .*vote.py'\\]"):
        phone.switch_page(ASSESSMENTS)

    # a reload without ?p=: the participant cookie brings back their identity and vote page, nothing more
    cookies["aiops_participant"] = token
    reload = run(session())
    assert token_in(reload) == token and reload.query_params["join"] in (code, [code])
    assert any("you are **Grace**" in t for t in texts(reload.caption))
    with pytest.raises(ValueError, match="Known pages: .*vote.py'\\]"):
        reload.switch_page(WORKSHOP)

    # another browser with no cookie at all: a workshop is open, so the open mode is over
    cookies.clear()
    stranger = app(aid)
    assert texts(stranger.title) == ["Facilitator login"]
    with pytest.raises(ValueError, match="Known pages: .*login.py'\\]"):
        stranger.switch_page(WORKSHOP)


@pytest.mark.usefixtures("app_env")
def test_a_facilitators_login_beats_a_stale_participant_cookie(
    app_store: Store, aid: int, cookies: dict[str, str],
) -> None:
    app_store.add_user("ada", "correct horse")
    cookies["aiops_participant"] = "tried-my-own-join-link"
    assert texts(app(aid).title) == ["Join the workshop"]  # no facilitator identity: a participant
    cookies["aiops_session"] = app_store.start_login_session("ada")
    assert texts(app(aid).title) == ["Assessments"]


@pytest.mark.usefixtures("app_env")
def test_the_facilitator_sees_the_room_removes_one_and_closes_the_doors(app_store: Store, aid: int) -> None:
    at, ws = open_with_a_key(app_store, aid)
    code = app_store.workshop(ws).code
    grace, anon = join_as(code, "Grace"), join_as(code)
    app_store.cast_vote(token_in(anon), Q1, "4", "sock puppet")
    run(at)
    assert "**In the room (2):** Grace · anonymous \\#1" in markdown(at)
    by_label(at.selectbox, "Remove a participant").select(app_store.room(ws)[1])
    run(at)
    by_label(at.button, "Remove").click()
    run(at)
    assert [m.label for m in app_store.room(ws)] == ["Grace"] and app_store.vote_count(ws, Q1) == 0
    run(anon)
    assert any("removed you" in t for t in texts(anon.warning))

    by_label(at.button, "Close the doors").click()
    run(at)
    assert not app_store.workshop(ws).doors_open
    assert any("doors are closed" in t for t in texts(at.info)) and code not in markdown(at)
    late = join_as(code)
    assert any("closed the doors" in t for t in texts(late.error))
    by_label(at.button, "Reopen the doors").click()
    run(at)
    assert app_store.workshop(ws).code != code and app_store.workshop(ws).code in markdown(at)
    assert run(grace).session_state is not None and not grace.error  # the room kept voting throughout


HOSTILE = ["![x](http://127.0.0.1:9/img.png)", "[click](http://127.0.0.1:9/)", "https://127.0.0.1:9/auto"]


@pytest.mark.usefixtures("app_env")
def test_hostile_names_and_comments_are_text_on_the_workshop_page(app_store: Store, aid: int) -> None:
    at, ws = open_with_a_key(app_store, aid)
    code = app_store.workshop(ws).code
    for text_ in HOSTILE:
        app_store.cast_vote(app_store.join(code, text_), Q1, "2", text_)
    app_store.reveal(ws)
    run(at)
    shown = "\n".join([markdown(at), *texts(at.caption)])
    for raw in ["![x](", "[click](", "https://127"]:
        assert raw not in shown  # as Markdown source, every one of them is escaped
    for text_ in HOSTILE:
        assert plain(text_) in shown  # the room's names and the comments, as typed


def test_a_room_behind_one_address_can_be_let_in(store: Store, ws: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Phones on a guest Wi-Fi reach the server through one NAT address: the cap is a setting."""
    monkeypatch.setenv(w.JOINS_PER_ADDRESS_ENV, "40")
    code = store.workshop(ws).code
    for n in range(40):
        store.join(code, f"P{n}", client_key="ip:203.0.113.9")
    with pytest.raises(JoinRefused, match="40 participants have already joined"):
        store.join(code, client_key="ip:203.0.113.9")
    monkeypatch.setenv(w.JOINS_PER_ADDRESS_ENV, "many")
    with pytest.raises(StorageError, match="ASSESSMENT_JOINS_PER_ADDRESS: must be a whole number from 1 to 1000"):
        store.join(code, client_key="ip:203.0.113.10")
