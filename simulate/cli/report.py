"""The `simulate report` command (registers itself on the app)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from simulate.cli.common import app, fail, out
from simulate.errors import ScenarioError


@app.command()
def report(
    directory: Annotated[
        Path, typer.Argument(help="Results folder written by `simulate run` or `simulate compare`.")
    ],
    animate: Annotated[
        bool,
        typer.Option("--animate", help="Also write report/animation.gif (styles and ranks)."),
    ] = False,
) -> None:
    """Rebuild report/ (figures) and dashboard.html from the files a run wrote."""
    from simulate.report.build import build_report

    try:
        written = build_report(directory, animate=animate)
    except ScenarioError as error:
        fail(error)
    dashboard = directory / "dashboard.html"
    out.print(
        f"{len(written)} files written; open [bold]{escape(str(dashboard))}[/] in a browser",
        highlight=False,
    )
