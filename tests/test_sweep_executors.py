"""The same sweep gives byte-identical tables on every executor: serially, on a local
process pool, on a Dask LocalCluster of worker processes, and on a Dask cluster started
from the `dask` command line (scheduler and workers as separate processes)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulate.cli import app
from simulate.scenario.loader import bundled_dir

SWEEP = f"""\
extends: {bundled_dir() / "tournament.yaml"}
name: tiny_exec
horizon_periods: 4
warmup_periods: 1
replications: 2
incentives:
  - {{type: tournament, name: t, metric: value, level: physician, peer_group: team,
     top_share: 0.2, bonus: 4000, bottom_share: 0.2, penalty: 2000, every: 1,
     start_period: 1}}
sweep:
  design: lhs
  samples: 5
  seed: 4
  replications: 2
  parameters:
    - path: incentives[0].bonus
      low: 0
      high: 20000
    - path: peer_pressure.conformity
      low: 0
      high: 2
"""
"""5 points x 2 replications = 10 short runs, with the bonus paid from period 1."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dask_program() -> str | None:
    beside = Path(sys.executable).parent / "dask"
    return str(beside) if beside.exists() else shutil.which("dask")


def stop(process: subprocess.Popen) -> None:
    """Stop a process we started, and its children (it leads its own session)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def dask_cli_cluster(tmp_path_factory):
    """``dask scheduler`` + ``dask worker --nworkers 2`` on 127.0.0.1; its address."""
    program = dask_program()
    if program is None:
        pytest.skip("the `dask` command-line program is not installed")
    from distributed import Client

    logs = tmp_path_factory.mktemp("dask-logs")
    address = f"tcp://127.0.0.1:{free_port()}"
    started = []

    def launch(*args: str, log: str) -> None:
        with open(logs / log, "w") as handle:
            started.append(
                subprocess.Popen(
                    [program, *args],
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    try:
        launch("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
               "--no-dashboard", log="scheduler.log")  # fmt: skip
        launch("worker", address, "--nworkers", "2", "--nthreads", "1", "--host", "127.0.0.1",
               "--no-dashboard", "--death-timeout", "60", log="worker.log")  # fmt: skip
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for process in reversed(started):
            stop(process)


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sweep") / "tiny.yaml"
    path.write_text(SWEEP)
    return path


@pytest.fixture(scope="module")
def serial(sweep_file) -> Path:
    out = sweep_file.parent / "serial"
    done = CliRunner().invoke(app, ["sweep", str(sweep_file), "--out", str(out), "--workers", "1"])
    assert done.exit_code == 0, done.output
    return out


def run_on(sweep_file: Path, out: Path, *options: str) -> Path:
    done = CliRunner().invoke(app, ["sweep", str(sweep_file), "--out", str(out), "-q", *options])
    assert done.exit_code == 0, done.output
    return out


def assert_same_tables(a: Path, b: Path) -> None:
    for name in ("runs.csv", "points.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_the_serial_sweep_varies_with_its_parameters(serial):
    import pandas as pd

    runs = pd.read_csv(serial / "runs.csv")
    assert len(runs) == 10 and runs["point"].nunique() == 5
    assert runs["payment_incentives"].nunique() > 1  # the bonus changes the payments
    first = runs[runs["replication"] == 0]
    assert first["incentives[0].bonus"].between(0, 20000).all()
    manifest = json.loads((serial / "manifest.json").read_text())
    assert manifest["complete"] and manifest["executor"]["executor"] == "serial"
    assert "common random numbers" in manifest["seed_plan"]["description"]
    for metric in ("value", "cost_per_episode", "quality_effort"):  # one-way plots
        assert (serial / "figures" / f"oneway_{metric}.png").exists()
        assert (serial / "figures" / f"oneway_{metric}.svg").exists()


def test_local_pool_gives_identical_tables(serial, sweep_file):
    assert_same_tables(serial, run_on(sweep_file, sweep_file.parent / "pool", "--workers", "2"))


def test_dask_local_cluster_gives_identical_tables(serial, sweep_file):
    out = run_on(sweep_file, sweep_file.parent / "dask-local", "--dask-local", "2")
    assert json.loads((out / "manifest.json").read_text())["executor"]["slots"] == 2
    assert_same_tables(serial, out)


def test_dask_cli_cluster_gives_identical_tables(serial, sweep_file, dask_cli_cluster):
    out = run_on(sweep_file, sweep_file.parent / "dask-cli", "--scheduler", dask_cli_cluster)
    executor = json.loads((out / "manifest.json").read_text())["executor"]
    assert executor == {"executor": "dask", "slots": 2, "scheduler": dask_cli_cluster}
    assert_same_tables(serial, out)


def test_no_scheduler_at_the_address_is_a_one_line_error(sweep_file, tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    args = ["sweep", str(sweep_file), "--out", str(tmp_path / "x"), "--scheduler", address]
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        done = CliRunner().invoke(app, [*args, "-q"])
    assert done.exit_code == 2, done.output
    assert "cannot start the executor" in done.output
