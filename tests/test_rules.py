"""Each incentive rule on small hand-computed cases (metrics given, payments known)."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from simulate.incentives.rules import (
    RULE_TYPES,
    Evaluation,
    Improvement,
    PerUnit,
    ReadmissionPenalty,
    SharedSavings,
    Target,
    Tournament,
    Withhold,
    split_weights,
)

NAN = float("nan")


def evaluation(
    metrics: dict[str, list[float]],
    *,
    baseline: dict[str, list[float]] | None = None,
    base_payment: list[float] | None = None,
    withheld: list[float] | None = None,
    risk_adjusted: dict[str, list[float]] | None = None,
    period: int = 5,
    window: int = 1,
) -> Evaluation:
    n = len(next(iter(metrics.values())))

    def lookup(table):
        def get(name: str, adjusted: bool) -> np.ndarray:
            source = risk_adjusted if adjusted and risk_adjusted else table
            return np.asarray(source[name], dtype=float)

        return get

    return Evaluation(
        period=period,
        metric=lookup(metrics),
        baseline=lookup(baseline or {}),
        base_payment=np.asarray(base_payment or [0.0] * n, dtype=float),
        withheld=np.asarray(withheld or [0.0] * n, dtype=float),
        window_periods=window,
    )


def test_target_pays_bonus_when_beaten_and_penalty_when_missed_lower_is_better():
    rule = Target(type="target", metric="readmission_rate", threshold=0.15, bonus=1000, penalty=400)
    amounts, reasons = rule.settle(evaluation({"readmission_rate": [0.10, 0.15, 0.20, NAN]}))
    assert amounts.tolist() == [1000, 1000, -400, 0]  # a tie at the threshold counts as beaten
    assert "beats" in reasons[0] and "misses" in reasons[2] and "no episodes" in reasons[3]


def test_target_higher_is_better_direction():
    rule = Target(type="target", metric="value", threshold=0.02, bonus=500)
    amounts, _ = rule.settle(evaluation({"value": [0.03, 0.01]}))
    assert amounts.tolist() == [500, 0]


def test_qof_tiers_pay_pro_rata_between_worst_and_best():
    rule = Target(type="target", metric="complication_rate", worst=0.10, best=0.02, amount=800)
    amounts, _ = rule.settle(evaluation({"complication_rate": [0.12, 0.10, 0.06, 0.02, 0.0]}))
    assert amounts == pytest.approx([0, 0, 400, 800, 800])


def test_cap_limits_the_amount_either_way():
    rule = PerUnit(type="per_unit", metric="episodes", rate=100, cap=2500)
    amounts, reasons = rule.settle(evaluation({"episodes": [10, 40]}))
    assert amounts.tolist() == [1000, 2500]
    assert "capped" in reasons[1] and "capped" not in reasons[0]
    charge = PerUnit(type="per_unit", metric="cost", rate=-0.01, cap=300)
    amounts, _ = charge.settle(evaluation({"cost": [10000, 50000]}))
    assert amounts.tolist() == [-100, -300]


def test_improvement_on_own_baseline_absolute_and_relative():
    rule = Improvement(
        type="improvement",
        metric="readmission_rate",
        start_period=6,
        baseline_length=6,
        per_unit_improvement=10000,
    )
    assert list(rule.baseline_periods()) == [0, 1, 2, 3, 4, 5]
    ev = evaluation({"readmission_rate": [0.15, 0.25]}, baseline={"readmission_rate": [0.20, 0.20]})
    amounts, _ = rule.settle(ev)
    assert amounts == pytest.approx([500, 0])  # 5 points better; worse is not penalised
    both = rule.model_copy(update={"penalise_deterioration": True})
    assert both.settle(ev)[0] == pytest.approx([500, -500])
    relative = rule.model_copy(update={"relative": True, "per_unit_improvement": 1000})
    assert relative.settle(ev)[0] == pytest.approx([250, 0])  # 25% better x 1000


def test_improvement_needs_room_for_its_baseline():
    with pytest.raises(ValidationError, match="start_period"):
        Improvement(
            type="improvement",
            metric="value",
            start_period=2,
            baseline_length=3,
            per_unit_improvement=1,
        )


def test_tournament_top_and_bottom_shares():
    rule = Tournament(
        type="tournament", metric="value", top_share=0.2, bonus=4000, bottom_share=0.2, penalty=2000
    )
    values = [0.05, 0.01, 0.03, 0.04, 0.02, 0.06, 0.07, 0.08, 0.09, 0.10]
    amounts, _ = rule.settle(evaluation({"value": values}))
    expected = np.zeros(10)
    expected[[8, 9]] = 4000
    expected[[1, 4]] = -2000
    assert amounts.tolist() == expected.tolist()


def test_tournament_ties_at_the_boundary_share_the_prize():
    rule = Tournament(type="tournament", metric="cost_per_episode", top_share=0.25, bonus=3000)
    # lower cost is better: 100 wins outright? no: one slot (0.25 x 4), two tied at 100
    amounts, reasons = rule.settle(evaluation({"cost_per_episode": [100, 100, 200, 300]}))
    assert amounts.tolist() == [1500, 1500, 0, 0]
    assert "tie" in reasons[0]
    total = Tournament(type="tournament", metric="value", top_share=0.5, bonus=1000)
    amounts, _ = total.settle(evaluation({"value": [3, 2, 2, 2, 1, NAN]}))
    # 5 ranked units -> 3 slots (2.5 rounded half up): 3 wins, three tied at 2 share 2 slots
    assert amounts == pytest.approx([1000, 2000 / 3, 2000 / 3, 2000 / 3, 0, 0])
    assert amounts.sum() == pytest.approx(3000)


def test_withhold_returns_in_proportion_to_achievement():
    rule = Withhold(type="withhold", metric="complication_rate", share=0.02, worst=0.10, best=0.05)
    assert rule.withhold_share() == 0.02
    ev = evaluation({"complication_rate": [0.04, 0.075, 0.2, NAN]}, withheld=[600, 600, 600, 600])
    amounts, _ = rule.settle(ev)
    assert amounts == pytest.approx([600, 300, 0, 600])
    binary = Withhold(type="withhold", metric="value", share=0.015, threshold=0.02)
    assert binary.settle(evaluation({"value": [0.03, 0.01]}, withheld=[90, 90]))[0].tolist() == [
        90,
        0,
    ]


def test_shared_savings_minimum_rate_share_cap_and_quality_gate():
    rule = SharedSavings(
        type="shared_savings",
        benchmark=20000,
        share=0.5,
        min_savings_rate=0.02,
        quality_gate={"metric": "readmission_rate", "threshold": 0.15},
    )
    ev = evaluation(
        {
            "cost_per_episode": [19000, 19800, 19000, 21000],
            "episodes": [100, 100, 100, 100],
            "readmission_rate": [0.10, 0.10, 0.20, 0.10],
        }
    )
    amounts, reasons = rule.settle(ev)
    # unit 0: saves 1000 x 100 = 100,000 (5%) -> 50,000; unit 1: 1% < 2% -> 0;
    # unit 2: saves 5% but fails the gate -> 0; unit 3: overspends, one-sided -> 0
    assert amounts.tolist() == [50000, 0, 0, 0]
    assert "quality gate" in reasons[2]
    two_sided = rule.model_copy(update={"two_sided": True, "loss_share": 0.3, "cap": 40000})
    amounts, _ = two_sided.settle(ev)
    assert amounts.tolist() == [40000, 0, 0, -30000]  # cap 40,000; 0.3 x 100,000 loss


def test_shared_savings_trended_baseline_benchmark():
    rule = SharedSavings(
        type="shared_savings",
        baseline_length=4,
        start_period=4,
        every=2,
        trend_per_period=0.01,
        min_savings_rate=0.0,
        share=1.0,
    )
    # evaluated at the close of period 5 over periods 4-5 (middle 4.5); baseline 0-3 (middle 1.5)
    ev = evaluation(
        {"cost_per_episode": [10000], "episodes": [10]},
        baseline={"cost_per_episode": [10000]},
        window=2,
        period=5,
    )
    amounts, _ = rule.settle(ev)
    benchmark = 10000 * 1.01**3
    assert amounts[0] == pytest.approx((benchmark - 10000) * 10)


def test_readmission_penalty_excess_ratio_capped_share_of_base():
    rule = ReadmissionPenalty(type="readmission_penalty", max_share_of_base=0.03)
    assert rule.metric == "readmission_rate" and rule.risk_adjusted and rule.level == "team"
    ev = evaluation(
        {"readmission_ratio": [0.9, 1.02, 1.2]},
        risk_adjusted={"readmission_ratio": [0.9, 1.02, 1.2]},
        base_payment=[100000, 100000, 100000],
    )
    amounts, _ = rule.settle(ev)
    assert amounts == pytest.approx([0, -2000, -3000])


def test_risk_adjusted_and_crude_values_are_used_as_asked():
    crude = Target(type="target", metric="complication_rate", threshold=0.05, bonus=100)
    adjusted = crude.model_copy(update={"risk_adjusted": True})
    ev = evaluation({"complication_rate": [0.08]}, risk_adjusted={"complication_rate": [0.04]})
    assert crude.settle(ev)[0].tolist() == [0]
    assert adjusted.settle(ev)[0].tolist() == [100]


def test_timing_start_end_every_and_window():
    rule = PerUnit(
        type="per_unit", metric="episodes", rate=1, start_period=12, end_period=29, every=3
    )
    evaluated = [p for p in range(40) if rule.evaluates_at(p)]
    assert evaluated == [14, 17, 20, 23, 26, 29]
    assert list(rule.window(14)) == [12, 13, 14]
    assert not rule.in_force(11) and rule.in_force(29) and not rule.in_force(30)


def test_bad_rules_are_refused_with_clear_messages():
    with pytest.raises(ValidationError, match="did you mean 'value'"):
        Target(type="target", metric="valeu", threshold=1)
    with pytest.raises(ValidationError, match="cannot be risk-adjusted"):
        Target(type="target", metric="value", threshold=1, risk_adjusted=True)
    with pytest.raises(ValidationError, match="before start_period"):
        PerUnit(type="per_unit", metric="episodes", rate=1, start_period=5, end_period=4)
    with pytest.raises(ValidationError, match="teams and the organisation"):
        PerUnit(type="per_unit", metric="mean_queue_length", rate=1)
    with pytest.raises(ValidationError, match="either 'threshold'"):
        Target(type="target", metric="value")
    assert set(RULE_TYPES) == {
        "target", "improvement", "tournament", "per_unit", "withhold", "shared_savings",
        "readmission_penalty",
    }  # fmt: skip


def test_team_money_split_equal_by_episodes_and_by_contribution():
    episodes = np.array([10.0, 30.0])
    assert split_weights("equal", episodes, np.array([1, 1]), 1).tolist() == [0.5, 0.5]
    assert split_weights("episodes", episodes, np.array([1, 1]), 1).tolist() == [0.25, 0.75]
    # lower is better: cost per episode 100 vs 200 -> performance 1/100 vs 1/200
    shares = split_weights("contribution", episodes, np.array([100.0, 200.0]), -1)
    assert shares == pytest.approx(
        [10 / 100 / (10 / 100 + 30 / 200), 30 / 200 / (10 / 100 + 30 / 200)]
    )
    assert split_weights("episodes", np.zeros(2), np.array([1, 1]), 1).tolist() == [0.5, 0.5]


def test_tournament_within_teams_ranks_each_team_separately():
    """With peer_group team, each team has its own winners (specialties are not compared)."""
    rule = Tournament(
        type="tournament", metric="value", top_share=0.5, bonus=100, peer_group="team"
    )
    values = {"value": [0.05, 0.04, 0.01, 0.02]}
    ev = evaluation(values)
    grouped = Evaluation(**{**ev.__dict__, "groups": np.array([0, 0, 1, 1])})
    assert rule.settle(grouped)[0].tolist() == [100, 0, 0, 100]
    across = rule.model_copy(update={"peer_group": "organisation"})
    assert across.settle(grouped)[0].tolist() == [100, 100, 0, 0]
    with pytest.raises(ValidationError, match="level: physician"):
        Tournament(
            type="tournament", metric="value", top_share=0.5, level="team", peer_group="team"
        )


EXAMPLES = {
    "target": {"metric": "value", "threshold": 2.5, "bonus": 500, "penalty": 100},
    "improvement": {
        "metric": "cost", "baseline_length": 3, "start_period": 3, "per_unit_improvement": 2,
    },
    "tournament": {"metric": "value", "top_share": 0.2, "bonus": 4000, "bottom_share": 0.1,
                   "penalty": 1000, "peer_group": "team"},
    "per_unit": {"metric": "episodes", "rate": 25},
    "withhold": {"metric": "value", "share": 0.02, "threshold": 1},
    "shared_savings": {"benchmark": 5000, "share": 0.5},
    "readmission_penalty": {"scale": 2, "max_share_of_base": 0.03},
}  # fmt: skip
DESCRIPTIONS = {
    "target": "bonus 500 for beating 2.5, penalty 100 for missing it",
    "improvement": "2 per unit of improvement",
    "tournament": "top 20% earn 4,000 each; bottom 10% lose 1,000 each; ranked within each team",
    "per_unit": "25 per unit of the metric",
    "withhold": "2.0% of base payment withheld, returned on performance",
    "shared_savings": "50% of savings against the benchmark shared",
    "readmission_penalty": (
        "a penalty of 2 x the excess readmission ratio, as a share of base payment, capped at 3.0%"
    ),
}


def test_every_rule_type_describes_itself_in_plain_words():
    """Each rule class has its own ``describe`` (a new rule type cannot be left without
    one: ``Rule.describe`` is abstract), and the dict form of a scenario reads it."""
    from simulate.incentives.rules import Rule, describe_amounts

    assert set(EXAMPLES) == set(RULE_TYPES) == set(DESCRIPTIONS)
    for kind, cls in RULE_TYPES.items():
        assert "describe" in vars(cls), f"{kind} has no describe()"
        assert cls(type=kind, **EXAMPLES[kind]).describe() == DESCRIPTIONS[kind]
        assert describe_amounts({"type": kind, **EXAMPLES[kind]}) == DESCRIPTIONS[kind]
    assert "describe" in Rule.__abstractmethods__
    tiers = Target(type="target", metric="value", worst=1, best=3, amount=6000)
    assert tiers.describe() == "up to 6,000 on a scale from 1.0 to 3.0"
    assert describe_amounts({"type": "tournament"}).startswith("(not a valid tournament rule")
