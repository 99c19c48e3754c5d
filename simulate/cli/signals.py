"""Ctrl-C, SIGTERM and SIGHUP, honoured from the first moment of a command to its last.

A stopping signal raises :class:`Interrupted` where the command runs (inside
:func:`stoppable`), is deferred while results are written (:func:`deferred_signals`),
is honoured later if library code swallowed its exception (:func:`honour_pending`), and
ends a command that is over at once with one line and 128 + its number
(:func:`run_command_line`). See docs/reliability.md, section 4.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

EXIT_INTERRUPTED = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
"""Exit status after each stopping signal (128 + its number)."""
STOPPING = (signal.SIGTERM, signal.SIGHUP)
"""Signals that stop a command as Ctrl-C does (a closed terminal sends SIGHUP)."""
STOP_SIGNALS = (signal.SIGINT, *STOPPING)


class Interrupted(BaseException):
    """The run was stopped by a signal (Ctrl-C, SIGTERM or SIGHUP).

    A BaseException, as KeyboardInterrupt is, so that no ``except Exception`` on the way
    (in a library) can swallow the signal.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)  # args must rebuild it: SimPy re-raises copies
        self.signum = int(signum)


def raise_interrupted(signum: int, frame) -> None:
    """Signal handler: stop what runs with :class:`Interrupted`, once: further stopping
    signals are ignored from here (the first is being honoured), so a second Ctrl-C
    cannot break the stop itself. The signal is also noted, so that it is honoured even
    if library code swallows the exception (see :func:`run_command_line`)."""
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    if _State.pending is None:
        _State.pending = int(signum)
    raise Interrupted(signum)


def honour_pending() -> None:
    """Raise :class:`Interrupted` for a stopping signal already received whose exception
    library code swallowed (the signals are ignored after the first, so without this a
    long computation would run to its end). Called as each piece of work finishes."""
    if _State.pending is not None and _State.code is None:
        raise Interrupted(_State.pending)


class _State:
    """What the command line has done so far, for the message of a late signal."""

    main = False  # run by run_command_line (not, e.g., by a test's CliRunner)
    pending: int | None = None  # the first stopping signal received
    written_to: Path | None = None  # results written whole there
    code: int | None = None  # an interruption was announced, with this status
    failed: int | None = None  # the command ended with this error status (said in a line)


def announce(text: str, code: int) -> None:
    """Print the one line that says why the command stops with status ``code``.

    Plain ``sys.stderr``, no imports: after a signal that broke an import half-way
    (numpy's, say) only what is already loaded can be trusted.
    """
    import sys

    _State.code = code
    line = text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _results_said() -> str:
    where = _State.written_to
    return f"the results were written whole to '{where}'" if where else "nothing was written"


def _exit_at_once(signum: int, frame) -> None:
    """Signal handler once the command is over: leave now with 128 + the signal (or the
    status already announced), saying so in one line unless a line was said."""
    import os

    if _State.failed:  # the command failed and said so: keep its status
        os._exit(_State.failed)
    if _State.code is None:
        name = signal.Signals(signum).name
        with contextlib.suppress(Exception):
            announce(f"interrupted ({name}) while exiting; {_results_said()}", 0)
    code = _State.code or EXIT_INTERRUPTED[signum]
    os._exit(code)


def _unraisable(hook):
    """A ``sys.unraisablehook`` that drops :class:`Interrupted` quietly: a signal whose
    exception Python cannot raise (it came during a weakref callback or a ``__del__``)
    is noted as pending and honoured later, and the handlers are armed again for the
    next signal. Anything else goes to ``hook``."""

    def unraisable(info) -> None:
        if isinstance(info.exc_value, Interrupted):
            if _State.code is None:
                for signum in STOP_SIGNALS:
                    signal.signal(signum, raise_interrupted)
            return
        hook(info)

    return unraisable


