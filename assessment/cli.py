"""Command line: `python -m assessment COMMAND` (also installed as `assessment`).

Each command opens the store, calls one library function and prints the result. Every error a
user can cause becomes one readable line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assessment import settings

# The rest of the package is imported by the commands that use it: `serve` hands over to Streamlit
# without loading SQLAlchemy, pandas or the questionnaires (half a second of every app start).
if TYPE_CHECKING:
    from assessment.storage import Store

app = typer.Typer(
    name="assessment",
    help="Enterprise AI-operations (MLOps, LLMOps, AIOps) maturity assessment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
user_app = typer.Typer(help="Facilitator accounts (once one exists, the app asks for a login).",
                        no_args_is_help=True)
app.add_typer(user_app, name="user")
org_app = typer.Typer(help="The organisation's structure: departments in business units.", no_args_is_help=True)
app.add_typer(org_app, name="org")


class UserError(Exception):
    """Bad input: printed as one line, exit code 1."""


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Check the settings first (one line per bad value), then turn the library's expected errors into
    one line on stderr."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bad = settings.check()
        for line in bad:
            typer.echo(f"error: {line}", err=True)
        if bad:
            raise typer.Exit(1)
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:
            from assessment.exchange import ImportError_
            from assessment.questionnaire import QuestionnaireError
            from assessment.storage import StorageError

            if isinstance(exc, QuestionnaireError):
                for err in exc.errors:
                    typer.echo(str(err), err=True)
                raise typer.Exit(1) from None
            if isinstance(exc, UserError | StorageError | ImportError_ | ValueError | OSError):
                fail(str(exc))
            fail(f"unexpected {type(exc).__name__}: {exc}", code=2)  # a bug: still one line, with its type

    return wrapper


def _store() -> Store:
    from assessment.storage import Store

    return Store.open()


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@app.command()
@friendly
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Files or folders (default: the built-in ones and QUESTIONNAIRE_PATH).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable result.")] = False,
) -> None:
    """Check questionnaire YAML files; print `file:line: field: message` per problem.

    Example: python -m assessment validate my-questionnaires/
    """
    from assessment.content import load_catalogue

    loaded = load_catalogue(paths or None)
    if not loaded.files:
        fail("no questionnaire files found")
    found, errors = loaded.questionnaires, loaded.errors
    if not paths:  # the built-in id maps too: comparisons across questionnaire versions read them
        from assessment.content import id_maps
        from assessment.questionnaire import QuestionnaireError

        try:
            id_maps()
        except QuestionnaireError as exc:
            errors = [*errors, *exc.errors]
    if as_json:
        _echo_json({
            "ok": not errors,
            "errors": [e.as_dict() for e in errors],
            "questionnaires": [
                {"id": q.id, "version": q.version, "questions": len(q.questions), "coverage": q.coverage()}
                for q in found
            ],
        })
    else:
        for err in errors:
            typer.echo(str(err), err=True)
        for q in found:
            typer.echo(f"ok: {q.id} {q.version}: {len(q.questions)} questions")
    if errors:
        raise typer.Exit(1)


@app.command()
@friendly
def demo(
    department: Annotated[str, typer.Option(help="Department name.")] = "Data Science Platform",
    seed: Annotated[int, typer.Option(help="Random seed for the answers.")] = 7,
    organisation: Annotated[bool, typer.Option(
        "--organisation", help="Create a demo organisation: 3 departments, 2 dates each.")] = False,
    if_empty: Annotated[bool, typer.Option(
        "--if-empty", help="Only when the database has no assessment yet (used by `make run`).")] = False,
    departments: Annotated[int | None, typer.Option(
        "--departments", metavar="N", help="A scale demo: N departments in business units.")] = None,
    business_units: Annotated[int | None, typer.Option(
        "--business-units", metavar="M", help="With --departments: how many business units (default N/10).")] = None,
) -> None:
    """Create a demo assessment with plausible answers and notes; print its id last.

    Example: python -m assessment demo
    Example: python -m assessment demo --departments 200 --business-units 8
    """
    from assessment.content import load_all
    from assessment.demo import DEMO_ORGANISATION, create_demo, create_scale_demo
    from assessment.questionnaire import combine

    if business_units is not None and departments is None:
        raise UserError("--business-units goes with --departments N")
    if departments is not None and (organisation or if_empty):
        raise UserError("--departments makes its own organisation: leave out --organisation and --if-empty")
    store = _store()
    if if_empty and store.count_assessments():
        typer.echo("database already has assessments; no demo created")
        return
    q = combine(load_all())
    if departments is not None:
        units = business_units if business_units is not None else max(1, departments // 10)
        from assessment.demo import scale_plan

        scale_plan(departments, units, seed)  # refuses bad sizes before anything is written
        with typer.progressbar(length=departments, label="Creating departments", file=sys.stderr) as bar:
            ids = create_scale_demo(store, q, departments, units, seed, progress=lambda i, n: bar.update(1))
        typer.echo(f"created {len(ids)} demo assessments of {departments} departments in {units} business unit(s)")
        typer.echo(str(ids[-1]))
        return
    plan = DEMO_ORGANISATION if (organisation or if_empty) else [(department, 0, seed, 0)]
    ids = [create_demo(store, q, dep, days_ago=days, seed=s, skew=skew) for dep, days, s, skew in plan]
    for new_id in ids:
        record = store.get_assessment(new_id)
        typer.echo(f"created demo assessment {new_id}: {record.name} ({record.assessed_on})")
    typer.echo(str(ids[-1]))


@app.command()
@friendly
def serve(
    host: Annotated[str, typer.Option(
        help="Address to listen on; 0.0.0.0 for every interface (phones joining a workshop).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8501,
) -> None:
    """Serve the app from the installed package, in any folder, until interrupted (Ctrl+C).

    Runs Streamlit on the packaged app with the packaged options. The app opens the same database as
    the other commands (DATABASE_URL, else ASSESSMENT_DATA_DIR/assessments.db) and brings it up to date.

    Example: assessment serve --host 0.0.0.0 --port 8501
    """
    import os

    from assessment_app import WILDCARDS, streamlit_command

    command = streamlit_command(host, port)
    if host in WILDCARDS:
        typer.echo(f"serving the app on port {port} of every address of this machine, "
                   f"e.g. http://localhost:{port} (set ASSESSMENT_PUBLIC_URL to the address phones should use)")
    sys.stdout.flush()
    os.execv(command[0], command)  # Streamlit takes this process over: signals reach it directly


@app.command("list")
@friendly
def list_(as_json: Annotated[bool, typer.Option("--json", help="A JSON array.")] = False) -> None:
    """List assessments: id, name, department, date, questionnaire.

    Example: python -m assessment list --json
    """
    rows = [r.summary() for r in _store().list_assessments()]
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        typer.echo("no assessments yet: create one in the app, or run `python -m assessment demo`")
        return
    for r in rows:
        typer.echo(f"{r['id']:>5}  {r['date']}  {r['status']:<5}  {r['department']:<28}  {r['name']}  "
                   f"[{r['questionnaire']} {r['questionnaire_version']}]")


AssessmentId = Annotated[str, typer.Argument(metavar="ID", help="Assessment id (see `list`).")]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _parse_id(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise UserError(f"assessment id must be a number, got {value!r} (see `python -m assessment list`)") from None


def _analysed(assessment_id: str, as_json: bool, part: str, capacity: int | None = None) -> Any:
    """One part (`scores`, `gaps`, `roadmap`) of a stored assessment's `analysis.analyse`: what `score`,
    `gaps` and `roadmap` print. With --json it is printed here, with the assessment's summary, and the
    command ends; otherwise the assessment's heading line is printed and the part comes back."""
    from assessment.analysis import analyse

    record = _store().load(_parse_id(assessment_id))
    found = getattr(analyse(record) if capacity is None else analyse(record, capacity=capacity), part)
    if as_json:
        extra = {} if capacity is None else {"capacity": capacity}
        _echo_json({"assessment": record.details.summary(), **extra, **found.as_dict()})
        raise typer.Exit()
    more = "" if capacity is None else f": {capacity} items per phase"
    typer.echo(f"{record.name} ({record.department}, {record.assessed_on}){more}")
    return found


