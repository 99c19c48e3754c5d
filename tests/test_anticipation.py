"""How physicians anticipate team money: colleagues as observed, or responding as they do
(``behaviour.colleagues``), and the behavioural response that follows."""

from __future__ import annotations

import numpy as np

import simulate
from simulate.model.world import run_replication

PRIZE = (
    "incentives=[{type: target, metric: cost_per_episode, level: team, bonus: 150000, "
    "every: 3, start_period: 6, own_baseline: {first_period: 0, last_period: 5, change: -0.05}}]"
)
COMMON = ("horizon_periods=10", "warmup_periods=1", "behaviour.model=adaptive")


def _intensity(*overrides: str) -> np.ndarray:
    scenario = simulate.load_scenario("baseline_ffs", overrides=[*COMMON, *overrides])
    return run_replication(scenario, 0).intensity


def test_a_reachable_team_target_gets_a_response_only_when_colleagues_respond_too():
    """A team prize for 5% below the team's own cost per episode, split equally over 5-6
    physicians. Taking colleagues as fixed, a physician moves the team's figure by about
    1/N of their own change: 5% is out of reach, and in the prize's first two periods
    practice is exactly as without it (later, where the team's recent figure happens to
    sit near its threshold, one physician can tip it). Expecting colleagues to respond
    alike, the team's figure moves with theirs: intensity falls from the first period of
    the prize, by more than 1% on average over its first quarter, and never rises."""
    none = _intensity()
    fixed = _intensity(PRIZE)
    symmetric = _intensity(PRIZE, "behaviour.colleagues=symmetric")
    assert np.array_equal(fixed[:8], none[:8])
    assert np.array_equal(symmetric[:6], none[:6])  # before the prize: the same world
    change = symmetric[6:9] / none[6:9] - 1
    assert np.all(change <= 0) and change[0].mean() < 0 and change.mean() < -0.01
