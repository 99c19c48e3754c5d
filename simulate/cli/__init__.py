"""The ``simulate`` command: one thin module per command on the shared ``common``.

Importing a command module registers it on :data:`app`; ``simulate --help`` lists the
commands in the order they are imported here.
"""

import importlib
from collections.abc import Sequence

from simulate.cli.common import app, run_command_line

for _command in ("run", "validate", "catalog", "compare", "report", "sweep"):
    importlib.import_module(f"simulate.cli.{_command}")


def main(early: Sequence[int] = ()) -> None:
    """Run the command line, with Ctrl-C, SIGTERM and SIGHUP honoured throughout
    (``early``: signals noted while it was imported; see ``simulate.__main__``)."""
    run_command_line(early)


__all__ = ["app", "main"]
