"""One settlement for payer and physicians: what a physician anticipates under a candidate
equals what the payer pays when the realised sums are the candidate's (random worlds,
every rule type at every level), and hand-computed what-ifs through the same seam."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from simulate.accounts.catalogue import CATALOGUE
from simulate.accounts.ledger import BASE_PAYMENT_SLICE, PHYSICIAN_FIELDS, TEAM_FIELDS, F, T
from simulate.accounts.wait_histogram import N_BINS
from simulate.incentives.payer import Payer
from simulate.incentives.rules import RULE_TYPES, RuleSpec
from simulate.incentives.window import WindowSums

LEVELS = ("physician", "team", "organisation")
START = 3
OWN_BASELINE = {"first_period": 0, "last_period": 1, "change": -0.05}
TIERS = [
    {"from": 0, "to": 0.25, "share_of_base": 0.04},
    {"from": 0.25, "to": 0.5, "amount": 2000.0},
    {"from": 0.9, "to": 1, "share_of_base": -0.01},
]
"""A tiered tournament: top quartile 4% of base payment, second 2,000, bottom decile -1%."""


def world(rng: np.random.Generator, n: int, n_teams: int, periods: int) -> WindowSums:
    """Random but plausible window sums for ``n`` physicians in ``n_teams`` teams."""
    sums = np.zeros((n, len(PHYSICIAN_FIELDS)))
    episodes = rng.integers(5, 60, n).astype(float)
    sums[:, F["episodes"]] = episodes
    for name, low, high in (
        ("complications", 0.01, 0.2),
        ("readmissions", 0.02, 0.25),
        ("expected_complications", 0.03, 0.1),
        ("expected_readmissions", 0.05, 0.15),
        ("high_risk_episodes", 0.1, 0.5),
        ("cost", 5000, 30000),
        ("resource_use", 4000, 20000),
        ("qalys", 0.1, 1.0),
        ("recovery_days", 3, 20),
        ("intensity", 0.7, 1.5),
        ("quality_effort", 0.2, 0.9),
        ("fee_for_service", 500, 2000),
        ("capitation", 100, 900),
    ):
        sums[:, F[name]] = episodes * rng.uniform(low, high, n)
    sums[:, F["treatment_starts"]] = episodes + rng.integers(0, 5, n)
    sums[:, F["wait_days"]] = sums[:, F["treatment_starts"]] * rng.uniform(0, 10, n)
    hist = rng.integers(0, 20, (n, N_BINS)).astype(np.int32)
    team = rng.uniform(1, 100, (n_teams, len(TEAM_FIELDS)))
    team[:, T["turned_away"]] = 0
    return WindowSums(sums, hist, team, periods)


def random_rule(draw, rng, rule_type: str, level: str, window: WindowSums, payer_like):
    """A rule of ``rule_type`` at ``level`` whose thresholds fall among the world's values."""
    metrics = [
        m
        for m, spec in CATALOGUE.items()
        if not (spec.team_only and level == "physician") and m not in ("episodes",)
    ]
    metric = draw(st.sampled_from(metrics))
    adjusted = CATALOGUE[metric].risk_adjustable and draw(st.booleans())
    every = draw(st.integers(1, 3))
    common = {
        "type": rule_type,
        "level": level,
        "every": every,
        "start_period": START,
        "split": draw(st.sampled_from(["equal", "episodes", "contribution"])),
    }
    if draw(st.booleans()):
        common["cap"] = float(rng.uniform(100, 3000))
    values = payer_like.reader(payer_like.metrics(window), level)(metric, adjusted)
    middle = float(np.nanmedian(values)) * float(rng.uniform(0.9, 1.1))
    spread = float(np.nanstd(values)) + abs(middle) * 0.1 + 1e-6
    specific = {
        "target": lambda: draw(
            st.sampled_from(
                [
                    {"threshold": middle, "bonus": 1000.0, "penalty": 400.0},
                    {"worst": middle - spread, "best": middle + spread, "amount": 2000.0},
                    {"own_baseline": OWN_BASELINE, "bonus": 1000.0, "penalty": 400.0},
                ]
            )
        ),
        "improvement": lambda: {
            **draw(st.sampled_from([{"baseline_length": 2}, {"own_baseline": OWN_BASELINE}])),
            "per_unit_improvement": 1000.0 / spread,
            "relative": draw(st.booleans()),
            "penalise_deterioration": draw(st.booleans()),
        },
        "tournament": lambda: {
            **draw(
                st.sampled_from(
                    [
                        {
                            "top_share": draw(st.sampled_from([0.2, 0.34, 0.5])),
                            "bonus": 3000.0,
                            "bottom_share": draw(st.sampled_from([0.0, 0.2, 0.3])),
                            "penalty": 1500.0,
                        },
                        {"bands": TIERS},
                    ]
                )
            ),
            "peer_group": "team"
            if level == "physician" and draw(st.booleans())
            else "organisation",
        },
        "per_unit": lambda: {"rate": float(rng.normal(0, 1000 / spread))},
        "withhold": lambda: draw(
            st.sampled_from(
                [
                    {"share": 0.05, "threshold": middle},
                    {"share": 0.02, "worst": middle - spread, "best": middle + spread},
                ]
            )
        ),
        "shared_savings": lambda: {
            "metric": "cost_per_episode",
            **draw(
                st.sampled_from(
                    [{"benchmark": 17000.0}, {"baseline_length": 2, "trend_per_period": 0.01}]
                )
            ),
            "min_savings_rate": 0.01,
            "two_sided": draw(st.booleans()),
            "quality_gate": draw(
                st.sampled_from(
                    [
                        None,
                        {"metric": "readmission_rate", "threshold": 0.14, "risk_adjusted": True},
                    ]
                )
            ),
        },
        "readmission_penalty": lambda: {
            "metric": "readmission_rate",
            "scale": float(rng.uniform(0.1, 2)),
            "risk_adjusted": draw(st.booleans()),
        },
    }[rule_type]()
    if rule_type not in ("shared_savings", "readmission_penalty"):
        specific = {"metric": metric, "risk_adjusted": adjusted, **specific}
    if rule_type == "tournament" and level == "organisation" and "bands" not in specific:
        specific["top_share"] = 1.0
        specific["bottom_share"] = 0.0
    return TypeAdapter(RuleSpec).validate_python({**common, **specific})


