"""Benchmark: a live workshop's votes through `Store.cast_vote`, 100 concurrent voters × 20 questions.

Each voter is a thread of one process (one engine, as one app server): per question the facilitator
puts it on screen, every voter votes within `--spread` seconds (0: all in the same instant) and a
quarter change their vote; then the votes are
counted. Beside it, a bare SQLAlchemy Core loop: the same threads insert the same number of rows into
a scratch table, one insert per transaction. Runs on SQLite (a temporary file) and on PostgreSQL (a
schema of its own, dropped afterwards). Goal: 0 lost votes, p95 ≤ 50 ms on PostgreSQL.

    python benchmarks/bench_workshop.py [--quick] [--voters N] [--questions N] [--spread S] [--backend sqlite|postgres]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import postgres_url, sqlite_url  # noqa: E402

from assessment.content import load_all  # noqa: E402
from assessment.questionnaire import combine  # noqa: E402
from assessment.storage import Store, make_engine  # noqa: E402

CHANGE_EVERY = 4  # one voter in four changes their vote


def figures(times: list[float], seconds: float) -> dict[str, float]:
    times = sorted(times)
    return {
        "writes": len(times),
        "per_s": round(len(times) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(statistics.median(times) * 1000, 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))] * 1000, 2),
    }


def in_threads(n: int, work: Callable[[int], list[float]]) -> tuple[list[float], float, list[BaseException]]:
    """Run work(i) in n threads started together; their latencies, the wall time and any errors."""
    results: list[list[float]] = [[] for _ in range(n)]
    errors: list[BaseException] = []
    start = threading.Barrier(n + 1)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - counted and reported
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    return [x for r in results for x in r], time.perf_counter() - t0, errors


def run_backend(url: str, voters: int, questions: int, spread: float) -> dict[str, object]:
    pool = {} if url.startswith("sqlite") else {"pool_size": 40, "max_overflow": 0, "pool_timeout": 120}
    store = Store(make_engine(url, **pool))
    store.upgrade()
    q = combine(load_all())
    qids = [x.id for x in q.questions][:questions]
    aid = store.create_assessment("Bench workshop", "Platform", q)
    ws = store.open_workshop(aid)
    tokens = [store.join(ws.code, f"voter {i}") for i in range(voters)]

    vote_times: list[float] = []
    seconds = 0.0
    errors: list[BaseException] = []
    lost = 0
    for n, qid in enumerate(qids):
        store.set_current_question(ws.id, qid)

        def vote(i: int, qid: str = qid, n: int = n) -> list[float]:
            out = []
            time.sleep(random.uniform(0, spread))  # people in a room do not all press in the same millisecond
            for choice in [str((i + n) % 5)] + ([str((i + n + 1) % 5)] if i % CHANGE_EVERY == 0 else []):
                t = time.perf_counter()
                store.cast_vote(tokens[i], qid, choice, f"voter {i}")
                out.append(time.perf_counter() - t)
            return out

        times, wall, errs = in_threads(voters, vote)
        vote_times += times
        seconds += wall
        errors += errs
        store.reveal(ws.id)
        expected = {f"voter {i}": str((i + n + (1 if i % CHANGE_EVERY == 0 else 0)) % 5) for i in range(voters)}
        got = {v.comment: v.choice for v in store.votes_for(ws.id, qid)}
        lost += sum(1 for k, choice in expected.items() if got.get(k) != choice)

    # the bare loop: the same number of writes, one plain INSERT per transaction, same threads and pool
    scratch = Table("bench_bare_votes", MetaData(), Column("id", Integer, primary_key=True),
                    Column("voter", Integer), Column("question_id", String(200)), Column("choice", String(10)))
    scratch.create(store.engine)
    per_voter = len(vote_times) // voters

    def bare(i: int) -> list[float]:
        out = []
        time.sleep(random.uniform(0, spread))
        for k in range(per_voter):
            t = time.perf_counter()
            with store._write_engine.begin() as conn:
                conn.execute(scratch.insert(), {"voter": i, "question_id": f"q{k}", "choice": "2"})
            out.append(time.perf_counter() - t)
        return out

    bare_times, bare_wall, bare_errors = in_threads(voters, bare)
    store.engine.dispose()
    result = {
        "voters": voters, "questions": len(qids), "spread_s": spread,
        "cast_vote": figures(vote_times, seconds), "bare_insert": figures(bare_times, bare_wall),
        "lost_votes": lost, "errors": len(errors) + len(bare_errors),
    }
    if errors:
        result["first_error"] = repr(errors[0])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 questions instead of 20 (well under a minute)")
    parser.add_argument("--voters", type=int, default=100)
    parser.add_argument("--questions", type=int, default=None)
    parser.add_argument("--spread", type=float, default=2.0,
                        help="each voter votes at a random moment within this many seconds of the question "
                             "going on screen (0: all at once, a worst-case burst)")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], action="append")
    args = parser.parse_args()
    questions = args.questions or (5 if args.quick else 20)
    out: dict[str, object] = {"benchmark": "workshop"}
    for backend in args.backend or ["sqlite", "postgres"]:
        make_url = sqlite_url if backend == "sqlite" else postgres_url
        try:
            with make_url() as url:
                out[backend] = run_backend(url, args.voters, questions, args.spread)
        except Exception as exc:  # e.g. PostgreSQL not running: say so and go on
            out[backend] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"{backend}: {json.dumps(out[backend])}", file=sys.stderr)
    pg = out.get("postgres", {})
    out["goal_met"] = bool(isinstance(pg, dict) and pg.get("lost_votes") == 0 and not pg.get("errors")
                           and pg.get("cast_vote", {}).get("p95_ms", 1e9) <= 50)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
