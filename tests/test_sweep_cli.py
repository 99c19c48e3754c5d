"""`simulate sweep`: bad input names file, line and field; a killed sweep resumes to the
same results; a signal stops it cleanly with what finished kept."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulate.cli import app
from simulate.scenario.loader import bundled_dir

BASE = f"""\
extends: {bundled_dir() / "tournament.yaml"}
name: tiny_sweep
horizon_periods: 4
warmup_periods: 1
replications: 2
behaviour: {{model: adaptive}}
peer_pressure: {{transparency: internal_dashboard, start_period: 1}}
"""
"""A short tournament world (base lines 1-7) that the sweeps below vary."""

GRID = """\
sweep:
  design: grid
  replications: 2
  parameters:
    - path: incentives[0].bonus
      values: [1000, 4000, 8000]
    - path: peer_pressure.conformity
      low: 0
      high: 2
      steps: 2
"""
"""3 x 2 points, 2 replications each: 12 runs of about 0.2-0.4 s (adaptive physicians)."""


def write(tmp_path: Path, sweep: str, name: str = "sweep.yaml") -> Path:
    path = tmp_path / name
    path.write_text(BASE + sweep)
    return path


def simulate_cli(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "simulate", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


BAD = {
    "no such path": (
        "sweep:\n  parameters:\n    - path: peer_pressure.conformty\n      low: 0\n      high: 1\n",
        10,
        "sweep.parameters[0].path",
        "did you mean 'peer_pressure.conformity'",
    ),
    "index out of range": (
        "sweep:\n  parameters:\n    - path: incentives[3].bonus\n      values: [1, 2]\n",
        10,
        "sweep.parameters[0].path",
        "index 3 is out of range",
    ),
    "empty range": (
        "sweep:\n  parameters:\n    - path: incentives[0].bonus\n      low: 5\n      high: 5\n",
        12,
        "sweep.parameters[0].high",
        "empty range",
    ),
    "empty list": (
        "sweep:\n  parameters:\n    - path: incentives[0].bonus\n      values: []\n",
        11,
        "sweep.parameters[0].values",
        "empty list",
    ),
    "sobol with text": (
        "sweep:\n  design: sobol\n  parameters:\n    - path: peer_pressure.norm\n"
        "      values: [median, top_decile]\n",
        12,
        "sweep.parameters[0].values",
        "a sobol design needs numbers",
    ),
    "unknown design": (
        "sweep:\n  design: latin\n  parameters:\n    - path: incentives[0].bonus\n"
        "      values: [1]\n",
        9,
        "sweep.design",
        "unknown design 'latin'",
    ),
    "misspelt key": (
        "sweep:\n  sampels: 8\n  parameters:\n    - path: incentives[0].bonus\n      values: [1]\n",
        9,
        "sweep.sampels",
        "did you mean 'samples'",
    ),
    "value invalid at the low end": (
        "sweep:\n  parameters:\n    - path: peer_pressure.conformity\n      low: -1\n"
        "      high: 1\n",
        11,
        "sweep.parameters[0].low",
        "-1.0 makes the scenario invalid",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_sweeps_fail_with_file_line_and_field(tmp_path, case):
    text, line, field, words = BAD[case]
    path = write(tmp_path, text, "bad.yaml")
    out = tmp_path / "out"
    done = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "-q"])
    assert done.exit_code == 2, done.output
    message = done.output.strip()
    assert "\n" not in message and "Traceback" not in message
    assert f"bad.yaml:{line}: field '{field}'" in message
    assert words in message
    assert not out.exists()


def stored_runs(store: Path) -> int:
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=0.1) as db:
            return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    except sqlite3.Error:
        return 0


def kill_after(process: subprocess.Popen, store: Path, runs: int, sig: int) -> int:
    """Send ``sig`` once the store holds at least ``runs`` runs; return the count then."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        count = stored_runs(store)
        if count >= runs:
            process.send_signal(sig)
            return count
        time.sleep(0.02)
    pytest.fail(f"the sweep ended or stalled before {runs} runs: {process.communicate()}")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("whole")
    path = write(folder, GRID)
    done = CliRunner().invoke(
        app, ["sweep", str(path), "--out", str(folder / "out"), "--workers", "2", "-q"]
    )
    assert done.exit_code == 0, done.output
    return pd.read_csv(folder / "out" / "runs.csv")


