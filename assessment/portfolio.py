"""The leaders' portfolio: departments rolled up to business units and the organisation, relative metrics,
and movement over time. Pure functions over `model.Assessment`s; vectorised in pandas for hundreds of
departments (scores come from `scoring.dimension_scores` in one call, across questionnaire versions through
`compare`'s reconciliation).

Which assessments: one per department, its latest among those given (by date, then id). A department in
no business unit is shown under "Unassigned" (`UNASSIGNED`).

Roll-ups (`Portfolio.rollups`): per dimension (the department's overall dimension score, the mean over
layers, as on the overall radar) and per layer (the layer score), across the departments of each
business unit and of the whole organisation: how many departments have a score, their mean, min, max and
population standard deviation (0 for one department). Departments without a score there are left out.

Relative metrics, as OWASP SAMM defines them, over the layer × dimension cells a department has a score
in, with its effective targets (`analysis.effective_targets`: stored, else the default):

- **Percentage to target** = 1 − Σ(target − current)⁺ / Σ target. In [0, 1]; 1 when every cell is at or
  above its target (and when every target is 0). A cell above its target does not make up for another
  below it.
- **Progress to date** against a baseline assessment of the same department (by default its previous
  one) = (Σ current − Σ baseline) / (Σ target − Σ baseline), over the cells scored in both. 1 is the
  target reached, 0 no change, above 1 beyond the target; *negative when the department declined*
  (current below baseline): reported as it is, not clipped. When Σ target ≤ Σ baseline (the baseline was
  already at or above target) there is no distance to cover: progress is None, with the reason in
  `progress_note` ("target already met at the baseline"); without a baseline, None and "no baseline"; when
  no cell is scored in both, None and "no cell scored in both".

A business unit's and the organisation's metrics pool their departments' cells (the same sums over all
of them), so a department weighs by the cells it assessed; progress pools only the departments that have
a baseline.

Movement (`movement`): between two dates, each department's last assessment on or before the start
against its last one after the start and on or before the end; per dimension (and overall, the mean of
the dimension scores) and per business unit and the organisation, the most improved and most declined
department; and the departments assessed by the start but not re-assessed since.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd

from assessment.analysis import effective_targets
from assessment.compare import IdMap, _frames
from assessment.exchange.orgfile import UNASSIGNED
from assessment.model import Assessment
from assessment.questionnaire import Questionnaire
from assessment.scoring import dimension_scores, layer_scores, overall_dimension_scores

ORGANISATION = "Organisation"  # the scope of the whole organisation's rows
OVERALL = "overall"  # movement's row for the mean over dimensions
NO_BASELINE = "no baseline"
TARGET_MET = "target already met at the baseline"
NOTHING_SHARED = "no cell scored in both"


class Dated(Protocol):
    """An assessment or its details: what choosing by department and date reads."""

    @property
    def id(self) -> int: ...
    @property
    def department(self) -> str: ...
    @property
    def assessed_on(self) -> dt.date: ...


D = TypeVar("D", bound=Dated)


def unit_name(business_unit: str) -> str:
    """How views name a business unit ("" = none: "Unassigned")."""
    return business_unit or UNASSIGNED


def _num(x: Any, digits: int = 3) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), digits)


def _key(a: Dated) -> tuple[dt.date, int]:
    return a.assessed_on, int(a.id)


def latest_each(items: Sequence[D]) -> list[D]:
    """Each department's latest (by date, then id), departments sorted by name."""
    latest: dict[str, D] = {}
    for a in sorted(items, key=_key):
        latest[a.department] = a
    return [latest[d] for d in sorted(latest)]


