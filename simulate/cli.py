"""The ``simulate`` command: run, validate, list scenarios, print the schema."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from simulate.errors import ScenarioError

app = typer.Typer(
    name="simulate",
    help="ValueSim: simulate physician payment, incentive and peer-pressure schemes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

KEY_METRICS = (
    "episodes",
    "cost_per_episode",
    "complication_rate",
    "readmission_rate",
    "mean_wait_days",
    "p95_wait_days",
    "recovery_days",
    "qalys",
    "value",
    "payment_total",
)

ScenarioFile = Annotated[
    str, typer.Argument(help="Scenario YAML file, or the name of a bundled scenario.")
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a value, dotted.path=value (read as YAML): teams[0].nurses=20. Repeatable.",
        show_default=False,
    ),
]


WorkersOption = Annotated[
    int | None,
    typer.Option(min=1, max=1024, help="Worker processes (default: all cores; 1 runs serially)."),
]
OverwriteOption = Annotated[
    bool, typer.Option("--overwrite", help="Replace an existing results folder.")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")]


def _fail(error: ScenarioError) -> None:
    err.print(f"[bold red]error:[/] {escape(error.format())}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


EXIT_INTERRUPTED = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Interrupted(Exception):
    """The run was stopped by a signal (Ctrl-C or SIGTERM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)  # args must rebuild it: SimPy re-raises copies
        self.signum = int(signum)


def _raise_interrupted(signum: int, frame) -> None:
    raise Interrupted(signum)


def _load_manifest_scenario(path: Path):
    """The resolved scenario stored in a run's manifest.json."""
    import json

    from pydantic import ValidationError

    from simulate.scenario.models import Scenario

    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        return Scenario.model_validate(manifest["scenario"])
    except OSError as exc:
        raise ScenarioError(f"cannot read manifest: {exc.strerror}", file=str(path)) from None
    except (ValueError, KeyError, TypeError, ValidationError, RecursionError) as exc:
        first = str(exc).splitlines()[0]
        raise ScenarioError(f"not a ValueSim manifest: {first}", file=str(path)) from None


