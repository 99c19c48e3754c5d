"""`simulate run`: run a scenario's replications and write its results."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from simulate.accounts.catalogue import key_metrics
from simulate.cli.common import (
    app,
    check_report_options,
    check_results_target,
    err,
    fail,
    out,
    print_warnings,
    progress_bar,
    with_report,
    write_results,
)
from simulate.cli.options import (
    AnimateOption,
    NoReportOption,
    OutOption,
    OverwriteOption,
    QuietOption,
    ReplicationsOption,
    SeedOption,
    SetOption,
    WorkersOption,
)
from simulate.cli.signals import (
    EXIT_INTERRUPTED,
    Interrupted,
    announce,
    honour_pending,
    stop_signal,
    stoppable,
    written,
)
from simulate.errors import ScenarioError
from simulate.units import period_span, period_unit

KEY_METRICS = key_metrics("p95_wait_days", "payment_total")


def _load_manifest_scenario(path: Path, force: bool):
    """The resolved scenario stored in a run's manifest.json, checked as ``run FILE``
    checks a file (schema, consistency, workload bounds) and against the manifest's
    SHA-256: an edited scenario runs only with ``force`` (then with a warning)."""
    import json

    from pydantic import ValidationError

    from simulate.output.store import scenario_hash
    from simulate.scenario.consistency import inconsistencies
    from simulate.scenario.loader import validation_error
    from simulate.scenario.models import Scenario
    from simulate.scenario.yaml_source import format_path

    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        data, recorded = manifest["scenario"], manifest["scenario_sha256"]
    except OSError as exc:
        raise ScenarioError(f"cannot read manifest: {exc.strerror}", file=str(path)) from None
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(f"not a ValueSim run manifest: {first}", file=str(path)) from None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, data, {}, str(path)) from None
    problems = inconsistencies(scenario)
    if problems:
        field, message = problems[0]
        raise ScenarioError(message, file=str(path), field="scenario." + format_path(field))
    if scenario_hash(scenario) != recorded:
        message = (
            "the scenario in this manifest was changed after the run (its SHA-256 is not "
            "scenario_sha256), so it would not give the same numbers"
        )
        if not force:
            raise ScenarioError(message + "; pass --force to run it anyway", file=str(path))
        err.print(f"warning: {escape(message)}; running it anyway (--force)", highlight=False)
    return scenario


ScenarioArgument = Annotated[
    str | None, typer.Argument(help="Scenario YAML file, or the name of a bundled scenario.")
]
EpisodeLogOption = Annotated[
    bool, typer.Option("--episode-log", help="Also write episodes.csv (one row per episode).")
]
FromManifestOption = Annotated[
    Path | None,
    typer.Option("--from-manifest", help="Rerun the scenario stored in a run's manifest.json."),
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="With --from-manifest: run a scenario edited since.")
]
SECTIONS_ELSEWHERE = (("variants", "compare"), ("sweep", "sweep"), ("uncertainty", "psa"))
"""Experiment sections of a scenario file and the command that runs each."""


@app.command()
def run(
    scenario_file: ScenarioArgument = None,
    replications: ReplicationsOption = None,
    seed: SeedOption = None,
    out_dir: OutOption = None,
    overrides: SetOption = None,
    workers: WorkersOption = None,
    episode_log: EpisodeLogOption = False,
    overwrite: OverwriteOption = False,
    from_manifest: FromManifestOption = None,
    force: ForceOption = False,
    quiet: QuietOption = False,
    animate: AnimateOption = False,
    no_report: NoReportOption = False,
) -> None:
    """Run a scenario's replications; write tables, a manifest, figures and dashboard.html."""
    from simulate.experiment.executors import default_workers
    from simulate.experiment.replications import with_run_options
    from simulate.output.store import write_run

    try:
        check_report_options(animate, no_report)
        scenario, files, applied = _load(scenario_file, from_manifest, force, overrides, quiet)
        scenario = with_run_options(scenario, replications=replications, seed=seed)
        directory = out_dir if out_dir is not None else Path("results") / scenario.name
        check_results_target(directory, "run", overwrite)
    except ScenarioError as error:
        fail(error)
    n_workers = workers or default_workers()
    result, stop = _simulate(scenario, n_workers, episode_log, quiet)
    complete = len(result.replications) == scenario.replications
    extra = _manifest_extra(result, complete, files, applied, n_workers)
    write_all = with_report(
        lambda folder: write_run(result.tables(), result.scenario, folder, extra=extra),
        no_report=no_report,
        animate=animate,
    )
    write_results(directory, write_all, kind="run", overwrite=overwrite)
    print_warnings(extra["warnings"])
    if stop is not None:
        written()
        announce(
            f"interrupted ({signal.Signals(stop).name}): {len(result.replications)} of "
            f"{scenario.replications} replications finished and were written to {directory} "
            f"(manifest: complete {str(complete).lower()})",
            EXIT_INTERRUPTED[stop],
        )
        raise typer.Exit(EXIT_INTERRUPTED[stop])
    if not quiet:
        _print_summary(result)
        out.print(f"results written to [bold]{escape(str(directory))}[/]", highlight=False)