def previous_of(current: Sequence[Dated], every: Sequence[Dated],
                on_or_before: dt.date | None = None) -> dict[int, int]:
    """Each current assessment's id → the id of its department's assessment just before it (by date, then
    id), for those that have one: the default baseline of progress to date. With `on_or_before`, the
    department's last assessment on or before that date instead (still before the current one)."""
    by_department: dict[str, list[Dated]] = {}
    for a in sorted(every, key=_key):
        by_department.setdefault(a.department, []).append(a)
    out = {}
    for c in current:
        earlier = [a for a in by_department.get(c.department, []) if _key(a) < _key(c)
                   and (on_or_before is None or a.assessed_on <= on_or_before)]
        if earlier:
            out[int(c.id)] = int(earlier[-1].id)
    return out


def baselines(current: Sequence[Assessment], every: Sequence[Dated],
              load: Callable[[list[int]], Sequence[Assessment]],
              on_or_before: dt.date | None = None) -> dict[int, Assessment]:
    """`previous_of` loaded: current id → its baseline assessment, read with `load` (`store.load_many`) in
    one call."""
    chosen = previous_of(current, every, on_or_before)
    loaded = dict(zip(chosen.values(), load(list(chosen.values())), strict=True))
    return {c: loaded[b] for c, b in chosen.items()}


# --- scores of many assessments at once ---------------------------------------------------------------


def _cell_scores(entries: Sequence[Assessment], id_maps: Sequence[IdMap] | None) -> tuple[Questionnaire, pd.DataFrame]:
    """Layer × dimension scores of every entry (assessment_id = its position), on their shared questions."""
    q, answers, _meta, _left_out, _changes = _frames(entries, [str(i) for i in range(len(entries))], id_maps)
    return q, dimension_scores(q, answers)


