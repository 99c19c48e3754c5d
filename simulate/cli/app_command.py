"""`simulate app`: the interactive what-if page, served by a local Streamlit server.

(Not `cli/app.py`: a submodule named `app` would replace the package's `app`, the Typer
application, as an attribute of `simulate.cli`.)
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from simulate.cli.common import app, err, fail, out
from simulate.cli.options import SetOption
from simulate.cli.signals import EXIT_INTERRUPTED, Interrupted, stop_signal, stoppable, written
from simulate.errors import ScenarioError

FIRST_PORT = 8501
"""Streamlit's usual port; without --port the first free one from here is used."""
PORTS_TRIED = 100
START_TIMEOUT = 60.0
"""Seconds to wait for the server to answer before giving up."""
STOP_GRACE = 5.0
"""Seconds the server has to stop after the signal before it is killed."""
REQUIRED_FLAGS = {
    "server.headless": "true",
    "server.fileWatcherType": "none",
    "browser.gatherUsageStats": "false",
    "global.developmentMode": "false",
    "logger.level": "warning",
}
"""Streamlit options always set: no browser opened, no file watching, no telemetry."""
OPTIONAL_FLAGS = {
    "client.toolbarMode": "minimal",
    "client.showErrorLinks": "false",
    "server.showEmailPrompt": "false",
}
"""Options set where the installed Streamlit knows them (no deploy button, no links to
search engines on errors, no e-mail prompt)."""


SourceArgument = Annotated[
    str | None,
    typer.Argument(
        help="Scenario YAML file, bundled name, or results folder (its manifest's "
        "scenario). Default: the flagship, value_dashboard.",
        show_default=False,
    ),
]
PortOption = Annotated[
    int | None,
    typer.Option(min=1, max=65535, help=f"Port (default: the first free one from {FIRST_PORT})."),
]
HostOption = Annotated[
    str, typer.Option(help="Address to listen on; 127.0.0.1 keeps the page on this machine.")
]
AppWorkersOption = Annotated[
    int, typer.Option(min=1, max=64, help="Worker processes each run uses.")
]


@app.command("app")
def app_command(
    scenario_file: SourceArgument = None,
    port: PortOption = None,
    host: HostOption = "127.0.0.1",
    overrides: SetOption = None,
    workers: AppWorkersOption = 2,
) -> None:
    """Start the what-if page in the browser: move levers, run, compare.

    A local web app; prints its address. Move the levers, run the edited scenario
    against the unchanged one, compare runs. Ctrl-C stops it. Needs the optional extra:
    pip install 'valuesim\\[app]'."""
    from simulate.app import PAGE
    from simulate.app.source import DEFAULT_SOURCE, load_source

    source = scenario_file if scenario_file is not None else DEFAULT_SOURCE
    try:
        if importlib.util.find_spec("streamlit") is None:
            raise ScenarioError(
                "simulate app needs Streamlit, which is not installed: "
                "pip install 'valuesim[app]' (or pip install streamlit)"
            )
        loaded = load_source(source, overrides or [])
        port = free_port(host) if port is None else checked_port(host, port)
    except ScenarioError as error:
        fail(error)
    env = server_environment(source, overrides or [], workers)
    command = [sys.executable, "-m", "streamlit", "run", str(PAGE), *server_flags(host, port)]
    address = url(host, port)
    server = subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        preexec_fn=_own_group_dying_with_parent,
    )
    try:
        with stoppable():
            wait_until_up(server, health_url(host, port))
            out.print(
                f"ValueSim app for [bold]{escape(loaded.scenario.name)}[/]: "
                f"[bold]{address}[/]  (Ctrl-C stops it)",
                highlight=False,
                soft_wrap=True,
            )
            code = server.wait()
    except (KeyboardInterrupt, Interrupted) as stop:
        signum = stop_signal(stop)
        stop_server(server)
        written()
        err.print(f"stopped ({signal.Signals(signum).name}): the app server has exited")
        raise typer.Exit(EXIT_INTERRUPTED[signum]) from None
    except ServerFailed as failure:
        stop_server(server)
        err.print(f"[bold red]error:[/] {escape(str(failure))}", highlight=False)
        raise typer.Exit(1) from None
    stop_server(server)  # its worker processes, if any outlived it
    if code != 0:
        err.print(f"[bold red]error:[/] the app server stopped (exit status {code})")
        raise typer.Exit(1)


