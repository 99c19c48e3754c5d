"""One-way sensitivity analysis (tornado): each uncertain parameter at its 2.5th and 97.5th
percentiles with every other parameter at its mean, for the incremental net monetary
benefit of each scheme against the reference at the first threshold.

The settings run as extra rows of the PSA's parameter table (after its draws), so they go
through the same run store and executors (resumable) with the same replications and
common random numbers. A calibrated set's paths (``from_calibration``) take their
weighted percentiles and means; a Dirichlet's shares stay at their means (moving one
share alone would break the sum).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simulate.compare.economics import net_monetary_benefit
from simulate.psa.calibration_sets import AcceptedSets
from simulate.psa.distributions import Dirichlet
from simulate.psa.spec import UncertaintySpec

LOW, HIGH = 0.025, 0.975
"""The percentiles of the one-way settings."""
BASE = "base"


def tornado_settings(
    spec: UncertaintySpec, sets: AcceptedSets | None, columns: Sequence[str]
) -> pd.DataFrame:
    """[setting] the parameter values (``columns`` of the draw table) of the base (all at
    their means) then, per one-way parameter, its low and high percentile; with
    ``parameter`` (its name, or ``base``), ``column`` (the one it moves) and ``level``
    (``base``, ``low``, ``high``)."""
    base: dict[str, float] = {}
    moves: list[tuple[str, str, float, float]] = []  # (name, column, low, high)
    for p in spec.parameters:
        if isinstance(p.distribution, Dirichlet):
            shares = p.distribution.frozen().mean()
            base.update({path: float(x) for path, x in zip(p.paths, shares, strict=True)})
            continue
        base[p.paths[0]] = float(p.distribution.mean)
        low, high = p.distribution.ppf(np.array([LOW, HIGH]))
        moves.append((p.name, p.paths[0], float(low), float(high)))
    if sets is not None:
        means, lows, highs = sets.mean(), sets.quantile(LOW), sets.quantile(HIGH)
        for j, path in enumerate(sets.paths):
            base[path] = float(means[j])
            moves.append((path, path, float(lows[j]), float(highs[j])))
    rows = [{**base, "parameter": BASE, "column": "", "level": BASE}]
    for name, column, low, high in moves:
        rows.append({**base, column: low, "parameter": name, "column": column, "level": "low"})
        rows.append({**base, column: high, "parameter": name, "column": column, "level": "high"})
    return pd.DataFrame(rows)[[*columns, "parameter", "column", "level"]]


def tornado_table(
    runs: pd.DataFrame,
    settings: pd.DataFrame,
    first_row: int,
    names: Sequence[str],
    reference: str,
    threshold: float,
    replications: int,
) -> pd.DataFrame:
    """One row per scheme (not the reference) and one-way parameter: its low and high
    values, the incremental NMB (currency units per period, discounted) at each and at the
    base, and the swing |high - low|; largest swing first within each scheme.

    ``runs`` are the PSA's runs with discounted perspective cost (``perspective_cost``)
    and QALYs; settings row i is draw ``first_row + i``. Settings with missing runs are
    left out.
    """
    sub = runs[runs["draw"] >= first_row]
    grouped = sub.groupby(["draw", "variant"])[["perspective_cost", "qalys"]]
    means = grouped.mean()[grouped.size() == replications]
    if means.empty:
        return pd.DataFrame()
    nmb = net_monetary_benefit(means["perspective_cost"], means["qalys"], threshold)
    wide = pd.Series(nmb, index=means.index).unstack("variant")
    rows = []
    base = first_row + int(np.flatnonzero(settings["level"].to_numpy() == BASE)[0])
    one_way = settings[settings["level"] != BASE]
    for name in names:
        if name == reference or name not in wide:
            continue
        inb = (wide[name] - wide[reference]).dropna()
        for parameter, group in one_way.groupby("parameter", sort=False):
            draws = {
                level: first_row + int(i)
                for i, level in zip(group.index, group["level"], strict=True)
            }
            if not all(d in inb.index for d in (*draws.values(), base)):
                continue
            column = str(group["column"].iloc[0])
            low, high = float(inb[draws["low"]]), float(inb[draws["high"]])
            rows.append(
                {
                    "variant": name,
                    "reference": reference,
                    "threshold": threshold,
                    "parameter": parameter,
                    "low_value": float(group.loc[group["level"] == "low", column].iloc[0]),
                    "high_value": float(group.loc[group["level"] == "high", column].iloc[0]),
                    "incremental_nmb_low": low,
                    "incremental_nmb_high": high,
                    "incremental_nmb_base": float(inb[base]),
                    "swing": abs(high - low),
                }
            )
    return _ordered(pd.DataFrame(rows), names)


def _ordered(table: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Schemes in ``names`` order, the largest swing first within each."""
    if table.empty:
        return table
    order = table["variant"].map({n: i for i, n in enumerate(names)})
    table = table.assign(_order=order).sort_values(
        ["_order", "swing"], ascending=[True, False], kind="stable"
    )
    return table.drop(columns="_order").reset_index(drop=True)
