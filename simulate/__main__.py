"""``python -m simulate`` and the ``simulate`` console script run the command line.

Ctrl-C, SIGTERM and SIGHUP are noted from the first line here, before the command line
is imported (a fraction of a second), and acted on as soon as it can: a signal at any
moment ends the command with one line and 128 + its number, never a traceback.
"""

import signal


def main() -> None:
    """Entry point: note stopping signals at once, then run the command line."""
    early: list[int] = []

    def note(signum: int, frame: object) -> None:
        early.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, note)
    from simulate.cli import main as command_line

    command_line(early)


if __name__ == "__main__":
    main()
