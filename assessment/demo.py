"""Plausible demo answers: a team strong on automation, weaker on cost and value measurement."""

from __future__ import annotations

import random

from assessment.questionnaire import MAX_LEVEL, Questionnaire

# Typical profile of a mid-maturity team: the level its answers cluster around per dimension.
BASELINE = {"governance": 2, "monitoring": 2, "automation": 3, "cost": 1, "data-quality": 2,
            "security": 2, "value": 1, "architecture": 3}
NOTES = [
    "Discussed at length; the platform team and the data scientists saw this differently.",
    "Evidence shown on screen during the workshop.",
    "Only true for the two flagship use cases, not the long tail.",
    "Owner agreed to follow up before the next quarterly review.",
]


def demo_answers(q: Questionnaire, seed: int = 7, skew: int = 0) -> dict[str, tuple[int | None, str]]:
    """question id → (level or None for N/A, note). Deterministic for a seed; `skew` shifts levels."""
    rng = random.Random(seed)
    out: dict[str, tuple[int | None, str]] = {}
    for question in q.questions:
        base = BASELINE.get(question.dimension, 2) + skew
        level = max(0, min(MAX_LEVEL, base + rng.choice([-1, 0, 0, 0, 1])))
        na = rng.random() < 0.03
        note = rng.choice(NOTES) if rng.random() < 0.25 else ""
        out[question.id] = (None if na else level, note)
    return out


# (department, days before today, seed, skew): three departments, each assessed twice.
DEMO_ORGANISATION = [
    ("Data Science Platform", 180, 11, -1), ("Data Science Platform", 0, 12, 0),
    ("Customer Service AI", 170, 21, -1), ("Customer Service AI", 5, 22, 0),
    ("IT Operations", 160, 31, 0), ("IT Operations", 10, 32, 1),
]


def create_demo(store, q: Questionnaire, department: str, *, days_ago: int = 0, seed: int = 7,  # noqa: ANN001
                skew: int = 0) -> int:
    """Store one demo assessment with its answers (through the same save path the app uses)."""
    import datetime as dt

    on = dt.date.today() - dt.timedelta(days=days_ago)
    new_id = store.create_assessment(f"{department} — {on:%B %Y}", department, q,
                                     organisation="Demo Corp", facilitator="Demo facilitator",
                                     assessed_on=on)
    for qid, (level, note) in demo_answers(q, seed=seed, skew=skew).items():
        store.save_answer(new_id, qid, level=level, na=level is None, note=note, answered_by="demo")
    return new_id


def create_demo_organisation(store, q: Questionnaire, progress=None) -> list[int]:  # noqa: ANN001
    """The demo organisation: three departments, each assessed twice. `progress(i, n)` after each."""
    ids = []
    for i, (dep, days, seed, skew) in enumerate(DEMO_ORGANISATION, 1):
        ids.append(create_demo(store, q, dep, days_ago=days, seed=seed, skew=skew))
        if progress:
            progress(i, len(DEMO_ORGANISATION))
    return ids


# --- a scale demo: N departments in M business units (`demo --departments N --business-units M`) ---------

UNIT_NAMES = ["Retail Banking", "Corporate Banking", "Wealth Management", "Insurance", "Payments",
              "Operations", "Technology", "Risk & Compliance", "Marketing", "Finance", "People",
              "Customer Service"]
TEAMS = ["Analytics", "Platform", "Fraud Detection", "Pricing", "Forecasting", "Personalisation",
         "Document AI", "Chat Assistants", "Credit Models", "Data Engineering", "Reporting", "Search",
         "Automation", "Monitoring", "Recommendations", "Anomaly Detection"]
MAX_SCALE_DEPARTMENTS = 2000


def scale_plan(departments: int, units: int, seed: int = 7) -> list[tuple[str, str, list[tuple[int, int, int]]]]:
    """(department, business unit, [(days ago, seed, skew), ...]) for each department: names read like an
    enterprise's; each unit has its own maturity; most departments were assessed twice (some improved, a
    few declined), about one in eight only once, half a year ago. Deterministic for a seed."""
    if not 1 <= departments <= MAX_SCALE_DEPARTMENTS:
        raise ValueError(f"--departments must be 1–{MAX_SCALE_DEPARTMENTS}, got {departments}")
    if not 1 <= units <= departments:
        raise ValueError(f"--business-units must be 1–{departments} (at most one per department), got {units}")
    rng = random.Random(seed)
    unit_names = [UNIT_NAMES[i % len(UNIT_NAMES)] + (f" {i // len(UNIT_NAMES) + 1}" if i >= len(UNIT_NAMES) else "")
                  for i in range(units)]
    unit_skew = {u: rng.choice([-1, -1, 0, 0, 0, 1]) for u in unit_names}
    plan, seen = [], set()
    for i in range(departments):
        unit = unit_names[i % units]
        base = f"{unit.split()[0]} {TEAMS[(i // units) % len(TEAMS)]}"
        name = base if base not in seen else f"{base} {i // (units * len(TEAMS)) + 1}"
        while name in seen:
            name += "+"
        seen.add(name)
        skew = unit_skew[unit] + rng.choice([-1, 0, 0, 1])
        dates = [(180 + rng.randrange(30), rng.randrange(10**6), max(-2, skew - 1))]
        if rng.random() > 0.125:
            dates.append((rng.randrange(60), rng.randrange(10**6), skew + rng.choice([-1, 0, 1, 1])))
        plan.append((name, unit, dates))
    return plan


def create_scale_demo(store, q: Questionnaire, departments: int, units: int, seed: int = 7,  # noqa: ANN001
                      progress=None) -> list[int]:  # noqa: ANN001
    """A demo organisation of `departments` departments in `units` business units (`scale_plan`), each
    assessment stored in one transaction; their ids. `progress(i, n)` after each department."""
    import datetime as dt

    from assessment.model import Answer

    plan = scale_plan(departments, units, seed)
    today, ids = dt.date.today(), []
    for i, (department, _unit, dates) in enumerate(plan, 1):
        for days, answers_seed, skew in dates:
            on = today - dt.timedelta(days=days)
            answers = [Answer(qid, level, level is None, note)
                       for qid, (level, note) in demo_answers(q, seed=answers_seed, skew=skew).items()]
            ids.append(store.import_assessment(f"{department} — {on:%B %Y}", department, q, answers,
                                               organisation="Demo Corp", facilitator="Demo facilitator",
                                               assessed_on=on))
        if progress:
            progress(i, len(plan))
    store.set_business_units({department: unit for department, unit, _ in plan})
    return ids
