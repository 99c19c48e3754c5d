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


def probability_cost_effective(
    cost: np.ndarray, qalys: np.ndarray, reference: int, threshold: float
) -> np.ndarray:
    """[variant] share of replications in which the variant's NMB beats the reference's.

    Pairwise, replication by replication: ties count one half, so a variant identical to
    the reference gets 0.5. The reference itself gets NaN. ``cost`` and ``qalys`` are
    [variant, replication]; replications with a missing value are left out.
    """
    nmb = net_monetary_benefit(cost, qalys, threshold)
    keep = ~np.isnan(nmb).any(axis=0)
    nmb = nmb[:, keep]
    out = np.full(nmb.shape[0], np.nan)
    if nmb.shape[1]:
        wins = (nmb > nmb[reference]) + 0.5 * (nmb == nmb[reference])
        out = wins.mean(axis=1)
    out[reference] = np.nan
    return out


def ceac_range(maximum: float, step: float, icers: Sequence[float]) -> tuple[float, float]:
    """(maximum, step) of the acceptability grid, widened to show every finite ICER.

    When an ICER lies beyond ``maximum`` the curves would be flat to the edge and the
    point where the decision changes would be off the chart, so the range becomes the
    next 1, 2 or 5 x 10^k at or above 1.2 x the largest ICER (at most 100 x ``maximum``),
    with the step scaled to keep the number of points.
    """
    finite = [abs(x) for x in icers if np.isfinite(x)]
    largest = max(finite, default=0.0)
    if largest <= maximum or maximum <= 0:
        return float(maximum), float(step)
    wanted = min(1.2 * largest, 100.0 * maximum)
    exponent = np.floor(np.log10(wanted))
    nice = min(m * 10**exponent for m in (1, 2, 5, 10) if m * 10**exponent >= wanted)
    return float(nice), float(step * nice / maximum)


