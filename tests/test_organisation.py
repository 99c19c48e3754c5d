"""Organisational response (``simulate.behaviour.organisation``): a team invests in
coordination when the incentive money it gains by it exceeds the cost, after a lag,
costed; on hand-made ledgers, then in the world."""

from __future__ import annotations

import numpy as np
import pytest

import simulate
from simulate.accounts.ledger import F, PeriodLedger
from simulate.behaviour.organisation import OrganisationalResponse, readmission_factor
from simulate.incentives.payer import Payer

TEAMS = np.array([0, 0, 1])  # two physicians in team 0, one in team 1
PENALTY = (
    "incentives=[{type: readmission_penalty, level: team, scale: 1, "
    "max_share_of_base: 0.9, every: 1}]"
)


def set_up(cost: float, lag: int = 2, rules: str = PENALTY, horizon: int = 8):
    scenario = simulate.load_scenario(
        "baseline_ffs",
        overrides=[
            f"horizon_periods={horizon}",
            "warmup_periods=1",
            rules,
            "behaviour.organisational_response.enabled=true",
            f"behaviour.organisational_response.cost_per_period={cost}",
            f"behaviour.organisational_response.lag={lag}",
            "behaviour.organisational_response.coordination_step=0.25",
        ],
    )
    return OrganisationalResponse(scenario, TEAMS), Payer(scenario, TEAMS)


def ledger(horizon: int = 8) -> PeriodLedger:
    """Team 0: 20 episodes, 6 readmissions against 4 expected (ratio 1.5), base 2,000;
    team 1: 20 episodes, 2 readmissions against 4 expected (ratio 0.5)."""
    book = PeriodLedger(horizon, 3, 2)
    book.physician[:, :, F["episodes"]] = [10.0, 10.0, 20.0]
    book.physician[:, :, F["readmissions"]] = [3.0, 3.0, 2.0]
    book.physician[:, :, F["expected_readmissions"]] = [2.0, 2.0, 4.0]
    book.physician[:, :, F["fee_for_service"]] = [1000.0, 1000.0, 2000.0]
    return book


def test_readmission_factor():
    # c_r = 0.3: from 0 to 0.25 coordination, readmissions x (1 - 0.075); capped at 1
    assert readmission_factor(np.array([0.0]), 0.25, 0.3) == pytest.approx(0.925)
    assert readmission_factor(np.array([0.9]), 0.25, 0.3) == pytest.approx(0.7 / 0.73)
    assert readmission_factor(np.array([1.0]), 0.25, 0.3) == pytest.approx(1.0)


def test_expected_gain_is_the_penalty_the_step_avoids():
    """Team 0 pays 2,000 x min(0.9, 1.5 - 1) = 1,000; with readmissions x 0.925 the ratio
    is 1.3875 and it would pay 775: a gain of 225 per period. Team 1 pays nothing."""
    response, payer = set_up(cost=100.0)
    book = ledger()
    assert response.expected_gain(0, 0, book, payer) == pytest.approx(225.0)
    assert response.expected_gain(1, 0, book, payer) == pytest.approx(0.0)


@pytest.mark.parametrize(("cost", "invests"), [(224.0, True), (226.0, False)])
def test_invests_when_the_gain_exceeds_the_cost(cost, invests):
    response, payer = set_up(cost=cost)
    changed = response.at_close(0, ledger(), payer)
    assert not changed  # the lag: nothing changes at the decision
    assert response.investments.tolist() == ([1, 0] if invests else [0, 0])
    assert response.decisions == ([(0, 0, pytest.approx(225.0), cost)] if invests else [])
    assert response.coordination.tolist() == [0.0, 0.0]
    expected_cost = [cost / 2, cost / 2, 0.0] if invests else [0.0, 0.0, 0.0]
    np.testing.assert_allclose(response.cost_per_physician(), expected_cost)


def test_coordination_rises_after_the_lag_and_the_unit_waits_for_new_figures():
    response, payer = set_up(cost=100.0, lag=2)
    book = ledger()
    assert not response.at_close(0, book, payer)  # decided at the close of period 0
    assert not response.at_close(1, book, payer)  # pending: no second decision
    assert response.investments.tolist() == [1, 0]
    assert response.at_close(2, book, payer)  # in force from period 3
    assert response.coordination.tolist() == [0.25, 0.0]
    assert response.next_decision.tolist() == [3, 0]  # after a window (every 1) of it
    assert not response.at_close(3, book, payer)  # the unchanged figures still show a gain
    assert response.investments.tolist() == [2, 0]
    np.testing.assert_allclose(response.cost_per_physician(), [100.0, 100.0, 0.0])


