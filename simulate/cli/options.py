"""The command-line options the commands share, each defined once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
SchedulerOption = Annotated[
    str | None,
    typer.Option(help="Dask scheduler address (tcp://host:8786): run on that cluster."),
]
DaskLocalOption = Annotated[
    int | None,
    typer.Option(min=1, max=1024, help="Start a Dask LocalCluster with N worker processes."),
]
ResumeOption = Annotated[
    bool, typer.Option("--resume", help="Continue a stopped run store: run only what is missing.")
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Check the input and print its size; run nothing.")
]
ReplicationsOption = Annotated[
    int | None,
    typer.Option(
        "--replications", "-r", min=1, max=100_000, help="Replications (of every variant)."
    ),
]
SeedOption = Annotated[
    int | None,
    typer.Option(min=0, max=2**63 - 1, help="Seed (default: the file's)."),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out", help="Results folder (default: under results/, named after the scenario)."
    ),
]
