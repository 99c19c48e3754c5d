"""`simulate run` writes complete, readable tables and a manifest that describes the run."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulate.accounts.metrics import METRICS
from simulate.output.store import scenario_hash
from simulate.scenario import load_scenario

SHORT = ["--set", "horizon_periods=5", "--set", "warmup_periods=2"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "baseline"
    cmd = [sys.executable, "-m", "simulate", "run", "baseline_ffs", "-r", "3", "--out", str(out)]
    done = subprocess.run(
        [*cmd, "--workers", "2", "--episode-log", *SHORT], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "results written to" in done.stdout
    return out


def test_every_table_is_written_as_csv_and_parquet(run_dir):
    for stem in ("trajectories", "summary", "physicians", "payments", "episodes"):
        csv = pd.read_csv(run_dir / f"{stem}.csv")
        parquet = pd.read_parquet(run_dir / f"{stem}.parquet")
        assert len(csv) == len(parquet) > 0
        assert list(csv.columns) == list(parquet.columns)
    leftovers = [p.name for p in run_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # no temporary files left behind


def test_trajectories_have_one_row_per_replication_period_and_unit(run_dir):
    table = pd.read_csv(run_dir / "trajectories.csv")
    scenario = load_scenario("baseline_ffs")
    units = scenario.n_physicians + len(scenario.teams) + 1
    assert len(table) == 3 * 5 * units
    assert set(METRICS) <= set(table.columns)
    assert table.groupby(["replication", "period", "unit"]).size().max() == 1


def test_manifest_records_the_resolved_scenario_and_how_to_rerun(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    scenario = load_scenario("baseline_ffs", ["horizon_periods=5", "warmup_periods=2"])
    assert manifest["scenario"]["horizon_periods"] == 5
    assert manifest["replications"] == 3
    assert manifest["scenario_sha256"] == scenario_hash(
        scenario.model_copy(update={"replications": 3})
    )
    assert manifest["overrides"] == ["horizon_periods=5", "warmup_periods=2"]
    assert {"python", "simpy", "numpy", "pandas"} <= set(manifest["versions"])
    assert "run" in manifest["command"]
    p = manifest["patients"]
    total = p["finished"] + p["queued"] + p["in_treatment"] + p["awaiting_readmission"]
    total += p["turned_away"] + p["declined"]
    assert p["arrived"] == total > 0


def test_summary_drops_warm_up_and_gives_t_intervals(run_dir):
    """Summary episodes = mean over replications of per-period episodes after warm-up."""
    traj = pd.read_csv(run_dir / "trajectories.csv")
    summary = pd.read_csv(run_dir / "summary.csv")
    org = traj[(traj["level"] == "organisation") & (traj["period"] >= 2)]
    per_rep = org.groupby("replication")["episodes"].mean().to_numpy()
    row = summary[(summary["unit"] == "organisation") & (summary["metric"] == "episodes")].iloc[0]
    half = stats.t.ppf(0.975, 2) * per_rep.std(ddof=1) / np.sqrt(3)
    assert row["mean"] == pytest.approx(per_rep.mean())
    assert row["ci_low"] == pytest.approx(per_rep.mean() - half)
    assert row["ci_high"] == pytest.approx(per_rep.mean() + half)
    with_warmup = traj[traj["level"] == "organisation"].groupby("replication")["episodes"].mean()
    assert not np.isclose(with_warmup.mean(), row["mean"])


def test_rates_in_summary_are_pooled_over_the_window(run_dir):
    episodes = pd.read_csv(run_dir / "episodes.csv")
    summary = pd.read_csv(run_dir / "summary.csv")
    scenario = load_scenario("baseline_ffs")
    index = episodes[(episodes["kind"] == "index") & (episodes["replication"] == 0)]
    window = index[index["end_day"] >= 2 * scenario.period_days]
    rates = window.groupby("replication")["complication"].mean()
    row = summary[(summary["unit"] == "organisation") & (summary["metric"] == "complication_rate")]
    assert row["replications"].iloc[0] == 3
    # replication 0 alone, recomputed from the episode log, lies inside the replication range
    traj = pd.read_csv(run_dir / "trajectories.csv")
    org0 = traj[
        (traj["level"] == "organisation") & (traj["replication"] == 0) & (traj["period"] >= 2)
    ]
    pooled = (org0["complication_rate"] * org0["episodes"]).sum() / org0["episodes"].sum()
    assert pooled == pytest.approx(rates.iloc[0])


def test_episode_log_matches_the_ledger(run_dir):
    episodes = pd.read_csv(run_dir / "episodes.csv")
    traj = pd.read_csv(run_dir / "trajectories.csv")
    org = traj[traj["level"] == "organisation"]
    index = episodes[episodes["kind"] == "index"]
    assert len(index) == org["episodes"].sum()
    assert len(episodes) - len(index) == org["readmission_episodes"].sum()
    assert episodes["cost"].sum() == pytest.approx(org["cost"].sum())
    assert index["qalys"].sum() == pytest.approx(org["qalys"].sum())
    assert index["readmitted"].sum() == pytest.approx(
        (org["readmission_rate"] * org["episodes"]).sum()
    )


def test_physician_styles_stay_fixed_and_income_is_their_payments(run_dir):
    physicians = pd.read_csv(run_dir / "physicians.csv")
    spread = physicians.groupby(["replication", "physician"])["style_intensity"].nunique()
    assert spread.max() == 1  # behaviour: fixed
    assert physicians["style_intensity"].nunique() > 1  # but physicians differ
    payments = pd.read_csv(run_dir / "payments.csv")
    income = payments.groupby(["replication", "period", "physician"])["amount"].sum()
    merged = physicians.set_index(["replication", "period", "physician"])["income"]
    assert np.allclose(merged.loc[income.index], income)


def test_api_returns_the_same_tables(tmp_path):
    import simulate

    result = simulate.run("baseline_ffs", replications=2, overrides=SHORT[1::2])
    assert set(result.tables()) == {"trajectories", "summary", "physicians", "payments"}
    assert result.trajectories["replication"].nunique() == 2
    assert result.episodes is None
