"""Targeting: who a rule or the feedback dashboard reaches (hand-computed sets), what the
untargeted are paid and feel, and the record of who was targeted."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from simulate.accounts.ledger import PHYSICIAN_FIELDS, TEAM_FIELDS, F, PeriodLedger
from simulate.accounts.wait_histogram import N_BINS
from simulate.behaviour import peer
from simulate.incentives.payer import Payer
from simulate.incentives.rules import RuleSpec
from simulate.incentives.targeting import Targeting
from simulate.incentives.window import WindowSums
from simulate.scenario.models import PeerPressure

TEAMS = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
NAMES = [f"a.{k:02d}" for k in range(1, 6)] + [f"b.{k:02d}" for k in range(1, 6)]
COST = np.array([10.0, 50, 20, 40, 30, 15, 5, 25, np.nan, 35])


def test_worst_and_best_follow_the_metric_direction_in_the_organisation_or_each_team():
    """Cost per episode (lower is better): the worst 20% of the nine with a figure are
    the two dearest (50, 40); per team the worst one each (50; 35); the best 3: 5, 10, 15."""
    worst = Targeting(select="worst", metric="cost_per_episode", share=0.2)
    assert np.flatnonzero(worst.choose(TEAMS, NAMES, COST)).tolist() == [1, 3]
    per_team = Targeting(select="worst", metric="cost_per_episode", count=1, within="team")
    assert np.flatnonzero(per_team.choose(TEAMS, NAMES, COST)).tolist() == [1, 9]
    best = Targeting(select="best", metric="cost_per_episode", count=3)
    assert np.flatnonzero(best.choose(TEAMS, NAMES, COST)).tolist() == [0, 5, 6]
    value = Targeting(select="worst", metric="value", count=1)  # higher is better: lowest
    assert np.flatnonzero(value.choose(TEAMS, NAMES, COST)).tolist() == [6]


def test_named_and_random_sets():
    named = Targeting(select="named", physicians=["a.02", "b.05"])
    assert np.flatnonzero(named.choose(TEAMS, NAMES)).tolist() == [1, 9]
    arm = Targeting(select="random", share=0.4, within="team")  # 2 of each team of 5
    chosen = arm.choose(TEAMS, NAMES, rng=np.random.default_rng(7))
    assert chosen[:5].sum() == 2 and chosen[5:].sum() == 2
    again = arm.choose(TEAMS, NAMES, rng=np.random.default_rng(7))
    assert np.array_equal(chosen, again)  # the same stream, the same arm


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"select": "worst", "share": 0.2}, "'metric' is needed"),
        ({"select": "worst", "metric": "cost", "share": 0.2, "count": 2}, "exactly one"),
        ({"select": "named"}, "'physicians' is needed"),
        ({"select": "random", "share": 1.5}, "less than or equal to 1"),
        ({"select": "worst", "metric": "mean_queue_length", "count": 1}, "cannot rank"),
        ({"select": "named", "physicians": ["a.01"], "share": 0.5}, "not 'share'"),
    ],
)
def test_bad_targeting_is_refused(given, says):
    with pytest.raises(ValidationError, match=says):
        Targeting(**given)


def _payer(rule: dict, n_teams: int = 2, team_of=TEAMS) -> Payer:
    spec = TypeAdapter(RuleSpec).validate_python(rule)
    teams = [SimpleNamespace(name=n, physicians=5) for n in "ab"[:n_teams]]
    stand_in = SimpleNamespace(
        incentives=(spec,),
        rule_labels=("rule",),
        horizon_periods=20,
        period_days=30.0,
        metrics=SimpleNamespace(wait_target_days=14.0),
        teams=teams,
    )
    return Payer(stand_in, team_of, lambda name: np.random.default_rng(3))


def _ledger(cost_per_episode: np.ndarray, periods: int = 4) -> PeriodLedger:
    ledger = PeriodLedger(periods, len(cost_per_episode), 2)
    ledger.physician[:, :, F["episodes"]] = 10
    ledger.physician[:, :, F["cost"]] = 10 * np.nan_to_num(cost_per_episode, nan=0.0)
    ledger.physician[:, :, F["fee_for_service"]] = 1000
    return ledger


def test_a_targeted_rule_pays_and_withholds_only_the_targeted():
    """Worst 2 on cost per episode chosen at the close of period 0 (start 1): they are
    paid 100 per episode; the others nothing, and nothing is withheld from them."""
    cost = np.array([10.0, 50, 20, 40, 30, 15, 5, 25, 12, 35])
    targeting = {"select": "worst", "metric": "cost_per_episode", "count": 2, "window": 1}
    payer = _payer({"type": "per_unit", "metric": "episodes", "rate": 100, "start_period": 1,
                    "targeting": targeting})  # fmt: skip
    ledger = _ledger(cost)
    assert payer.close_period(0, ledger) == []
    assert payer.targets.mask("rule").nonzero()[0].tolist() == [1, 3]
    items = payer.close_period(1, ledger)
    assert {(i.physician, i.amount) for i in items} == {(1, 1000.0), (3, 1000.0)}
    assert payer.targets.targeted(0).sum() == 0 and payer.targets.targeted(1).sum() == 2
    withhold = _payer({"type": "withhold", "metric": "cost_per_episode", "share": 0.1,
                       "threshold": 0, "start_period": 1, "targeting": targeting})  # fmt: skip
    withhold.close_period(0, ledger)
    withhold.close_period(1, ledger)
    assert np.flatnonzero(withhold.withheld[0, 1]).tolist() == [1, 3]
    assert withhold.withheld[0, 1, 1] == pytest.approx(100.0)


def test_what_the_untargeted_anticipate_is_nothing_and_the_targeted_what_is_paid():
    targeting = {"select": "named", "physicians": ["a.01", "b.01"]}
    payer = _payer({"type": "target", "metric": "cost_per_episode", "threshold": 25,
                    "bonus": 500, "penalty": 200, "targeting": targeting})  # fmt: skip
    sums = np.zeros((10, len(PHYSICIAN_FIELDS)))
    sums[:, F["episodes"]] = 10
    sums[:, F["cost"]] = 10 * np.array([10.0, 50, 20, 40, 30, 30, 5, 25, 12, 35])
    window = WindowSums(sums, np.zeros((10, N_BINS), np.int32), np.zeros((2, len(TEAM_FIELDS))), 1)
    net = payer.anticipate(0, 0, window, sums[:, None, :]).net[:, 0, 0]
    assert net.tolist() == [500, 0, 0, 0, 0, -200, 0, 0, 0, 0]
    paid, _ = payer.settle(0, 0, window, np.zeros(10))
    assert paid.tolist() == net.tolist()


def test_a_rule_targeting_by_rank_needs_a_period_to_rank_in_and_level_physician():
    rule = {"type": "per_unit", "metric": "episodes", "rate": 1,
            "targeting": {"select": "worst", "metric": "cost", "share": 0.2}}  # fmt: skip
    with pytest.raises(ValidationError, match="chosen_at"):
        TypeAdapter(RuleSpec).validate_python(rule)
    with pytest.raises(ValidationError, match="level: physician"):
        TypeAdapter(RuleSpec).validate_python({**rule, "level": "team", "start_period": 2})


def test_one_sided_feedback_spares_those_better_than_the_norm():
    """Readmission rate 0.10 norm, conformity 2, rank concern 0.5 among teammates 0.08,
    0.12: one-sided, 0.12 costs 2 x 0.2^2 + 0.5 x 1/2; 0.08 (better) costs nothing, its
    rank included; two-sided (today's median), 0.08 costs 2 x 0.2^2 + 0."""
    shown = {"readmission_rate": np.array([0.08, 0.12, 0.10])}
    norms = {"readmission_rate": np.full(3, 0.10)}
    candidates = {"readmission_rate": np.array([[0.12, 0.08]] * 3)}
    settings = {"transparency": "internal_dashboard", "metrics": ["readmission_rate"],
                "conformity": 2.0, "rank_concern": 0.5}  # fmt: skip
    one = PeerPressure(**settings, feedback="one_sided")
    loss = peer.Comparison(shown, norms, np.zeros(3, int), one).loss(candidates)[2]
    assert loss == pytest.approx([2 * 0.2**2 + 0.5 * 1 / 2, 0.0])
    two = PeerPressure(**settings)
    loss = peer.Comparison(shown, norms, np.zeros(3, int), two).loss(candidates)[2]
    assert loss == pytest.approx([2 * 0.2**2 + 0.5 * 1 / 2, 2 * 0.2**2])
    letters = PeerPressure(**settings, targeting={"select": "random", "share": 0.5})
    assert letters.one_sided and not two.one_sided  # targeted feedback: one-sided by default


def test_the_dashboard_reaches_only_its_target_set():
    """The mechanism scales each physician's reputational loss by the target set."""
    from simulate.behaviour.mechanisms import PeerPressure as Mechanism
    from simulate.scenario import load_scenario

    scenario = load_scenario(
        "baseline_ffs",
        [
            "peer_pressure.transparency=private_feedback",
            "peer_pressure.metrics=[cost_per_episode]",
            "peer_pressure.targeting.select=named",
            "peer_pressure.targeting.physicians=[orthopaedics.01]",
            "peer_pressure.window=1",
        ],
    )
    team_of = np.repeat(np.arange(len(scenario.teams)), [t.physicians for t in scenario.teams])
    n = len(team_of)
    payer = Payer(scenario, team_of)
    mechanism = Mechanism(scenario, team_of)
    ledger = PeriodLedger(2, n, len(scenario.teams))
    ledger.physician[0, :, F["episodes"]] = 10
    ledger.physician[0, :, F["cost"]] = 10 * np.linspace(1000, 2000, n)
    payer.close_period(0, ledger)
    mechanism.at_close(0, ledger, payer.targets)
    expect = {"cost_per_episode": np.full((n, 1), 5000.0)}
    loss = mechanism.loss(expect)[:, 0]
    assert loss[0] > 0 and np.all(loss[1:] == 0)
    assert payer.targets.targeted(1).tolist() == [True] + [False] * (n - 1)
    assert not payer.targets.targeted(0).any()  # the letter shapes the next period's style


def test_a_random_arm_draws_from_its_own_stream_and_is_recorded(short_scenario):
    """A random half of each team gets a per-episode bonus from period 2: patients and
    care are unchanged (the arm's draws come from their own stream; fixed styles), money
    reaches the arm only, and the physicians table says who was targeted when."""
    from simulate.model.world import run_replication
    from simulate.output.tables import physicians_table, trajectories_table

    plain = short_scenario("baseline_ffs")
    arm = short_scenario(
        "baseline_ffs",
        "incentives=[{type: per_unit, name: trial, metric: episodes, rate: 50, start_period: 2,"
        " targeting: {select: random, share: 0.5, within: team}}]",
    )
    without, with_arm = run_replication(plain, 0), run_replication(arm, 0)
    assert without.targeted is None
    clinical = slice(0, F["resource_use"] + 1)
    assert np.array_equal(without.physician[..., clinical], with_arm.physician[..., clinical])
    targeted = with_arm.targeted
    assert targeted.shape == (6, plain.n_physicians) and not targeted[:2].any()
    assert np.all(targeted[2:] == targeted[2])  # chosen once
    sizes = [t.physicians for t in plain.teams]
    first = np.cumsum([0, *sizes[:-1]])
    assert [int(targeted[2, a : a + k].sum()) for a, k in zip(first, sizes, strict=True)] == [
        int(np.floor(0.5 * k + 0.5)) for k in sizes
    ]
    paid = {item.physician for item in with_arm.line_items}
    assert paid == set(np.flatnonzero(targeted[2]))
    again = run_replication(arm, 0).targeted  # same seed, same arm
    assert np.array_equal(again, targeted)
    table = physicians_table(arm, [with_arm], trajectories_table(arm, [with_arm]))
    assert table["targeted"].to_numpy().reshape(6, -1).tolist() == targeted.tolist()
    assert "targeted" not in physicians_table(
        plain, [without], trajectories_table(plain, [without])
    )


def test_a_trial_arm_among_the_worst_reaches_a_random_half_of_them():
    """The worst 40% on cost (4 of the 9 with a figure: 50, 40, 35, 30), half of them at
    random: two of those four, and only them; the same stream, the same arm."""
    letters = Targeting(select="worst", metric="cost_per_episode", share=0.4, trial_arm=0.5)
    arm = letters.choose(TEAMS, NAMES, COST, np.random.default_rng(11))
    assert arm.sum() == 2 and set(np.flatnonzero(arm)) <= {1, 3, 4, 9}
    again = letters.choose(TEAMS, NAMES, COST, np.random.default_rng(11))
    assert np.array_equal(arm, again)
    with pytest.raises(ValidationError, match="already a random arm"):
        Targeting(select="random", share=0.5, trial_arm=0.5)


def test_targeted_rules_and_feedback_say_who_they_reach():
    from simulate.incentives.rules import describe_amounts
    from simulate.report.describe import describe_behaviour, describe_peer_pressure

    rule = {"type": "per_unit", "metric": "episodes", "rate": 5, "start_period": 2,
            "targeting": {"select": "worst", "metric": "intensity", "share": 0.2,
                          "within": "team"}}  # fmt: skip
    assert describe_amounts(rule) == (
        "5 per unit of the metric; only the worst 20% of each team on intensity"
    )
    peer = {"transparency": "private_feedback", "metrics": ["intensity"],
            "targeting": {"select": "named", "physicians": ["a.01", "b.02"]}}  # fmt: skip
    lines = describe_peer_pressure({"peer_pressure": peer})
    assert lines[1] == "Only 2 named physicians get it (one-sided feedback)."
    behaviour = {"behaviour": {"model": "adaptive", "colleagues": "symmetric"}}
    assert describe_behaviour(behaviour).endswith("respond to team money as they do.")


def test_feedback_letters_reach_a_random_half_of_the_highest_users():
    """The bundled letters: at the close of period 12 the 4 physicians (20% of 20) with
    the highest intensity over periods 1-12 are eligible; 2 of them get the letters, who
    are recorded as targeted from period 13 on."""
    from simulate.model.world import run_replication
    from simulate.scenario import load_scenario

    scenario = load_scenario("feedback_letters", ["horizon_periods=15", "warmup_periods=1"])
    result = run_replication(scenario, 0)
    ledger = result.physician[1:13].sum(axis=0)
    intensity = ledger[:, F["intensity"]] / ledger[:, F["episodes"]]
    eligible = set(np.argsort(-intensity, kind="stable")[:4])
    reached = np.flatnonzero(result.targeted[13])
    assert len(reached) == 2 and set(reached) <= eligible
    assert not result.targeted[:13].any() and np.array_equal(
        result.targeted[14], result.targeted[13]
    )
