"""Cost-effectiveness: incremental cost and QALYs, ICER, net monetary benefit and the CEAC.

Costs are in currency units per period and QALYs in QALYs per period, both means over
the post-warm-up window, so an ICER is in currency units per QALY and a net monetary
benefit in currency units per period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulate.compare.paired import COLUMNS, paired_interval

REFERENCE = "reference"
DOMINANT = "dominant"
DOMINATED = "dominated"
NO_DIFFERENCE = "no_difference"
MORE_COSTLY_MORE_EFFECTIVE = "more_costly_more_effective"
LESS_COSTLY_LESS_EFFECTIVE = "less_costly_less_effective"
UNDEFINED = "undefined"
ICER_STATUSES = (
    REFERENCE,
    DOMINANT,
    DOMINATED,
    NO_DIFFERENCE,
    MORE_COSTLY_MORE_EFFECTIVE,
    LESS_COSTLY_LESS_EFFECTIVE,
    UNDEFINED,
)
"""What an ICER means, by the quadrant of the cost-effectiveness plane."""
COST_UNIT = "currency units per period"
QALY_UNIT = "QALYs per period"
ICER_UNIT = "currency units per QALY"
PROBABILITY_UNIT = "share of replications"


def perspective_cost(window: pd.DataFrame, perspective: str) -> np.ndarray:
    """Cost per period under ``perspective`` from window values (currency units per period)."""
    if perspective == "payer":
        return window["payment_total"].to_numpy(dtype=float)
    if perspective == "resource":
        return window["cost"].to_numpy(dtype=float)
    if perspective == "health_system":
        return window["cost"].to_numpy(dtype=float) + window["payment_total"].to_numpy(float)
    raise ValueError(f"unknown perspective {perspective!r}")


def icer(incremental_cost: float, incremental_qalys: float) -> tuple[float, str]:
    """(ICER in currency units per QALY, status); the ICER is NaN unless it means something.

    A variant that is no more costly and at least as effective (not both equal) is
    ``dominant``; one no less costly and no more effective is ``dominated``. Only in the
    two other quadrants is the ratio reported: extra cost per QALY gained
    (``more_costly_more_effective``) or savings per QALY lost
    (``less_costly_less_effective``).
    """
    dc, dq = float(incremental_cost), float(incremental_qalys)
    if np.isnan(dc) or np.isnan(dq):
        return float("nan"), UNDEFINED
    if dc == 0 and dq == 0:
        return float("nan"), NO_DIFFERENCE
    if dc <= 0 and dq >= 0:
        return float("nan"), DOMINANT
    if dc >= 0 and dq <= 0:
        return float("nan"), DOMINATED
    status = MORE_COSTLY_MORE_EFFECTIVE if dq > 0 else LESS_COSTLY_LESS_EFFECTIVE
    return dc / dq, status


def net_monetary_benefit(cost: np.ndarray, qalys: np.ndarray, threshold: float) -> np.ndarray:
    """``threshold x qalys - cost`` (currency units per period)."""
    return threshold * np.asarray(qalys, dtype=float) - np.asarray(cost, dtype=float)


def probability_most_cost_effective(
    cost: np.ndarray, qalys: np.ndarray, thresholds: Sequence[float]
) -> np.ndarray:
    """[threshold, variant] share of replications in which the variant has the highest NMB.

    ``cost`` and ``qalys`` are [variant, replication]. Ties share the replication equally,
    so each row sums to 1. Replications with a missing value are left out.
    """
    cost = np.asarray(cost, dtype=float)
    qalys = np.asarray(qalys, dtype=float)
    keep = ~(np.isnan(cost).any(axis=0) | np.isnan(qalys).any(axis=0))
    cost, qalys = cost[:, keep], qalys[:, keep]
    t = np.asarray(thresholds, dtype=float)
    out = np.full((len(t), cost.shape[0]), np.nan)
    if cost.shape[1] == 0:
        return out
    for start in range(0, len(t), 256):
        chunk = t[start : start + 256]
        nmb = chunk[:, None, None] * qalys[None] - cost[None]
        best = nmb == nmb.max(axis=1, keepdims=True)
        share = best / best.sum(axis=1, keepdims=True)
        out[start : start + len(chunk)] = share.mean(axis=2)
    return out


def ceac_thresholds(maximum: float, step: float, extra: Sequence[float] = ()) -> np.ndarray:
    """0, step, 2 step, ... up to ``maximum``, plus ``extra``; sorted, distinct."""
    count = int(np.floor(maximum / step + 1e-9))
    grid = np.arange(count + 1) * step
    return np.unique(np.concatenate([grid, np.asarray(extra, dtype=float)]))


def threshold_label(threshold: float) -> str:
    """A threshold as used in column names: ``20000``, or ``12500.5``."""
    return str(int(threshold)) if float(threshold).is_integer() else repr(float(threshold))


@dataclass(frozen=True)
class Economics:
    """The cost-effectiveness tables of a comparison (see docs/compare.md)."""

    cost_effectiveness: pd.DataFrame
    """One row per variant: cost, QALYs, increments with CIs, ICER, NMB, probability."""
    ce_replications: pd.DataFrame
    """One row per variant x replication: cost and QALYs, and increments."""
    ceac: pd.DataFrame
    """One row per threshold x variant: probability of being the most cost-effective."""
    rows: pd.DataFrame
    """The economics rows of comparison.csv (columns as paired.COLUMNS)."""


def economics(
    cost: dict[str, np.ndarray],
    qalys: dict[str, np.ndarray],
    replications: np.ndarray,
    reference: str,
    thresholds: Sequence[float],
    grid: np.ndarray,
    perspective: str,
) -> Economics:
    """All economics tables from per-replication cost and QALYs per variant.

    ``cost[v]`` and ``qalys[v]`` are aligned with ``replications`` (paired by position).
    """
    names = list(cost)
    c = np.array([cost[v] for v in names], dtype=float)
    q = np.array([qalys[v] for v in names], dtype=float)
    r = names.index(reference)
    p_thresholds = probability_most_cost_effective(c, q, thresholds)
    summary, rows, per_rep = [], [], []
    for i, name in enumerate(names):
        dc, dc_low, dc_high, n = paired_interval(c[i], c[r])
        dq, dq_low, dq_high, _ = paired_interval(q[i], q[r])
        value, status = (float("nan"), REFERENCE) if i == r else icer(dc, dq)
        record = {
            "variant": name,
            "reference": reference,
            "perspective": perspective,
            "cost": float(np.nanmean(c[i])),
            "qalys": float(np.nanmean(q[i])),
            "incremental_cost": dc,
            "incremental_cost_ci_low": dc_low,
            "incremental_cost_ci_high": dc_high,
            "incremental_qalys": dq,
            "incremental_qalys_ci_low": dq_low,
            "incremental_qalys_ci_high": dq_high,
            "icer": value,
            "icer_status": status,
            "replications": n,
        }
        base = (name, reference, n)
        ref_cost, ref_qalys = float(np.nanmean(c[r])), float(np.nanmean(q[r]))
        cost_unit = f"{COST_UNIT} ({perspective})"
        costs = (dc, dc_low, dc_high)
        gains = (dq, dq_low, dq_high)
        rows.append(_row(*base, "incremental_cost", cost_unit, record["cost"], ref_cost, costs))
        rows.append(_row(*base, "incremental_qalys", QALY_UNIT, record["qalys"], ref_qalys, gains))
        nothing = (np.nan, np.nan)
        rows.append(_row(*base, "icer", ICER_UNIT, *nothing, (value, *nothing), status))
        for k, t in enumerate(thresholds):
            label = threshold_label(t)
            nmb = net_monetary_benefit(c[i], q[i], t)
            nmb_ref = net_monetary_benefit(c[r], q[r], t)
            d, low, high, _ = paired_interval(nmb, nmb_ref)
            mean, ref_mean = float(np.nanmean(nmb)), float(np.nanmean(nmb_ref))
            record[f"nmb_{label}"] = mean
            record[f"incremental_nmb_{label}"] = d
            record[f"incremental_nmb_{label}_ci_low"] = low
            record[f"incremental_nmb_{label}_ci_high"] = high
            record[f"p_cost_effective_{label}"] = float(p_thresholds[k, i])
            interval = (d, low, high)
            rows.append(_row(*base, f"nmb_{label}", COST_UNIT, mean, ref_mean, interval))
            rows.append(_row(*base, f"incremental_nmb_{label}", COST_UNIT, d, 0.0, interval))
            p, p_ref = float(p_thresholds[k, i]), float(p_thresholds[k, r])
            none = (np.nan, np.nan, np.nan)
            rows.append(_row(*base, f"p_cost_effective_{label}", PROBABILITY_UNIT, p, p_ref, none))
        summary.append(record)
        per_rep.append(
            pd.DataFrame(
                {
                    "variant": name,
                    "replication": replications,
                    "cost": c[i],
                    "qalys": q[i],
                    "incremental_cost": c[i] - c[r],
                    "incremental_qalys": q[i] - q[r],
                }
            )
        )
    p_grid = probability_most_cost_effective(c, q, grid)
    ceac = pd.DataFrame(
        {
            "threshold": np.repeat(grid, len(names)),
            "variant": np.tile(names, len(grid)),
            "probability": p_grid.reshape(-1),
        }
    )
    return Economics(
        cost_effectiveness=pd.DataFrame(summary),
        ce_replications=pd.concat(per_rep, ignore_index=True),
        ceac=ceac,
        rows=pd.DataFrame(rows, columns=list(COLUMNS)),
    )


def _row(
    variant: str,
    reference: str,
    n: int,
    metric: str,
    unit: str,
    mean: float,
    reference_mean: float,
    interval: tuple[float, float, float],
    status: str = "",
) -> dict:
    """One economics row of comparison.csv."""
    values = (variant, reference, metric, unit, mean, reference_mean, *interval, n, status)
    return dict(zip(COLUMNS, values, strict=True))
