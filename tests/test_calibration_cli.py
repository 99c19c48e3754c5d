"""`simulate calibrate` end to end: recovery of known parameters from targets the model
itself produced, the same trials on a pool, and after SIGKILL and --resume."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from simulate.calibration.target_spec import Target
from simulate.calibration.targets import measure, model_value
from simulate.scenario.loader import bundled_dir, load_scenario

TRUTH = {"conditions[1].readmission_rate": 0.25, "conditions[0].base_cost": 30000.0}
BOUNDS = {"conditions[1].readmission_rate": (0.05, 0.4), "conditions[0].base_cost": (1e4, 4e4)}
REPLICATIONS = 3
WORLD = (
    "name: tiny_cal\n"
    f"extends: {bundled_dir() / 'baseline_ffs.yaml'}\n"
    "horizon_periods: 4\n"
    "warmup_periods: 1\n"
)
SE = {"readmission_rate": 0.02, "cost_per_episode": 2500.0}


def synthetic_targets(tmp_path) -> dict[str, float]:
    """Each target's value: the model's mean at the true parameters."""
    (tmp_path / "world.yaml").write_text(WORLD)
    truth = [f"{path}={value}" for path, value in TRUTH.items()]
    scenario = load_scenario(tmp_path / "world.yaml", truth)
    from simulate.model.world import run_replication

    results = [run_replication(scenario, k) for k in range(REPLICATIONS)]
    values = {}
    for metric in SE:
        target = Target(name=metric, metric=metric, value=0.0, se=1.0)
        window = target.window_of(scenario)
        runs = np.array([measure(target, window, scenario, r) for r in results])
        values[metric] = model_value(target, {scenario.name: runs}, scenario.name)[0]
    return values


def calibration_file(values: dict[str, float]) -> str:
    parameters = "".join(
        f"    - {{path: '{path}', low: {low}, high: {high}"
        + (", prior: loguniform}\n" if "cost" in path else "}\n")
        for path, (low, high) in BOUNDS.items()
    )
    targets = "".join(
        f"    - {{name: {m}, metric: {m}, value: {values[m]!r}, se: {SE[m]}}}\n" for m in SE
    )
    return (
        WORLD
        + "calibration:\n"
        + f"  replications: {REPLICATIONS}\n  seed: 1\n"
        + "  parameters:\n"
        + parameters
        + "  targets:\n"
        + targets
        + "  method: {screening: 16, trials: 8, batch: 4, prior_draws: 40}\n"
    )


def calibrate(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "simulate", "calibrate", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calibrate")
    (folder / "cal.yaml").write_text(calibration_file(synthetic_targets(folder)))
    done = calibrate(str(folder / "cal.yaml"), "--out", str(folder / "serial"), "--workers", "1")
    assert done.returncode == 0, done.stderr
    return folder, done


def test_the_truth_lies_in_the_accepted_sets_95_range(serial):
    folder, _done = serial
    out = folder / "serial"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "calibration" and manifest["complete"]
    accepted = pd.read_csv(out / "accepted.csv")
    assert list(accepted.columns) == ["set", "weight", *TRUTH]
    assert len(accepted) >= 3 and accepted["weight"].sum() == pytest.approx(1.0)
    for row in manifest["accepted_ranges"]:
        low, high = BOUNDS[row["path"]]
        assert row["low"] <= TRUTH[row["path"]] <= row["high"], row
        assert row["high"] - row["low"] < 0.7 * (high - low), row  # the data narrowed it
    best = manifest["best"]["values"]
    assert best["conditions[0].base_cost"] == pytest.approx(30000, rel=0.1)
    assert best["conditions[1].readmission_rate"] == pytest.approx(0.25, abs=0.06)


def test_writes_trials_fit_best_and_a_report(serial):
    folder, done = serial
    out = folder / "serial"
    trials = pd.read_csv(out / "trials.csv")
    assert trials["stage"].value_counts().to_dict() == {
        "prior": 40,
        "screening": 16,
        "optimiser": 8,
        "defaults": 1,
    }
    assert trials["evaluation"].tolist() == list(range(65))
    assert trials.loc[0, "conditions[0].base_cost"] == 23000.0  # the world as written
    assert trials["best"].sum() == 1 and trials["accepted"].sum() == len(
        pd.read_csv(out / "accepted.csv")
    )
    assert not trials.loc[trials["stage"] == "optimiser", "accepted"].any()
    fit = pd.read_csv(out / "fit.csv")
    assert fit["after_covered"].all()  # the best fit reproduces its own model's targets
    best = (out / "best.yaml").read_text()
    sets = [line.split("--set ")[1] for line in best.splitlines() if "--set " in line]
    scenario = load_scenario(out / "best.yaml", sets)
    assert scenario.conditions[0].base_cost == pytest.approx(
        json.loads((out / "manifest.json").read_text())["best"]["values"]["conditions[0].base_cost"]
    )
    page = (out / "dashboard.html").read_text(encoding="utf-8")
    assert 'id="targets"' in page and "http://" not in page
    for stem in ("fit", "convergence", "pairs"):
        assert (out / "report" / f"{stem}.png").stat().st_size > 1000
    assert "Fit (95% intervals)" in done.stdout


def test_the_same_trials_on_a_pool(serial):
    folder, _ = serial
    done = calibrate(str(folder / "cal.yaml"), "--out", str(folder / "pool"), "--workers", "2")
    assert done.returncode == 0, done.stderr
    for name in ("trials.csv", "accepted.csv", "fit.csv", "best.yaml"):
        assert (folder / "serial" / name).read_bytes() == (folder / "pool" / name).read_bytes()


def stored_runs(path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_sigkill_then_resume_gives_the_same_trials(serial):
    folder, _ = serial
    out = folder / "killed"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulate",
            "calibrate",
            str(folder / "cal.yaml"),
            "--out",
            str(out),
            "--workers",
            "1",
            "-q",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if stored_runs(out / "runs.sqlite") >= 60:  # past the screening, into the optimiser
            break
        time.sleep(0.02)
    assert process.poll() is None, "finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    kept = stored_runs(out / "runs.sqlite")
    assert 0 < kept < 65 * REPLICATIONS
    done = calibrate(str(folder / "cal.yaml"), "--out", str(out), "--resume", "--workers", "1")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs_before_this_session"] == kept
    assert manifest["runs_this_session"] == 65 * REPLICATIONS - kept
    for name in ("trials.csv", "accepted.csv", "fit.csv", "best.yaml"):
        assert (folder / "serial" / name).read_bytes() == (out / name).read_bytes(), name