@app.command("score")
@friendly
def score_(assessment_id: AssessmentId, as_json: AsJson = False) -> None:
    """Scores per layer × dimension and overall, on the 0–4 scale.

    Example: python -m assessment score 1 --json
    """
    from assessment.content import level_names
    from assessment.present import fmt

    result = _analysed(assessment_id, as_json, "scores")
    names = level_names()
    data = result.as_dict()
    typer.echo(f"overall {fmt(result.overall)} / 4 ({names.name(result.overall)}), "
               f"{result.answered + result.na} of {result.total} answered")
    for layer in data["layers"]:
        typer.echo(f"\n{layer['name']}: {fmt(layer['score'])}")
        for d in layer["dimensions"]:
            typer.echo(f"  {d['name']:<32} {fmt(d['score']):>4}   {d['answered']}/{d['total']} answered")


@app.command("gaps")
@friendly
def gaps_(assessment_id: AssessmentId, as_json: AsJson = False) -> None:
    """Gaps to target per layer, layer × dimension and question, highest priority first.

    Example: python -m assessment gaps 1 --json
    """
    from assessment.present import fmt

    result = _analysed(assessment_id, as_json, "gaps")
    if result.dimensions.empty:
        typer.echo("every scored layer × dimension is at or above its target")
    else:
        typer.echo("\nunder target (priority = gap × dimension weight):")
        for r in result.dimensions.itertuples():
            typer.echo(f"  {r.layer_name + ' / ' + r.dimension_name:<44} {fmt(r.score):>4} of {r.target:g}   "
                       f"gap {fmt(r.gap)}   priority {fmt(r.priority)}")
    if not result.questions.empty:
        typer.echo("\nquestions under target (priority = gap × question weight × dimension weight):")
        for r in result.questions.itertuples():
            typer.echo(f"  {r.priority:>3}  {r.question_id:<44} level {r.level} of {r.target}")
    if not result.unanswered.empty:
        typer.echo(f"\n{len(result.unanswered)} unanswered question(s) are in no gap until answered: "
                   + ", ".join(result.unanswered["question_id"]))