@dataclass(frozen=True)
class Portfolio:
    """Where each department, business unit and the organisation stands (see the module's docstring)."""

    questionnaire: Questionnaire  # the shared questions only, when versions differ
    departments: pd.DataFrame  # department, business_unit, id, assessed_on, baseline_id, baseline_on
    dimensions: pd.DataFrame  # index department; one column per dimension id: overall dimension score
    layers: pd.DataFrame  # index department; one column per layer id: layer score
    rollups: pd.DataFrame  # scope, business_unit, kind, id, name, departments, mean, min, max, std
    relative: pd.DataFrame  # scope, name, business_unit, departments, percentage_to_target, progress, progress_note

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (NaN → None), used by `compare --json` and the PDF."""
        return {
            "departments": [
                {"department": r.department, "business_unit": r.business_unit, "id": int(r.id),
                 "date": r.assessed_on.isoformat(),
                 "baseline": None if pd.isna(r.baseline_id) else {"id": int(r.baseline_id),
                                                                  "date": r.baseline_on.isoformat()}}
                for r in self.departments.itertuples()
            ],
            "rollups": [{k: (_num(v) if k in ("mean", "min", "max", "std") else v) for k, v in row.items()}
                        for row in self.rollups.to_dict(orient="records")],
            "relative_metrics": [
                {"scope": r.scope, "name": r.name, "business_unit": r.business_unit, "departments": int(r.departments),
                 "percentage_to_target": _num(r.percentage_to_target, 4), "progress": _num(r.progress, 4),
                 "progress_note": r.progress_note}
                for r in self.relative.itertuples()
            ],
        }

    def relative_rows(self, scope: str) -> pd.DataFrame:
        """The relative metrics of one scope ("department", "business_unit" or "organisation")."""
        return self.relative[self.relative["scope"] == scope].reset_index(drop=True)


def portfolio(assessments: Sequence[Assessment], baselines: Mapping[int, Assessment] | None = None,
              id_maps: Sequence[IdMap] | None = None) -> Portfolio:
    """Roll-ups and relative metrics of each department's latest assessment among `assessments`.

    `baselines`: current assessment id → the assessment progress is measured from (same department);
    departments without one have no progress. ValueError when nothing is given or a baseline is of
    another department.
    """
    current = latest_each(assessments)
    if not current:
        raise ValueError("a portfolio needs at least one assessment")
    base = dict(baselines or {})
    pairs = [(i, base[int(c.id)]) for i, c in enumerate(current) if int(c.id) in base]
    for i, b in pairs:
        if b.department != current[i].department:
            raise ValueError(f"the baseline of {current[i].department} (#{b.id}) is an assessment of "
                             f"{b.department}")
    n = len(current)
    q, cells = _cell_scores([*current, *(b for _, b in pairs)], id_maps)
    departments = [c.department for c in current]
    units = [unit_name(c.business_unit) for c in current]
    dept_of = pd.Series(departments)
    unit_of = pd.Series(units)

    cur = cells[cells["assessment_id"] < n]
    dims = overall_dimension_scores(cur).pivot(index="assessment_id", columns="dimension", values="score")
    dim_ids = [d.id for d in q.ordered_dimensions if d.id in dims.columns]
    dims = dims.reindex(index=range(n), columns=dim_ids).set_axis(pd.Index(departments, name="department"))
    layers = layer_scores(cur).pivot(index="assessment_id", columns="layer", values="score")
    layer_ids = [x.id for x in q.layers if x.id in layers.columns]
    layers = layers.reindex(index=range(n), columns=layer_ids).set_axis(pd.Index(departments, name="department"))
    dims.columns.name = layers.columns.name = None

    # Targets: each current assessment's effective target of every cell it has.
    defaults: dict[int, dict[tuple[str, str], int]] = {}  # assessments without stored targets share them

    def targets_of(c: Assessment) -> dict[tuple[str, str], int]:
        if c.targets:
            return effective_targets(c)
        if id(c.questionnaire) not in defaults:
            defaults[id(c.questionnaire)] = effective_targets(c)
        return defaults[id(c.questionnaire)]

    target = pd.DataFrame(
        [(i, layer, dim, level) for i, c in enumerate(current) for (layer, dim), level in targets_of(c).items()],
        columns=["assessment_id", "layer", "dimension", "target"])
    scored = cur[cur["score"].notna()][["assessment_id", "layer", "dimension", "score"]]
    scored = scored.merge(target, on=["assessment_id", "layer", "dimension"], how="inner")
    baseline_of = pd.Series({n + k: i for k, (i, _) in enumerate(pairs)}, dtype="int64")
    before = cells[cells["assessment_id"] >= n]
    before = before[before["score"].notna()].assign(assessment_id=lambda d: d["assessment_id"].map(baseline_of))
    both = scored.merge(before[["assessment_id", "layer", "dimension", "score"]].rename(columns={"score": "baseline"}),
                        on=["assessment_id", "layer", "dimension"], how="inner")

    names = {"dimension": {d.id: d.name for d in q.dimensions}, "layer": {x.id: x.name for x in q.layers}}
    table = pd.DataFrame({
        "department": departments, "business_unit": units, "id": [int(c.id) for c in current],
        "assessed_on": [c.assessed_on for c in current],
        "baseline_id": pd.array([int(base[int(c.id)].id) if int(c.id) in base else None for c in current],
                                dtype="Int64"),
        "baseline_on": [base[int(c.id)].assessed_on if int(c.id) in base else None for c in current],
    })
    return Portfolio(q, table, dims, layers, _rollups(dims, layers, units, names),
                     _relative(scored, both, dept_of, unit_of, set(base_i for base_i, _ in pairs)))


def _rollups(dims: pd.DataFrame, layers: pd.DataFrame, units: list[str],
             names: Mapping[str, Mapping[str, str]]) -> pd.DataFrame:
    """Mean and spread per dimension and per layer, by business unit and for the organisation."""
    long = pd.concat([
        frame.set_axis(pd.Index(units, name="business_unit")).stack().rename("score").reset_index()
        .rename(columns={"level_1": "id"}).assign(kind=kind)
        for kind, frame in (("dimension", dims), ("layer", layers))
    ], ignore_index=True)
    long.columns = ["business_unit", "id", "score", "kind"]
    stats = {"departments": ("score", "count"), "mean": ("score", "mean"), "min": ("score", "min"),
             "max": ("score", "max"), "std": ("score", "std")}

    def population(g: pd.DataFrame) -> pd.DataFrame:  # pandas' std is the sample's (n − 1); one department: 0
        n = g["departments"]
        return g.assign(std=(g["std"] * np.sqrt((n - 1).clip(lower=0) / n.where(n > 0))).where(n != 1, 0.0))

    by_unit = population(long.groupby(["business_unit", "kind", "id"], sort=False).agg(**stats).reset_index())
    whole = population(long.groupby(["kind", "id"], sort=False).agg(**stats).reset_index()) \
        .assign(business_unit=ORGANISATION)
    out = pd.concat([by_unit.assign(scope="business_unit"), whole.assign(scope="organisation")], ignore_index=True)
    order = {("dimension", d): i for i, d in enumerate(dims.columns)} | {
        ("layer", x): len(dims.columns) + i for i, x in enumerate(layers.columns)}
    out["order"] = [order[(k, i)] for k, i in zip(out["kind"], out["id"], strict=True)]
    out["unit_order"] = [(s == "organisation", u == UNASSIGNED, u.casefold())
                         for s, u in zip(out["scope"], out["business_unit"], strict=True)]
    out = out.sort_values(["unit_order", "order"], kind="stable").drop(columns=["order", "unit_order"])
    out["name"] = [names[k][i] for k, i in zip(out["kind"], out["id"], strict=True)]
    return out[["scope", "business_unit", "kind", "id", "name", "departments", "mean", "min", "max", "std"]] \
        .reset_index(drop=True)


def _relative(scored: pd.DataFrame, both: pd.DataFrame, dept_of: pd.Series, unit_of: pd.Series,
              with_baseline: set[int]) -> pd.DataFrame:
    """Percentage to target and progress to date per department, business unit and the organisation."""
    n = len(dept_of)
    gap = (scored["target"] - scored["score"]).clip(lower=0)
    per = pd.DataFrame({"gap": gap.groupby(scored["assessment_id"]).sum(),
                        "target": scored["target"].groupby(scored["assessment_id"]).sum()}).reindex(range(n))
    pooled_both = both.groupby("assessment_id")
    moved = pd.DataFrame({"current": pooled_both["score"].sum(), "baseline": pooled_both["baseline"].sum(),
                          "target": pooled_both["target"].sum()}).reindex(range(n))
    frame = pd.DataFrame({
        "department": dept_of, "business_unit": unit_of, "gap": per["gap"], "target": per["target"],
        "p_current": moved["current"], "p_baseline": moved["baseline"], "p_target": moved["target"],
        "has_baseline": [i in with_baseline for i in range(n)],
    })
    sums = ["gap", "target", "p_current", "p_baseline", "p_target"]

    def metrics(f: pd.DataFrame) -> pd.DataFrame:
        pct = np.where(f["target"] > 0, 1 - f["gap"] / f["target"].where(f["target"] > 0, 1), 1.0)
        pct = np.where(f["target"].isna(), np.nan, pct)  # no scored cell: no percentage
        distance = f["p_target"] - f["p_baseline"]
        progress = ((f["p_current"] - f["p_baseline"]) / distance).where(distance > 0)
        note = np.where(f["baselines"] == 0, NO_BASELINE, np.where(distance > 0, "", TARGET_MET))
        note = np.where((f["baselines"] > 0) & f["p_target"].isna(), NOTHING_SHARED, note)
        return f.assign(percentage_to_target=pct, progress=progress, progress_note=note)

    dept = frame.assign(departments=1, baselines=frame["has_baseline"].astype(int))
    dept.loc[~dept["has_baseline"], ["p_current", "p_baseline", "p_target"]] = np.nan
    dept = metrics(dept).assign(scope="department", name=dept["department"])
    pooled = dept.assign(gap=dept["gap"].fillna(0), target=dept["target"])
    units = pooled.groupby("business_unit", sort=False).agg(
        **{c: (c, lambda s: s.sum(min_count=1)) for c in sums}, departments=("departments", "sum"),
        baselines=("baselines", "sum")).reset_index()
    units = metrics(units).assign(scope="business_unit", name=units["business_unit"])
    whole = pooled[sums].sum(min_count=1).to_frame().T.assign(
        departments=len(dept), baselines=int(dept["baselines"].sum()), business_unit="")
    whole = metrics(whole.astype({c: "float64" for c in sums})).assign(scope="organisation", name=ORGANISATION)
    units = units.sort_values("business_unit", key=lambda s: [(u == UNASSIGNED, u.casefold()) for u in s])
    dept = dept.sort_values(["business_unit", "department"],
                            key=lambda s: [(u == UNASSIGNED, u.casefold()) for u in s]
                            if s.name == "business_unit" else s.str.casefold())
    cols = ["scope", "name", "business_unit", "departments", "percentage_to_target", "progress", "progress_note"]
    return pd.concat([dept[cols], units[cols], whole[cols]], ignore_index=True)


# --- movement over time ----------------------------------------------------------------------------------


def movement_ids(items: Sequence[Dated], start: dt.date, end: dt.date) -> list[int]:
    """The ids `movement` needs among `items`: each department's last by `start` and last after it by `end`,
    and one assessment of each department first assessed in between."""
    before, after, new = _periods(items, start, end)
    first = {d: a for a in items if a.department in new and start < a.assessed_on <= end for d in [a.department]}
    return [int(a.id) for a in (*before.values(), *after.values(), *first.values())]


def _periods(items: Sequence[D], start: dt.date, end: dt.date) -> tuple[dict[str, D], dict[str, D], list[str]]:
    if end < start:
        raise ValueError(f"the end date {end} is before the start date {start}")
    before: dict[str, D] = {}
    after: dict[str, D] = {}
    for a in sorted(items, key=_key):
        if a.assessed_on <= start:
            before[a.department] = a
        elif a.assessed_on <= end:
            after[a.department] = a
    new = sorted(d for d in after if d not in before)
    return before, {d: a for d, a in after.items() if d in before}, new


@dataclass(frozen=True)
class Movement:
    """Change between two dates: per department and dimension, the leaders per dimension and unit, and
    the departments not re-assessed."""

    start: dt.date
    end: dt.date
    # department, business_unit, from_id, from_date, to_id, to_date, dimension, before, after, change
    changes: pd.DataFrame
    # scope, business_unit, dimension, dimension_name, departments, most_improved, improved_by, most_declined,
    # declined_by
    leaders: pd.DataFrame
    not_reassessed: pd.DataFrame  # department, business_unit, last_id, last_date
    first_assessed: list[str]  # departments first assessed after the start (nothing to compare with)

    def as_dict(self) -> dict[str, Any]:
        def clean(row: dict[str, Any]) -> dict[str, Any]:
            return {k: (_num(v) if isinstance(v, float) else v.isoformat() if isinstance(v, dt.date) else v)
                    for k, v in row.items()}

        return {
            "from": self.start.isoformat(), "to": self.end.isoformat(),
            "leaders": [clean(r) for r in self.leaders.to_dict(orient="records")],
            "changes": [clean(r) for r in self.changes.to_dict(orient="records")],
            "not_reassessed": [clean(r) for r in self.not_reassessed.to_dict(orient="records")],
            "first_assessed": self.first_assessed,
        }


def movement(assessments: Sequence[Assessment], start: dt.date, end: dt.date,
             id_maps: Sequence[IdMap] | None = None) -> Movement:
    """What moved between `start` and `end` (see the module's docstring); `assessments` may hold every
    assessment, or only those `movement_ids` names."""
    before, after, new = _periods(assessments, start, end)
    stale = sorted(d for d in before if d not in after)
    not_reassessed = pd.DataFrame({
        "department": stale, "business_unit": [unit_name(before[d].business_unit) for d in stale],
        "last_id": [int(before[d].id) for d in stale], "last_date": [before[d].assessed_on for d in stale],
    })
    moved = sorted(after)
    columns = ["department", "business_unit", "from_id", "from_date", "to_id", "to_date", "dimension", "before",
               "after", "change"]
    if not moved:
        return Movement(start, end, pd.DataFrame(columns=columns), _leaders(pd.DataFrame(columns=columns), {}),
                        not_reassessed, new)
    entries = [before[d] for d in moved] + [after[d] for d in moved]
    q, cells = _cell_scores(entries, id_maps)
    overall = overall_dimension_scores(cells).pivot(index="assessment_id", columns="dimension", values="score")
    dim_ids = [d.id for d in q.ordered_dimensions if d.id in overall.columns]
    overall = overall.reindex(index=range(len(entries)), columns=dim_ids)
    overall[OVERALL] = overall[dim_ids].mean(axis=1)
    k = len(moved)
    old = overall.iloc[:k].set_axis(moved).stack(future_stack=True).rename("before")
    now = overall.iloc[k:].set_axis(moved).stack(future_stack=True).rename("after")
    long = pd.concat([old, now], axis=1).reset_index()
    long.columns = ["department", "dimension", "before", "after"]
    long["change"] = long["after"] - long["before"]
    info = pd.DataFrame({
        "department": moved, "business_unit": [unit_name(after[d].business_unit) for d in moved],
        "from_id": [int(before[d].id) for d in moved], "from_date": [before[d].assessed_on for d in moved],
        "to_id": [int(after[d].id) for d in moved], "to_date": [after[d].assessed_on for d in moved],
    })
    changes = info.merge(long, on="department")[columns]
    names = {d.id: d.name for d in q.dimensions} | {OVERALL: "Overall"}
    return Movement(start, end, changes, _leaders(changes, names), not_reassessed, new)


def _leaders(changes: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """Per business unit (and the organisation) and dimension: most improved (change > 0) and most declined
    (change < 0); ties go to the department first by name."""
    columns = ["scope", "business_unit", "dimension", "dimension_name", "departments", "most_improved",
               "improved_by", "most_declined", "declined_by"]
    c = changes[changes["change"].notna()].sort_values(["department"], kind="stable")
    if c.empty:
        return pd.DataFrame(columns=columns)
    dim_order = {d: i for i, d in enumerate(names)}

    def pick(groups: Any, scope: str, unit: Callable[[Any], str]) -> pd.DataFrame:
        up, down = c.loc[groups["change"].idxmax()], c.loc[groups["change"].idxmin()]
        count = groups["change"].count()
        out = pd.DataFrame({
            "departments": count.to_numpy(),
            "most_improved": np.where(up["change"].to_numpy() > 0, up["department"].to_numpy(), None),
            "improved_by": np.where(up["change"].to_numpy() > 0, up["change"].to_numpy(), np.nan),
            "most_declined": np.where(down["change"].to_numpy() < 0, down["department"].to_numpy(), None),
            "declined_by": np.where(down["change"].to_numpy() < 0, down["change"].to_numpy(), np.nan),
        }, index=count.index).reset_index()
        out["scope"], out["business_unit"] = scope, [unit(k) for k in out.index.map(lambda i: count.index[i])]
        return out

    by_unit = pick(c.groupby(["business_unit", "dimension"], sort=False), "business_unit", lambda k: k[0])
    whole = pick(c.groupby(["dimension"], sort=False), "organisation", lambda _k: ORGANISATION)
    out = pd.concat([by_unit, whole], ignore_index=True)
    out["dimension_name"] = out["dimension"].map(names)
    out["sort"] = [(s == "organisation", u == UNASSIGNED, u.casefold(), dim_order.get(d, 0))
                   for s, u, d in zip(out["scope"], out["business_unit"], out["dimension"], strict=True)]
    out = out.sort_values("sort", kind="stable").drop(columns=["sort"])
    out["most_improved"] = out["most_improved"].astype(object).where(out["most_improved"].notna(), None)
    out["most_declined"] = out["most_declined"].astype(object).where(out["most_declined"].notna(), None)
    return out[columns].reset_index(drop=True)