def test_organisation_level_invests_for_all_teams_and_pays_per_team():
    _, payer = set_up(cost=100.0)
    scenario = simulate.load_scenario(
        "baseline_ffs",
        overrides=[
            "horizon_periods=8",
            PENALTY,
            "behaviour.organisational_response.enabled=true",
            "behaviour.organisational_response.level=organisation",
            "behaviour.organisational_response.cost_per_period=100",
        ],
    )
    response = OrganisationalResponse(scenario, TEAMS)
    # the organisation gains 2,000 x 1.5 x (1 - 0.925) = 225 (team 0 only) per period,
    # and pays 100 per team: 200 < 225
    assert response.expected_gain(0, 0, ledger(), payer) == pytest.approx(225.0)
    response.at_close(0, ledger(), payer)
    np.testing.assert_allclose(response.cost_per_physician(), [200 / 3] * 3)


def test_no_rule_no_investment():
    response, payer = set_up(cost=0.0, rules="incentives=[]")
    response.at_close(0, ledger(), payer)
    assert response.investments.tolist() == [0, 0]  # a gain of 0 does not exceed 0


# ------------------------------------------------------------------ the world
WORLD = [
    "horizon_periods=24",
    "warmup_periods=3",
    "replications=4",
    "behaviour.organisational_response.cost_per_period=500",
    "behaviour.organisational_response.lag=2",
]


@pytest.fixture(scope="module")
def with_and_without():
    on = simulate.run(
        "p4p_readmissions",
        overrides=[*WORLD, "behaviour.organisational_response.enabled=true"],
        workers=1,
        episode_log=True,
    )
    off = simulate.run("p4p_readmissions", overrides=WORLD, workers=1)
    return on, off


def test_investment_is_costed_in_cost_and_payments(with_and_without):
    """Each team's cost is its episodes' cost plus what it invests; the investment is
    a negative payment of its physicians, listed in the payments table."""
    on, _ = with_and_without
    t = on.trajectories
    teams = t[t["level"] == "team"].set_index(["replication", "period", "unit"]).sort_index()
    invested = -teams["payment_investment"]
    assert invested.gt(0).any() and invested.ge(0).all()
    whole = invested / 500  # whole investments at 500 per period
    assert (whole - whole.round()).abs().max() < 1e-9
    log = on.episodes
    period = (log["end_day"] // on.scenario.period_days).astype(int).clip(upper=23)
    episodes = log.assign(period=period).groupby(["replication", "period", "team"])["cost"].sum()
    episodes.index = episodes.index.set_names(["replication", "period", "unit"])
    episodes = episodes.reindex(teams.index, fill_value=0.0)
    np.testing.assert_allclose(teams["cost"], episodes + invested, rtol=1e-9)
    items = on.payments
    listed = items[items["component"] == "investment"]["amount"].sum()
    assert listed == pytest.approx(-invested.sum(), rel=1e-12)


def test_no_investment_before_the_penalty_is_in_sight(with_and_without):
    """The penalty starts in period 12; a team looks at the rules in force once its
    investment would take effect (lag 2), so it decides at the close of period 9 at the
    earliest, and pays from period 10 on."""
    on, _ = with_and_without
    t = on.trajectories
    teams = t[t["level"] == "team"]
    assert (teams[teams["period"] <= 9]["payment_investment"] == 0).all()
    assert (teams[teams["period"] >= 10]["payment_investment"] < 0).any()


def test_investment_lowers_readmissions_under_the_penalty(with_and_without):
    on, off = with_and_without

    def late(result, column):
        t = result.trajectories
        rows = t[(t["level"] == "organisation") & (t["period"] >= 16)]
        return rows.groupby("replication")[column].mean().to_numpy()

    assert np.all(late(on, "payment_investment") < 0)
    assert np.all(late(on, "readmission_rate") < late(off, "readmission_rate"))
    # the penalty paid falls too (incentives are negative: less negative with investment)
    assert late(on, "payment_incentives").mean() > late(off, "payment_incentives").mean()
