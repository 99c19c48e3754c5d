"""Adaptive behaviour reproduces the theory it is built on (multi-replication, paired)."""

from __future__ import annotations

import numpy as np

import simulate
from simulate.compare.paired import paired_interval

ADAPTIVE = ["behaviour.model=adaptive", "warmup_periods=1"]


def run(name: str, *overrides: str, replications: int = 3, horizon: int = 3):
    settings = [*ADAPTIVE, f"horizon_periods={horizon}", f"replications={replications}"]
    return simulate.run(name, overrides=[*settings, *overrides], workers=2)


def mean_style(result, column: str, periods: slice) -> np.ndarray:
    """Per replication: the physicians' mean style over the given periods."""
    table = result.physicians
    chosen = table[table["period"].between(periods.start, periods.stop - 1)]
    return chosen.groupby("replication")[column].mean().to_numpy()


def test_ellis_mcguire_fee_for_service_over_mixed_over_capitation():
    """Same physicians, same seeds: intensity rises with the marginal fee (Ellis & McGuire)."""
    ffs, mixed, cap = (run(name) for name in ("baseline_ffs", "mixed", "capitation"))
    first = slice(0, 3)
    i_ffs, i_mixed, i_cap = (mean_style(r, "style_intensity", first) for r in (ffs, mixed, cap))
    assert np.all(i_ffs > i_mixed) and np.all(i_mixed > i_cap)
    for high, low in ((i_ffs, i_mixed), (i_mixed, i_cap)):
        mean, low_ci, _, _ = paired_interval(high, low)
        assert low_ci > 0
        # not trivial, not a runaway: the step scales as 1 / adjustment_cost (0.03-0.06
        # at the fitted 11,000; 0.05-0.09 at the earlier assumed 7,500)
        assert 0.02 < mean < 0.4


def test_prospective_payment_leaves_the_drawn_style_unchanged():
    """Without a marginal financial incentive the drawn style is the best response."""
    fixed = simulate.run(
        "capitation",
        overrides=["horizon_periods=3", "warmup_periods=1", "replications=2"],
        workers=2,
    ).physicians
    adaptive = run("capitation", replications=2).physicians
    for column in ("style_intensity", "style_quality_effort"):
        gap = np.abs(adaptive[column].to_numpy() - fixed[column].to_numpy())
        assert gap.max() < 0.05  # grid resolution and one period of noise
    ffs = run("baseline_ffs", replications=2).physicians
    # fee-for-service's step, f (1 + sigma_R r) / (c A + a V G |B''(1)|) (model.md 3.8):
    # about 0.08-0.09 at the fitted adjustment cost A = 11,000
    assert (ffs["style_intensity"] - fixed["style_intensity"]).mean() > 0.05


PENALTY = (
    "incentives=[{type: readmission_penalty, level: physician, scale: 10, "
    "max_share_of_base: 0.5, every: 1, start_period: 3}]"
)


def test_readmission_penalty_raises_quality_effort_and_lowers_readmissions(response_floor):
    """A readmission penalty lowers the readmission rate against the same world without it."""
    without = run("baseline_ffs", replications=6, horizon=18)
    with_penalty = run("baseline_ffs", PENALTY, replications=6, horizon=18)
    late = slice(9, 18)
    effort_gain = paired_interval(
        mean_style(with_penalty, "style_quality_effort", late),
        mean_style(without, "style_quality_effort", late),
    )
    assert effort_gain[1] > response_floor

    def readmissions(result) -> np.ndarray:
        t = result.trajectories
        org = t[(t["level"] == "organisation") & (t["period"] >= late.start)]
        return org.groupby("replication")["readmission_rate"].mean().to_numpy()

    change = paired_interval(readmissions(with_penalty), readmissions(without))
    assert change[2] < 0  # the whole 95% interval is below zero


QUALITY_BONUS = (
    "incentives=[{type: target, metric: complication_rate, worst: 0.06, best: 0.01, "
    "amount: 60000, every: 1, start_period: 2, end_period: 9}]"
)


def test_part_of_a_change_persists_after_the_policy_ends():
    """Effort rises while a quality bonus runs (periods 2-9) and falls back after it ends;
    with habits (habit_weight 0.5) more of the gain remains 20 periods later than without
    (habit_weight 0, where only the inertia of partial adjustment is left: 0.81^20 = 1.5%)."""
    by_period = lambda r: r.physicians.groupby("period")["style_quality_effort"].mean()  # noqa: E731
    gains = {}
    for weight in (0.0, 0.5):
        settings = [f"behaviour.habit_weight={weight}", "behaviour.noise_sd=0"]
        baseline = run("baseline_ffs", *settings, replications=2, horizon=30)
        policy = run("baseline_ffs", QUALITY_BONUS, *settings, replications=2, horizon=30)
        gains[weight] = by_period(policy) - by_period(baseline)
    for gain in gains.values():
        assert gain[9] > 0.03  # the policy moved practice
        assert gain[29] < 0.6 * gain[9]  # and the gain decays once it ends
    assert gains[0.0][29] < 0.25 * gains[0.0][9]
    assert gains[0.5][29] > 1.5 * gains[0.0][29]  # habits keep more of it


DASHBOARD = [
    "peer_pressure.norm=top_decile",
    "peer_pressure.metrics=[readmission_rate]",
]


