"""What every command shares: the app, consoles, errors, progress, writing results.

Options are in :mod:`simulate.cli.options`, signals in :mod:`simulate.cli.signals`.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from simulate.cli.signals import EXIT_INTERRUPTED, announce, deferred_signals, results_written
from simulate.errors import ScenarioError

app = typer.Typer(
    name="simulate",
    help="ValueSim: simulate physician payment, incentive and peer-pressure schemes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # docstrings reflow: single line breaks are not kept
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
    results_written(directory)
    if received:
        announce(
            f"interrupted ({signal.Signals(received[0]).name}) while writing: the results "
            f"were finished and written whole to '{directory}'",
            EXIT_INTERRUPTED[received[0]],
        )
        raise typer.Exit(EXIT_INTERRUPTED[received[0]])


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
