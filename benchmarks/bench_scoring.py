"""Benchmark: score 1,000 assessments × 150 questions and build their department comparison pivot.

The project path (`scoring.dimension_scores` → `compare.compare_frame`) runs beside a bare,
hand-written pandas groupby of the same data in the same process, so the ratio is what the
project's extra work costs (unanswered and N/A bookkeeping, coverage, ordering, deltas, extremes).
Both must give the same department × dimension pivot. Goal: ≤ 2× bare and under 1 s.

    python benchmarks/bench_scoring.py [--quick] [--assessments N] [--repeat N]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import timed  # noqa: E402

from assessment.compare import compare_frame  # noqa: E402
from assessment.questionnaire import Questionnaire  # noqa: E402

LAYERS = ["mlops", "llmops", "aiops"]
DIMENSIONS = ["governance", "monitoring", "automation", "cost", "data-quality", "security", "value", "architecture"]


def synthetic_questionnaire(n_questions: int = 150) -> Questionnaire:
    """3 layers × 8 dimensions, questions spread round-robin over the 24 cells, weights 1–3."""
    cells = [(layer, dim) for layer in LAYERS for dim in DIMENSIONS]
    questions = []
    for i in range(n_questions):
        layer, dim = cells[i % len(cells)]
        questions.append({
            "id": f"{layer}.{dim}.q{i}", "layer": layer, "dimension": dim, "weight": 1 + i % 3,
            "text": f"Synthetic question {i} about {dim} in {layer}?",
            "levels": [f"level {n} of question {i}" for n in range(5)],
            "evidence": "Synthetic.", "recommendations": ["Start.", "Document.", "Automate.", "Measure."],
            "references": ["synthetic"],
        })
    return Questionnaire.model_validate({
        "id": "synthetic", "title": "Synthetic", "version": "1", "license": "CC0-1.0",
        "layers": [{"id": x, "name": x.upper()} for x in LAYERS],
        "dimensions": [{"id": d, "name": d.title(), "weight": 1 + i % 3, "order": i} for i, d in enumerate(DIMENSIONS)],
        "questions": questions,
    })


def synthetic_answers(q: Questionnaire, n_assessments: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long answers (levels 0–4, 5 % N/A, 5 % unanswered) and one department per assessment."""
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(n_assessments), len(q.questions))
    qids = np.tile(np.array([x.id for x in q.questions], dtype=object), n_assessments)
    levels = rng.integers(0, 5, size=len(ids)).astype(float)
    draw = rng.random(len(ids))
    na = draw < 0.05
    levels[na] = np.nan
    keep = draw < 0.95  # the top 5 % are unanswered: no row at all
    answers = pd.DataFrame({"assessment_id": ids[keep], "question_id": qids[keep], "level": levels[keep],
                            "na": na[keep]})
    meta = pd.DataFrame({"assessment_id": np.arange(n_assessments),
                         "label": [f"Department {i:04d}" for i in range(n_assessments)]})
    return answers, meta


def project(q: Questionnaire, answers: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    return compare_frame(q, answers, meta).pivot


def bare(q: Questionnaire, answers: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """What one would write by hand: Σ level·w / Σ w per layer × dimension, mean over layers, pivot."""
    qt = pd.DataFrame([(x.id, x.layer, x.dimension, x.weight) for x in q.questions],
                      columns=["question_id", "layer", "dimension", "weight"])
    m = answers.dropna(subset=["level"]).merge(qt, on="question_id")
    m["lw"] = m["level"] * m["weight"]
    g = m.groupby(["assessment_id", "layer", "dimension"])[["lw", "weight"]].sum()
    per_dim = (g["lw"] / g["weight"]).groupby(level=["assessment_id", "dimension"]).mean().unstack("dimension")
    return per_dim.rename(index=meta.set_index("assessment_id")["label"])


def peak_memory(fn: Callable[[], object]) -> int:
    """Peak bytes allocated by one run (tracemalloc, measured apart from the timed runs)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Fewer repeats (well under a minute).")
    parser.add_argument("--assessments", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=None, help="Timed runs of each (default 15, quick 5).")
    args = parser.parse_args()
    repeat = args.repeat or (5 if args.quick else 15)

    q = synthetic_questionnaire(args.questions)
    answers, meta = synthetic_answers(q, args.assessments)
    mine, theirs = project(q, answers, meta), bare(q, answers, meta)  # also warms both paths up
    pd.testing.assert_frame_equal(mine, theirs[mine.columns].reindex(mine.index), check_names=False)

    project_times, bare_times = timed([lambda: project(q, answers, meta), lambda: bare(q, answers, meta)], repeat)
    peak, bare_peak = (peak_memory(lambda fn=fn: fn(q, answers, meta)) for fn in (project, bare))

    project_s, bare_s = statistics.median(project_times), statistics.median(bare_times)
    print(f"{args.assessments} assessments × {len(q.questions)} questions ({len(answers)} answer rows), "
          f"{repeat} runs each, medians:")
    print(f"  project (dimension_scores + comparison pivot): {project_s * 1000:8.1f} ms")
    print(f"  bare pandas groupby:                           {bare_s * 1000:8.1f} ms")
    print(f"  ratio {project_s / bare_s:.2f} (goal ≤ 2 and under 1 s); peak memory of one run: "
          f"project {peak / 2**20:.1f} MB, bare {bare_peak / 2**20:.1f} MB")
    print(json.dumps({"bench": "scoring", "assessments": args.assessments, "questions": len(q.questions),
                      "repeat": repeat, "project_s": round(project_s, 4), "bare_s": round(bare_s, 4),
                      "ratio": round(project_s / bare_s, 2), "peak_mb": round(peak / 2**20, 1),
                      "bare_peak_mb": round(bare_peak / 2**20, 1)}))


if __name__ == "__main__":
    main()