@app.command("roadmap")
@friendly
def roadmap_(
    assessment_id: AssessmentId,
    assignments: Annotated[list[str] | None, typer.Argument(
        metavar="[FIELD=VALUE]...", help="With --set: owner=NAME due=YYYY-MM-DD (empty: from the phase) "
        "status=planned|in_progress|done|dropped reason=TEXT (needed to drop) ticket=https://…")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable roadmap: keys now, next, later.")] = False,
    capacity: Annotated[int, typer.Option("--capacity", min=0, help="Items per phase.")] = 5,
    set_question: Annotated[str | None, typer.Option(
        "--set", metavar="QUESTION", help="Change the action on this question (id, see `gaps`).")] = None,
    by: Annotated[str, typer.Option("--by", help="Who makes the change (kept in the action's history).")] = "",
) -> None:
    """Roadmap of next-level recommendations: Now (0–3 months), Next (3–6), Later (6–12), then backlog;
    with --set, change one question's action (owner, due date, status, reason, ticket).

    Example: python -m assessment roadmap 1 --capacity 8 --json

    Example: python -m assessment roadmap 1 --set mlops.data.dataset-versioning owner=Ada due=2027-03-31 status=in_progress
    """
    from assessment.roadmap import PHASE_NAMES

    if set_question is not None:
        _set_action(assessment_id, set_question, assignments or [], by)
        return
    if assignments:
        raise UserError(f"{assignments[0]!r}: field=value pairs go with --set QUESTION")
    plan = _analysed(assessment_id, as_json, "roadmap", capacity)
    for phase, items in plan.by_phase().items():
        if not items and phase == "backlog":
            continue
        typer.echo(f"\n{PHASE_NAMES[phase]}: {len(items)} item(s)")
        for i in items:
            typer.echo(f"  [{i.priority}] {i.question_id}: level {i.from_level} → {i.to_level}: {i.recommendation}")
            typer.echo(f"      {i.reason}")


def _set_action(assessment_id: str, question: str, assignments: list[str], by: str) -> None:
    """`roadmap ID --set QUESTION field=value…`: change one action; print it as stored."""
    from assessment.actions import ActionError, parse_assignments

    try:
        changes = parse_assignments(assignments)
    except ActionError as exc:
        raise UserError(str(exc)) from None
    saved = _store().set_action(_parse_id(assessment_id), question.strip(), changed_by=by.strip(), **changes)
    due = saved.due.isoformat() if saved.due else "from the phase"
    typer.echo(f"{saved.question_id}: {saved.status_name.lower()}, owner {saved.owner or '(none)'}, due {due}"
               + (f", dropped: {saved.reason}" if saved.reason else "")
               + (f", ticket {saved.ticket}" if saved.ticket else ""))


@app.command("actions")
@friendly
def actions_(
    assessment_id: AssessmentId,
    fmt: Annotated[str, typer.Option("--format", help="jira (CSV for Jira's importer), github (CSV for GitHub "
                                     "issues), ics (calendar of due dates) or json.")] = "json",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File (default: stdout).")] = None,
) -> None:
    """The roadmap's actions (owner, due date, status, ticket) for the team's tracker or calendar.

    Example: python -m assessment actions 1 --format jira -o actions.csv
    """
    import datetime as dt

    from assessment.actions import action_plan, progress
    from assessment.analysis import analyse
    from assessment.exchange import tracker

    fmt = fmt.strip().lower()
    if fmt not in ("jira", "github", "ics", "json"):
        raise UserError(f"--format: unknown format {fmt!r}; choose jira, github, ics or json")
    record = _store().load(_parse_id(assessment_id))
    plan = action_plan(analyse(record), dt.date.today())
    link = tracker.assessment_link(settings.settings().public_url, record.id)
    if fmt == "json":
        data = json.dumps({"assessment": record.details.summary(), "link": link or None,
                           "progress": progress(plan).as_dict(), "actions": [p.as_dict() for p in plan]},
                          indent=2, ensure_ascii=False).encode("utf-8")
    else:
        data = tracker.tracker_file(fmt, plan, record.details, link)
    if output is None:
        text = data.decode("utf-8-sig")
        typer.echo(text, nl=not text.endswith("\n"))
        return
    output.write_bytes(data)
    typer.echo(f"wrote {output} ({len(plan)} actions)")


@app.command("compare")
@friendly
def compare_(
    assessment_ids: Annotated[list[str], typer.Argument(metavar="ID ID ...", help="Two or more assessment ids.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable comparison.")] = False,
    trend: Annotated[bool, typer.Option(
        "--trend", help="One department over time: change per dimension between consecutive dates.")] = False,
    by: Annotated[str, typer.Option(
        "--by", metavar="department|business-unit",
        help="business-unit: each business unit's mean and spread per dimension, percentage to target and "
             "progress, then the organisation's.")] = "department",
    baseline_on: Annotated[str | None, typer.Option(
        "--baseline-on", metavar="YYYY-MM-DD",
        help="Progress from each department's last assessment on or before this date (default: its previous).")] = None,
    since: Annotated[str | None, typer.Option(
        "--from", metavar="YYYY-MM-DD", help="Movement of every department from this date (with --to).")] = None,
    until: Annotated[str | None, typer.Option("--to", metavar="YYYY-MM-DD", help="… to this date.")] = None,
) -> None:
    """Compare departments per dimension: scores, delta to the organisation mean, strongest and weakest;
    business units' roll-ups, percentage to target and progress; movement between two dates.

    Example: python -m assessment compare 1 2 3 --json
    Example: python -m assessment compare 1 2 3 --by business-unit --from 2026-01-01 --to 2026-06-30
    """
    import datetime as dt

    from assessment import compare as comparing
    from assessment.actions import department_progress
    from assessment.present import fmt

    if len(assessment_ids) < 2:
        raise UserError("compare needs two or more assessment ids (see `python -m assessment list`)")
    if by not in ("department", "business-unit"):
        raise UserError(f"--by {by!r}: choose department or business-unit")
    if (since is None) != (until is None):
        raise UserError("movement needs both --from and --to")
    store = _store()
    entries = store.load_many([_parse_id(x) for x in assessment_ids])
    result = comparing.trend(entries) if trend else comparing.compare(entries)
    done = [{"id": e.id, "department": r["department"], "date": r["assessed_on"].isoformat(),
             **r["progress"].as_dict()} for e, r in zip(entries, department_progress(entries, dt.date.today()),
                                                      strict=True)]
    extra = {} if trend else _portfolio_parts(store, entries, _parse_date(baseline_on, "--baseline-on"),
                                              _parse_date(since, "--from"), _parse_date(until, "--to"))
    if as_json:
        _echo_json({**result.as_dict(), "actions": done,
                    **{k: v.as_dict() for k, v in extra.items()}})
        return
    if by == "business-unit" and "portfolio" in extra:
        _echo_units(extra["portfolio"], extra.get("movement"))
        return
    c = result.comparison if isinstance(result, comparing.Trend) else result
    if c.left_out:
        typer.echo(f"compared on the {len(c.questionnaire.questions)} questions all versions share; "
                   f"left out: {', '.join(c.left_out)}")
    if c.changes:
        typer.echo(f"questions changed between versions ({len(c.changes)}):")
        for change in c.changes:
            typer.echo(f"  {change}")
    if isinstance(result, comparing.Trend):
        typer.echo(f"{result.department}: scores per dimension over time")
        typer.echo(result.scores.to_string(float_format="{:.1f}".format))
        typer.echo(f"\nchange between consecutive dates\n{result.changes.to_string(float_format='{:+.1f}'.format)}")
        _echo_done(done, fmt)
        return
    typer.echo(f"scores per dimension\n{c.pivot.to_string(float_format='{:.1f}'.format)}")
    typer.echo(f"\ndelta to the organisation mean\n{c.deltas.to_string(float_format='{:+.2f}'.format)}")
    typer.echo("\nstrongest and weakest per dimension")
    for r in c.extremes.itertuples():
        if r.strongest is not None:
            typer.echo(f"  {r.dimension_name:<32} strongest {r.strongest} ({r.strongest_score:.1f}), "
                       f"weakest {r.weakest} ({r.weakest_score:.1f})")
    _echo_done(done, fmt)
    if "portfolio" in extra:
        typer.echo("\npercentage to target and progress to date")
        _echo_relative(extra["portfolio"].relative, fmt)
    if "movement" in extra:
        _echo_movement(extra["movement"], fmt)


def _parse_date(value: str | None, option: str) -> Any:
    import datetime as dt

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"{option} {value!r}: expected a date as YYYY-MM-DD") from None