def _load(scenario_file, from_manifest, force: bool, overrides, quiet: bool):
    """(scenario, files read, overrides applied) from a file or a run's manifest;
    ScenarioError for bad input or options that do not go together."""
    from simulate.scenario.loader import resolve_scenario

    if (scenario_file is None) == (from_manifest is None):
        raise ScenarioError("give a scenario FILE or --from-manifest PATH (one of them)")
    if force and from_manifest is None:
        raise ScenarioError("--force goes with --from-manifest (to rerun an edited manifest)")
    if from_manifest is not None:
        if overrides:
            raise ScenarioError("--set cannot be combined with --from-manifest")
        return _load_manifest_scenario(from_manifest, force), [str(from_manifest)], []
    resolved = resolve_scenario(scenario_file, overrides or [])
    for section, command in SECTIONS_ELSEWHERE:
        if section in resolved.extras and not quiet:
            err.print(
                f"note: the file has a {section}: section; 'simulate run' runs the "
                f"base scenario only (use 'simulate {command}')",
                highlight=False,
            )
    return resolved.scenario, list(resolved.files), list(resolved.overrides)


def _simulate(scenario, n_workers: int, episode_log: bool, quiet: bool):
    """(result, stopping signal or None): every replication, or those finished before a
    stopping signal (further signals wait so they can be written). Nothing finished:
    one line and the interruption's status."""
    from simulate.experiment.replications import build_result
    from simulate.experiment.replications import run as run_scenario

    progress = progress_bar(f"[bold]{scenario.name}[/]", "replications", quiet=quiet)
    finished: dict[int, object] = {}
    started = time.perf_counter()
    try:
        with stoppable(), progress:
            task = progress.add_task("run", total=scenario.replications)
            result = run_scenario(
                scenario,
                workers=n_workers,
                episode_log=episode_log or None,
                on_done=lambda done: (honour_pending(), progress.update(task, completed=done)),
                on_result=finished.__setitem__,
            )
        return result, None
    except (KeyboardInterrupt, Interrupted) as stop:
        signum = stop_signal(stop)  # SIGTERM waits from here: what is kept gets written
        if not finished:
            written()
            code = EXIT_INTERRUPTED[signum]
            name = signal.Signals(signum).name
            announce(f"interrupted ({name}): nothing finished, nothing written", code)
            raise typer.Exit(code) from None
        kept = [finished[k] for k in sorted(finished)]
        elapsed = time.perf_counter() - started
        return build_result(scenario, kept, elapsed_seconds=elapsed), signum


def _manifest_extra(result, complete: bool, files, applied, n_workers: int) -> dict:
    """What the run adds to its manifest: completeness, sources, patients, warnings."""
    from simulate.experiment.coverage import extrapolation_warnings
    from simulate.experiment.guards import run_warnings
    from simulate.model.capacity import team_loads
    from simulate.output.bindings import rule_bindings

    patients = _patient_totals(result)
    return {
        "complete": complete,
        "replications_finished": len(result.replications),
        "source_files": files,
        "overrides": list(applied),
        "workers": n_workers,
        "elapsed_seconds": round(result.elapsed_seconds, 3),
        "patients": patients,
        "warnings": run_warnings(team_loads(result.scenario), patients)
        + extrapolation_warnings(result.scenario),
        "incentives_due_after_horizon": sum(
            item.amount for r in result.replications for item in r.unpaid_line_items
        ),
        "rule_bindings": rule_bindings(result.scenario, result.replications),
    }


def _patient_totals(result) -> dict[str, int]:
    from simulate.experiment.guards import patient_totals

    return patient_totals([r.tally for r in result.replications])


def _print_summary(result) -> None:
    summary = result.summary
    rows = summary[(summary["level"] != "physician") & summary["metric"].isin(KEY_METRICS)]
    s = result.scenario
    table = Table(
        title=f"{s.name}: {s.replications} replications, "
        f"{period_span(s.period_days, s.warmup_periods, s.horizon_periods - 1)} "
        f"(mean per {period_unit(s.period_days)} or rate, 95% CI)",
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
