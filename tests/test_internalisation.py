"""Norm internalisation and the income stake of reputation, on hand-computed cases
(``simulate.behaviour.internalisation``, ``peer.income_per_episode``), and in a world:
after a dashboard ends practice stays partly changed; after a bonus ends it decays."""

from __future__ import annotations

import numpy as np
import pytest

import simulate
from simulate.accounts.ledger import PHYSICIAN_FIELDS, F, PeriodLedger
from simulate.behaviour import internalisation as inter
from simulate.behaviour import peer
from simulate.behaviour.mechanisms import PeerPressure


def test_share_closed_is_the_closed_form_of_repeated_internalisation():
    """kappa 0.1: 1 - 0.9^12 = 0.7176 of the gap in a year; eta scales it."""
    assert inter.share_closed(0.1, 12) == pytest.approx(1 - 0.9**12)
    assert inter.share_closed(0.1, 12) == pytest.approx(0.717570, abs=1e-6)
    assert inter.share_closed(0.3, 12, share=0.75) == pytest.approx(0.75 * (1 - 0.7**12))
    shift, target = np.zeros((1, 2)), np.array([[0.2, -0.1]])
    for _ in range(12):
        shift = inter.internalise(shift, target, 0.1)
    assert shift[0] == pytest.approx(target[0] * inter.share_closed(0.1, 12))


def test_only_the_physicians_reached_internalise():
    shift = np.array([[0.1, 0.0], [0.1, 0.0]])
    target = np.array([[0.5, 0.2], [0.5, 0.2]])
    moved = inter.internalise(shift, target, 0.25, np.array([True, False]))
    assert moved.tolist() == [[0.2, 0.05], [0.1, 0.0]]  # 0.1 + 0.25 x 0.4; 0.25 x 0.2


def test_norm_step_is_the_least_squares_gauss_newton_step():
    # one metric, gradient 2 in intensity: a gap of -0.1 closes with +0.05
    step = inter.norm_step(np.array([[-0.1]]), np.array([[[2.0, 0.0]]]))
    assert step[0] == pytest.approx([0.05, 0.0])
    # two metrics, one per dimension: -(0.1 / 1), -(-0.2 / 2)
    step = inter.norm_step(np.array([[0.1, -0.2]]), np.array([[[1.0, 0.0], [0.0, 2.0]]]))
    assert step[0] == pytest.approx([-0.1, 0.1])
    # a metric that does not move with style (zero row) sets no constraint: the
    # smallest step on the other, split over both dimensions (pinv [[0, .5], [0, .5]])
    step = inter.norm_step(np.array([[5.0, 0.2]]), np.array([[[0.0, 0.0], [1.0, 1.0]]]))
    assert step[0] == pytest.approx([-0.1, -0.1])


def pressure_on_intensity(shown: list[float], feedback: str) -> PeerPressure:
    s = simulate.load_scenario(
        "baseline_ffs",
        overrides=[
            "peer_pressure.transparency=private_feedback",
            "peer_pressure.metrics=[intensity]",
            f"peer_pressure.feedback={feedback}",
        ],
    )
    mechanism = PeerPressure(s, np.array([0, 0, 0, 1]))  # the last one alone in a team
    mechanism.show({"intensity": np.array(shown)})
    return mechanism


def intensity_only(styles: np.ndarray) -> dict[str, np.ndarray]:
    """Expected figures where the dashboard's intensity is the style's intensity."""
    return {"intensity": styles[..., 0], "cost_per_episode": styles[..., 0] * 1000}


def test_the_norm_implied_intensity_is_the_peers_median():
    """Intensity against the median of teammates: the implied intensity is the median
    itself (the figure is linear in style, so one step reaches it); one-sided, a
    physician below the median keeps their own; one alone in a team has no norm."""
    low, high = np.array([0.5, 0.0]), np.array([2.0, 1.0])
    reference = np.array([[1.0, 0.5], [1.2, 0.5], [1.6, 0.4], [1.9, 0.3]])
    two = pressure_on_intensity([1.0, 1.2, 1.6, 1.9], "two_sided")  # medians 1.4, 1.3, 1.1
    implied = inter.norm_implied_style(reference, intensity_only, two, low, high)
    assert implied[:, 0] == pytest.approx([1.4, 1.3, 1.1, 1.9], abs=1e-9)
    assert implied[:, 1] == pytest.approx([0.5, 0.5, 0.4, 0.3])  # effort does not show
    one = pressure_on_intensity([1.0, 1.2, 1.6, 1.9], "one_sided")
    implied = inter.norm_implied_style(reference, intensity_only, one, low, high)
    assert implied[:, 0] == pytest.approx([1.0, 1.2, 1.1, 1.9], abs=1e-9)