def _portfolio_parts(store: Store, entries: list[Any], baseline_on: Any, since: Any, until: Any) -> dict[str, Any]:
    """The compared departments' portfolio (baselines from the database), and the movement between the dates
    for every department in it: a constant number of queries however many departments."""
    from assessment import portfolio as folio

    records = store.list_assessments()
    current = folio.latest_each(entries)
    parts: dict[str, Any] = {
        "portfolio": folio.portfolio(current, folio.baselines(current, records, store.load_many, baseline_on))}
    if since is not None:
        parts["movement"] = folio.movement(store.load_many(folio.movement_ids(records, since, until)), since, until)
    return parts


def _echo_relative(relative: Any, fmt: Callable[..., str]) -> None:
    for r in relative.itertuples():
        where = {"department": f"  {r.name} ({r.business_unit})", "business_unit": f"  {r.name} (business unit)",
                 "organisation": f"  {r.name}"}[r.scope]
        progress = fmt(r.progress, percent=True) if r.progress == r.progress else f"– ({r.progress_note})"
        typer.echo(f"{where}: {fmt(r.percentage_to_target, percent=True)} to target, progress {progress}")


def _echo_units(p: Any, moved: Any) -> None:
    """`compare --by business-unit`: each unit's dimensions and layers (mean, range, sd), then its metrics."""
    from assessment.present import fmt

    sizes = p.departments["business_unit"].value_counts().to_dict() | {"Organisation": len(p.departments)}
    for unit, rows in p.rollups.groupby("business_unit", sort=False):
        typer.echo(f"{unit} ({sizes.get(unit, 0)} department(s))")
        for r in rows.itertuples():
            typer.echo(f"  {r.kind:<9} {r.name:<32} mean {fmt(r.mean)} (min {fmt(r.min)}, max {fmt(r.max)}, "
                       f"sd {fmt(r.std, 2)}, {r.departments} scored)")
    typer.echo("\npercentage to target and progress to date")
    _echo_relative(p.relative[p.relative["scope"] != "department"], fmt)
    if moved is not None:
        _echo_movement(moved, fmt)


