"""From runs to targets: what one run measures for a target, and the model's value with
its simulation noise across replications.

A level target is the mean of the replications' values; an effect is the mean of the
paired per-replication differences (policy - control; relative: policy / control - 1),
both variants run on the same patients (common random numbers), so the noise is that of
the difference. The noise is the variance of the mean: sample variance (ddof 1) / n.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from simulate.calibration.target_spec import Target
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


def measure(target: Target, window: Window, scenario, result) -> float:
    """The target's metric in one run: over ``window``, the mean over its units."""
    values = unit_window_values(scenario, [result], window, level=target.level)
    units = subgroup_units(target, scenario)
    chosen = values[values["unit"].isin(units)][target.metric].to_numpy(dtype=float)
    chosen = chosen[np.isfinite(chosen)]
    return float(chosen.mean()) if len(chosen) else math.nan


def model_value(target: Target, runs: Mapping[str, np.ndarray], first: str) -> tuple[float, float]:
    """(mean, variance of the mean) of the target over replications; ``runs`` holds each
    variant's per-replication values in replication order."""
    variants = target.variants(first)
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
