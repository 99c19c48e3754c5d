"""Risk-bearing payment (``simulate.incentives.risk_bearing``): the borne amounts, their
split and the first-order condition, hand-computed; then the world books and conserves
them, and adaptive physicians respond as supply-side cost sharing predicts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

import simulate
from simulate.compare.paired import paired_interval
from simulate.incentives.risk_bearing import (
    borne_per_episode,
    marginal_money,
    perceived_share,
    split_borne,
)


# ------------------------------------------------------------- pure functions
def test_borne_per_episode_includes_readmissions_only_when_borne():
    # s = 0.1; index cost 20,000; readmission 30% x 12,000
    assert borne_per_episode(0.1, 20_000.0, 0.3, 12_000.0, True) == pytest.approx(2_360.0)
    assert borne_per_episode(0.1, 20_000.0, 0.3, 12_000.0, False) == pytest.approx(2_000.0)
    assert borne_per_episode(0.0, 20_000.0, 0.3, 12_000.0, True) == 0.0


def test_split_equal_workload_and_alone():
    borne = np.array([100.0, 300.0, 50.0, 0.0])
    episodes = np.array([1.0, 3.0, 2.0, 0.0])
    team = np.array([0, 0, 1, 1])
    # alone: each bears their own
    np.testing.assert_allclose(split_borne(borne, episodes, np.arange(4), "equal"), borne)
    # team, equal: team 0 bears 400 -> 200 each; team 1 bears 50 -> 25 each
    np.testing.assert_allclose(split_borne(borne, episodes, team, "equal"), [200, 200, 25, 25])
    # team, by workload: 400 x 1/4, 400 x 3/4; 50 x 2/2, 50 x 0/2
    np.testing.assert_allclose(split_borne(borne, episodes, team, "workload"), [100, 300, 50, 0])
    # organisation, by workload: 450 x (1, 3, 2, 0) / 6
    org = np.zeros(4, dtype=int)
    np.testing.assert_allclose(split_borne(borne, episodes, org, "workload"), [75, 225, 150, 0])


def test_split_by_workload_of_a_unit_that_treated_nobody_is_equal_and_conserves():
    borne = np.array([40.0, 20.0, 7.0])
    parts = split_borne(borne, np.zeros(3), np.array([0, 0, 1]), "workload")
    np.testing.assert_allclose(parts, [30.0, 30.0, 7.0])
    rng = np.random.default_rng(1)
    for split in ("equal", "workload"):
        borne, episodes = rng.uniform(0, 100, 12), rng.integers(0, 5, 12).astype(float)
        unit = rng.integers(0, 3, 12)
        parts = split_borne(borne, episodes, unit, split)
        np.testing.assert_allclose(np.bincount(unit, parts), np.bincount(unit, borne))


def test_perceived_share_and_marginal_money():
    assert perceived_share(np.array([1.0]), 0.0) == pytest.approx(1.0)
    # a team of 4 with monitoring 0.5: 1/4 + 0.5 x 3/4
    assert perceived_share(np.array([4.0]), 0.5) == pytest.approx(0.625)
    assert perceived_share(np.array([4.0]), 0.0) == pytest.approx(0.25)
    # a fee of 1,500 per unit; bearing 0.625 x 10% of 20,000 per unit of intensity
    assert marginal_money(1500.0, 0.1, 0.625, 20_000.0) == pytest.approx(250.0)


# ------------------------------------------------ first-order conditions
LINEAR = [
    "behaviour.model=adaptive",
    "behaviour.qaly_value=0",  # no altruism: money against adjustment cost alone
    "clinical.underprovision_effect=0",  # cost and risk linear in intensity
    "clinical.complication_cost_share=0",
]


def adaptive_model(name: str, *overrides: str):
    from simulate.behaviour.adaptive import AdaptiveStyle
    from simulate.model.population import draw_population
    from simulate.model.streams import Streams

    scenario = simulate.load_scenario(name, overrides=[*LINEAR, *overrides])
    population = draw_population(scenario, Streams(scenario.seed, 0))
    return scenario, population, AdaptiveStyle(scenario, population, np.random.default_rng(0))


def mean_cost_weight(scenario) -> np.ndarray:
    """Per team (each treats one condition): base cost x the mean severity cost weight."""
    classes = scenario.severity.classes
    weight = sum(k.share * k.cost_weight for k in classes) / sum(k.share for k in classes)
    return np.array([c.base_cost * weight for c in scenario.conditions])


def test_intensity_first_order_condition_closed_form():
    """Capitation, cost share s borne alone, no readmission cost: money = const - s C i,
    so w (0 - s C) = k (i - r): i* = r + w x marginal_money(0, s, 1, C) / k."""
    scenario, population, model = adaptive_model(
        "capitation", "payment.risk_bearing.cost_share=0.02", "clinical.readmission_cost_share=0"
    )
    best = model.best_responses(None)
    traits, k = (
        population.traits,
        population.traits["effort_cost"] * scenario.behaviour.adjustment_cost,
    )
    unit_cost = mean_cost_weight(scenario)[population.team]
    expected = (
        population.intensity
        + traits["income_weight"] * marginal_money(0.0, 0.02, 1.0, unit_cost) / k
    )
    assert np.all(expected > 0.5)  # inside the bounds: the closed form applies
    np.testing.assert_allclose(best[:, 0], expected, atol=2e-4)
    np.testing.assert_allclose(best[:, 1], population.quality_effort, atol=2e-4)


def test_team_bearing_dilutes_the_marginal_cost_by_the_perceived_share():
    """Borne by the team (4 physicians each, monitoring 0): phi = 1/4 of the same pull."""
    scenario, population, model = adaptive_model(
        "capitation",
        "payment.risk_bearing.cost_share=0.02",
        "payment.risk_bearing.borne_by=team",
        "clinical.readmission_cost_share=0",
    )
    size = np.bincount(population.team)[population.team]
    phi = perceived_share(size, 0.0)
    k = population.traits["effort_cost"] * scenario.behaviour.adjustment_cost
    unit_cost = mean_cost_weight(scenario)[population.team]
    pull = population.traits["income_weight"] * marginal_money(0.0, 0.02, phi, unit_cost) / k
    np.testing.assert_allclose(
        model.best_responses(None)[:, 0], population.intensity + pull, atol=2e-4
    )


def first_order_style(scenario, condition, share: float, w: float, k: float, reference):
    """The (intensity, effort) solving the two first-order conditions of a physician
    bearing ``share`` of a bundle's cost including readmissions (no altruism; cost and
    risk linear in intensity): with C the mean index cost per unit of intensity and
    R(e) = sum over severity of the readmission cost per unit of intensity x p_r(e),
    p_r(e) = base x rr x exp(-b_r (e - e_ref)):
        k (i - r_i) = -w s (C + R(e))          (intensity)
        k (e - r_e) =  w s b_r R(e) i          (effort: the readmission cost it avoids)
    """
    clinical, classes = scenario.clinical, scenario.severity.classes
    shares = np.array([c.share for c in classes]) / sum(c.share for c in classes)
    rr = np.array([c.relative_risk for c in classes])
    unit_cost = shares * condition.base_cost * np.array([c.cost_weight for c in classes])
    b_r = clinical.effort_readmission_effect

    def readmission_cost(effort: float) -> float:
        p_r = (
            condition.readmission_rate
            * rr
            * np.exp(-b_r * (effort - clinical.reference_quality_effort))
        )
        return float(np.sum(unit_cost * clinical.readmission_cost_share * p_r))

    def conditions(x):
        intensity, effort = x
        r = readmission_cost(effort)
        return [
            k * (intensity - reference[0]) + w * share * (unit_cost.sum() + r),
            k * (effort - reference[1]) - w * share * b_r * r * intensity,
        ]

    return optimize.fsolve(conditions, reference, xtol=1e-12)


def test_bundle_with_readmissions_included_rewards_the_effort_that_avoids_them():
    """The adaptive model's grid search finds the style solving the first-order
    conditions (``first_order_style``, solved with scipy) for every physician."""
    share = 0.03
    scenario, population, model = adaptive_model(
        "bundled", f"payment.risk_bearing.cost_share={share}"
    )
    best = model.best_responses(None)
    traits = population.traits
    for i in range(population.size):
        reference = [population.intensity[i], population.quality_effort[i]]
        solution = first_order_style(
            scenario,
            scenario.conditions[population.team[i]],
            share,
            traits["income_weight"][i],
            traits["effort_cost"][i] * scenario.behaviour.adjustment_cost,
            reference,
        )
        np.testing.assert_allclose(best[i], solution, atol=3e-4)
        assert solution[1] > reference[1] + 1e-3  # effort rises to avoid readmission cost


# ------------------------------------------------------------- the world
RISK = ["payment.risk_bearing.cost_share=0.05", "payment.risk_bearing.borne_by=team"]


@pytest.fixture(scope="module")
def bundle_run(short_scenario):
    scenario = short_scenario("bundled", "replications=2", *RISK)
    return simulate.run(scenario, workers=1, episode_log=True)


def test_borne_cost_is_the_teams_episodes_cost_split_equally(bundle_run):
    """Per team and period: the physicians' cost_sharing sums to -s x the cost of the
    team's episodes and their readmissions (the bundle includes them), in equal parts."""
    t = bundle_run.trajectories
    phys = t[t["level"] == "physician"]
    teams = t[t["level"] == "team"]
    np.testing.assert_allclose(teams["payment_cost_sharing"], -0.05 * teams["cost"], rtol=1e-9)
    per_team = phys.groupby(["replication", "period", "team"])["payment_cost_sharing"]
    spread = per_team.max() - per_team.min()
    assert spread.abs().max() < 1e-6  # equal parts
    assert (teams["payment_cost_sharing"] < 0).all()