def _ignore_stop_signals() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def run_command_line(app, early: Sequence[int] = ()) -> None:
    """Run ``app`` (the Typer app) with Ctrl-C, SIGTERM and SIGHUP honoured from the first moment to
    the last: each command stops on them as documented; a signal before a command could
    act (while it loads) or after it wrote its results ends it with one line and 128 +
    the signal, never a traceback, and a signal whose exception library code swallowed
    is honoured when the command ends. ``early`` holds signals noted before this was
    called (while Python imported the command line)."""
    import atexit
    import sys

    _State.main = True
    # Registered first, so called last of the exit handlers: from then on Python tears
    # itself down and resets its signal handlers to the system's defaults, and a signal
    # (taken by any thread, a numerical library's included) would kill the process
    # without a word. The command is over by then: the signals are ignored (Python
    # leaves ignored signals ignored).
    atexit.register(_ignore_stop_signals)
    sys.unraisablehook = _unraisable(sys.unraisablehook)
    if early:
        _State.pending = int(early[0])
    for signum in STOP_SIGNALS:
        signal.signal(signum, raise_interrupted)
    try:
        if early:
            raise Interrupted(early[0])
        app()
    except (KeyboardInterrupt, Interrupted, Exception) as stop:
        if not isinstance(stop, KeyboardInterrupt | Interrupted) and _State.pending is None:
            raise
        # An error after a signal is the signal's doing (an extension module whose
        # initialisation it broke turns it into "ImportError: initialization failed").
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        signum = stop_signal(stop) if not isinstance(stop, Exception) else _State.pending
        code = EXIT_INTERRUPTED[signum]
        said = _results_said() if _State.written_to else "nothing finished, nothing written"
        announce(f"interrupted ({signal.Signals(signum).name}): {said}", code)
        raise SystemExit(code) from None
    except SystemExit as done:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        if done.code not in (0, None):
            _State.failed = done.code if isinstance(done.code, int) else 1
        if _State.pending is None or _State.code is not None or _State.failed:
            raise
        # A signal came, but library code swallowed its exception: honour it now.
        name = signal.Signals(_State.pending).name
        code = EXIT_INTERRUPTED[_State.pending]
        announce(f"interrupted ({name}) as the command ended; {_results_said()}", code)
        raise SystemExit(code) from None
    finally:
        for signum in STOP_SIGNALS:
            signal.signal(signum, _exit_at_once)


def results_written(directory: Path) -> None:
    """Note that results were written whole to ``directory`` (for a late signal's line)."""
    _State.written_to = directory


@contextmanager
def deferred_signals() -> Iterator[list[int]]:
    """Inside: Ctrl-C, SIGTERM and SIGHUP are noted, not acted on, so what is being
    written is finished whole; the list holds the signals received (acted on after).
    Signals already ignored (a stop under way) stay ignored."""
    received: list[int] = []

    def note(signum: int, frame) -> None:
        received.append(signum)

    previous = {
        signum: signal.signal(signum, note)
        for signum in STOP_SIGNALS
        if signal.getsignal(signum) is not signal.SIG_IGN
    }
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def stoppable() -> Iterator[None]:
    """Inside: SIGTERM and SIGHUP raise :class:`Interrupted`, as Ctrl-C does (or raises
    KeyboardInterrupt, outside :func:`run_command_line`).

    Leaving normally (or on an error) restores the previous handlers; leaving on an
    interruption ignores all three from that moment, so what is kept can be written
    whole: call :func:`written` once it is.
    """
    previous = {signum: signal.signal(signum, raise_interrupted) for signum in STOPPING}
    try:
        if _State.pending is not None:  # a signal whose exception was swallowed
            raise Interrupted(_State.pending)
        yield
    except (KeyboardInterrupt, Interrupted):
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        raise
    except BaseException:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        raise
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def written() -> None:
    """After an interruption, once what is kept is written: a further signal ends the
    process at once (the stop is announced next)."""
    if not _State.main:  # in a caller's process: its defaults back
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for signum in STOPPING:
            signal.signal(signum, signal.SIG_DFL)
        return
    for signum in STOP_SIGNALS:
        signal.signal(signum, _exit_at_once)


def stop_signal(stop: BaseException) -> int:
    """The signal behind an interruption (SIGINT for Ctrl-C's KeyboardInterrupt)."""
    return stop.signum if isinstance(stop, Interrupted) else signal.SIGINT