@app.command()
def run(
    scenario_file: Annotated[
        str | None,
        typer.Argument(help="Scenario YAML file, or the name of a bundled scenario."),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", min=1, max=100_000, help="Replications to run."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, max=2**63 - 1, help="Seed (default: the scenario's).")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Results folder (default: results/<scenario name>)."),
    ] = None,
    overrides: SetOption = None,
    workers: WorkersOption = None,
    episode_log: Annotated[
        bool, typer.Option("--episode-log", help="Also write episodes.csv (one row per episode).")
    ] = False,
    overwrite: OverwriteOption = False,
    from_manifest: Annotated[
        Path | None,
        typer.Option("--from-manifest", help="Rerun the scenario stored in a run's manifest.json."),
    ] = None,
    quiet: QuietOption = False,
    animate: Annotated[
        bool, typer.Option("--animate", help="Also write report/animation.gif (for trainers).")
    ] = False,
    no_report: Annotated[
        bool,
        typer.Option(
            "--no-report", help="Tables and manifest only: no dashboard.html or report/ (faster)."
        ),
    ] = False,
) -> None:
    """Run a scenario's replications; write tables, a manifest, figures and dashboard.html."""
    from simulate.experiment.executors import default_workers
    from simulate.experiment.replications import build_result, with_run_options
    from simulate.experiment.replications import run as run_scenario
    from simulate.output.store import write_run
    from simulate.scenario.loader import resolve_scenario

    try:
        if (scenario_file is None) == (from_manifest is None):
            raise ScenarioError("give a scenario FILE or --from-manifest PATH (one of them)")
        if animate and no_report:
            raise ScenarioError("--animate draws into the report; it cannot go with --no-report")
        if from_manifest is not None:
            if overrides:
                raise ScenarioError("--set cannot be combined with --from-manifest")
            scenario, files, applied = _load_manifest_scenario(from_manifest), [], []
            files = [str(from_manifest)]
        else:
            resolved = resolve_scenario(scenario_file, overrides or [])
            scenario, files, applied = resolved.scenario, list(resolved.files), resolved.overrides
            for section, command in (("variants", "compare"), ("sweep", "sweep")):
                if section in resolved.extras and not quiet:
                    err.print(
                        f"note: the file has a {section}: section; 'simulate run' runs the "
                        f"base scenario only (use 'simulate {command}')",
                        highlight=False,
                    )
        scenario = with_run_options(scenario, replications=replications, seed=seed)
        directory = out_dir if out_dir is not None else Path("results") / scenario.name
        refuse_occupied(directory, overwrite)
    except ScenarioError as error:
        _fail(error)
    n_workers = workers or default_workers()
    show_progress = not quiet and err.is_terminal
    progress = Progress(
        TextColumn(f"[bold]{scenario.name}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("replications"),
        TimeRemainingColumn(),
        console=err,
        disable=not show_progress,
        transient=True,
    )
    finished: dict[int, object] = {}
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    started = time.perf_counter()
    try:
        with progress:
            task = progress.add_task("run", total=scenario.replications)
            result = run_scenario(
                scenario,
                workers=n_workers,
                episode_log=episode_log or None,
                on_done=lambda done: progress.update(task, completed=done),
                on_result=finished.__setitem__,
            )
        complete = True
    except (KeyboardInterrupt, Interrupted) as stop:
        signum = stop.signum if isinstance(stop, Interrupted) else signal.SIGINT
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # finish writing what is kept
        code = EXIT_INTERRUPTED[signum]
        if not finished:
            err.print(
                f"interrupted ({signal.Signals(signum).name}): nothing finished, nothing written"
            )
            raise typer.Exit(code) from None
        kept = [finished[k] for k in sorted(finished)]
        result = build_result(scenario, kept, elapsed_seconds=time.perf_counter() - started)
        complete = False
    finally:
        signal.signal(signal.SIGTERM, previous)
    extra = {
        "complete": complete,
        "replications_finished": len(result.replications),
        "source_files": files,
        "overrides": list(applied),
        "workers": n_workers,
        "elapsed_seconds": round(result.elapsed_seconds, 3),
        "patients": _patient_totals(result),
        "incentives_due_after_horizon": sum(
            item.amount for r in result.replications for item in r.unpaid_line_items
        ),
    }
    from simulate.report import build_report

    def write_all(folder: Path) -> None:
        write_run(result.tables(), result.scenario, folder, extra=extra)
        if no_report:
            return
        try:
            build_report(folder, animate=animate)
        except OSError:
            raise  # a write failure: nothing is written (write_results)
        except Exception as exc:  # the tables matter more than the figures
            err.print(f"warning: dashboard not written: {escape(repr(exc))}", highlight=False)

    write_results(directory, write_all)
    if not complete:
        n = len(result.replications)
        err.print(
            f"interrupted: {n} of {scenario.replications} replications finished and were "
            f"written to {directory} (manifest: complete false)",
            highlight=False,
        )
        raise typer.Exit(code)
    if not quiet:
        _print_summary(result)
        out.print(f"results written to [bold]{escape(str(directory))}[/]", highlight=False)


EXIT_WRITE_FAILED = 1
"""Exit status when the results could not be written (a full disk, a read-only folder)."""


def refuse_occupied(directory: Path, overwrite: bool) -> None:
    """Raise ScenarioError when ``directory`` holds anything and ``--overwrite`` was not given."""
    from simulate.output.store import is_occupied

    if is_occupied(directory) and not overwrite:
        raise ScenarioError(
            f"results folder '{directory}' already exists; choose another --out or "
            "pass --overwrite to replace it"
        )


def write_results(directory: Path, write) -> None:
    """``write_directory``, with a write failure shown as one line and exit status 1.

    Nothing is left behind: the staging folder is removed and an existing results
    folder is kept as it was.
    """
    from simulate.output.store import write_directory
    from simulate.scenario.yaml_source import one_line

    try:
        write_directory(directory, write)
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        err.print(
            f"error: cannot write results to '{escape(one_line(str(directory)))}': "
            f"{escape(one_line(reason))}; nothing was written",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_WRITE_FAILED) from None


def _patient_totals(result) -> dict[str, int]:
    keys = (
        "arrived",
        "finished",
        "queued",
        "in_treatment",
        "awaiting_readmission",
        "turned_away",
        "declined",
    )
    return {k: int(sum(getattr(r.tally, k) for r in result.replications)) for k in keys}


def _print_summary(result) -> None:
    summary = result.summary
    rows = summary[(summary["level"] != "physician") & summary["metric"].isin(KEY_METRICS)]
    s = result.scenario
    table = Table(
        title=f"{s.name}: {s.replications} replications, periods {s.warmup_periods + 1}-"
        f"{s.horizon_periods} (mean per period or rate, 95% CI)",
        title_justify="left",
    )
    table.add_column("metric")
    units = list(dict.fromkeys(rows["unit"]))
    for unit in units:
        table.add_column(unit, justify="right")
    for metric in KEY_METRICS:
        cells = []
        for unit in units:
            row = rows[(rows["unit"] == unit) & (rows["metric"] == metric)].iloc[0]
            cells.append(_fmt(row["mean"], row["ci_low"], row["ci_high"]))
        table.add_row(metric, *cells)
    out.print(table)


def _fmt(mean: float, low: float, high: float) -> str:
    def num(x: float) -> str:
        if x != x:  # NaN
            return "-"
        return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"

    if low != low:
        return num(mean)
    return f"{num(mean)} [{num(low)}, {num(high)}]"


@app.command()
def validate(
    scenario_file: ScenarioFile,
    overrides: SetOption = None,
) -> None:
    """Check a scenario without running it; print its teams' expected utilisation."""
    from simulate.model.capacity import team_loads
    from simulate.scenario.loader import resolve_scenario

    try:
        resolved = resolve_scenario(scenario_file, overrides or [])
        experiments = _experiment_summaries(resolved, scenario_file, overrides or [])
    except ScenarioError as error:
        _fail(error)
    s = resolved.scenario
    out.print(
        f"ok: {s.name} ({' <- '.join(Path(f).name for f in reversed(resolved.files))}): "
        f"{len(s.conditions)} conditions, {len(s.teams)} teams, {s.n_physicians} physicians, "
        f"{s.horizon_periods} periods of {s.period_days:g} days, {s.replications} replications",
        highlight=False,
    )
    for load, team in zip(team_loads(s), s.teams, strict=True):
        flag = (
            "  [bold red]warning: demand exceeds capacity; the queue will fill to "
            f"max_queue ({team.max_queue:,}) and further patients are turned away[/]"
        )
        out.print(
            f"  team {load.team}: {load.arrival_rate:.3g} patients/day, offered load "
            f"{load.offered_load:.3g} of {load.capacity} slots, utilisation {load.utilisation:.2f}"
            + (flag if load.utilisation >= 1 else ""),
            highlight=False,
        )
    for line in experiments:
        out.print(escape(line), highlight=False)


def _experiment_summaries(resolved, scenario_file: str, overrides: list[str]) -> list[str]:
    """Check the file's ``variants:`` and ``sweep:`` sections too; one line on each."""
    lines = []
    if "variants" in resolved.extras:
        from simulate.compare.variants import load_variants

        variant_set = load_variants(scenario_file, overrides)
        names = [v.name for v in variant_set.variants]
        lines.append(
            f"  variants: {len(names)} ({', '.join(names)}), "
            f"reference {variant_set.settings.reference}"
        )
    if "sweep" in resolved.extras:
        from simulate.sweep.plan import plan_sweep

        plan = plan_sweep(scenario_file, overrides)
        lines.append(
            f"  sweep: {plan.spec.design} design over {len(plan.spec.parameters)} parameters, "
            f"{plan.n_runs:,} runs"
        )
    return lines


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor autocompletion)."""
    from simulate.scenario.schema import schema_json

    sys.stdout.write(schema_json() + "\n")


@app.command()
def scenarios() -> None:
    """List the bundled scenarios with their descriptions."""
    from simulate.scenario.loader import bundled_scenarios, load_scenario

    table = Table(title="Bundled scenarios (run with: simulate run NAME)", title_justify="left")
    table.add_column("name", no_wrap=True)
    table.add_column("description")
    for path in bundled_scenarios():
        try:
            description = " ".join(load_scenario(path).description.split())
        except ScenarioError as error:
            description = f"(invalid: {error.format()})"
        table.add_row(path.stem, description)
    out.print(table)


# Commands defined in their own modules register themselves on `app` when imported
# (imported here, after everything they use from this module is defined).
# Keep one import per line: each feature owns its line.
import simulate.compare.command  # noqa: E402  `simulate compare`
import simulate.report.command  # noqa: E402  `simulate report`
import simulate.sweep.command  # noqa: E402, F401  `simulate sweep`


def main() -> None:
    """Entry point of the ``simulate`` console script."""
    app()


if __name__ == "__main__":
    main()