def frontier(cost: np.ndarray, qalys: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """[threshold] index of the variant with the highest expected NMB (the CEAF's choice).

    The acceptability frontier follows this variant's probability of being the most
    cost-effective (Fenwick, Claxton & Sculpher 2001). Ties go to the first variant.
    """
    mean_cost = np.nanmean(np.asarray(cost, dtype=float), axis=1)
    mean_qalys = np.nanmean(np.asarray(qalys, dtype=float), axis=1)
    t = np.asarray(thresholds, dtype=float)
    return np.argmax(t[:, None] * mean_qalys[None, :] - mean_cost[None, :], axis=1)


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
    """One row per variant: cost, QALYs, increments with CIs, ICER, NMB, probabilities."""
    ce_replications: pd.DataFrame
    """One row per variant x replication: cost and QALYs, and increments."""
    ceac: pd.DataFrame
    """One row per threshold x variant: probability of being the most cost-effective,
    and whether the variant is on the acceptability frontier at that threshold."""
    rows: pd.DataFrame
    """The economics rows of comparison.csv (columns as paired.COLUMNS)."""
    ceac_max: float = 0.0
    """Largest threshold of the acceptability grid (currency units per QALY)."""
    ceac_step: float = 0.0
    """Step of the acceptability grid (currency units per QALY)."""


def economics(
    cost: dict[str, np.ndarray],
    qalys: dict[str, np.ndarray],
    replications: np.ndarray,
    reference: str,
    thresholds: Sequence[float],
    ceac_grid: tuple[float, float],
    perspective: str,
) -> Economics:
    """All economics tables from per-replication cost and QALYs per variant.

    ``cost[v]`` and ``qalys[v]`` are aligned with ``replications`` (paired by position);
    ``ceac_grid`` is the (maximum, step) asked for, widened by :func:`ceac_range` to
    reach every ICER.
    """
    names = list(cost)
    c = np.array([cost[v] for v in names], dtype=float)
    q = np.array([qalys[v] for v in names], dtype=float)
    r = names.index(reference)
    p_best = probability_most_cost_effective(c, q, thresholds)
    p_pair = np.array([probability_cost_effective(c, q, r, t) for t in thresholds])
    summary, rows = [], []
    for i, name in enumerate(names):
        record, variant_rows = _variant_economics(c, q, i, r, thresholds, p_best, p_pair)
        summary.append({"variant": name, "reference": reference, "perspective": perspective})
        summary[-1].update(record)
        rows += [_row(name, reference, record["replications"], *x) for x in variant_rows]
    per_rep = pd.DataFrame(
        {
            "variant": np.repeat(names, len(replications)),
            "replication": np.tile(replications, len(names)),
            "cost": c.reshape(-1),
            "qalys": q.reshape(-1),
            "incremental_cost": (c - c[r]).reshape(-1),
            "incremental_qalys": (q - q[r]).reshape(-1),
        }
    )
    maximum, step = ceac_range(*ceac_grid, [x["icer"] for x in summary])
    grid = ceac_thresholds(maximum, step, thresholds)
    best = frontier(c, q, grid)
    ceac = pd.DataFrame(
        {
            "threshold": np.repeat(grid, len(names)),
            "variant": np.tile(names, len(grid)),
            "probability": probability_most_cost_effective(c, q, grid).reshape(-1),
            "optimal": (best[:, None] == np.arange(len(names))[None, :]).reshape(-1),
        }
    )
    return Economics(
        cost_effectiveness=pd.DataFrame(summary),
        ce_replications=per_rep,
        ceac=ceac,
        rows=pd.DataFrame(rows, columns=list(COLUMNS)),
        ceac_max=maximum,
        ceac_step=step,
    )


def _variant_economics(
    c: np.ndarray,
    q: np.ndarray,
    i: int,
    r: int,
    thresholds: Sequence[float],
    p_best: np.ndarray,
    p_pair: np.ndarray,
) -> tuple[dict, list[tuple]]:
    """Variant ``i`` against reference ``r``: its cost-effectiveness record and the
    (metric, unit, mean, reference mean, interval[, status]) of its comparison rows."""
    dc, dc_low, dc_high, n = paired_interval(c[i], c[r])
    dq, dq_low, dq_high, _ = paired_interval(q[i], q[r])
    value, status = (float("nan"), REFERENCE) if i == r else icer(dc, dq)
    cost, ref_cost = float(np.nanmean(c[i])), float(np.nanmean(c[r]))
    gain, ref_gain = float(np.nanmean(q[i])), float(np.nanmean(q[r]))
    record = {
        "cost": cost,
        "qalys": gain,
        "incremental_cost": dc,
        "incremental_cost_ci_low": dc_low,
        "incremental_cost_ci_high": dc_high,
        "relative_cost": dc / ref_cost if ref_cost else float("nan"),
        "incremental_qalys": dq,
        "incremental_qalys_ci_low": dq_low,
        "incremental_qalys_ci_high": dq_high,
        "relative_qalys": dq / ref_gain if ref_gain else float("nan"),
        "icer": value,
        "icer_status": status,
        "replications": n,
    }
    nothing = (np.nan, np.nan)
    rows = [
        ("incremental_cost", COST_UNIT, cost, ref_cost, (dc, dc_low, dc_high)),
        ("incremental_qalys", QALY_UNIT, gain, ref_gain, (dq, dq_low, dq_high)),
        ("icer", ICER_UNIT, *nothing, (value, *nothing), status),
    ]
    for k, t in enumerate(thresholds):
        label = threshold_label(t)
        nmb, nmb_ref = net_monetary_benefit(c[i], q[i], t), net_monetary_benefit(c[r], q[r], t)
        d, low, high, _ = paired_interval(nmb, nmb_ref)
        mean, ref_mean = float(np.nanmean(nmb)), float(np.nanmean(nmb_ref))
        record[f"nmb_{label}"] = mean
        record[f"incremental_nmb_{label}"] = d
        record[f"incremental_nmb_{label}_ci_low"] = low
        record[f"incremental_nmb_{label}_ci_high"] = high
        record[f"p_cost_effective_{label}"] = float(p_pair[k, i])
        record[f"p_best_{label}"] = float(p_best[k, i])
        none = (np.nan, np.nan, np.nan)
        rows += [
            (f"nmb_{label}", COST_UNIT, mean, ref_mean, (d, low, high)),
            (f"incremental_nmb_{label}", COST_UNIT, d, 0.0, (d, low, high)),
            (f"p_cost_effective_{label}", PROBABILITY_UNIT, float(p_pair[k, i]), np.nan, none),
            (f"p_best_{label}", PROBABILITY_UNIT, float(p_best[k, i]), p_best[k, r], none),
        ]
    return record, rows


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