def make_payer(rule, team_of: np.ndarray, n_teams: int) -> Payer:
    stand_in = SimpleNamespace(
        incentives=(rule,),
        rule_labels=("rule",),
        horizon_periods=20,
        period_days=30.0,
        metrics=SimpleNamespace(wait_target_days=14.0),
        teams=[None] * n_teams,
    )
    return Payer(stand_in, team_of)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    seed=st.integers(0, 2**31),
    rule_type=st.sampled_from(sorted(RULE_TYPES)),
    level=st.sampled_from(LEVELS),
)
def test_anticipated_equals_paid_when_the_realised_sums_are_the_candidates(
    data, seed, rule_type, level
):
    rng = np.random.default_rng(seed)
    n_teams = int(rng.integers(1, 4))
    team_of = np.sort(np.concatenate([np.arange(n_teams), rng.integers(0, n_teams, 5)]))
    n = len(team_of)
    probe = make_payer(TypeAdapter(RuleSpec).validate_python(
        {"type": "per_unit", "metric": "cost", "rate": 1.0}
    ), team_of, n_teams)  # fmt: skip
    observed = world(rng, n, n_teams, 2)
    rule = random_rule(data.draw, rng, rule_type, level, observed, probe)
    payer = make_payer(rule, team_of, n_teams)
    window = world(rng, n, n_teams, rule.every)
    baseline = world(rng, n, n_teams, 2) if len(rule.baseline_periods()) else None
    period = START + rule.every - 1
    k = 3
    own = window.physician[:, None, :] * rng.uniform(0.7, 1.3, (n, k, len(PHYSICIAN_FIELDS)))
    expected = payer.anticipate(0, period, window, own, baseline).net[..., 0]
    share = rule.withhold_share()
    for i in range(n):
        for c in range(k):
            sums = window.physician.copy()
            sums[i] = own[i, c]
            realised = WindowSums(sums, window.hist, window.team, window.periods)
            withheld = share * sums[:, BASE_PAYMENT_SLICE].sum(axis=1)
            paid, _ = payer.settle(0, period, realised, withheld, baseline)
            assert expected[i, c] == pytest.approx(paid[i] - withheld[i], rel=1e-9, abs=1e-9)