def server_environment(source: str, overrides: list[str], workers: int) -> dict[str, str]:
    """The server's environment: the scenario source (a file as its absolute path: the
    server may start elsewhere), the overrides, the workers, and no usage statistics."""
    from simulate.app.source import SOURCE_ENV, WORKERS_ENV, Source

    given = Path(source)
    with contextlib.suppress(OSError, ValueError):
        if given.exists():
            source = str(given.resolve())
    env = dict(os.environ)
    env[SOURCE_ENV] = Source(source, tuple(overrides)).to_env()
    env[WORKERS_ENV] = str(workers)
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    return env


class ServerFailed(Exception):
    """The server did not start."""


def server_flags(host: str, port: int) -> list[str]:
    """Streamlit's command-line options: this address and port only, headless, no
    telemetry, and the optional settings the installed version knows."""
    flags = {
        **REQUIRED_FLAGS,
        "server.address": host,
        "server.port": str(port),
        "browser.serverAddress": "127.0.0.1" if host in ("0.0.0.0", "::") else host,
        "browser.serverPort": str(port),
    }
    known = _known_options()
    for name, value in OPTIONAL_FLAGS.items():
        if name in known:
            flags[name] = value
    return [part for name, value in flags.items() for part in (f"--{name}", value)]


def _known_options() -> set[str]:
    try:
        from streamlit import config

        return set(config._config_options_template)  # the options this version has
    except (ImportError, AttributeError):
        return set()


def url(host: str, port: int) -> str:
    """The page's address (a wildcard host is shown as 127.0.0.1)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def health_url(host: str, port: int) -> str:
    return url(host, port) + "/_stcore/health"


def _bindable(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _check_host(host: str) -> None:
    try:
        socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        raise ScenarioError(f"--host '{host}' is not an address of this machine") from None


def checked_port(host: str, port: int) -> int:
    """``port`` when it is free on ``host``; ScenarioError otherwise."""
    _check_host(host)
    if not _bindable(host, port):
        raise ScenarioError(
            f"port {port} on {host} is in use or not allowed; choose another with --port"
        )
    return port


def free_port(host: str, first: int = FIRST_PORT) -> int:
    """The first free port from ``first`` on ``host``."""
    _check_host(host)
    for port in range(first, first + PORTS_TRIED):
        if _bindable(host, port):
            return port
    raise ScenarioError(
        f"no free port in {first}-{first + PORTS_TRIED - 1} on {host}; give one with --port"
    )


def wait_until_up(server: subprocess.Popen, health: str, timeout: float = START_TIMEOUT) -> None:
    """Return once the server answers ``health``; ServerFailed if it exits or is silent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = server.poll()
        if code is not None:
            raise ServerFailed(f"the app server stopped before it started (exit status {code})")
        try:
            with urllib.request.urlopen(health, timeout=1) as answer:  # a local address
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise ServerFailed(f"the app server did not answer within {timeout:.0f} s")


def stop_server(server: subprocess.Popen, grace: float = STOP_GRACE) -> None:
    """Stop the server and everything it started (its process group): SIGTERM, then
    SIGKILL after ``grace`` seconds; returns once the server has exited."""
    group = server.pid  # the server leads its own process group
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGTERM)
    try:
        server.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
        server.wait(timeout=grace)
    deadline = time.monotonic() + grace
    while _group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)  # a worker that did not stop in time


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _own_group_dying_with_parent() -> None:  # pragma: no cover - runs in the child
    """In the server process before it starts: a process group of its own (so a
    terminal's Ctrl-C reaches this command, which stops the group), and SIGTERM when
    this command dies, even by SIGKILL (Linux), so the server never outlives it."""
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