def test_a_killed_sweep_resumes_to_the_same_runs(tmp_path, uninterrupted):
    path, out = write(tmp_path, GRID), tmp_path / "out"
    process = simulate_cli("sweep", str(path), "--out", str(out), "--workers", "1", "-q")
    kept = kill_after(process, out / "runs.sqlite", 3, signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert 3 <= kept < 12
    assert not (out / "runs.csv").exists()  # nothing assembled: the process was killed
    again = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "-q"])
    assert again.exit_code == 2 and "--resume" in again.output  # the folder is taken
    resumed = simulate_cli("sweep", str(path), "--out", str(out), "--resume", "--workers", "2")
    _stdout, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is True and manifest["runs_finished"] == 12
    assert manifest["runs_before_this_session"] >= kept
    assert manifest["runs_before_this_session"] + manifest["runs_this_session"] == 12
    runs = pd.read_csv(out / "runs.csv")
    assert not runs.duplicated(["point", "replication"]).any()
    pd.testing.assert_frame_equal(runs, uninterrupted)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), uninterrupted)
    assert not list(out.glob(".*.tmp"))  # no half-written files left


def test_sigterm_keeps_finished_runs_and_resume_refuses_another_sweep(tmp_path, uninterrupted):
    path, out = write(tmp_path, GRID), tmp_path / "out"
    process = simulate_cli("sweep", str(path), "--out", str(out), "--workers", "1", "-q")
    kill_after(process, out / "runs.sqlite", 2, signal.SIGTERM)
    _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert "interrupted" in stderr and "--resume" in stderr and "Traceback" not in stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is False
    partial = pd.read_csv(out / "runs.csv")
    assert 2 <= len(partial) == manifest["runs_finished"] < 12
    merged = partial.merge(uninterrupted, on=list(partial.columns), how="left", indicator=True)
    assert (merged["_merge"] == "both").all()  # every kept run is exactly as in a whole run
    changed = write(tmp_path, GRID.replace("8000", "16000"))
    refused = CliRunner().invoke(app, ["sweep", str(changed), "--out", str(out), "--resume"])
    assert refused.exit_code == 2
    assert "different sweep" in refused.output and "design" in refused.output


def test_a_morris_sweep_writes_indices_and_figures(tmp_path):
    path = write(
        tmp_path,
        "sweep:\n  design: morris\n  samples: 3\n  replications: 1\n  seed: 5\n"
        "  plot_metrics: [value]\n  parameters:\n"
        "    - {path: 'incentives[0].bonus', low: 0, high: 20000}\n"
        "    - {path: clinical.effort_readmission_effect, low: 0.1, high: 0.9}\n",
    )
    out = tmp_path / "out"
    args = ["sweep", str(path), "--out", str(out), "--workers", "1", "-q"]
    done = CliRunner().invoke(app, [*args, "--set", "behaviour.model=fixed"])
    assert done.exit_code == 0, done.output
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 3 * (2 + 1)
    indices = pd.read_csv(out / "sensitivity.csv")
    assert set(indices["parameter"]) == {
        "incentives[0].bonus",
        "clinical.effort_readmission_effect",
    }
    assert {"mu", "mu_star", "mu_star_conf", "mu_star_low", "mu_star_high", "sigma"} <= set(
        indices.columns
    )
    assert (indices["mu_star_low"] <= indices["mu_star"]).all()
    assert (indices["mu_star"] <= indices["mu_star_high"]).all()
    assert (indices["mu_star"] >= indices["mu"].abs() - 1e-9).all()
    value = indices[indices["metric"] == "value"].set_index("parameter")
    assert value.loc["clinical.effort_readmission_effect", "mu_star"] > 0
    for suffix in ("png", "svg"):
        assert (out / "figures" / f"sensitivity_value.{suffix}").stat().st_size > 1000
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["design"]["method"] == "morris" and manifest["design"]["points"] == 9
    # r = 3 trajectories: flagged once (stderr, even with -q) and in the manifest
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {line}" for line in manifest["warnings"]]
    assert len(warnings) == 1 and "Morris indices unstable: r = 3 trajectories" in warnings[0]


