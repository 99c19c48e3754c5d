"""The decision in words: what each variant does against the reference, and how sure it is.

A difference counts as *detectable* when its 95% paired interval excludes zero. The
verdict reads the cost and QALY intervals (the quadrant of the cost-effectiveness plane
the variant is surely in), then the net-monetary-benefit intervals at each threshold
(cost-effective, not cost-effective, or uncertain), and flags variants that deliver the
same care as another (identical clinical results in every replication), which can only
differ in payments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from simulate.accounts.metrics import METRICS, PAYMENT_COLUMNS
from simulate.compare.economics import threshold_label
from simulate.formatting import money, percent

CLINICAL_METRICS: tuple[str, ...] = tuple(
    m for m in METRICS if m not in PAYMENT_COLUMNS and m != "payment_total"
)
"""Window metrics that describe care (everything except payments to physicians)."""

COST_EFFECTIVE = "cost-effective"
NOT_COST_EFFECTIVE = "not cost-effective"
UNCERTAIN = "uncertain"


def detectable(low: float, high: float) -> int:
    """+1 when the 95% interval lies above zero, -1 below, 0 when it holds zero or is
    missing (one replication)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return 0
    return 1 if low > 0 else -1 if high < 0 else 0


def threshold_decision(low: float, high: float) -> str:
    """Cost-effective against the reference at one threshold, from the incremental NMB
    interval: surely above zero, surely below, or uncertain."""
    return {1: COST_EFFECTIVE, -1: NOT_COST_EFFECTIVE, 0: UNCERTAIN}[detectable(low, high)]


def quadrant(record: Mapping[str, float]) -> str:
    """What the variant surely does to cost and QALYs (the detectable quadrant), in words.

    ``record`` is a row of cost_effectiveness: increments, their intervals, relative
    changes (shares of the reference) and the ICER.
    """
    cost = detectable(record["incremental_cost_ci_low"], record["incremental_cost_ci_high"])
    gain = detectable(record["incremental_qalys_ci_low"], record["incremental_qalys_ci_high"])
    if not np.isfinite(record["incremental_cost_ci_low"]):
        return "one replication: differences cannot be told from chance"
    dc = f"cost {percent(record['relative_cost'])}"
    dq = f"QALYs {percent(record['relative_qalys'])}"
    ratio = abs(record["icer"])
    if cost == 0 and gain == 0:
        return "no detectable difference in cost or QALYs"
    if gain == 0:
        word = "cheaper" if cost < 0 else "costlier"
        return f"{word} ({dc}), no detectable difference in QALYs"
    if cost == 0:
        word = "better" if gain > 0 else "worse"
        return f"{word} ({dq}), no detectable difference in cost"
    if cost < 0 < gain:
        return f"dominates: cheaper ({dc}) and better ({dq})"
    if gain < 0 < cost:
        return f"dominated: costlier ({dc}) and worse ({dq})"
    if cost < 0:
        saved = f"{money(ratio)} saved per QALY lost" if np.isfinite(ratio) else "no ICER"
        return f"cheaper ({dc}) and worse ({dq}): {saved}"
    paid = f"{money(ratio)} per QALY gained" if np.isfinite(ratio) else "no ICER"
    return f"costlier ({dc}) and better ({dq}): {paid}"


def verdict(
    record: Mapping[str, float], thresholds: Sequence[float], same_care_as: Sequence[str] = ()
) -> str:
    """The plain verdict on one variant against the reference, one sentence.

    The detectable quadrant, then the decision at each threshold (grouped: "cost-effective
    at 20,000 and 30,000 per QALY"), then which variants give the same care.
    """
    parts = [quadrant(record)]
    by_decision: dict[str, list[str]] = {}
    for t in thresholds:
        label = threshold_label(t)
        low = record[f"incremental_nmb_{label}_ci_low"]
        high = record[f"incremental_nmb_{label}_ci_high"]
        by_decision.setdefault(threshold_decision(low, high), []).append(f"{t:,.0f}")
    for decision, values in by_decision.items():
        parts.append(f"{decision} at {' and '.join(values)} per QALY")
    if same_care_as:
        parts.append(f"same care as {', '.join(same_care_as)}: differs only in payments")
    return "; ".join(parts)


def same_care(window: pd.DataFrame, names: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """For each variant, the other variants whose clinical window values are identical
    to its own in every replication (to the last digit).

    ``window`` has ``variant``, ``replication`` and the metric columns (window.csv).
    """
    columns = [m for m in CLINICAL_METRICS if m in window]
    values = {
        name: window[window["variant"] == name].sort_values("replication")[columns].to_numpy(float)
        for name in names
    }
    return {
        name: tuple(
            other
            for other in names
            if other != name
            and values[other].shape == values[name].shape
            and np.array_equal(values[other], values[name], equal_nan=True)
        )
        for name in names
    }


def decide(
    cost_effectiveness: pd.DataFrame,
    window: pd.DataFrame,
    reference: str,
    thresholds: Sequence[float],
) -> pd.DataFrame:
    """cost_effectiveness with the decision columns added: ``decision_<λ>`` per threshold,
    ``same_care_as`` (other variants, ``;``-separated) and ``verdict`` (in words)."""
    table = cost_effectiveness.copy()
    names = list(table["variant"])
    alike = same_care(window, names)
    verdicts, decisions = [], {t: [] for t in thresholds}
    for record in table.to_dict("records"):
        name = record["variant"]
        for t in thresholds:
            label = threshold_label(t)
            low = record[f"incremental_nmb_{label}_ci_low"]
            high = record[f"incremental_nmb_{label}_ci_high"]
            decisions[t].append("" if name == reference else threshold_decision(low, high))
        if name == reference:
            same = f"; same care as {', '.join(alike[name])}" if alike[name] else ""
            verdicts.append(f"reference{same}")
        else:
            verdicts.append(verdict(record, thresholds, alike[name]))
    for t in thresholds:
        table[f"decision_{threshold_label(t)}"] = decisions[t]
    table["same_care_as"] = [";".join(alike[name]) for name in names]
    table["verdict"] = verdicts
    return table
