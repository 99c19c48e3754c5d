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
    out,
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
    from simulate.output.store import is_occupied
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
                f"{len(plan.spec.parameters)} parameters, {plan.design.n_points} points x "
                f"{plan.replications} replications = {plan.n_runs} runs -> {directory}",
                highlight=False,
                soft_wrap=True,
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

                run_design(
                    plan.design, plan.evaluator, plan.replications, executor, store, on_done=advance
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
    }
    if code:  # stopping signals are ignored from the interruption on
        try:
            manifest = write_outputs(plan, store, directory, extra=extra, figures=False)
        finally:
            store.close()
            written()
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
            f"{plan.design.method} sweep of {plan.scenario.name}: {plan.design.n_points} points "
            f"x {plan.replications} replications; {new} runs in {elapsed:.1f} s "
            f"({described.get('executor')}, {described.get('slots')} slots)",
            highlight=False,
            soft_wrap=True,
        )
        out.print(f"results written to [bold]{escape(str(directory))}[/]", highlight=False)