def _echo_movement(m: Any, fmt: Callable[..., str]) -> None:
    typer.echo(f"\nmovement from {m.start} to {m.end}")
    if m.leaders.empty:
        typer.echo("  no department was assessed both by the start and after it")
    for r in m.leaders.itertuples():
        up = f"most improved {r.most_improved} ({fmt(r.improved_by, signed=True)})" if r.most_improved else \
            "none improved"
        down = f"most declined {r.most_declined} ({fmt(r.declined_by, signed=True)})" if r.most_declined else \
            "none declined"
        typer.echo(f"  {r.business_unit} · {r.dimension_name}: {up}; {down}")
    if not m.not_reassessed.empty:
        typer.echo(f"not re-assessed since {m.start}: " + ", ".join(
            f"{r.department} ({r.last_date})" for r in m.not_reassessed.itertuples()))


def _echo_done(rows: list[dict[str, Any]], fmt: Callable[..., str]) -> None:
    """compare's last lines: each assessment's actions done and overdue."""
    typer.echo("\nactions done and overdue (dropped ones not counted)")
    for r in rows:
        typer.echo(f"  #{r['id']} {r['department']} {r['date']}: {fmt(r['share_done'], percent=True)} done, "
                   f"{fmt(r['share_overdue'], percent=True)} overdue of {r['actions'] - r['dropped']}")


@app.command("targets")
@friendly
def targets_(
    assessment_id: AssessmentId,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="LAYER.DIMENSION=LEVEL", help="Set one target (0–4); repeatable.")] = None,
    preset: Annotated[list[str] | None, typer.Option(
        "--preset", metavar="OBJECTIVE", help="Start from a business objective's preset "
        "(assessment/questionnaires/objectives.yaml); repeatable, the highest target wins.")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Forget stored targets: level 3 everywhere.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable targets.")] = False,
) -> None:
    """Show or edit an assessment's target level per layer × dimension (level 3 unless stored).

    Example: python -m assessment targets 1 --preset detect-fraud --set mlops.governance=4
    """
    from assessment.content import objectives
    from assessment.questionnaire import MAX_LEVEL
    from assessment.roadmap import default_targets, parse_cell, targets_for
    from assessment.scope import recommend

    store = _store()
    record = store.get_assessment(_parse_id(assessment_id))
    q = record.questionnaire
    if reset or preset or set_:
        stored = {} if reset else store.targets(record.id)
        if preset:
            try:
                stored = default_targets(q, recommend(preset, q, objectives()))
            except KeyError as exc:
                raise UserError(exc.args[0]) from None
        for item in set_ or []:
            cell_text, _, level_text = item.partition("=")
            cell = parse_cell(cell_text, q)
            if not level_text.strip().isdigit() or int(level_text) > MAX_LEVEL:
                raise UserError(f"{item!r}: the level after '=' must be a whole number 0–{MAX_LEVEL}")
            stored[cell] = int(level_text)
        store.set_targets(record.id, stored)
    stored = store.targets(record.id)
    rows = [{"layer": layer, "dimension": dim, "level": level, "stored": (layer, dim) in stored}
            for (layer, dim), level in targets_for(q, stored).items()]
    if as_json:
        _echo_json({"assessment": record.summary(), "targets": rows})
        return
    typer.echo(f"{record.name} ({record.department}, {record.assessed_on}): target level per layer × dimension")
    for r in rows:
        typer.echo(f"  {r['layer'] + '.' + r['dimension']:<32} {r['level']}   {'stored' if r['stored'] else 'default'}")


