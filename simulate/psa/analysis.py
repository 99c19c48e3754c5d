"""From a PSA's runs to its decision tables: per-draw means, the split of variance between
parameters and patient-level noise, the decision under uncertainty and its value of
information.

Runs are one row per (draw, variant, replication) with organisation window metrics
(cost and QALYs per period, payments). A draw's value for a variant is the mean over
its R replications (common random numbers across variants and draws).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simulate.compare.economics import (
    net_monetary_benefit,
    probability_cost_effective,
    probability_most_cost_effective,
    threshold_label,
)
from simulate.psa.value_of_information import evpi, evppi, expected_loss, population_value

PERSPECTIVE_COST = {
    "health_system": ("cost", "payment_total"),
    "payer": ("payment_total",),
    "resource": ("cost",),
}
"""Window metrics summed into the cost of each perspective (as in ``simulate compare``)."""


def with_perspective_cost(runs: pd.DataFrame, perspective: str) -> pd.DataFrame:
    """``runs`` with ``perspective_cost``: the cost of the perspective (currency per period)."""
    columns = PERSPECTIVE_COST[perspective]
    return runs.assign(perspective_cost=runs[list(columns)].sum(axis=1))


def draw_means(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per draw and variant: mean cost (perspective) and QALYs over replications."""
    return (
        runs.groupby(["draw", "variant"], sort=True)
        .agg(cost=("perspective_cost", "mean"), qalys=("qalys", "mean"), runs=("qalys", "size"))
        .reset_index()
    )


def variance_split(runs: pd.DataFrame, threshold: float, reference: str) -> pd.DataFrame:
    """Per variant against the reference, for the incremental net benefit at ``threshold``:
    how much of the variance across draws comes from the parameters and how much from
    patient-level noise, and the replications that would keep the noise below 5%.

    One-way ANOVA over draws (O'Hagan, Stevenson & Madan 2007, *Health Economics* 16:1009):
    with R replications per draw, var(draw means) = var_parameters + var_within / R, so
    var_parameters = var(draw means) - mean(within-draw variance) / R (at least 0).
    Replications pair variants (common random numbers), so the noise is that of the
    paired difference.
    """
    runs = runs.assign(nmb=threshold * runs["qalys"] - runs["perspective_cost"])
    wide = runs.pivot_table(index=["draw", "replication"], columns="variant", values="nmb")
    rows = []
    for variant in wide.columns:
        if variant == reference:
            continue
        inb = (wide[variant] - wide[reference]).rename("inb").reset_index()
        per_draw = inb.groupby("draw")["inb"]
        r = float(per_draw.size().mean())
        between = float(per_draw.mean().var(ddof=1))
        within = float(per_draw.var(ddof=1).mean()) if r > 1 else float("nan")
        noise = within / r if r > 1 else float("nan")
        parameters = max(between - noise, 0.0) if np.isfinite(noise) else float("nan")
        needed = (
            int(np.ceil(within / (0.05 * parameters)))
            if np.isfinite(within) and parameters > 0
            else None
        )
        rows.append(
            {
                "variant": variant,
                "reference": reference,
                "threshold": threshold,
                "replications": r,
                "variance_draw_means": between,
                "variance_parameters": parameters,
                "variance_noise": noise,
                "share_parameters": parameters / between if between > 0 else float("nan"),
                "replications_for_5pct_noise": needed,
            }
        )
    return pd.DataFrame(rows)


