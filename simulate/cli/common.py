"""What every command shares: the app, consoles, options, errors, interrupts, writing."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

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


def _print_version(value: bool) -> None:
    if value:
        import importlib.metadata

        out.print(f"valuesim {importlib.metadata.version('valuesim')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version (valuesim X.Y.Z) and exit.",
        ),
    ] = False,
) -> None:
    """ValueSim: simulate physician payment, incentive and peer-pressure schemes."""


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
AnimateOption = Annotated[
    bool, typer.Option("--animate", help="Also write report/animation.gif (for trainers).")
]
NoReportOption = Annotated[
    bool,
    typer.Option(
        "--no-report", help="Tables and manifest only: no dashboard.html or report/ (faster)."
    ),
]


def check_report_options(animate: bool, no_report: bool) -> None:
    """Refuse ``--animate`` with ``--no-report`` (ScenarioError)."""
    if animate and no_report:
        raise ScenarioError("--animate draws into the report; it cannot go with --no-report")


def with_report(write_tables, *, no_report: bool, animate: bool):
    """``write_tables(folder)``, then the dashboard and figures into the same folder.

    A failing figure costs the dashboard (a warning), never the tables; a failing write
    (OSError) fails the whole write, so nothing is left half-written.
    """

    def write(folder: Path) -> None:
        write_tables(folder)
        if no_report:
            return
        from simulate.report import build_report

        try:
            build_report(folder, animate=animate)
        except OSError:
            raise
        except Exception as exc:  # the tables matter more than the figures
            err.print(f"warning: dashboard not written: {escape(repr(exc))}", highlight=False)

    return write


def print_warnings(lines: list[str]) -> None:
    """Print each warning as one ``warning:`` line on stderr (even with --quiet: a
    warning is about the numbers, not progress)."""
    for line in lines:
        err.print(f"[bold yellow]warning:[/] {escape(line)}", highlight=False, soft_wrap=True)


def fail(error: ScenarioError) -> None:
    """Print a scenario error as one line and exit with status 2."""
    err.print(f"[bold red]error:[/] {escape(error.format())}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


EXIT_INTERRUPTED = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
"""Exit status after each stopping signal (128 + its number)."""
STOPPING = (signal.SIGTERM, signal.SIGHUP)
"""Signals that stop a command as Ctrl-C does (a closed terminal sends SIGHUP)."""


class Interrupted(Exception):
    """The run was stopped by a signal (Ctrl-C or SIGTERM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)  # args must rebuild it: SimPy re-raises copies
        self.signum = int(signum)


def raise_interrupted(signum: int, frame) -> None:
    """Signal handler: stop what runs with :class:`Interrupted`."""
    raise Interrupted(signum)


EXIT_WRITE_FAILED = 1
"""Exit status when the results could not be written (a full disk, a read-only folder)."""


def check_results_target(directory: Path, kind: str, overwrite: bool) -> None:
    """Raise ScenarioError unless results of ``kind`` may be written to ``directory``
    (``output.folders.check_target``: --overwrite replaces only ValueSim results)."""
    from simulate.output.folders import check_target

    check_target(directory, kind, overwrite=overwrite)


def write_results(directory: Path, write, *, kind: str, overwrite: bool) -> None:
    """``write_directory``, with a failure shown as one line and exit status 1.

    A write failure leaves nothing behind (the staging folder is removed and an existing
    results folder kept as it was); a target that appeared meanwhile, or may not be
    replaced, keeps the new results beside it, under a name the message gives.
    """
    from simulate.output.folders import ResultsKept
    from simulate.output.store import write_directory
    from simulate.scenario.yaml_source import one_line

    try:
        with deferred_signals() as received:
            write_directory(directory, write, kind=kind, overwrite=overwrite)
    except ResultsKept as kept:
        err.print(f"error: {escape(one_line(str(kept)))}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_WRITE_FAILED) from None
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        err.print(
            f"error: cannot write results to '{escape(one_line(str(directory)))}': "
            f"{escape(one_line(reason))}; nothing was written",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_WRITE_FAILED) from None
    if received:
        name = signal.Signals(received[0]).name
        err.print(
            f"interrupted ({name}) while writing: the results were finished and written "
            f"whole to '{escape(one_line(str(directory)))}'",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED[received[0]])


@contextmanager
def deferred_signals() -> Iterator[list[int]]:
    """Inside: Ctrl-C, SIGTERM and SIGHUP are noted, not acted on, so what is being
    written is finished whole; the list holds the signals received (acted on after)."""
    received: list[int] = []

    def note(signum: int, frame) -> None:
        received.append(signum)

    signals = (signal.SIGINT, *STOPPING)
    previous = {signum: signal.signal(signum, note) for signum in signals}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def stoppable() -> Iterator[None]:
    """Inside: SIGTERM and SIGHUP raise :class:`Interrupted`, as Ctrl-C raises
    KeyboardInterrupt.

    Leaving normally (or on an error) restores the previous handlers; leaving on an
    interruption ignores SIGTERM and SIGHUP from that moment, so what is kept can be
    written whole: call :func:`written` once it is.
    """
    previous = {signum: signal.signal(signum, raise_interrupted) for signum in STOPPING}
    try:
        yield
    except (KeyboardInterrupt, Interrupted):
        for signum in STOPPING:
            signal.signal(signum, signal.SIG_IGN)
        raise
    except BaseException:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        raise
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def written() -> None:
    """After an interruption, once what is kept is written: SIGTERM and SIGHUP act again."""
    for signum in STOPPING:
        signal.signal(signum, signal.SIG_DFL)


def stop_signal(stop: BaseException) -> int:
    """The signal behind an interruption (SIGINT for Ctrl-C's KeyboardInterrupt)."""
    return stop.signum if isinstance(stop, Interrupted) else signal.SIGINT


def progress_bar(label: str, counting: str, *, quiet: bool) -> Progress:
    """The progress bar of a long command, on stderr, shown on a terminal unless quiet."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(counting),
        TimeRemainingColumn(),
        console=err,
        disable=quiet or not err.is_terminal,
        transient=True,
    )
