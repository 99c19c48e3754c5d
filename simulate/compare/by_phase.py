"""Effects by phase and subgroup: each variant against the reference, window by window,
at organisation, team or physician level, absolute and relative, with 95% CIs.

For each window x unit (x subgroup) x metric, the paired difference d_k = v_k - r_k
across replications k (common random numbers) gives the mean difference and its paired-t
95% interval (:func:`simulate.compare.paired.paired_interval`). The relative effect is
the ratio of means minus one, theta = mean(d) / mean(r), with a delta-method interval:
theta +- t(0.975, n-1) * sd(z) / sqrt(n), z_k = (d_k - theta r_k) / mean(r) (the
linearisation of a ratio of means), reported in percent.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulate.accounts.metrics import METRIC_UNITS, METRICS
from simulate.compare.subgroups import Groups, baseline_window, parse_by, subgroups
from simulate.compare.window import (
    ORGANISATION,
    Window,
    check_level,
    check_windows,
    comparison_windows,
    unit_window_values,
)
from simulate.model.result import ReplicationResult
from simulate.output.tables import t_interval
from simulate.scenario.models import Scenario

if TYPE_CHECKING:
    from simulate.compare.core import Comparison

COLUMNS = (
    "variant",
    "reference",
    "window",
    "first_month",
    "last_month",
    "level",
    "by",
    "unit",
    "subgroup",
    "metric",
    "measure",
    "reference_mean",
    "mean",
    "difference",
    "ci_low",
    "ci_high",
    "relative_pct",
    "relative_ci_low",
    "relative_ci_high",
    "replications",
)
"""Columns of effects.csv (``by`` and ``subgroup`` empty without subgroups)."""


def relative_interval(values: np.ndarray, reference: np.ndarray) -> tuple[float, float, float]:
    """(theta, low, high) with theta = mean(values - reference) / mean(reference) over
    the pairs present, and its delta-method 95% interval (fractions, not percent)."""
    theta, low, high = _relative(
        np.asarray(values, float)[:, None], np.asarray(reference, float)[:, None]
    )
    return float(theta[0]), float(low[0]), float(high[0])


def _relative(values: np.ndarray, reference: np.ndarray):
    """:func:`relative_interval` along axis 0 of [replication, ...] arrays."""
    d = values - reference
    r = np.where(np.isnan(d), np.nan, reference)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        r_mean = np.nanmean(r, axis=0)
        r_mean = np.where(r_mean != 0, r_mean, np.nan)
        theta = np.nanmean(d, axis=0) / r_mean
        z = (d - theta * r) / r_mean
    mean, _, low, high, _ = t_interval(z)
    return theta, theta + (low - mean), theta + (high - mean)


def paired_effects(
    values: pd.DataFrame, reference: pd.DataFrame, metrics: Sequence[str] = METRICS
) -> pd.DataFrame:
    """One row per unit (x subgroup) x metric: paired means, difference, relative effect.

    ``values`` and ``reference`` are :func:`unit_window_values` tables of one window;
    rows are paired on (replication, unit, subgroup); a unit missing on either side in a
    replication is left out of that pair.
    """
    keys = ["unit", "subgroup"] if "subgroup" in reference else ["unit"]
    units = pd.concat([reference[keys], values[keys]]).drop_duplicates(ignore_index=True)
    reps = np.union1d(reference["replication"], values["replication"])
    index = pd.MultiIndex.from_tuples(
        [(rep, *key) for rep in reps for key in units.itertuples(index=False)],
        names=["replication", *keys],
    )
    shape = (len(reps), len(units), len(metrics))

    def cube(table: pd.DataFrame) -> np.ndarray:
        wide = table.set_index(["replication", *keys])[list(metrics)].reindex(index)
        return wide.to_numpy(dtype=float).reshape(shape)

    v, r = cube(values), cube(reference)
    d = v - r
    paired = ~np.isnan(d)
    difference, _, low, high, n = t_interval(d)
    theta, rel_low, rel_high = _relative(v, r)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        v_mean = np.nanmean(np.where(paired, v, np.nan), axis=0)
        r_mean = np.nanmean(np.where(paired, r, np.nan), axis=0)
    table = pd.DataFrame({key: np.repeat(units[key].to_numpy(), len(metrics)) for key in keys})
    table["metric"] = np.tile(list(metrics), len(units))
    table["measure"] = table["metric"].map(METRIC_UNITS)
    for name, array in (
        ("reference_mean", r_mean),
        ("mean", v_mean),
        ("difference", difference),
        ("ci_low", low),
        ("ci_high", high),
        ("relative_pct", 100 * theta),
        ("relative_ci_low", 100 * rel_low),
        ("relative_ci_high", 100 * rel_high),
    ):
        table[name] = np.asarray(array, dtype=float).reshape(-1)
    table["replications"] = np.asarray(n).reshape(-1).astype(int)
    return table


def variant_effects(
    scenarios: Mapping[str, Scenario],
    results: Mapping[str, Sequence[ReplicationResult]],
    reference: str,
    windows: Sequence[Window] | None = None,
    by: str | None = None,
    level: str = ORGANISATION,
    baseline: Window | None = None,
) -> pd.DataFrame:
    """effects.csv: every other variant against ``reference``, per window x unit (x
    subgroup) x metric. ``windows`` default to the policy phases of all variants; the
    subgroups are the reference variant's (``targeted``: the first variant, reference
    first, whose results record targeting), the same for every variant."""
    order = [reference, *(name for name in scenarios if name != reference)]
    first = scenarios[reference]
    check_level(level)
    if by is not None:
        parse_by(by)
    windows = check_windows(
        tuple(windows) if windows else comparison_windows(list(scenarios.values())),
        first.horizon_periods,
    )
    given = {w.name: w for w in windows}
    if (
        by is not None
        and by.startswith(("baseline-quartile", "baseline-quantile"))
        and baseline is None
    ):
        baseline = given.get("baseline") or baseline_window(list(scenarios.values()))
    frames = []
    for window in windows:
        groups = _groups(by, order, scenarios, results, window, baseline)
        ref = unit_window_values(first, results[reference], window, level, by, groups=groups)
        for name in order[1:]:
            values = unit_window_values(
                scenarios[name], results[name], window, level, by, groups=groups
            )
            table = paired_effects(values, ref)
            table["variant"], table["reference"], table["window"] = name, reference, window.name
            table["first_month"], table["last_month"] = window.first_month, window.last_month
            table["level"], table["by"] = level, by or ""
            frames.append(table)
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS))
    table = pd.concat(frames, ignore_index=True)
    if "subgroup" not in table:
        table["subgroup"] = ""
    return table[list(COLUMNS)]


def _groups(by, order, scenarios, results, window, baseline) -> Groups | None:
    """The subgroups of ``window`` from the reference (for ``targeted``, the first variant
    whose results record targeting)."""
    if by is None:
        return None
    source = order[0]
    if by == "targeted":
        recorded = [n for n in order if any(r.targeted is not None for r in results[n])]
        source = recorded[0] if recorded else source
    return subgroups(by, scenarios[source], results[source], window, baseline)


def effects(
    comparison: Comparison,
    windows: Sequence[Window] | None = None,
    by: str | None = None,
    level: str = ORGANISATION,
) -> pd.DataFrame:
    """effects.csv of a finished comparison (see :func:`variant_effects`)."""
    variants = comparison.variant_set.variants
    return variant_effects(
        {v.name: v.scenario for v in variants},
        {v.name: comparison.results[v.name].replications for v in variants},
        comparison.reference,
        windows,
        by,
        level,
    )
