"""Reproducibility checks: same seed -> same numbers on any worker count; a different seed
-> different numbers; common random numbers across payment variants (only money moves).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulate
from simulate.accounts.metrics import METRICS

SHORT_SET = ("--set", "horizon_periods=6", "--set", "warmup_periods=1")
PAYMENT_METRICS = [m for m in METRICS if m.startswith("payment_")]
CLINICAL_METRICS = [m for m in METRICS if not m.startswith("payment_")]


def run_cli(out: Path, *args: str) -> Path:
    """``python -m simulate run baseline_ffs -r 4 --quiet --out OUT ...``; returns OUT."""
    command = [
        sys.executable,
        "-m",
        "simulate",
        "run",
        "baseline_ffs",
        "-r",
        "4",
        "--quiet",
        "--no-report",
        "--out",
        str(out),
        *SHORT_SET,
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory) -> dict[str, Path]:
    """The short baseline from the command line: 1 worker, 2 workers, and another seed."""
    root = tmp_path_factory.mktemp("cli")
    return {
        "one": run_cli(root / "one", "--workers", "1"),
        "two": run_cli(root / "two", "--workers", "2"),
        "seed": run_cli(root / "seed", "--workers", "2", "--seed", "7"),
    }


@pytest.mark.parametrize("table", ["trajectories", "summary", "physicians", "payments"])
def test_same_seed_same_bytes_for_any_worker_count(cli_runs, table):
    """Each replication seeds itself from (seed, replication), so 1 and 2 worker processes
    write byte-identical tables."""
    one = (cli_runs["one"] / f"{table}.csv").read_bytes()
    two = (cli_runs["two"] / f"{table}.csv").read_bytes()
    assert len(one) > 1000
    assert one == two


def test_different_seed_gives_different_numbers(cli_runs):
    """--seed changes the random numbers: same shape of table, different values."""
    base = pd.read_csv(cli_runs["one"] / "trajectories.csv")
    other = pd.read_csv(cli_runs["seed"] / "trajectories.csv")
    assert base.shape == other.shape
    pd.testing.assert_frame_equal(
        base[["replication", "period", "level", "unit"]],
        other[["replication", "period", "level", "unit"]],
    )
    org = base["level"] == "organisation"
    for column in ("arrivals", "episodes", "cost", "mean_wait_days", "payment_total"):
        assert not np.allclose(base.loc[org, column], other.loc[org, column]), column
    # and replications within one run differ from each other as well
    first = base[org & (base["replication"] == 0)]["cost"].to_numpy()
    second = base[org & (base["replication"] == 1)]["cost"].to_numpy()
    assert not np.allclose(first, second)


def test_manifest_records_the_seed(cli_runs):
    """The seed actually used is the one written to the manifest."""
    import json

    base = json.loads((cli_runs["one"] / "manifest.json").read_text())
    other = json.loads((cli_runs["seed"] / "manifest.json").read_text())
    assert base["seed"] == simulate.load_scenario("baseline_ffs").seed
    assert other["seed"] == 7


def test_common_random_numbers_across_payment_schemes(short_scenario):
    """Fixed styles and the same seed: fee-for-service and capitation see the same patients,
    so every clinical column is identical and only the payment columns differ."""
    ffs = simulate.run(short_scenario("baseline_ffs", "replications=3"), workers=1)
    cap = simulate.run(short_scenario("capitation", "replications=3"), workers=1)
    assert ffs.scenario.seed == cap.scenario.seed
    assert ffs.scenario.behaviour.model == cap.scenario.behaviour.model == "fixed"
    a, b = ffs.trajectories, cap.trajectories
    # NaN-aware exact equality of every non-payment metric (and the row keys)
    keys = ["replication", "period", "level", "unit", "team"]
    pd.testing.assert_frame_equal(a[keys + CLINICAL_METRICS], b[keys + CLINICAL_METRICS])
    assert a["mean_wait_days"].notna().any()
    assert a["mean_queue_length"].isna().any()  # physician rows: NaN on both sides
    # payments differ: FFS pays fees and no capitation, capitation the reverse
    assert (a["payment_fee_for_service"] > 0).any()
    assert (a["payment_capitation"] == 0).all()
    assert (b["payment_fee_for_service"] == 0).all()
    assert (b["payment_capitation"] > 0).all()
    assert not np.allclose(a["payment_total"], b["payment_total"])
    # the physicians' styles and traits are the same draws
    style_cols = [c for c in ffs.physicians.columns if c.startswith(("style_", "trait_"))]
    pd.testing.assert_frame_equal(ffs.physicians[style_cols], cap.physicians[style_cols])


def test_api_runs_twice_give_equal_tables(short_scenario):
    """Running the same Scenario object twice through the API gives equal DataFrames."""
    scenario = short_scenario("baseline_ffs", "replications=2")
    first = simulate.run(scenario, workers=1, episode_log=True)
    second = simulate.run(scenario, workers=1, episode_log=True)
    assert first.tables().keys() == second.tables().keys()
    for name, table in first.tables().items():
        pd.testing.assert_frame_equal(table, second.tables()[name], check_exact=True, obj=name)
    for x, y in zip(first.replications, second.replications, strict=True):
        assert x.tally == y.tally


def test_api_workers_do_not_change_numbers(short_scenario):
    """The Python API: 1 and 2 workers give equal tables (the executor is invisible)."""
    scenario = short_scenario("baseline_ffs", "replications=3")
    serial = simulate.run(scenario, workers=1)
    pooled = simulate.run(scenario, workers=2)
    for name, table in serial.tables().items():
        pd.testing.assert_frame_equal(table, pooled.tables()[name], check_exact=True, obj=name)


def test_same_numbers_under_other_hash_seeds_and_working_directories(tmp_path):
    """A whole run, not only its streams: PYTHONHASHSEED and the working directory do not
    change a byte of trajectories.csv or payments.csv."""
    import os

    outputs = []
    for k, (hash_seed, cwd) in enumerate((("0", tmp_path), ("4242", Path.home()))):
        out = tmp_path / f"run{k}"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        command = [sys.executable, "-m", "simulate", "run", "tournament", "-r", "2", "-q"]
        command += ["--no-report"]
        command += ["--out", str(out), "--set", "horizon_periods=4", "--set", "warmup_periods=1"]
        done = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        outputs.append([(out / name).read_bytes() for name in ("trajectories.csv", "payments.csv")])
    assert outputs[0] == outputs[1]