def test_income_per_episode_is_base_payment_and_incentives_per_index_episode():
    sums = np.zeros((3, len(PHYSICIAN_FIELDS)))
    sums[:, F["episodes"]] = [10, 4, 0]
    sums[:, F["fee_for_service"]] = [15000.0, 4000.0, 0.0]
    sums[:, F["salary"]] = [5000.0, 0.0, 0.0]
    sums[:, F["incentives"]] = [-1000.0, -6000.0, 0.0]
    sums[:, F["cost_sharing"]] = [-9000.0, 0.0, 0.0]  # borne cost: not income at stake
    income = peer.income_per_episode(sums)
    # (15000 + 5000 - 1000) / 10 = 1900; (4000 - 6000) / 4 < 0 -> 0; none: mean of those with
    assert income.tolist() == pytest.approx([1900.0, 0.0, 950.0])


def test_income_stake_prices_a_loss_as_a_share_of_each_physicians_income():
    s = simulate.load_scenario(
        "baseline_ffs",
        overrides=[
            "peer_pressure.transparency=internal_dashboard",
            "peer_pressure.metrics=[complication_rate]",
            "peer_pressure.norm=own_history",
            "peer_pressure.stake=income",
            "peer_pressure.income_share=2",
            "peer_pressure.conformity=1",
            "peer_pressure.window=1",
        ],
    )
    mechanism = PeerPressure(s, np.array([0, 1]))
    ledger = PeriodLedger(2, 2, 1)
    ledger.physician[:, :, F["episodes"]] = 10.0
    ledger.physician[:, :, F["complications"]] = 1.0  # rate 0.1 in both periods
    ledger.physician[1, :, F["fee_for_service"]] = [10000.0, 30000.0]  # 1,000 and 3,000
    mechanism.at_close(0, ledger)
    mechanism.at_close(1, ledger)  # the norm: the first publication's 0.1
    expect = {"complication_rate": np.full((2, 1), 0.12), "cost_per_episode": np.ones((2, 1))}
    # conformity 1 x 0.2^2 x visibility 1 x 2 x income per episode
    assert mechanism.loss(expect)[:, 0] == pytest.approx([0.04 * 2000, 0.04 * 6000])


FEEDBACK = [
    "peer_pressure.transparency=private_feedback",
    "peer_pressure.metrics=[intensity]",
    "peer_pressure.norm=median",
    "peer_pressure.feedback=one_sided",
    "peer_pressure.reputation_value=50000",
    "peer_pressure.conformity=1",
    "peer_pressure.rank_concern=0.2",
    "peer_pressure.internalisation.share=1",
    "peer_pressure.start_period=2",
    "peer_pressure.end_period=13",
]
BONUS = (
    "incentives=[{type: target, metric: intensity, worst: 1.3, best: 1.0, amount: 40000, "
    "every: 1, start_period: 3, end_period: 14}]"
)


def intensity_change(*policy: str, rate: float) -> np.ndarray:
    """Mean intensity of the physicians above their team's median at the start, with the
    policy minus without, per period (same seed, no noise: the difference is the policy's)."""
    settings = [
        "behaviour.model=adaptive",
        "behaviour.noise_sd=0",
        "warmup_periods=1",
        "horizon_periods=30",
        "replications=1",
        f"peer_pressure.internalisation.rate={rate}",
        # the habit this test contrasts internalisation with, at a size that holds part of
        # a change (the fitted defaults keep little habit: calibration.md)
        "behaviour.habit_weight=0.5",
        "behaviour.habit_rate=0.05",
        "behaviour.adjustment_cost=7500",
        "physician_traits.inertia={dist: beta, a: 18, b: 2}",
    ]
    runs = [
        simulate.run("baseline_ffs", overrides=[*settings, *extra], workers=1)
        for extra in ([], policy)
    ]
    tables = [r.physicians.pivot(index="period", columns="physician", values="style_intensity")
              for r in runs]  # fmt: skip
    start, team = tables[0].iloc[0], runs[0].physicians.groupby("physician")["team"].first()
    above = start > start.groupby(team).transform("median")
    return (tables[1] - tables[0]).loc[:, above].mean(axis=1).to_numpy()


def test_a_dashboard_change_stays_where_a_bonus_change_decays():
    """Feedback on intensity (periods 3-14) and a bonus for low intensity (the same
    periods) both lower the high users' intensity; 15 periods after each ends, the
    bonus's change has decayed (habit only) while the dashboard's has stayed in part
    (internalised), and without internalisation it decays like the bonus's."""
    dashboard = intensity_change(*FEEDBACK, rate=0.1)
    bonus = intensity_change(BONUS, rate=0.1)
    plain = intensity_change(*FEEDBACK, rate=0.0)
    end, later = 14, 29
    for change in (dashboard, bonus, plain):
        assert change[end] < -0.01  # each policy moved practice
    kept = {name: c[later] / c[end] for name, c in (("d", dashboard), ("b", bonus), ("p", plain))}
    assert kept["b"] < 0.6 and kept["p"] < 0.6  # habit alone: most of the change decays
    # internalised (kappa 0.1, eta 1): the change stays but for the habit-held part
    assert kept["d"] > 0.75 and kept["d"] > kept["p"] + 0.2
