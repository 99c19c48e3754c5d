"""The `simulate sweep` command (registers itself on the app)."""

from __future__ import annotations

import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from simulate.cli.common import (
    EXIT_INTERRUPTED,
    Interrupted,
    OverwriteOption,
    QuietOption,
    ScenarioFile,
    SetOption,
    WorkersOption,
    announce,
    app,
    check_results_target,
    deferred_signals,
    fail,
    honour_pending,
    out,
    print_warnings,
    progress_bar,
    results_written,
    stop_signal,
    stoppable,
    written,
)
from simulate.errors import ScenarioError


def _clear(directory: Path) -> None:
    """Remove ``directory``: renamed aside first, so a crash leaves no half-deleted folder."""
    if not directory.exists():
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{directory.name}.old-", dir=directory.parent))
    directory.rename(aside / directory.name)
    shutil.rmtree(aside, ignore_errors=True)


@app.command()
def sweep(
    scenario_file: ScenarioFile,
    overrides: SetOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Results folder (default: results/<scenario name>-sweep)."),
    ] = None,
    workers: WorkersOption = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (tcp://host:8786): run on that cluster."),
    ] = None,
    dask_local: Annotated[
        int | None,
        typer.Option(min=1, max=1024, help="Start a Dask LocalCluster with N worker processes."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue a stopped sweep: run only what is missing.")
    ] = False,
    overwrite: OverwriteOption = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the sweep and print its size; run nothing.")
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Run the scenario's sweep: a design over parameters, replications per point.

    Writes runs, per-point means, sensitivity indices and figures to the results folder;
    each finished run is kept, so --resume continues a stopped sweep.
    """
    from simulate.experiment.executors import (
        default_workers,
        make_executor,
        scheduler_address_problem,
    )
    from simulate.experiment.guards import sweep_warnings
    from simulate.output.store import is_occupied
    from simulate.sweep.analysis import stability_warnings
    from simulate.sweep.evaluate import PATIENT_KEYS
    from simulate.sweep.output import write_outputs
    from simulate.sweep.plan import plan_sweep
    from simulate.sweep.runner import run_design
    from simulate.sweep.store import STORE_NAME, RunStore

    try:
        cores = default_workers()
        if dask_local is not None and dask_local > cores:
            raise ScenarioError(
                f"--dask-local {dask_local}: this machine gives {cores} cores; a local "
                f"cluster has at most one worker per core (use --scheduler for a cluster)"
            )
        problem = scheduler_address_problem(scheduler) if scheduler is not None else None
        if problem is not None:
            raise ScenarioError(
                f"--scheduler {scheduler}: {problem}; give an address such as tcp://10.0.0.5:8786"
            )
        if scheduler is not None and dask_local is not None:
            raise ScenarioError("give --scheduler or --dask-local, not both")
        if resume and overwrite:
            raise ScenarioError("give --resume or --overwrite, not both")
        plan = plan_sweep(scenario_file, overrides or [])
        directory = (
            out_dir if out_dir is not None else Path("results") / f"{plan.scenario.name}-sweep"
        )
        if dry_run:
            out.print(
                f"ok: {plan.scenario.name}: {plan.design.method} design, "
                f"{_count(len(plan.spec.parameters), 'parameter')}, "
                f"{_count(plan.design.n_points, 'point')} x "
                f"{_count(plan.replications, 'replication')} = {_count(plan.n_runs, 'run')} "
                f"-> {directory}",
                highlight=False,
                soft_wrap=True,
            )
            print_warnings(
                [
                    *sweep_warnings(plan.point_loads, (), _point_names(plan)),
                    *stability_warnings(plan.design.method, plan.spec.n_samples, None),
                ]
            )
            return
        store_path = directory / STORE_NAME
        taken = directory.is_dir() and not directory.is_symlink() and is_occupied(directory)
        if not resume and (overwrite or not taken):  # links, files, folders not ours: refused
            check_results_target(directory, "sweep", overwrite)
        if is_occupied(directory):
            if resume and not store_path.exists():
                raise ScenarioError(
                    f"results folder '{directory}' holds no sweep to resume ({STORE_NAME} missing)"
                )
            if not resume and not overwrite:
                raise ScenarioError(
                    f"results folder '{directory}' already exists; pass --resume to continue "
                    "the sweep in it, --overwrite to replace it, or choose another --out"
                )
            if overwrite:
                _clear(directory)
        store = RunStore(store_path, plan.fingerprint(), plan.spec.metrics)
        try:
            store.verify(plan.design.n_points, plan.replications)
        except ScenarioError:
            store.close()
            raise
    except ScenarioError as error:
        fail(error)
    already = store.count()
    progress = progress_bar(
        f"[bold]{escape(plan.scenario.name)}[/] sweep", "runs {task.fields[rate]}", quiet=quiet
    )
    started = time.perf_counter()
    code = 0
    described: dict = {}
    session = [0]  # runs committed by this invocation
    patients: list[dict[str, float]] = []  # arrived and queued of each run of this invocation

    def note_patients(row: dict[str, float]) -> None:
        if all(key in row for key in PATIENT_KEYS):
            patients.append({count: row[key] for key, count in PATIENT_KEYS.items()})

    try:
        with stoppable():
            try:
                executor = make_executor(workers, scheduler=scheduler, dask_local=dask_local)
            except OSError as exc:  # e.g. no Dask scheduler at the address
                raise ScenarioError(f"cannot start the executor: {exc}") from None
            described = executor.describe()
            with executor, progress:
                task = progress.add_task("sweep", total=plan.n_runs, completed=already, rate="")

                def advance(total: int) -> None:
                    session[0] = total - already
                    rate = (total - already) / max(time.perf_counter() - started, 1e-9)
                    progress.update(task, completed=total, rate=f"{rate:.2f}/s")
                    honour_pending()

                run_design(
                    plan.design,
                    plan.evaluator,
                    plan.replications,
                    executor,
                    store,
                    on_done=advance,
                    on_row=note_patients,
                )
    except (KeyboardInterrupt, Interrupted) as stop:
        stopped_by = stop_signal(stop)  # further signals wait: the store gets written
        code = EXIT_INTERRUPTED[stopped_by]
    except ScenarioError as error:
        store.close()
        fail(error)
    elapsed = time.perf_counter() - started
    extra = {
        "executor": described,
        "elapsed_seconds": round(elapsed, 3),
        "runs_before_this_session": already,
        "runs_this_session": session[0],
        "warnings": sweep_warnings(plan.point_loads, patients, _point_names(plan)),
    }
    if code:  # stopping signals are ignored from the interruption on
        try:
            manifest = write_outputs(plan, store, directory, extra=extra, figures=False)
        finally:
            store.close()
            written()
        print_warnings(manifest["warnings"])
        left = (
            "(manifest: complete false); continue with --resume"
            if not manifest["complete"]
            else "(all of them); --resume writes the figures"
        )
        announce(
            f"interrupted ({signal.Signals(stopped_by).name}): {manifest['runs_finished']} of "
            f"{plan.n_runs} runs are kept in {directory} {left}",
            code,
        )
        raise typer.Exit(code)
    try:
        with deferred_signals() as received:
            manifest = write_outputs(plan, store, directory, extra=extra)
    finally:
        store.close()
    results_written(directory)
    print_warnings(manifest["warnings"])
    if received:
        announce(
            f"interrupted ({signal.Signals(received[0]).name}) while writing: the sweep's "
            f"results were finished and written whole to '{directory}'",
            EXIT_INTERRUPTED[received[0]],
        )
        raise typer.Exit(EXIT_INTERRUPTED[received[0]])
    if not quiet:
        new = manifest["runs_finished"] - already
        out.print(
            f"{plan.design.method} sweep of {plan.scenario.name}: "
            f"{_count(plan.design.n_points, 'point')} x "
            f"{_count(plan.replications, 'replication')}; {_count(new, 'run')} in "
            f"{elapsed:.1f} s ({described.get('executor')}, "
            f"{_count(described.get('slots'), 'slot')})",
            highlight=False,
            soft_wrap=True,
        )
        _print_indices(directory, plan.spec.plot_metrics, plan.labels())
        out.print(f"results written to [bold]{escape(str(directory))}[/]", highlight=False)


def _point_names(plan) -> list[str]:
    """Each design point's parameter values as text (``path=value, ...``)."""

    def show(value) -> str:
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    return [
        ", ".join(f"{name}={show(v)}" for name, v in zip(plan.design.names, values, strict=True))
        for values in plan.design.values
    ]


def _print_indices(directory: Path, metrics, labels: dict[str, str]) -> None:
    """The plotted metrics' Sobol or Morris indices with their 95% bootstrap CIs, as
    written to sensitivity.csv (nothing for other designs)."""
    import pandas as pd
    from rich.table import Table

    path = directory / "sensitivity.csv"
    if not path.exists():
        return
    table = pd.read_csv(path)
    table = table[table["metric"].isin(list(metrics))] if len(table) else table
    if table.empty:
        return
    sobol = table["method"].iloc[0] == "sobol"
    columns = ("S1", "ST") if sobol else ("mu_star", "sigma")
    shown = Table(
        title="Sobol indices (95% bootstrap CI)" if sobol else "Morris mu* (95% bootstrap CI)",
        title_justify="left",
    )
    shown.add_column("metric", overflow="fold")
    shown.add_column("parameter", overflow="fold")
    for name in columns:
        shown.add_column(name, justify="right", no_wrap=True)
    for row in table.itertuples(index=False):
        cells = [
            _with_interval(
                getattr(row, c),
                getattr(row, f"{c}_low", None),
                getattr(row, f"{c}_high", None),
                sobol,
            )
            for c in columns
        ]
        shown.add_row(row.metric, escape(labels.get(row.parameter, row.parameter)), *cells)
    out.print(shown)
    out.print("all metrics: sensitivity.csv", highlight=False)


def _with_interval(value: float, low: float | None, high: float | None, fixed: bool) -> str:
    """``0.41 [0.30, 0.52]`` (two decimals for Sobol shares, three figures otherwise)."""

    def num(x: float) -> str:
        if x != x:  # NaN
            return "-"
        return f"{x:.2f}" if fixed else f"{x:,.3g}"

    if low is None or high is None or low != low:
        return num(value)
    return f"{num(value)} [{num(low)}, {num(high)}]"


def _count(n, noun: str) -> str:
    """``1 slot``, ``4 slots``: the number and the noun, plural unless it is 1."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