def hand_world() -> tuple[Payer, WindowSums]:
    """Two teams: physicians 0 and 1 in team 0, physician 2 in team 1; 10 episodes each,
    costs 10,000 / 20,000 / 40,000 per episode."""
    rule = TypeAdapter(RuleSpec).validate_python(
        {"type": "target", "metric": "cost_per_episode", "level": "team", "threshold": 14000,
         "bonus": 900, "split": "episodes"}
    )  # fmt: skip
    sums = np.zeros((3, len(PHYSICIAN_FIELDS)))
    sums[:, F["episodes"]] = 10
    sums[:, F["cost"]] = [100_000, 200_000, 400_000]
    window = WindowSums(sums, np.zeros((3, N_BINS), np.int32), np.zeros((2, len(TEAM_FIELDS))), 1)
    return make_payer(rule, np.array([0, 0, 1]), 2), window


def test_a_team_target_pays_a_candidate_who_brings_the_team_under_the_threshold():
    """Team 0 costs 15,000 per episode: misses 14,000. Physician 0 at 20 episodes and
    160,000 in all (8,000 per episode) makes it 360,000 / 30 = 12,000: the team earns
    900, of which physician 0 gets 20/30 by episodes."""
    payer, window = hand_world()
    own = window.physician[:, None, :].repeat(2, axis=1)
    own[0, 1, [F["episodes"], F["cost"]]] = [20, 160_000]
    result = payer.anticipate(0, 0, window, own)
    assert result.net[0, 0, 0] == 0.0  # as observed: the team misses
    assert result.net[0, 1, 0] == pytest.approx(900 * 20 / 30)
    paid, reasons = payer.settle(0, 0, window, np.zeros(3))
    assert paid.tolist() == [0.0, 0.0, 0.0] and "misses" in reasons[0]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    seed=st.integers(0, 2**31),
    rule_type=st.sampled_from(sorted(RULE_TYPES)),
    level=st.sampled_from(("team", "organisation")),
)
def test_symmetric_colleagues_anticipated_equals_paid_when_the_unit_moves_alike(
    data, seed, rule_type, level
):
    """``behaviour.colleagues: symmetric``: a physician expects each colleague of the
    unit to scale every window sum by the candidate's own ratio (candidate / observed).
    When the realised sums are exactly that, the payer pays what was anticipated."""
    rng = np.random.default_rng(seed)
    n_teams = int(rng.integers(1, 4))
    team_of = np.sort(np.concatenate([np.arange(n_teams), rng.integers(0, n_teams, 5)]))
    n = len(team_of)
    probe = make_payer(TypeAdapter(RuleSpec).validate_python(
        {"type": "per_unit", "metric": "cost", "rate": 1.0}
    ), team_of, n_teams)  # fmt: skip
    observed = world(rng, n, n_teams, 2)
    rule = random_rule(data.draw, rng, rule_type, level, observed, probe)
    payer = make_payer(rule, team_of, n_teams)
    payer.symmetric = True
    window = world(rng, n, n_teams, rule.every)
    baseline = world(rng, n, n_teams, 2) if len(rule.baseline_periods()) else None
    period = START + rule.every - 1
    k = 2
    own = window.physician[:, None, :] * rng.uniform(0.7, 1.3, (n, k, len(PHYSICIAN_FIELDS)))
    expected = payer.anticipate(0, period, window, own, baseline).net[..., 0]
    unit = payer.unit_of(level)
    for i in range(n):
        mine = window.physician[i]
        for c in range(k):
            ratio = np.divide(own[i, c], mine, out=np.ones_like(mine), where=mine != 0)
            sums = window.physician.copy()
            sums[unit == unit[i]] *= ratio  # every colleague moves as the candidate
            sums[i] = own[i, c]
            realised = WindowSums(sums, window.hist, window.team, window.periods)
            withheld = rule.withhold_share() * sums[:, BASE_PAYMENT_SLICE].sum(axis=1)
            paid, _ = payer.settle(0, period, realised, withheld, baseline)
            assert expected[i, c] == pytest.approx(paid[i] - withheld[i], rel=1e-9, abs=1e-9)


