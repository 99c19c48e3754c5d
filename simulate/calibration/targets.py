"""From runs to targets: what one run measures for a target, and the model's value with
its simulation noise across replications.

A level target is the mean of the replications' values; an effect is the mean of the
paired per-replication differences (policy - control; relative: policy / control - 1),
both variants run on the same patients (common random numbers), so the noise is that of
the difference. The noise is the variance of the mean: sample variance (ddof 1) / n.
A ratio of effects (``per``) is the ratio of the mean differences, theta = mean(d) /
mean(e), with the delta method's noise var(d - theta e) / (n mean(e)^2).

A target ``by`` subgroup measures the physicians of one group
(:mod:`simulate.compare.subgroups`, the one home of subgroups), pooled over the
organisation, with the groups of the run the caller passes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from simulate.calibration.target_spec import Target
from simulate.compare.subgroups import Groups
from simulate.compare.window import Window, unit_window_values


def subgroup_units(target: Target, scenario) -> list[str]:
    """The unit names a target averages over (ValueError naming the choices)."""
    from simulate.output.tables import Units

    units = Units.of(scenario)
    at_level = [
        (n, t)
        for lv, n, t in zip(units.level, units.name, units.team, strict=True)
        if lv == target.level
    ]
    if target.subgroup is None:
        return [n for n, _ in at_level]
    chosen = [n for n, t in at_level if target.subgroup in (n, t)]
    if not chosen:
        teams = sorted({t for _, t in at_level})
        what = "a team" if target.level == "team" else "a team or a physician (team.01)"
        raise ValueError(
            f"no {target.level} '{target.subgroup}' in this world; give {what}: {', '.join(teams)}"
        )
    return chosen


def measure(
    target: Target, window: Window, scenario, result, groups: Groups | None = None
) -> float:
    """The target's metric in one run: over ``window``, the mean over its units; with
    ``by``, the metric of its group's physicians pooled (``groups``: their membership;
    NaN when the group is empty in this run), minus the organisation's with ``versus``."""
    if target.by is not None:
        if groups is None:
            raise ValueError(f"target {target.name}: subgroups '{target.by}' need their groups")
        rows = unit_window_values(
            scenario, [result], window, "organisation", target.by, groups=groups
        )
        chosen = rows[rows["subgroup"] == target.subgroup][target.metric]
        value = float(chosen.iloc[0]) if len(chosen) else math.nan
        if target.versus is None:
            return value
        whole = unit_window_values(scenario, [result], window, "organisation")
        return value - float(whole[target.metric].iloc[0])
    values = unit_window_values(scenario, [result], window, level=target.level)
    units = subgroup_units(target, scenario)
    chosen = values[values["unit"].isin(units)][target.metric].to_numpy(dtype=float)
    chosen = chosen[np.isfinite(chosen)]
    return float(chosen.mean()) if len(chosen) else math.nan


def model_value(target: Target, runs: Mapping[str, np.ndarray], first: str) -> tuple[float, float]:
    """(mean, variance of the mean) of the target over replications; ``runs`` holds each
    variant's per-replication values in replication order."""
    variants = target.variants(first)
    if target.effect is not None and target.effect.per is not None:
        return effect_ratio(*(np.asarray(runs[v], dtype=float) for v in variants))
    if target.effect is None:
        x = np.asarray(runs[variants[0]], dtype=float)
    else:
        policy = np.asarray(runs[variants[0]], dtype=float)
        control = np.asarray(runs[variants[1]], dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = policy - control if target.effect.scale == "absolute" else policy / control - 1
    if len(x) == 0 or not np.all(np.isfinite(x)):
        return math.nan, math.nan
    noise = float(np.var(x, ddof=1) / len(x)) if len(x) > 1 else math.nan
    return float(np.mean(x)), noise


def effect_ratio(policy: np.ndarray, control: np.ndarray, per: np.ndarray) -> tuple[float, float]:
    """(theta, its noise) for theta = mean(policy - control) / mean(per - control), paired
    by replication; the noise is the delta method's var(d - theta e) / (n mean(e)^2)."""
    d, e = policy - control, per - control
    if len(d) == 0 or not (np.all(np.isfinite(d)) and np.all(np.isfinite(e))):
        return math.nan, math.nan
    if np.mean(e) == 0:
        return math.nan, math.nan
    theta = float(np.mean(d) / np.mean(e))
    if len(d) < 2:
        return theta, math.nan
    return theta, float(np.var(d - theta * e, ddof=1) / (len(d) * np.mean(e) ** 2))