@app.command()
@friendly
def report(
    assessment_ids: Annotated[list[str] | None, typer.Argument(
        metavar="[ID ...]", help="Assessment id (see `list`); two or more with --compare.")] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="PDF file to write (default: report.pdf, comparison.pdf or trend.pdf).")] = None,
    compare: Annotated[bool, typer.Option("--compare", help="Compare the given assessments side by side.")] = False,
    trend: Annotated[str | None, typer.Option(
        "--trend", metavar="DEPARTMENT", help="One department's assessments over time.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="The gap report of every assessment, into --out-dir.")] = False,
    out_dir: Annotated[Path | None, typer.Option(
        "--out-dir", help="Folder for --all (default: reports/, created if missing).")] = None,
    paper: Annotated[str, typer.Option("--paper", help="Paper size: a4 or letter.")] = "a4",
    since: Annotated[str | None, typer.Option(
        "--from", metavar="YYYY-MM-DD", help="With --compare: movement of every department from this date.")] = None,
    until: Annotated[str | None, typer.Option("--to", metavar="YYYY-MM-DD", help="… to this date.")] = None,
) -> None:
    """Write a PDF: an assessment's gap report, a comparison (--compare), a trend (--trend) or every report (--all).

    Example: python -m assessment report --compare 1 2 3 -o comparison.pdf --paper letter
    """
    from assessment import report as reports

    reports.paper_size(paper)
    ids = assessment_ids or []
    modes = [m for m, on in (("--compare", compare), ("--trend", trend is not None), ("--all", all_)) if on]
    if len(modes) > 1:
        raise UserError(f"{' and '.join(modes)} do not go together: choose one kind of report")
    if out_dir is not None and not all_:
        raise UserError("--out-dir goes with --all; write one report with -o FILE")
    if (since is not None or until is not None) and not compare:
        raise UserError("--from and --to go with --compare")
    if (since is None) != (until is None):
        raise UserError("movement needs both --from and --to")
    if all_:
        if ids or output is not None:
            raise UserError("--all writes one file per assessment: give no id and no -o, only --out-dir DIR")
        store = _store()
        folder = out_dir or Path("reports")
        every = store.load_many([r.id for r in store.list_assessments()])
        with typer.progressbar(length=len(every), label="Writing reports", file=sys.stderr) as bar:
            paths = reports.batch_reports(every, folder, paper=paper, progress=lambda i, n: bar.update(1))
        for path in paths:
            typer.echo(str(path))
        typer.echo(f"wrote {len(paths)} report(s) to {folder}" if paths else "no assessments yet: nothing to write")
        return
    if trend is not None:
        if ids:
            raise UserError("--trend takes a department, not ids: report --trend DEPARTMENT -o FILE")
        from assessment.present import department_assessments

        store = _store()
        _, dept_ids = department_assessments(store.list_assessments(), trend)
        pdf, output = reports.trend_pdf(store.load_many(dept_ids), paper=paper), output or Path("trend.pdf")
    elif compare:
        if len(ids) < 2:
            raise UserError("--compare needs two or more assessment ids (see `python -m assessment list`)")
        from assessment import portfolio as folio

        start, end = _parse_date(since, "--from"), _parse_date(until, "--to")
        store = _store()
        entries, records = store.load_many([_parse_id(x) for x in ids]), store.list_assessments()
        moved = None if start is None else folio.movement(
            store.load_many(folio.movement_ids(records, start, end)), start, end)
        pdf = reports.comparison_pdf(entries, paper=paper, movement=moved, baselines=folio.baselines(
            folio.latest_each(entries), records, store.load_many))
        output = output or Path("comparison.pdf")
    else:
        if len(ids) != 1:
            raise UserError("give one assessment id, or --compare ID ID ..., --trend DEPARTMENT or --all"
                            if not ids else "several ids: add --compare to compare them")
        pdf = reports.assessment_pdf(_store().load(_parse_id(ids[0])), paper=paper)
        output = output or Path("report.pdf")
    output.write_bytes(pdf)
    typer.echo(f"wrote {output} ({len(pdf) // 1024} KB)")


@app.command()
@friendly
def export(
    assessment_id: AssessmentId,
    fmt: Annotated[str | None, typer.Option(
        "--format", help="json (lossless), csv or xlsx; default: from -o's extension, else json.")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File (default: stdout).")] = None,
) -> None:
    """Export an assessment: JSON (questionnaire snapshot, answers, targets, history), CSV or XLSX.

    Example: python -m assessment export 1 --format xlsx -o assessment-1.xlsx
    """
    from assessment import exchange

    fmt = (fmt or (exchange.format_of(output.name) if output else "json")).lower()
    if fmt not in exchange.FORMATS:
        raise UserError(f"unknown format {fmt!r}; choose json, csv or xlsx")
    if fmt == "xlsx" and output is None:
        raise UserError("an XLSX workbook is binary: write it to a file with -o FILE.xlsx")
    data = exchange.export_stored(fmt, _store(), _parse_id(assessment_id))
    if output is None:
        text = data.decode("utf-8-sig")
        typer.echo(text, nl=not text.endswith("\n"))
        return
    output.write_bytes(data)
    typer.echo(f"wrote {output}")


@app.command("import")
@friendly
def import_(file: Annotated[Path, typer.Argument(help="A .json, .csv or .xlsx file written by `export`.")]) -> None:
    """Import an exported assessment as a new one; print the new id last. A bad file imports nothing.

    Example: python -m assessment import assessment-1.xlsx
    """
    from assessment import exchange
    from assessment.content import load_all

    if not file.is_file():
        raise UserError(f"{file}: no such file")
    exchange.format_of(file.name)
    exchange.check_size(file.stat().st_size, str(file))  # before reading a byte of it
    store = _store()
    data = exchange.parse_file(file.read_bytes(), str(file),
                               exchange.resolver(load_all, store.questionnaire_by_hash))
    new_id = store.add_imported(data)
    final = " (final: read-only until `reopen`)" if data.status == "final" else ""
    typer.echo(f"imported {file} as assessment {new_id} ({len(data.answers)} answers){final}")
    typer.echo(str(new_id))


def _set_status(assessment_id: str, status: str, outcome: str) -> None:
    aid = _parse_id(assessment_id)
    _store().set_status(aid, status)
    typer.echo(f"assessment {aid} " + outcome.format(id=aid))


@app.command()
@friendly
def finalise(assessment_id: AssessmentId) -> None:
    """Mark an assessment final: its answers and targets are read-only until `reopen`.

    Example: python -m assessment finalise 1
    """
    _set_status(assessment_id, "final", "is final: its answers and targets are read-only (`reopen {id}` to edit again)")


@app.command()
@friendly
def reopen(assessment_id: AssessmentId) -> None:
    """Make a final assessment a draft again, so its answers and targets can be edited.

    Example: python -m assessment reopen 1
    """
    _set_status(assessment_id, "draft", "is a draft again: its answers and targets can be edited")


@app.command()
@friendly
def crosswalk(
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    paths: Annotated[list[Path] | None, typer.Argument(help="Questionnaire files or folders.")] = None,
) -> None:
    """Map every question to the NIST AI RMF subcategories it evidences, with coverage per function.

    Example: python -m assessment crosswalk --format csv > crosswalk.csv
    """
    from assessment.content import load_all, nist_ai_rmf
    from assessment.crosswalk import crosswalk_rows, function_coverage, uncovered_subcategories, unknown_subcategories

    if fmt not in ("table", "csv", "json"):
        raise UserError(f"unknown format {fmt!r}; choose table, csv or json")
    questionnaires = load_all(paths or None)
    framework = nist_ai_rmf()
    unknown = unknown_subcategories(questionnaires, framework)
    if unknown:
        qid, sub = unknown[0]
        raise UserError(f"{qid}: {sub!r} is not a subcategory of {framework.title}")
    rows = crosswalk_rows(questionnaires)
    coverage = function_coverage(rows, framework)
    uncovered = uncovered_subcategories(rows, framework)
    if fmt == "csv":
        typer.echo(rows.drop(columns=["question"]).to_csv(index=False), nl=False)
    elif fmt == "json":
        _echo_json({"framework": framework.id,
                    "rows": rows.drop(columns=["question"]).to_dict(orient="records"),
                    "coverage": coverage.to_dict(orient="records"),
                    "covered": len(framework.subcategory_ids()) - len(uncovered),
                    "subcategories": len(framework.subcategory_ids()), "uncovered": uncovered})
    else:
        for r in rows.itertuples():
            typer.echo(f"{r.question_id:<42} {r.subcategory}")
        typer.echo("")
    if fmt != "json":
        target = sys.stderr if fmt == "csv" else sys.stdout
        print(f"coverage of {framework.title}:", file=target)
        for c in coverage.itertuples():
            print(f"  {c.function:<8} {c.covered:>3}/{c.subcategories} subcategories ({c.percent:.0f}%), "
                  f"{c.questions} questions", file=target)
        total = len(framework.subcategory_ids())
        print(f"  total    {total - len(uncovered):>3}/{total} subcategories; not evidenced: "
              f"{', '.join(uncovered) or 'none'}", file=target)


@db_app.command("upgrade")
@friendly
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version.

    Example: DATABASE_URL=postgresql://127.0.0.1/test python -m assessment db upgrade
    """
    from assessment.storage import database_url, describe_url

    _store()
    typer.echo(f"database is up to date: {describe_url(database_url())}")


@db_app.command("status")
@friendly
def db_status() -> None:
    """Print the database (password hidden), its schema revision and the current one; exit 1 unless it is
    reachable and at the current revision, so it serves as a readiness probe. Changes nothing.

    Example: DATABASE_URL=postgresql://app@db/assessments python -m assessment db status
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from assessment.migrations import current_revision, head_revision
    from assessment.storage import database_url, make_engine

    url = database_url()
    typer.echo(f"database: {settings.mask_url(url)}")
    sqlite_file = make_url(url).database if url.startswith("sqlite") else None
    if sqlite_file and sqlite_file != ":memory:" and not Path(sqlite_file).is_file():
        fail(f"{sqlite_file} does not exist: run `assessment db upgrade`")
    engine = make_engine(url)
    try:
        revision = current_revision(engine)
    except OperationalError as exc:
        fail(f"cannot reach the database: {' '.join(str(exc.orig).split())}")
    finally:
        engine.dispose()
    head = head_revision()
    typer.echo(f"revision: {revision or 'none (empty database)'}")
    typer.echo(f"current:  {head}")
    if revision != head:
        fail(f"the database is at revision {revision or 'none'}, not {head}: run `assessment db upgrade`")
    typer.echo("ready")


def _backup_kind(file: Path) -> str:
    suffix = file.suffix.lower()
    if suffix in (".db", ".sqlite"):
        return "sqlite"
    if suffix == ".json":
        return "json"
    raise UserError(f"{file}: name the backup FILE.json (any database) or FILE.db / FILE.sqlite (SQLite)")


@db_app.command("backup")
@friendly
def db_backup(
    file: Annotated[Path, typer.Argument(help="FILE.json: every assessment (any database); FILE.db: an SQLite copy.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Back up the database while it is in use: a JSON dump of every assessment, or an SQLite copy.

    Example: python -m assessment db backup backups/assessments-2026-11-23.json
    """
    from assessment import exchange

    kind = _backup_kind(file)
    if file.exists() and not force:
        raise UserError(f"{file} exists; choose another name or overwrite it with --force")
    store = _store()
    if kind == "sqlite":
        store.backup_sqlite(file)
        count = store.count_assessments()
    else:
        dumps = store.dump()
        part = file.with_name(file.name + ".part")
        part.write_text(exchange.export_backup(dumps), encoding="utf-8")
        part.replace(file)
        count = len(dumps)
    typer.echo(f"backed up {count} assessment(s) to {file}")


@org_app.command("import")
@friendly
def org_import(
    file: Annotated[Path, typer.Argument(help="A CSV with the columns department,business_unit.")],
) -> None:
    """Put departments in business units from a CSV (an empty business_unit takes one out); all or nothing.

    Example: python -m assessment org import organisation.csv
    """
    from assessment.exchange.orgfile import parse_org_csv

    mapping = parse_org_csv(file.read_bytes(), str(file))
    changed = _store().set_business_units(mapping)
    typer.echo(f"read {len(mapping)} department(s) from {file}; {changed} changed")


@org_app.command("rename")
@friendly
def org_rename(
    old: Annotated[str, typer.Argument(help="The business unit's name now.")],
    new: Annotated[str, typer.Argument(help="Its new name (an existing unit's: the two merge).")],
) -> None:
    """Rename a business unit.

    Example: python -m assessment org rename "Retail" "Retail banking"
    """
    moved = _store().rename_business_unit(old, new)
    typer.echo(f"renamed {old!r} to {new.strip()!r} ({moved} department(s))")


@org_app.command("export")
@friendly
def org_export(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE (default: stdout).")] = None,
) -> None:
    """Write every department and its business unit as CSV (the file `org import` reads).

    Example: python -m assessment org export -o organisation.csv
    """
    from assessment.exchange.orgfile import export_org_csv

    data = export_org_csv(_store().department_units())
    if output is None:
        typer.echo(data.decode("utf-8-sig"), nl=False)
        return
    output.write_bytes(data)
    typer.echo(f"wrote {output}")


@db_app.command("restore")
@friendly
def db_restore(
    file: Annotated[Path, typer.Argument(help="A backup written by `db backup` (.json, or .db/.sqlite).")],
    force: Annotated[bool, typer.Option(
        "--force", help="Replace the assessments the database already holds.")] = False,
) -> None:
    """Restore a backup, all of it or nothing; refuses a database that holds assessments unless --force.

    The file is checked completely before anything is replaced (a .db file on a migrated copy), and what
    it replaces is kept first in backups/ beside the database (in the data folder for PostgreSQL).

    Example: python -m assessment db restore backups/assessments-2026-11-23.json
    """
    from assessment import exchange
    from assessment.storage import StorageError

    kind = _backup_kind(file)
    if not file.is_file():
        raise UserError(f"{file}: no such file")
    store = _store()
    if kind == "sqlite":
        restored = store.restore_sqlite(file, replace=force)
    else:
        exchange.check_size(file.stat().st_size, str(file), exchange.MAX_BACKUP_BYTES)
        items = exchange.parse_backup(file.read_bytes(), str(file))
        try:
            restored = store.restore(items, replace=force)
        except StorageError as exc:
            raise UserError(f"{file}: {exc}") from None
    if restored.kept:
        typer.echo(f"kept a backup of what was replaced: {restored.kept}")
    typer.echo(f"restored {restored.count} assessment(s) from {file}")


@user_app.command("add")
@friendly
def user_add(
    name: Annotated[str, typer.Argument(help="Login name of the facilitator.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard "
                                                 "input instead of prompting.")] = False,
) -> None:
    """Add a facilitator account (password hashed with argon2id); the app then asks facilitators to log in.

    Example: python -m assessment user add ada
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    _store().add_user(name, password)
    typer.echo(f"user {name.strip()} added: the app now asks facilitators to log in")


@app.command("config")
@friendly
def config(as_json: Annotated[bool, typer.Option("--json", help="A JSON array.")] = False) -> None:
    """Print the effective configuration: each setting, its value (secrets masked) and where it came from.

    Example: DATABASE_URL=postgresql://app:pw@db/assessments python -m assessment config --json
    """
    rows = settings.effective()
    if as_json:
        _echo_json(rows)
        return
    width = max(len(r["name"]) for r in rows)
    value_width = max(len(r["value"] or "(empty)") for r in rows)
    for r in rows:
        typer.echo(f"{r['name']:<{width}}  {r['value'] or '(empty)':<{value_width}}  {r['source']}")


@app.command("facilitator-key")
@friendly
def facilitator_key() -> None:
    """Print a one-time facilitator key: entered in the app, it lets that browser open a workshop.

    Use it before any facilitator account exists (`make run` prints one at start). The key works once,
    within a day; the database keeps only its hash. Example: python -m assessment facilitator-key
    """
    key = _store().new_facilitator_key()
    typer.echo(f"one-time facilitator key (valid for a day, once): {key}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
