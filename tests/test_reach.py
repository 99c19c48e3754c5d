"""The behaviour forms can reach the published sizes (../shared/EVIDENCE.md) at parameter
values within the ranges docs/model.md documents (section 6.7), not at the provisional
defaults: letters to the highest users (Hallsworth 2016) and the share of a norm gap
closed in a year, then flat (Molitor 2018). These are demonstrations of reach for the
calibration, not a fit: the calibration (``scenarios/calibration/``) fits the values."""

from __future__ import annotations

import numpy as np

import simulate

REACH = [
    "peer_pressure.stake=income",
    "peer_pressure.conformity=25",
    "peer_pressure.internalisation.rate=0.3",
    "peer_pressure.internalisation.share=0.7",
    "physician_traits.inertia={dist: beta, a: 14, b: 6}",
    # the rest as assumed before the calibration (issue 15), when these values were found
    "peer_pressure.rank_concern=0.2",
    "behaviour.adjustment_cost=7500",
    "behaviour.habit_rate=0.05",
    "behaviour.habit_weight=0.5",
    "behaviour.loss_aversion=2",
]
"""Values within the documented ranges at which both sizes are reached: the reputational
loss a share of income (J = 25: a 10% shortfall costs 25% of a period's income per
episode before visibility and sensitivity), internalisation at kappa 0.3 of eta 0.7 of
the gap, and practice adjusting 30% of the way a month (inertia mean 0.7), with the
other behaviour parameters at the values assumed before the calibration."""


def letter_effect(*extra: str) -> float:
    """Relative change of the letter recipients' intensity over the six months after one
    letter (the close of month 13, as Hallsworth's single letter) against the same world
    without letters (same seeds), averaged over two replications."""
    settings = ["replications=2", "horizon_periods=20", "peer_pressure.end_period=12", *extra]
    on = simulate.run("feedback_letters", overrides=settings, workers=2).physicians
    off = simulate.run(
        "feedback_letters", overrides=[*settings, "peer_pressure.transparency=none"], workers=2
    ).physicians
    months = on["period"].between(13, 18)
    got = on[months & on["targeted"]]
    ids = got[["replication", "physician"]].drop_duplicates()
    base = off[months].merge(ids, on=["replication", "physician"])
    return (
        got.groupby("replication")["style_intensity"]
        .mean()
        .div(base.groupby("replication")["style_intensity"].mean())
        .mean()
        - 1.0
    )


def test_one_letter_to_the_highest_users_moves_them_as_in_hallsworth():
    """Hallsworth 2016: -3.3% (95% CI -4.3% to -2.3%) over six months after one letter;
    the model at the reach values lands in that range (two small replications: a wider
    band), and at the calibrated defaults within a factor of two of it (this world is not
    the calibration's: there one letter gives -1.3%, calibration.md)."""
    assert -0.045 < letter_effect(*REACH) < -0.02
    assert -0.066 < letter_effect() < -0.0165


def norm_gap_closed(*extra: str, start: int = 2) -> dict[int, float]:
    """Median share of the gap to their team's median intensity that physicians close
    6, 12 and 24 months after private two-sided feedback on intensity starts (those with
    a gap over 0.03; no noise, so the change is the feedback's)."""
    settings = [
        "behaviour.model=adaptive",
        "behaviour.noise_sd=0",
        "warmup_periods=1",
        f"horizon_periods={start + 25}",
        "replications=1",
        "peer_pressure.transparency=private_feedback",
        "peer_pressure.metrics=[intensity]",
        "peer_pressure.norm=median",
        "peer_pressure.feedback=two_sided",
        f"peer_pressure.start_period={start}",
        *extra,
    ]
    result = simulate.run("baseline_ffs", overrides=settings, workers=1)
    table = result.physicians.pivot(index="period", columns="physician", values="style_intensity")
    team = result.physicians.groupby("physician")["team"].first().to_numpy()
    before = table.loc[start].to_numpy()
    others = [(team == team[j]) & (np.arange(len(team)) != j) for j in range(len(team))]
    gap = np.array([np.median(before[mask]) for mask in others]) - before
    wide = np.abs(gap) > 0.03
    return {
        m: float(np.median((table.loc[start + m].to_numpy() - before)[wide] / gap[wide]))
        for m in (6, 12, 24)
    }


def test_a_norm_gap_closes_within_a_year_then_flattens_as_in_molitor():
    """Molitor 2018: 0.6-0.8 of the gap to a new norm closed within the first year, then
    flat. At the reach values: in range at 12 months, little more by 24. At the
    calibrated defaults at least Molitor's 0.6 within a year, and more: the fitted peer
    weights overshoot "then flat" (calibration.md: 0.91 of the gap by year 2)."""
    reach = norm_gap_closed(*REACH)
    assert 0.6 < reach[12] < 0.8
    assert reach[24] - reach[12] < 0.15
    assert norm_gap_closed()[12] > 0.6
