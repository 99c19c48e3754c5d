"""`simulate app` on bad input: one line, exit status 2, no server started."""

from __future__ import annotations

import importlib
import socket

import pytest
from typer.testing import CliRunner

from simulate.cli import app as cli

command = importlib.import_module("simulate.cli.app_command")
runner = CliRunner()


def no_server(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a server was started")

    monkeypatch.setattr(command.subprocess, "Popen", refuse)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nosuch"], "nosuch: no such file"),
        (["baseline_fs"], "did you mean the bundled scenario 'baseline_ffs'"),
        (["value_dashboard", "--set", "teams[0].nurses=-1"], "field 'teams[0].nurses'"),
        (["value_dashboard", "--set", "nonsense"], "must look like dotted.path=value"),
    ],
)
def test_bad_input_is_one_line_and_status_2(monkeypatch, arguments, message):
    no_server(monkeypatch)
    done = runner.invoke(cli, ["app", *arguments])
    assert done.exit_code == 2, done.output
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]


def test_a_folder_that_is_not_a_results_folder(monkeypatch, tmp_path):
    no_server(monkeypatch)
    done = runner.invoke(cli, ["app", str(tmp_path)])
    assert done.exit_code == 2
    assert "not a results folder" in done.output


def test_a_port_in_use(monkeypatch):
    no_server(monkeypatch)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = runner.invoke(cli, ["app", "--port", str(port)])
    assert done.exit_code == 2
    assert f"port {port} on 127.0.0.1 is in use" in done.output


def test_without_streamlit(monkeypatch):
    no_server(monkeypatch)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        command.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "streamlit" else real(name, *a),
    )
    done = runner.invoke(cli, ["app"])
    assert done.exit_code == 2
    assert "pip install 'valuesim[app]'" in done.output


def test_the_server_is_local_and_silent():
    flags = command.server_flags("127.0.0.1", 8600)
    pairs = dict(zip(flags[::2], flags[1::2], strict=True))
    assert pairs["--server.address"] == "127.0.0.1"  # no external address lookup
    assert pairs["--server.port"] == "8600"
    assert pairs["--browser.gatherUsageStats"] == "false"
    assert pairs["--server.headless"] == "true"
    assert pairs["--global.developmentMode"] == "false"
    assert command.url("0.0.0.0", 8600) == "http://127.0.0.1:8600"
    assert command.url("::1", 8600) == "http://[::1]:8600"


def test_the_first_free_port_is_chosen():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert command.free_port("127.0.0.1", port) != port
