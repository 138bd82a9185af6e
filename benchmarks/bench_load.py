"""Benchmark: load many assessments whole, as a comparison, a trend or `report --all` does.

`store.load_many(ids)` reads the assessments, their answers, targets and workshop votes in four queries
and parses each questionnaire snapshot once. Its baseline is what the same views did before it: per
assessment, its row, its answers, its targets and its votes (four queries each, one snapshot parse each).
Both run on the same database, alternately, on SQLite (a temporary file) and on PostgreSQL (a schema of
its own). Goal: `ratio` (load_many ÷ per-assessment) well under 1, and the query count constant.

    python benchmarks/bench_load.py [--quick] [--assessments N] [--repeat N]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import postgres_url, sqlite_url, timed  # noqa: E402

from assessment.content import load_all  # noqa: E402
from assessment.demo import demo_answers  # noqa: E402
from assessment.questionnaire import Questionnaire, combine  # noqa: E402
from assessment.storage import Store, answers, make_engine  # noqa: E402


def fill(store: Store, q: Questionnaire, n: int) -> list[int]:
    """n assessments of the questionnaire, every question answered (bulk insert: setup, not measured)."""
    ids = []
    for i in range(n):
        aid = store.create_assessment(f"Bench {i}", f"Department {i % 50:02d}", q,
                                      target_levels={(q.layers[0].id, q.dimensions[0].id): 4})
        with store.engine.begin() as conn:
            conn.execute(answers.insert(), [
                {"assessment_id": aid, "question_id": qid, "level": level, "na": level is None, "note": note,
                 "evidence_url": "", "answered_by": "bench", "updated_at": dt.datetime.now(dt.UTC), "version": 1}
                for qid, (level, note) in demo_answers(q, seed=i).items()])
        ids.append(aid)
    return ids


def one_by_one(store: Store, ids: list[int]) -> list[object]:
    """The baseline: each assessment's row, answers, targets and votes, read separately."""
    out = []
    for aid in ids:
        details = store.get_assessment(aid)
        out.append((details, details.questionnaire, store.answers(aid), store.targets(aid),
                    store.workshop_votes(aid)))
    return out


def statements(store: Store, call: object) -> int:
    """How many SQL statements `call()` sends."""
    count = 0

    def seen(*_: object) -> None:
        nonlocal count
        count += 1

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        call()  # type: ignore[operator]
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    return count


def run_backend(url: str, q: Questionnaire, n: int, repeat: int) -> dict[str, object]:
    store = Store(make_engine(url))
    store.upgrade()
    ids = fill(store, q, n)
    # A fresh store per call: no snapshot parsed by an earlier run is reused, for either side.
    project_times, bare_times = timed([lambda: Store(store.engine).load_many(ids),
                                       lambda: one_by_one(Store(store.engine), ids)], repeat)
    project, bare = statistics.median(project_times), statistics.median(bare_times)
    figures = {
        "assessments": n, "answers": n * len(q.questions),
        "load_many_s": round(project, 4), "one_by_one_s": round(bare, 4), "ratio": round(project / bare, 3),
        "load_many_statements": statements(store, lambda: Store(store.engine).load_many(ids)),
        "load_many_statements_for_one": statements(store, lambda: Store(store.engine).load_many(ids[:1])),
        "one_by_one_statements": statements(store, lambda: one_by_one(Store(store.engine), ids)),
    }
    store.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 assessments, 3 runs (under a minute)")
    parser.add_argument("--assessments", type=int, help="assessments to load (default 300, quick 30)")
    parser.add_argument("--repeat", type=int, help="runs of each side (default 5, quick 3)")
    args = parser.parse_args()
    n = args.assessments or (30 if args.quick else 300)
    repeat = args.repeat or (3 if args.quick else 5)
    q = combine(load_all())
    result: dict[str, object] = {"bench": "load", "questions": len(q.questions), "repeat": repeat}
    for name, make_url in (("sqlite", sqlite_url), ("postgres", postgres_url)):
        with make_url() as url:
            figures = run_backend(url, q, n, repeat)
        result[name] = figures
        print(f"{name}: {n} assessments whole in {figures['load_many_s'] * 1000:.0f} ms with load_many "
              f"({figures['load_many_statements']} statements) vs {figures['one_by_one_s'] * 1000:.0f} ms one by one "
              f"({figures['one_by_one_statements']} statements): ratio {figures['ratio']}")
    result["ratio"] = max(result["sqlite"]["ratio"], result["postgres"]["ratio"])  # type: ignore[index]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