def test_dashboard_with_top_decile_norm_narrows_variation_of_the_shown_metric():
    """An internal dashboard with an achievable-benchmark norm pulls laggards toward the
    top decile: the between-physician coefficient of variation (within each team) of the
    shown metric, each physician's readmission risk as their style implies it (the
    dashboard figure net of sampling noise; risk at a 10% base rate, below any cap),
    falls against no transparency."""
    from simulate.clinical import outcomes
    from simulate.scenario.models import Clinical

    def variation(transparency: str) -> np.ndarray:
        result = run(
            "baseline_ffs",
            *DASHBOARD,
            f"peer_pressure.transparency={transparency}",
            replications=4,
            horizon=24,
        )
        out = []
        for rep in result.replications:
            effort = rep.quality_effort[-1]
            risk = outcomes.readmission_probability(0.1, 1.0, effort, 0.0, Clinical())
            assert risk.max() < Clinical().max_probability
            for team in np.unique(rep.physician_team):
                x = risk[rep.physician_team == team]
                out.append(x.std() / x.mean())
        return np.array(out)

    change = paired_interval(variation("internal_dashboard"), variation("none"))
    assert change[2] < 0


def one_team_world(physicians: int, monitoring: float, bonus: bool) -> simulate.Scenario:
    """One orthopaedic team of ``physicians``, demand scaled to size, optionally a team
    bonus for low complications worth the same per physician whatever the size."""
    from simulate.scenario.loader import resolve_scenario

    data = resolve_scenario("baseline_ffs").data
    data["name"] = f"team_{physicians}"
    data["replications"] = 2
    data["horizon_periods"] = 12
    data["warmup_periods"] = 1
    data["behaviour"] = {"model": "adaptive", "noise_sd": 0.0}
    hip = data["conditions"][0]
    data["conditions"] = [{**hip, "arrival_rate": 0.8 * physicians}]
    data["teams"] = [
        {
            "name": "orthopaedics",
            "physicians": physicians,
            "caseload_per_physician": 3,
            "team_based_care": {"peer_monitoring": monitoring},
        }
    ]
    data["incentives"] = (
        [
            {
                "type": "target",
                "metric": "complication_rate",
                "level": "team",
                "worst": 0.04,
                "best": 0.01,
                "amount": 60000 * physicians,
                "every": 1,
            }
        ]
        if bonus
        else []
    )
    return simulate.Scenario.model_validate(data)


def effort_response(physicians: int, monitoring: float) -> float:
    """Mean quality effort with the team bonus minus without, over periods 6-11."""
    effort = []
    for bonus in (False, True):
        result = simulate.run(one_team_world(physicians, monitoring, bonus), workers=2)
        late = result.physicians[result.physicians["period"] >= 6]
        effort.append(late["style_quality_effort"].mean())
    return effort[1] - effort[0]


def test_team_bonus_is_diluted_by_free_riding_unless_peers_monitor_each_other():
    """Kandel & Lazear: a shared bonus is diluted 1/N; mutual monitoring restores effort.

    The bonus per physician is the same in both teams, but a physician moves the team's
    rate by 1/N of their own change and gets 1/N of the money: the marginal incentive in
    the team of 10 is a fifth of the team of 2's. The response is smaller, but not zero
    (effort's effect on complications flattens, so it is more than a fifth)."""
    small, large = effort_response(2, 0.0), effort_response(10, 0.0)
    assert small > 0.02
    assert 0.001 < large < 0.5 * small  # free-riding in the large team
    watched_small, watched_large = effort_response(2, 1.0), effort_response(10, 1.0)
    assert watched_large > 0.8 * watched_small  # with monitoring size no longer dilutes
    assert watched_large > 5 * large


def team_best_effort(amount_per_physician: float) -> np.ndarray:
    """Each physician's best-response effort in a team of 10 (no monitoring) at the close
    of period 1, anticipating a team bonus from period 2 worth ``amount_per_physician``
    at full achievement. The world before period 2 is the same for every amount."""
    from simulate.behaviour import BehaviourContext
    from simulate.model.world import World

    scenario = one_team_world(10, 0.0, True)
    rule = {**scenario.incentives[0].model_dump(), "amount": 10 * amount_per_physician}
    scenario = simulate.Scenario.model_validate(
        {
            **scenario.model_dump(by_alias=True),
            "horizon_periods": 2,
            "incentives": [{**rule, "start_period": 2}],
        }
    )
    world = World(scenario, 0)
    world.run()
    context = BehaviourContext(1, world.ledger, world.payer)
    return world.behaviour.best_responses(context)[:, 1]


def test_small_incentives_give_small_responses_that_grow_with_the_bonus():
    """The best response resolves 1e-4 of effort: a bonus diluted in a team of 10 moves
    every physician a little, a tiny one (1,000 at full achievement, about 1.5 per
    episode after the 1/10 split) very little but not zero, and more money never less
    and, this far from the bounds, about proportionally more (the same world and
    physicians, only the bonus differs; the old grid, 0.013 apart, gave 0 to all but
    the largest)."""
    amounts = [0.0, 1000.0, 10000.0, 60000.0]
    efforts = np.array([team_best_effort(amount) for amount in amounts])
    response = efforts[1:] - efforts[0]
    assert np.all(response[0] > 0) and np.all(response[0] < 0.001)  # tiny, not zero
    assert np.all(np.diff(efforts, axis=0) > 0)  # monotone in the bonus
    assert np.all((response[2] / response[1] > 4.5) & (response[2] / response[1] < 7))