def test_a_tiny_sobol_sweep_warns_and_prints_indices_with_their_intervals(tmp_path):
    path = write(
        tmp_path,
        "sweep:\n  design: sobol\n  samples: 4\n  replications: 1\n  seed: 3\n"
        "  plot_metrics: [value]\n  parameters:\n"
        "    - {path: 'incentives[0].bonus', low: 0, high: 20000}\n"
        "    - {path: clinical.effort_readmission_effect, low: 0.1, high: 0.9}\n",
    )
    out = tmp_path / "out"
    dry = CliRunner().invoke(
        app, ["sweep", str(path), "--dry-run", "--set", "behaviour.model=fixed"]
    )
    assert dry.exit_code == 0 and "N = 4 (at least 512)" in dry.stderr
    args = [
        "sweep",
        str(path),
        "--out",
        str(out),
        "--workers",
        "1",
        "--set",
        "behaviour.model=fixed",
    ]
    done = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: Sobol indices unstable: the base sample is N = 4")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["warnings"] == [warnings[0].removeprefix("warning: ")]
    indices = pd.read_csv(out / "sensitivity.csv")
    for key in ("S1", "ST"):
        given = indices[indices[f"{key}_conf"].notna()]
        assert len(given) > 0
        assert (given[f"{key}_low"] <= given[key]).all()
        assert (given[key] <= given[f"{key}_high"]).all()
    # the terminal shows each plotted index as "estimate [low, high]", as in the table
    row = indices[
        (indices["metric"] == "value")
        & (indices["parameter"] == "clinical.effort_readmission_effect")
    ].iloc[0]
    shown = f"{row['S1']:.2f} [{row['S1_low']:.2f}, {row['S1_high']:.2f}]"
    assert "Sobol indices (95% bootstrap CI)" in done.stdout and shown in done.stdout


def test_a_local_dask_cluster_is_bounded_by_the_cores(tmp_path):
    path = write(tmp_path, GRID)
    done = CliRunner().invoke(app, ["sweep", str(path), "--dask-local", "1000", "-q"])
    assert done.exit_code == 2 and len(done.output.strip().splitlines()) == 1
    assert "--dask-local 1000" in done.output and "cores" in done.output
    assert not (tmp_path / "results").exists()


def test_resume_refuses_a_store_that_was_edited_and_writes_nothing(tmp_path):
    import sqlite3

    path, out = write(tmp_path, GRID), tmp_path / "out"
    first = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "1", "-q"])
    assert first.exit_code == 0, first.output
    before = (out / "runs.csv").read_bytes()
    db = sqlite3.connect(out / "runs.sqlite")
    with db:
        db.execute("UPDATE runs SET seconds = seconds, value = 999 WHERE point = 1")
    db.close()
    again = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--resume", "-q"])
    assert again.exit_code == 2 and len(again.output.strip().splitlines()) == 1
    assert "point 1, replication 0: changed" in again.output
    assert (out / "runs.csv").read_bytes() == before


@pytest.mark.parametrize("address", ["garbage", "udp://10.0.0.5:8786", "tcp://10.0.0.5"])
def test_a_bad_scheduler_address_is_one_line_before_any_connection(tmp_path, address):
    path = write(tmp_path, GRID)
    done = CliRunner().invoke(app, ["sweep", str(path), "--scheduler", address, "-q"])
    assert done.exit_code == 2 and len(done.output.strip().splitlines()) == 1
    assert f"--scheduler {address}" in done.output and "tcp://10.0.0.5:8786" in done.output
