"""What `sweep`, `psa` and `calibrate` share: designs whose runs are kept one by one in a run store.

Check the executor options, open the store (new, resumed or replaced), run what is
missing with a progress bar and signals honoured, then write the results: after an
interruption every stored run is kept for ``--resume``; otherwise the folder's tables
and figures are written with further signals deferred until they are whole.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from simulate.cli.common import check_results_target, fail, print_warnings, progress_bar
from simulate.cli.signals import (
    EXIT_INTERRUPTED,
    Interrupted,
    announce,
    deferred_signals,
    honour_pending,
    results_written,
    stop_signal,
    stoppable,
    written,
)
from simulate.errors import ScenarioError


def check_executor_options(
    scheduler: str | None, dask_local: int | None, resume: bool, overwrite: bool
) -> None:
    """Refuse options that cannot go together or a machine cannot give (ScenarioError)."""
    from simulate.experiment.executors import default_workers, scheduler_address_problem

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


def _clear(directory: Path) -> None:
    """Remove ``directory``: renamed aside first, so a crash leaves no half-deleted folder."""
    if not directory.exists():
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{directory.name}.old-", dir=directory.parent))
    directory.rename(aside / directory.name)
    shutil.rmtree(aside, ignore_errors=True)


def open_store(directory: Path, kind: str, plan, *, resume: bool, overwrite: bool):
    """The run store of ``directory`` for ``plan`` (its fingerprint, evaluator metrics,
    design and replications): new, resumed (``--resume``) or replacing a folder of the
    same ``kind`` (``--overwrite``), and verified against the design. ScenarioError when
    none of these applies."""
    from simulate.output.store import is_occupied
    from simulate.sweep.store import STORE_NAME, RunStore

    store_path = directory / STORE_NAME
    taken = directory.is_dir() and not directory.is_symlink() and is_occupied(directory)
    if not resume and (overwrite or not taken):  # links, files, folders not ours: refused
        check_results_target(directory, kind, overwrite)
    if is_occupied(directory):
        if resume and not store_path.exists():
            raise ScenarioError(
                f"results folder '{directory}' holds no {kind} to resume ({STORE_NAME} missing)"
            )
        if not resume and not overwrite:
            raise ScenarioError(
                f"results folder '{directory}' already exists; pass --resume to continue "
                f"the {kind} in it, --overwrite to replace it, or choose another --out"
            )
        if overwrite:
            _clear(directory)
    store = RunStore(store_path, plan.fingerprint(), plan.evaluator.metrics)
    try:
        store.verify(plan.n_runs // plan.replications, plan.replications)
    except ScenarioError:
        store.close()
        raise
    return store


@dataclass
class Session:
    """What one invocation did to a stored design."""

    already: int
    """Runs stored before this invocation."""
    added: int = 0
    """Runs this invocation committed."""
    code: int = 0
    """Exit status of an interruption (0: the design ran to its end)."""
    stopped_by: int | None = None
    described: dict[str, Any] = field(default_factory=dict)
    """The executor (name, slots)."""
    elapsed: float = 0.0
    """Seconds of this invocation's running."""

    def manifest_extra(self) -> dict[str, Any]:
        """What the invocation adds to the folder's manifest."""
        return {
            "executor": self.described,
            "elapsed_seconds": round(self.elapsed, 3),
            "runs_before_this_session": self.already,
            "runs_this_session": self.added,
        }


def run_stored(
    plan,
    store,
    *,
    label: str,
    executor_options: dict[str, Any],
    quiet: bool,
    on_row: Callable[[dict[str, float]], object] | None = None,
    drive: Callable[..., object] | None = None,
) -> Session:
    """Run every missing (point, replication) of ``plan``'s design into ``store`` with a
    progress bar; a stopping signal ends the loop and is reported in the session (runs committed so
    far stay). An executor that cannot start ends the command with one line, status 2.
    ``drive(executor, store, on_done)`` replaces running the design (a calibration's
    adaptive stages); it commits to ``store`` and calls ``on_done(total stored)``."""
    from simulate.experiment.executors import make_executor
    from simulate.sweep.runner import run_design

    session = Session(already=store.count())
    total = plan.n_runs
    progress = progress_bar(label, "runs {task.fields[rate]}", quiet=quiet)
    started = time.perf_counter()
    try:
        with stoppable():
            try:
                executor = make_executor(**executor_options)
            except OSError as exc:  # e.g. no Dask scheduler at the address
                raise ScenarioError(f"cannot start the executor: {exc}") from None
            session.described = executor.describe()
            with executor, progress:
                task = progress.add_task("runs", total=total, completed=session.already, rate="")

                def advance(stored: int) -> None:
                    session.added = stored - session.already
                    rate = session.added / max(time.perf_counter() - started, 1e-9)
                    progress.update(task, completed=stored, rate=f"{rate:.2f}/s")
                    honour_pending()

                if drive is not None:
                    drive(executor, store, advance)
                else:
                    run_design(
                        plan.design,
                        plan.evaluator,
                        plan.replications,
                        executor,
                        store,
                        on_done=advance,
                        on_row=on_row,
                    )
    except (KeyboardInterrupt, Interrupted) as stop:
        session.stopped_by = stop_signal(stop)  # further signals wait: the store gets written
        session.code = EXIT_INTERRUPTED[session.stopped_by]
    except ScenarioError as error:  # the executor could not start: one line, status 2
        store.close()
        fail(error)
    session.elapsed = time.perf_counter() - started
    return session


def finish_stored(
    directory: Path,
    store,
    session: Session,
    write: Callable[..., dict[str, Any]],
    total: int,
    kind: str,
) -> dict[str, Any]:
    """Write the folder from the store and return its manifest; after an interruption,
    the tables only (every stored run kept for ``--resume``), one line, and the
    interruption's exit status. ``write(figures=...)`` writes the folder."""
    if session.code:  # stopping signals are ignored from the interruption on
        try:
            manifest = write(figures=False)
        finally:
            store.close()
            written()
        print_warnings(manifest.get("warnings", []))
        left = (
            "(manifest: complete false); continue with --resume"
            if not manifest["complete"]
            else "(all of them); --resume writes the figures"
        )
        announce(
            f"interrupted ({signal.Signals(session.stopped_by).name}): "
            f"{manifest['runs_finished']} of {total} runs are kept in {directory} {left}",
            session.code,
        )
        raise typer.Exit(session.code)
    try:
        with deferred_signals() as received:
            manifest = write(figures=True)
    finally:
        store.close()
    results_written(directory)
    print_warnings(manifest.get("warnings", []))
    if received:
        announce(
            f"interrupted ({signal.Signals(received[0]).name}) while writing: the {kind}'s "
            f"results were finished and written whole to '{directory}'",
            EXIT_INTERRUPTED[received[0]],
        )
        raise typer.Exit(EXIT_INTERRUPTED[received[0]])
    return manifest
