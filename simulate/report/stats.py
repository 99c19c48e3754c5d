"""Small statistics for the report: funnel-plot points and control limits."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from simulate.accounts.ledger import SCHEME_COMPONENTS
from simulate.report.data import RunData

BASE_COMPONENTS = tuple(f"payment_{c}" for c in SCHEME_COMPONENTS)
"""The physicians table's base payment columns (currency per period)."""
RISK_COMPONENTS = ("payment_cost_sharing", "payment_investment")
"""Negative base components: the cost of care borne and the share of investments."""
COMPONENT_LABELS = {
    "payment_fee_for_service": "fee-for-service",
    "payment_capitation": "capitation",
    "payment_salary": "salary",
    "payment_bundled": "bundled",
    "payment_cost_sharing": "cost of care borne",
    "payment_investment": "investment share",
    "bonuses": "incentive bonuses",
    "penalties": "incentive penalties",
}
"""Income components in words (charts, tables, the app)."""

Z95 = 1.959963984540054
"""Two-sided 95% normal quantile."""
Z998 = 3.090232306167813
"""Two-sided 99.8% normal quantile (the usual 'three sigma' funnel limit)."""


BOOTSTRAP_RESAMPLES = 2000
"""Resamples of the percentile bootstrap (Efron & Tibshirani 1993: 1,000-2,000 for 95%)."""


def bootstrap_interval(values, confidence: float = 0.95, seed: int = 0):
    """(mean, low, high) along axis 0: the mean and its percentile-bootstrap interval.

    Resamples replications (rows) with replacement, ignoring NaN; the interval lies within
    the range of the data, so rates and waits never get a negative bound (a t interval
    can). Deterministic (fixed ``seed``). Fewer than 2 values give a NaN interval.
    """
    values = np.asarray(values, dtype=float)
    flat = values.reshape(values.shape[0], -1)
    n = np.sum(~np.isnan(flat), axis=0)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(flat, axis=0)
        rng = np.random.default_rng(seed)
        picks = rng.integers(0, flat.shape[0], size=(BOOTSTRAP_RESAMPLES, flat.shape[0]))
        means = np.nanmean(flat[picks], axis=1)
        tail = 50.0 * (1.0 - confidence)
        low, high = np.nanpercentile(means, [tail, 100.0 - tail], axis=0)
    low, high = np.where(n > 1, low, np.nan), np.where(n > 1, high, np.nan)
    shape = values.shape[1:]
    return mean.reshape(shape), low.reshape(shape), high.reshape(shape)


def funnel_limits(p0: float, n, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Binomial control limits around rate ``p0`` for volumes ``n`` (normal approximation).

    limits = p0 ± z × sqrt(p0 (1 − p0) / n), clipped to [0, 1] (Spiegelhalter 2005,
    "Funnel plots for comparing institutional performance").
    """
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(p0 * (1.0 - p0) / n)
    return np.clip(p0 - half, 0.0, 1.0), np.clip(p0 + half, 0.0, 1.0)


def funnel_points(run: RunData, replication: int | None = 0) -> pd.DataFrame:
    """Per physician over the post-warm-up window: index episodes, readmissions, rate, team.

    From the physician rows of trajectories; readmissions = readmission_rate × episodes
    per period. ``replication`` None pools all replications.
    """
    rows = run.trajectories
    rows = rows[(rows["level"] == "physician") & (rows["period"] >= run.warmup)]
    if replication is not None:
        rows = rows[rows["replication"] == replication]
    episodes = rows["episodes"].fillna(0.0)
    readmissions = (rows["readmission_rate"] * episodes).fillna(0.0)
    frame = pd.DataFrame(
        {
            "unit": rows["unit"],
            "team": rows["team"],
            "episodes": episodes,
            "readmissions": readmissions,
        }
    )
    points = frame.groupby("unit", sort=False).agg(
        team=("team", "first"), episodes=("episodes", "sum"), readmissions=("readmissions", "sum")
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        points["rate"] = points["readmissions"] / points["episodes"].where(points["episodes"] > 0)
    return points.reset_index()


def income_components(run: RunData) -> pd.DataFrame:
    """Per physician: post-warm-up mean per period of each base component, the cost of
    care borne and investment share (risk-bearing payment, organisational response;
    negative), bonuses and penalties (currency per period).

    Means over replications and periods after warm-up. Incentive bonuses (positive
    line items) and penalties (negative, withholds included) come from payments.
    """
    names = run.physician_names
    panel = run.physicians[run.physicians["period"] >= run.warmup]
    count = max(panel["replication"].nunique() * max(run.horizon - run.warmup, 1), 1)
    columns = [c for c in (*BASE_COMPONENTS, *RISK_COMPONENTS) if c in panel]
    base = panel.groupby("physician")[columns].sum() / count
    table = base.reindex(names).fillna(0.0)
    pay = run.payments
    if "component" in pay and "amount" in pay and not pay.empty:
        inc = pay[(pay["component"] == "incentives") & (pay["period"] >= run.warmup)]
        amounts = inc["amount"]
        table["bonuses"] = amounts.clip(lower=0).groupby(inc["physician"]).sum() / count
        table["penalties"] = amounts.clip(upper=0).groupby(inc["physician"]).sum() / count
    elif "payment_incentives" in panel:
        net = panel.groupby("physician")["payment_incentives"].sum() / count
        table["bonuses"], table["penalties"] = net.clip(lower=0), net.clip(upper=0)
    return table.fillna(0.0)
