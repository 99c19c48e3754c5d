"""`simulate scenarios` and `simulate schema`: what can be written in a scenario."""

from __future__ import annotations

import sys

from rich.table import Table

from simulate.cli.common import app, out
from simulate.errors import ScenarioError


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
