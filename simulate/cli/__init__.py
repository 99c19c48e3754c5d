"""The ``simulate`` command: one thin module per command on the shared ``common``.

Importing a command module registers it on :data:`app`; ``simulate --help`` lists the
commands in the order they are imported here.
"""

import importlib

from simulate.cli.common import app

for _command in ("run", "validate", "catalog", "compare", "report", "sweep", "app_command"):
    importlib.import_module(f"simulate.cli.{_command}")


def main() -> None:
    """Entry point of the ``simulate`` console script."""
    app()


__all__ = ["app", "main"]
