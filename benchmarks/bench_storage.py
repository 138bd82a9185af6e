"""Benchmark: save answers one by one through `Store.save_answer` (what the app calls on every click).

Runs on SQLite (a temporary file) and on PostgreSQL (a schema of its own, dropped afterwards), each
beside a bare SQLAlchemy Core loop on the same engine that inserts the same rows into the same
table, one insert per transaction. The ratio is what the project's extra work costs per answer
(read-only check, question check, optimistic version, history row). Goal: p95 ≤ 20 ms and ≤ 2× bare.

    python benchmarks/bench_storage.py [--quick] [--answers N] [--backend sqlite|postgres]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import postgres_url, sqlite_url  # noqa: E402

from assessment.content import load_all  # noqa: E402
from assessment.questionnaire import Questionnaire, combine  # noqa: E402
from assessment.storage import Store, answers, make_engine  # noqa: E402


def plan(q: Questionnaire, n: int) -> list[tuple[int, str, int]]:
    """(assessment slot, question id, level) for n first answers: every question once per slot."""
    ids = [x.id for x in q.questions]
    return [(i // len(ids), ids[i % len(ids)], i % 5) for i in range(n)]


def latencies(calls: list[Callable[[], object]]) -> list[float]:
    out = []
    for call in calls:
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def figures(times: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return {"per_s": round(len(times) / sum(times), 1), "p50_ms": round(cuts[49] * 1000, 3),
            "p95_ms": round(cuts[94] * 1000, 3)}


def run_backend(url: str, q: Questionnaire, n: int) -> dict[str, object]:
    store = Store(make_engine(url))
    store.upgrade()
    work = plan(q, n)
    slots = work[-1][0] + 1
    mine = [store.create_assessment(f"Bench {i}", "Bench", q) for i in range(slots)]
    bare_ids = [store.create_assessment(f"Bare {i}", "Bench", q) for i in range(slots)]
    engine = store.engine

    def save(slot: int, qid: str, level: int) -> Callable[[], object]:
        return lambda: store.save_answer(mine[slot], qid, level=level, answered_by="bench", expected_version=None)

    bare_insert = answers.insert()  # built once, executed with parameters: the fastest Core path

    def insert(slot: int, qid: str, level: int) -> Callable[[], object]:
        def call() -> None:
            with engine.begin() as conn:
                conn.execute(bare_insert, {
                    "assessment_id": bare_ids[slot], "question_id": qid, "level": level, "na": False, "note": "",
                    "evidence_url": "", "answered_by": "bench", "updated_at": dt.datetime.now(dt.UTC),
                    "version": 1})
        return call

    # Alternate one save and one bare insert, so that load on the machine and the growing tables hit both alike.
    save_times: list[float] = []
    bare_times: list[float] = []
    for w in work:
        save_times += latencies([save(*w)])
        bare_times += latencies([insert(*w)])
    stored = sum(len(store.answers(a)) for a in mine)
    assert stored == n, f"saved {n} answers but {stored} are stored"
    engine.dispose()
    result = {"save_answer": figures(save_times), "bare": figures(bare_times)}
    result["ratio_p50"] = round(result["save_answer"]["p50_ms"] / result["bare"]["p50_ms"], 2)
    result["ratio_p95"] = round(result["save_answer"]["p95_ms"] / result["bare"]["p95_ms"], 2)
    result["ratio_per_s"] = round(result["bare"]["per_s"] / result["save_answer"]["per_s"], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 answers per backend (well under a minute).")
    parser.add_argument("--answers", type=int, default=None, help="Answers per backend (default 10,000).")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], action="append",
                        help="Only this backend (repeatable; default both).")
    args = parser.parse_args()
    n = args.answers or (1000 if args.quick else 10_000)
    q = combine(load_all())
    backends = {"sqlite": sqlite_url, "postgres": postgres_url}
    out: dict[str, object] = {"bench": "storage", "answers": n, "questions": len(q.questions)}
    print(f"{n} answers saved one by one per backend ({len(q.questions)}-question questionnaire):")
    for name in args.backend or list(backends):
        try:
            with backends[name]() as url:
                r = run_backend(url, q, n)
        except Exception as exc:  # noqa: BLE001 - e.g. no PostgreSQL server: report and go on
            print(f"  {name}: skipped ({type(exc).__name__}: {str(exc).splitlines()[0]})")
            out[name] = {"skipped": str(exc).splitlines()[0]}
            continue
        out[name] = r
        s, b = r["save_answer"], r["bare"]
        print(f"  {name:<8} save_answer {s['per_s']:8.0f}/s  p50 {s['p50_ms']:6.2f} ms  p95 {s['p95_ms']:6.2f} ms")
        print(f"  {'':<8} bare insert {b['per_s']:8.0f}/s  p50 {b['p50_ms']:6.2f} ms  p95 {b['p95_ms']:6.2f} ms")
        ok = s["p95_ms"] <= 20 and r["ratio_p95"] <= 2
        print(f"  {'':<8} ratio p50 {r['ratio_p50']:.2f}, p95 {r['ratio_p95']:.2f} "
              f"(goal p95 ≤ 20 ms and ≤ 2× bare: {'met' if ok else 'NOT met'})")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