def test_a_symmetric_team_target_on_its_own_baseline_by_hand():
    """Team 0 (physicians 0, 1) costs 15,000 per episode, its own baseline 15,000 too;
    the target is 5% below (14,250), bonus 900 split equally. Physician 0 cutting their
    own cost per episode from 10,000 to 9,400 (-6%): as observed, the team moves to
    (94,000 + 200,000) / 20 = 14,700 and misses; symmetric, the team's cost moves by the
    same -6% to 14,100 and beats it: 450 each."""
    rule = TypeAdapter(RuleSpec).validate_python(
        {"type": "target", "metric": "cost_per_episode", "level": "team", "bonus": 900,
         "start_period": 2, "own_baseline": {"first_period": 0, "last_period": 1,
                                             "change": -0.05}}
    )  # fmt: skip
    sums = np.zeros((3, len(PHYSICIAN_FIELDS)))
    sums[:, F["episodes"]] = 10
    sums[:, F["cost"]] = [100_000, 200_000, 400_000]
    hist, team = np.zeros((3, N_BINS), np.int32), np.zeros((2, len(TEAM_FIELDS)))
    window = WindowSums(sums, hist, team, 1)
    payer = make_payer(rule, np.array([0, 0, 1]), 2)
    own = sums[:, None, :].repeat(2, axis=1)
    own[0, 1, F["cost"]] = 94_000
    as_observed = payer.anticipate(0, 2, window, own, window).net[0, :, 0]
    assert as_observed.tolist() == [0.0, 0.0]
    payer.symmetric = True
    symmetric = payer.anticipate(0, 2, window, own, window).net[0, :, 0]
    assert symmetric.tolist() == [0.0, pytest.approx(450.0)]
    cut = sums.copy()
    cut[[0, 1], F["cost"]] *= 0.94  # what the physician expects: the team cut alike
    paid, _ = payer.settle(0, 2, WindowSums(cut, hist, team, 1), np.zeros(3), window)
    assert paid[:2] == pytest.approx([450.0, 450.0])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**31), rule_type=st.sampled_from(sorted(RULE_TYPES)))
def test_a_targeted_rule_anticipated_equals_paid(data, seed, rule_type):
    """A physician-level rule reaching a random half of the physicians: the targeted
    anticipate what the payer pays them, the others nothing (and are paid nothing)."""
    if rule_type == "readmission_penalty":
        return  # a team-level rule by default; targeting needs level: physician
    rng = np.random.default_rng(seed)
    team_of = np.sort(np.concatenate([np.arange(2), rng.integers(0, 2, 5)]))
    n = len(team_of)
    observed = world(rng, n, 2, 2)
    probe = make_payer(TypeAdapter(RuleSpec).validate_python(
        {"type": "per_unit", "metric": "cost", "rate": 1.0}
    ), team_of, 2)  # fmt: skip
    rule = random_rule(data.draw, rng, rule_type, "physician", observed, probe)
    rule = rule.model_copy(update={"targeting": TypeAdapter(RuleSpec).validate_python(
        {"type": "per_unit", "metric": "cost", "rate": 1.0, "start_period": 1,
         "targeting": {"select": "random", "share": 0.5}}
    ).targeting})  # fmt: skip
    teams = [SimpleNamespace(name=name, physicians=int(np.sum(team_of == t)))
             for t, name in enumerate("ab")]  # fmt: skip
    stand_in = SimpleNamespace(
        incentives=(rule,), rule_labels=("rule",), horizon_periods=20, period_days=30.0,
        metrics=SimpleNamespace(wait_target_days=14.0), teams=teams,
    )  # fmt: skip
    payer = Payer(stand_in, team_of, lambda name: np.random.default_rng(seed))
    reached = payer.targets.mask("rule")
    window = world(rng, n, 2, rule.every)
    baseline = world(rng, n, 2, 2) if len(rule.baseline_periods()) else None
    period = START + rule.every - 1
    own = window.physician[:, None, :] * rng.uniform(0.7, 1.3, (n, 2, len(PHYSICIAN_FIELDS)))
    expected = payer.anticipate(0, period, window, own, baseline).net[..., 0]
    assert np.all(expected[~reached] == 0)
    share = rule.withhold_share()
    for i in range(n):
        for c in range(2):
            sums = window.physician.copy()
            sums[i] = own[i, c]
            realised = WindowSums(sums, window.hist, window.team, window.periods)
            withheld = share * sums[:, BASE_PAYMENT_SLICE].sum(axis=1) * reached
            paid, _ = payer.settle(0, period, realised, withheld, baseline)
            assert expected[i, c] == pytest.approx(paid[i] - withheld[i], rel=1e-9, abs=1e-9)
            assert np.all(paid[~reached] == 0)
