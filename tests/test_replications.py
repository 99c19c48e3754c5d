"""Replications of a scenario (``simulate.experiment.replications``): run options,
jobs in order whatever the workers, and the tables built from their records."""

from __future__ import annotations

import numpy as np
import pytest

import simulate
from simulate.accounts.ledger import F
from simulate.experiment.replications import (
    ReplicationJob,
    build_result,
    run,
    run_job,
    run_replications,
    with_run_options,
)

SHORT = ["horizon_periods=3", "warmup_periods=1"]


def scenario(replications: int = 2):
    return simulate.load_scenario(
        "baseline_ffs", overrides=[*SHORT, f"replications={replications}"]
    )


def test_run_options_replace_only_what_is_given_and_are_validated():
    s = scenario()
    assert with_run_options(s) is s
    changed = with_run_options(s, replications=5, seed=7)
    assert (changed.replications, changed.seed) == (5, 7)
    assert changed.model_copy(update={"replications": 2, "seed": s.seed}) == s
    with pytest.raises(ValueError):
        with_run_options(s, replications=0)


def test_each_replication_is_its_own_stream_and_repeatable():
    s = scenario(3)
    results = run_replications(s)
    assert [r.replication for r in results] == [0, 1, 2]
    again = run_job(ReplicationJob(s, 1, False))
    assert np.array_equal(again.physician, results[1].physician)
    assert not np.array_equal(results[0].physician, results[1].physician)


def test_tables_hold_every_replication_and_period():
    s = scenario()
    seen = []
    result = run(s, on_done=seen.append)
    assert seen[-1] == 2  # replications done
    n_units = sum(t.physicians for t in s.teams) + len(s.teams) + 1
    assert len(result.trajectories) == 2 * 3 * n_units
    assert set(result.tables()) == {"trajectories", "summary", "physicians", "payments"}
    org = result.trajectories[result.trajectories["level"] == "organisation"]
    episodes = sum(r.physician[..., F["episodes"]].sum() for r in result.replications)
    assert set(result.trajectories.columns) >= {"replication", "period", "unit", "episodes"}
    assert org["episodes"].sum() == pytest.approx(episodes)
    rebuilt = build_result(s, result.replications)
    assert rebuilt.summary.equals(result.summary)


def test_overrides_need_a_file_or_name():
    with pytest.raises(ValueError, match="overrides apply to scenario files"):
        run(scenario(), overrides=["seed=1"])
    by_name = run("baseline_ffs", overrides=[*SHORT, "replications=1"], seed=3)
    assert by_name.scenario.seed == 3 and by_name.source is not None
