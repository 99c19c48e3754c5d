"""The ``simulate`` command: one thin module per command on the shared ``common``.

Importing a command module registers it on :data:`app`; ``simulate --help`` lists the
commands in the order they are imported here.
"""

import importlib
from collections.abc import Sequence

from simulate.cli.common import app
from simulate.cli.signals import run_command_line

_COMMANDS = (
    "run",
    "validate",
    "catalog",
    "compare",
    "report",
    "sweep",
    "psa",
    "calibrate",
    "app_command",
)
for _command in _COMMANDS:
    importlib.import_module(f"simulate.cli.{_command}")


def main(early: Sequence[int] = ()) -> None:
    """Run the command line, with Ctrl-C, SIGTERM and SIGHUP honoured throughout
    (``early``: signals noted while it was imported; see ``simulate.__main__``).

    After an interrupted pool whose manager thread stayed blocked (a worker killed while
    it sent a result), the process leaves at once with the command's status, once its
    output is flushed: the interpreter's exit would wait for that thread forever."""
    try:
        run_command_line(app, early)
    except SystemExit as done:
        _leave_if_a_pool_is_stuck(done.code if isinstance(done.code, int) else 1)
        raise
    _leave_if_a_pool_is_stuck(0)


def _leave_if_a_pool_is_stuck(code: int | None) -> None:
    import os
    import sys

    executors = sys.modules.get("simulate.experiment.executors")
    if executors is None or not executors.pool_threads_stuck():
        return
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code or 0)


__all__ = ["app", "main"]