def test_borne_cost_appears_in_the_payments_table_and_is_conserved(bundle_run):
    items = bundle_run.payments
    borne = items[items["component"] == "cost_sharing"]
    assert (borne["amount"] < 0).all() and len(borne) > 0
    t = bundle_run.trajectories
    org = t[t["level"] == "organisation"]
    assert borne["amount"].sum() == pytest.approx(org["payment_cost_sharing"].sum(), rel=1e-12)
    assert items["amount"].sum() == pytest.approx(org["payment_total"].sum(), rel=1e-12)


def test_bundle_without_readmissions_bears_index_episodes_only(short_scenario):
    scenario = short_scenario(
        "bundled", "replications=1", *RISK, "payment.bundled.readmissions_included=false"
    )
    result = simulate.run(scenario, workers=1, episode_log=True)
    log = result.episodes
    index = log[log["kind"] == "index"]
    assert (log["kind"] == "readmission").any()
    t = result.trajectories
    org = t[t["level"] == "organisation"]
    by_period = index.assign(period=(index["end_day"] // scenario.period_days).astype(int))
    expected = -0.05 * by_period.groupby("period")["cost"].sum()
    got = org.set_index("period")["payment_cost_sharing"].reindex(expected.index)
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_no_cost_bearing_by_default_changes_nothing(short_scenario):
    scenario = short_scenario("bundled", "replications=1")
    assert scenario.payment.risk_bearing.cost_share == 0
    result = simulate.run(scenario, workers=1)
    assert (result.trajectories["payment_cost_sharing"] == 0).all()
    assert not (result.payments["component"] == "cost_sharing").any()


# ------------------------------------------- adaptive physicians (theory)
ADAPTIVE = ["behaviour.model=adaptive", "warmup_periods=3", "horizon_periods=12", "replications=6"]
BORNE = ["payment.risk_bearing.cost_share=0.2"]
"""Each physician bears 20% of their episodes' cost: large enough for the effort
response (b_r x p_r x readmission cost x s per unit of effort) to show in realised
readmissions within 6 replications of 9 months."""


def adaptive_run(name: str, *overrides: str):
    return simulate.run(name, overrides=[*ADAPTIVE, *overrides], workers=1)


def per_replication(result, column: str, level: str = "organisation") -> np.ndarray:
    """Per replication: the mean over the periods after warm-up."""
    t = result.trajectories
    rows = t[(t["level"] == level) & (t["period"] >= result.scenario.warmup_periods)]
    return rows.groupby("replication")[column].mean().to_numpy()


def style(result, column: str) -> np.ndarray:
    return result.physicians.groupby("replication")[column].mean().to_numpy()


@pytest.fixture(scope="module")
def schemes():
    """Same physicians and seeds under FFS, capitation, capitation bearing cost, and a
    bundle including readmissions bearing cost (all adaptive)."""
    return {
        "ffs": adaptive_run("baseline_ffs"),
        "capitation": adaptive_run("capitation"),
        "capitation_borne": adaptive_run("capitation", *BORNE),
        "bundle_borne": adaptive_run("bundled", *BORNE),
        "bundle_index_borne": adaptive_run(
            "bundled", *BORNE, "payment.bundled.readmissions_included=false"
        ),
    }


def test_bundle_bearing_readmissions_lowers_readmissions_against_capitation(schemes):
    """Theory: the bundle makes the team bear the readmission cost its effort avoids;
    capitation without cost bearing makes nobody bear it."""
    bundle, capitation = schemes["bundle_borne"], schemes["capitation"]
    assert np.all(style(bundle, "style_quality_effort") > style(capitation, "style_quality_effort"))
    drop = per_replication(capitation, "readmission_rate") - per_replication(
        bundle, "readmission_rate"
    )
    assert np.all(drop > 0)
    assert np.all(per_replication(bundle, "cost") < per_replication(capitation, "cost"))


def test_bearing_cost_lowers_intensity_more_than_a_zero_fee_alone(schemes, response_floor):
    """Ellis-McGuire: FFS (p > 0) > capitation (r = p = 0) > capitation with supply-side
    cost sharing (the share of cost borne enters the marginal payoff)."""
    ffs, cap, borne = (
        style(schemes[k], "style_intensity") for k in ("ffs", "capitation", "capitation_borne")
    )
    assert np.all(ffs > cap) and np.all(cap > borne)
    assert np.all(cap - borne > response_floor)


def test_bundle_paying_readmissions_weakens_the_effort_capitation_bearing_rewards(
    schemes, response_floor
):
    """Capitation bearing the list's care bears readmissions; a bundle that pays each
    readmission and bears index episodes only does not (and pays for readmitting): effort
    and readmissions differ where the scope differs, and not where it is the same."""
    cap, index_only = schemes["capitation_borne"], schemes["bundle_index_borne"]
    gap = style(cap, "style_quality_effort") - style(index_only, "style_quality_effort")
    assert np.all(gap > response_floor)
    _, _, high, _ = paired_interval(
        per_replication(cap, "readmission_rate"), per_replication(index_only, "readmission_rate")
    )
    assert high < 0  # fewer readmissions bearing them: the whole paired 95% interval
    same_scope = style(schemes["bundle_borne"], "style_intensity")
    np.testing.assert_allclose(same_scope, style(cap, "style_intensity"), rtol=1e-9)


def test_the_dashboard_says_who_bears_the_cost_of_care():
    from simulate.report.describe import describe_payment

    payment = {
        "bundled": {"per_episode": 3790},
        "risk_bearing": {"cost_share": 0.1, "borne_by": "team", "split": "workload"},
    }
    lines = describe_payment({"payment": payment})
    assert (
        lines[-1]
        == "Risk bearing: the team bears 10% of the resource cost of care, split workload."
    )
    payment["risk_bearing"]["cost_share"] = 0
    assert not any("Risk bearing" in line for line in describe_payment({"payment": payment}))
