"""Discounting of costs and QALYs over the evaluation window (compare, psa, dashboards).

Period p of a window of P periods (p = 0, 1, ..., P - 1, each ``period_days`` long) has its
flow x_p (cost or QALYs in that period) discounted to the start of the window at the
period's midpoint:

    t_p = (p + 1/2) x period_days / 365.25      (years since the window's start)
    d_p = (1 + r)^(-t_p)

and the economics use the discounted mean per period, (1/P) sum_p d_p x_p: the present
value of the window divided by its length in periods, so costs stay in currency units per
period, QALYs in QALYs per period and the thresholds (per QALY) apply unchanged. With
r = 0 it is the plain mean. Default r = 3.5% a year for both costs and QALYs (NICE 2022,
*NICE health technology evaluations: the manual*, PMG36, section 4.5.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_RATE = 0.035
"""Annual discount rate for costs and for QALYs (NICE PMG36, 4.5.1)."""
DAYS_PER_YEAR = 365.25
DISCOUNTED_METRICS = {"cost": "costs", "payment_total": "costs", "qalys": "qalys"}
"""Window flows that are discounted, and which rate each takes."""


@dataclass(frozen=True)
class Discount:
    """Annual discount rates (fractions per year, 0 <= r < 1; 0 switches discounting off)."""

    costs: float = DEFAULT_RATE
    qalys: float = DEFAULT_RATE

    def rate(self, metric: str) -> float:
        """The rate of a discounted window metric (``DISCOUNTED_METRICS``)."""
        return self.costs if DISCOUNTED_METRICS[metric] == "costs" else self.qalys

    def describe(self) -> str:
        """``3.5% a year for costs, 1.5% for QALYs`` or ``none``."""
        if self.costs == 0 and self.qalys == 0:
            return "none (undiscounted)"
        if self.costs == self.qalys:
            return f"{100 * self.costs:g}% a year for costs and QALYs"
        return f"{100 * self.costs:g}% a year for costs, {100 * self.qalys:g}% for QALYs"

    def as_dict(self) -> dict[str, float]:
        return {"costs": self.costs, "qalys": self.qalys}


def discount_factors(rate: float, years: np.ndarray | Sequence[float]) -> np.ndarray:
    """(1 + rate)^(-years): the value now of one unit received ``years`` from now."""
    return (1.0 + float(rate)) ** -np.asarray(years, dtype=float)


def period_midpoints(periods: int, period_days: float) -> np.ndarray:
    """[period] midpoints in years since the window's start: (p + 1/2) x days / 365.25."""
    return (np.arange(periods, dtype=float) + 0.5) * period_days / DAYS_PER_YEAR


def discounted_mean(flows: np.ndarray, rate: float, period_days: float) -> np.ndarray:
    """(1/P) sum_p (1 + r)^(-t_p) x_p over the first axis of ``flows`` [period, ...]."""
    flows = np.asarray(flows, dtype=float)
    weights = discount_factors(rate, period_midpoints(len(flows), period_days))
    return np.tensordot(weights, flows, axes=(0, 0)) / len(flows)


def discounted_window(scenario, results, discount: Discount) -> pd.DataFrame:
    """One row per replication: ``replication`` and the discounted window flows (cost,
    payment_total, QALYs; per period, as :func:`discounted_mean`) of the organisation over
    the periods after warm-up. With both rates 0 they equal the window's plain means."""
    rows = [
        {"replication": result.replication, **discounted_flows(scenario, result, discount)}
        for result in results
    ]
    return pd.DataFrame(rows, columns=["replication", *DISCOUNTED_METRICS])


def discounted_flows(scenario, result, discount: Discount) -> dict[str, float]:
    """The organisation's discounted window flows of one replication: each period's sums
    weighted by its discount factor, through the metric formulas (linear in the sums)."""
    from simulate.accounts.metrics import compute_metrics
    from simulate.output.tables import Units, result_unit_sums

    units = Units.of(scenario)
    warm = scenario.warmup_periods
    periods = scenario.horizon_periods - warm
    sums, hists, team_sums = result_unit_sums(result, units.n_teams)
    org = len(units.name) - 1
    out: dict[str, float] = {}
    midpoints = period_midpoints(periods, scenario.period_days)
    for rate in sorted({discount.costs, discount.qalys}):
        weights = discount_factors(rate, midpoints)
        metrics = compute_metrics(
            np.tensordot(weights, sums[warm:, org], axes=(0, 0)),
            hists[warm:, org].sum(axis=0),
            np.tensordot(weights, team_sums[warm:, org], axes=(0, 0)),
            float(periods),
            periods * scenario.period_days,
            scenario.metrics.wait_target_days,
        )
        for metric in DISCOUNTED_METRICS:
            if discount.rate(metric) == rate:
                out[metric] = float(np.asarray(metrics[metric]))
    return out


def discount_note(manifest: dict) -> str:
    """The sentence a dashboard shows on the rates a results folder used."""
    rates = manifest.get("discount")
    if not isinstance(rates, dict):
        return "Costs and QALYs undiscounted (folder written before discounting)."
    discount = Discount(float(rates["costs"]), float(rates["qalys"]))
    return (
        f"Costs and QALYs in the economics are discounted: {discount.describe()}, each "
        "period at its midpoint since the start of the window (a mean per period of the "
        "present values); the metric rows are not."
        if discount.costs or discount.qalys
        else "Costs and QALYs are not discounted (discount: 0)."
    )