def decision_under_uncertainty(
    means: pd.DataFrame, names: Sequence[str], reference: str, thresholds: Sequence[float]
) -> pd.DataFrame:
    """One row per variant: expected cost and QALYs with their 95% ranges across draws,
    increments against the reference, and at each threshold the expected incremental NMB,
    P(cost-effective vs the reference), P(best of all), the expected loss and (on the
    reference row, for the decision as a whole) the EVPI."""
    cost = _matrix(means, "cost", names)
    qalys = _matrix(means, "qalys", names)
    r = list(names).index(reference)
    rows = []
    for i, name in enumerate(names):
        dc, dq = cost[:, i] - cost[:, r], qalys[:, i] - qalys[:, r]
        row = {
            "variant": name,
            "reference": reference,
            "cost": float(cost[:, i].mean()),
            "qalys": float(qalys[:, i].mean()),
            "incremental_cost": float(dc.mean()),
            "incremental_cost_low": float(np.quantile(dc, 0.025)),
            "incremental_cost_high": float(np.quantile(dc, 0.975)),
            "incremental_qalys": float(dq.mean()),
            "incremental_qalys_low": float(np.quantile(dq, 0.025)),
            "incremental_qalys_high": float(np.quantile(dq, 0.975)),
        }
        rows.append(row)
    for t in thresholds:
        label = threshold_label(t)
        nb = net_monetary_benefit(cost, qalys, t)
        best = probability_most_cost_effective(cost.T, qalys.T, [t])[0]
        pair = probability_cost_effective(cost.T, qalys.T, r, t)
        loss = expected_loss(nb)
        optimal = int(np.argmax(nb.mean(axis=0)))
        for i, row in enumerate(rows):
            row[f"incremental_nmb_{label}"] = float((nb[:, i] - nb[:, r]).mean())
            row[f"p_cost_effective_{label}"] = float(pair[i])
            row[f"p_best_{label}"] = float(best[i])
            row[f"expected_loss_{label}"] = float(loss[i])
            row[f"optimal_{label}"] = i == optimal
            row[f"evpi_{label}"] = evpi(nb)
    return pd.DataFrame(rows)


def evppi_table(
    means: pd.DataFrame,
    draws: pd.DataFrame,
    names: Sequence[str],
    threshold: float,
    groups: dict[str, Sequence[str]],
) -> pd.DataFrame:
    """EVPPI of each parameter group (name -> its draw columns) at ``threshold``, with the
    standard error and the metamodel's fit, and the EVPI for scale."""
    nb = net_monetary_benefit(
        _matrix(means, "cost", names), _matrix(means, "qalys", names), threshold
    )
    total = evpi(nb)
    rows = []
    for name, columns in groups.items():
        result = evppi(nb, draws.loc[:, list(columns)].to_numpy(dtype=float))
        rows.append(
            {
                "parameters": name,
                "threshold": threshold,
                "evppi": result.value,
                "evppi_se": result.se,
                "share_of_evpi": result.value / total if total > 0 else float("nan"),
                "metamodel_r_squared_min": min(result.r_squared, default=float("nan")),
                "evpi": total,
            }
        )
    return pd.DataFrame(rows).sort_values("evppi", ascending=False, ignore_index=True)


def _matrix(means: pd.DataFrame, column: str, names: Sequence[str]) -> np.ndarray:
    """[draw, variant] of ``column``, variants in ``names`` order."""
    wide = means.pivot(index="draw", columns="variant", values=column)
    return wide.loc[:, list(names)].to_numpy(dtype=float)


def population_factor(
    people_per_period: float, population: float, years: int, annual_rate: float
) -> float:
    """From a net benefit per period of the simulated organisation to the population's over
    the decision's horizon: divide by the people the organisation treats per period (a
    value per person), times the people affected per year over ``years`` discounted at
    ``annual_rate`` (:func:`population_value`)."""
    if not people_per_period > 0:
        return float("nan")
    return population_value(1.0 / people_per_period, population, years, annual_rate)


def with_population(
    decision: pd.DataFrame, evppi: pd.DataFrame | None, factor: float, thresholds
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The decision table with ``population_evpi_<λ>`` and the EVPPI table with
    ``population_evppi`` and its standard error: the per-period values times ``factor``."""
    decision = decision.copy()
    for t in thresholds:
        label = threshold_label(t)
        decision[f"population_evpi_{label}"] = decision[f"evpi_{label}"] * factor
    if evppi is not None:
        evppi = evppi.assign(
            population_evppi=evppi["evppi"] * factor, population_evppi_se=evppi["evppi_se"] * factor
        )
    return decision, evppi
