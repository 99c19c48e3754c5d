"""Paired differences between variants, replication by replication (common random numbers)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simulate.output.tables import t_interval

COLUMNS = (
    "variant",
    "reference",
    "metric",
    "unit",
    "mean",
    "reference_mean",
    "difference",
    "ci_low",
    "ci_high",
    "replications",
    "status",
)
"""Columns of comparison.csv (``status`` is only filled on economics rows)."""


def paired_interval(values: np.ndarray, reference: np.ndarray) -> tuple[float, float, float, int]:
    """Mean of ``values - reference`` (paired by position) with its 95% paired-t interval.

    Pairs with a missing value on either side are left out. Returns (difference, low,
    high, pairs); low and high are NaN with fewer than 2 pairs, equal to the difference
    when every pair differs by the same amount (e.g. 0 for identical variants).
    """
    difference = np.asarray(values, dtype=float) - np.asarray(reference, dtype=float)
    mean, _, low, high, n = t_interval(difference)
    return float(mean), float(low), float(high), int(n)


def paired_table(
    values: dict[str, pd.DataFrame],
    reference: str,
    metrics: Sequence[str],
    units: dict[str, str],
) -> pd.DataFrame:
    """One row per variant x metric: means and the paired difference from ``reference``.

    ``values`` maps each variant to its per-replication window values (``replication``
    plus one column per metric), all with the same replications.
    """
    ref = values[reference].sort_values("replication")
    rows = []
    for variant, table in values.items():
        table = table.sort_values("replication")
        if not np.array_equal(table["replication"].to_numpy(), ref["replication"].to_numpy()):
            raise ValueError(f"variant {variant} has other replications than {reference}")
        for metric in metrics:
            v, r = table[metric].to_numpy(dtype=float), ref[metric].to_numpy(dtype=float)
            difference, low, high, n = paired_interval(v, r)
            rows.append(
                {
                    "variant": variant,
                    "reference": reference,
                    "metric": metric,
                    "unit": units[metric],
                    "mean": _nanmean(v),
                    "reference_mean": _nanmean(r),
                    "difference": difference,
                    "ci_low": low,
                    "ci_high": high,
                    "replications": n,
                    "status": "",
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _nanmean(values: np.ndarray) -> float:
    present = values[~np.isnan(values)]
    return float(present.mean()) if len(present) else float("nan")
