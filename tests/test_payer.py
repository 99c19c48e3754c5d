"""The payer (``simulate.incentives.payer``): withholds, evaluates rules at period close
on ledger sums, splits team money among physicians and pays after the lag."""

from __future__ import annotations

import numpy as np
import pytest

import simulate
from simulate.accounts.ledger import F, PeriodLedger
from simulate.incentives.payer import Payer
from simulate.incentives.window import WindowSums

TEAMS = np.array([0, 0, 1])  # two physicians in team 0, one in team 1


def payer(rules: str, horizon: int = 4) -> Payer:
    scenario = simulate.load_scenario(
        "baseline_ffs",
        overrides=[f"horizon_periods={horizon}", "warmup_periods=1", f"incentives={rules}"],
    )
    return Payer(scenario, TEAMS)


def ledger(horizon: int = 4) -> PeriodLedger:
    book = PeriodLedger(horizon, 3, 2)
    book.physician[:, :, F["episodes"]] = [10.0, 30.0, 20.0]
    book.physician[:, :, F["fee_for_service"]] = [1000.0, 3000.0, 2000.0]
    return book


def test_per_unit_rule_pays_each_physician_after_the_lag():
    p = payer("[{type: per_unit, metric: episodes, rate: 5, lag: 1, name: volume}]")
    book = ledger()
    assert p.close_period(0, book) == []  # evaluated at 0, paid at 1
    paid = p.close_period(1, book)
    assert [(i.period, i.physician, i.rule, i.amount) for i in paid] == [
        (1, 0, "volume", 50.0),
        (1, 1, "volume", 150.0),
        (1, 2, "volume", 100.0),
    ]
    assert paid[0].reason == "episodes 10 x 5"
    p.close_period(2, book)
    p.close_period(3, book)  # evaluated in the last period: due after the horizon
    assert [i.period for i in p.unpaid] == [4, 4, 4]


def test_team_money_is_split_and_conserved():
    """A team's amount reaches its physicians in proportion to episodes; the shares of
    each team add up to the team's amount."""
    p = payer("[{type: per_unit, metric: episodes, rate: 2, level: team, split: episodes}]")
    paid = p.close_period(0, ledger())
    amounts = {i.physician: i.amount for i in paid}
    # team 0: 40 episodes x 2 = 80, split 10:30; team 1: 20 x 2 = 40
    assert amounts == pytest.approx({0: 20.0, 1: 60.0, 2: 40.0})


def test_withhold_is_deducted_each_period_and_returned_on_performance():
    rules = (
        "[{type: withhold, metric: cost_per_episode, share: 0.1, threshold: 150,"
        " every: 2, name: hold}]"
    )
    p = payer(rules)
    book = ledger()
    book.physician[:, :, F["cost"]] = [1000.0, 6000.0, 2000.0]  # 100, 200, 100 per episode
    first = p.close_period(0, book)
    assert [i.amount for i in first] == pytest.approx([-100.0, -300.0, -200.0])
    second = p.close_period(1, book)  # evaluated over periods 0-1: 2 withholds each
    returned = {i.physician: i.amount for i in second if i.amount > 0}
    assert returned == pytest.approx({0: 200.0, 2: 400.0})  # physician 1 misses (200)
    assert p.withheld[0, :2].sum() == pytest.approx(2 * 600.0)


def test_settlement_matches_what_physicians_anticipate():
    """``anticipate`` with the observed sums as the candidate gives what ``settle`` pays."""
    p = payer("[{type: target, metric: cost_per_episode, threshold: 150, bonus: 70}]")
    book = ledger()
    book.physician[:, :, F["cost"]] = [1000.0, 6000.0, 2000.0]
    window = WindowSums.of(book, range(0, 1))
    paid, _ = p.settle(0, 0, window, np.zeros(3))
    assert paid.tolist() == [70.0, 0.0, 70.0]
    own = window.physician[:, None, :]
    expected = p.anticipate(0, 0, window, own)
    assert expected.net.reshape(3).tolist() == [70.0, 0.0, 70.0]
