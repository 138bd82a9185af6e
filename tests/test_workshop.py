"""Live workshop: the pure core (codes, aggregation, rate limit), storage on both databases,
100 concurrent voters, and the facilitator's and the participants' pages through AppTest. The browser
flow is in test_browser_workshop.py; facilitator accounts and the login are test_login.py's.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from apptest import WORKSHOP, app, by_label, metric, session, texts
from streamlit.testing.v1 import AppTest

from assessment import workshop as w
from assessment.questionnaire import Questionnaire
from assessment.storage import NotFound, RateLimited, StorageError, Store, VotingClosed, make_engine
from assessment.workshop import Vote

Q1, Q2 = "alpha.governance.q1", "alpha.governance.q2"
T0 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def votes(*choices: str, question: str = Q1) -> list[Vote]:
    return [Vote(question, c) for c in choices]


# --- pure core ------------------------------------------------------------------------------


def test_codes_use_the_unambiguous_alphabet_and_differ() -> None:
    codes = {w.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 6 and set(c) <= set(w.CODE_ALPHABET) for c in codes)
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


@pytest.mark.usefixtures("app_env")
def test_facilitator_opens_reveals_and_records_the_consensus(app_store: Store, aid: int) -> None:
    at = app(aid, page=WORKSHOP)
    by_label(at.button, "Open a workshop").click().run()
    ws = app_store.active_workshop(aid)
    assert ws is not None and ws.code in markdown(at) and f"?join={ws.code}" in markdown(at)
    assert at.get("image") or at.get("imgs") or at.get("image_list")  # the QR code
    by_label(at.button, "Put on screen").click().run()  # the first question is preselected
    assert app_store.workshop(ws.id).current_question == Q1
    for choice, comment in [("1", "one team only"), ("2", ""), ("4", "we automate this")]:
        app_store.cast_vote(app_store.join(ws.code), Q1, choice, comment)
    at.run()  # what the live fragment shows every second
    assert "3 have voted · 3 joined" in markdown(at)
    by_label(at.button, "Reveal").click().run()
    assert not at.exception
    assert metric(at, "Median") == "2"
    assert any("The room disagrees" in t for t in texts(at.warning))
    assert by_label(at.radio, "Consensus").value == "2"  # default: the median
    assert "we automate this" in by_label(at.text_area, "Note").value
    by_label(at.button, "Record consensus").click().run()
    answer = app_store.answers(aid)[Q1]
    assert (answer.level, answer.answered_by) == (2, "workshop")
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
