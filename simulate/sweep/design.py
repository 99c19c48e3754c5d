"""Design points from a sweep spec: grid, random, Latin hypercube, Sobol, Morris.

Pure: no scenario, no model. ``Design.values[i]`` holds point ``i``'s parameter values
(numbers in the parameter's own unit, or items of its ``values`` list). For Sobol and
Morris, ``Design.matrix`` is the SALib sample (one row per point) that the analysis
needs; a parameter given as a list of numbers is sampled as an index in [0, n) and
mapped to ``values[floor(x)]``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulate.sweep.spec import ParameterSpec, SweepSpec


@dataclass(frozen=True)
class Design:
    """The points of a sweep."""

    method: str
    names: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    problem: dict[str, Any] | None = None
    matrix: np.ndarray | None = None

    @property
    def n_points(self) -> int:
        return len(self.values)

    def sha256(self) -> str:
        """Digest of the method, names and every point's values (for resume checks)."""
        text = json.dumps([self.method, self.names, self.values], default=repr)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _number(parameter: ParameterSpec, x: float) -> int | float:
    return int(np.rint(x)) if parameter.integer else float(x)


def _from_unit(parameter: ParameterSpec, u: float) -> Any:
    """Map ``u`` in [0, 1) to the parameter's range or list."""
    if parameter.values is not None:
        n = len(parameter.values)
        return parameter.values[min(math.floor(u * n), n - 1)]
    assert parameter.low is not None and parameter.high is not None
    return _number(parameter, parameter.low + u * (parameter.high - parameter.low))


def _from_problem(parameter: ParameterSpec, x: float) -> Any:
    """Map a SALib sample value (range, or index space [0, n) for lists) to a value."""
    if parameter.values is not None:
        n = len(parameter.values)
        return parameter.values[min(max(math.floor(x), 0), n - 1)]
    return _number(parameter, x)


def grid_values(parameter: ParameterSpec) -> tuple[Any, ...]:
    """A parameter's grid: its list, or ``steps`` evenly spaced values low..high."""
    if parameter.values is not None:
        return tuple(parameter.values)
    assert parameter.low is not None and parameter.high is not None
    raw = np.linspace(parameter.low, parameter.high, parameter.steps)
    return tuple(dict.fromkeys(_number(parameter, x) for x in raw))


def problem_of(spec: SweepSpec) -> dict[str, Any]:
    """SALib problem: names and bounds (index bounds [0, n) for lists of numbers)."""
    bounds = []
    for p in spec.parameters:
        bounds.append([0.0, float(len(p.values))] if p.values is not None else [p.low, p.high])
    return {
        "num_vars": len(spec.parameters),
        "names": [p.path for p in spec.parameters],
        "bounds": bounds,
    }


def make_design(spec: SweepSpec) -> Design:
    """The design's points, deterministic given the spec (its ``seed`` included)."""
    params = spec.parameters
    names = tuple(p.path for p in params)
    if spec.design == "grid":
        values = tuple(itertools.product(*(grid_values(p) for p in params)))
        return Design("grid", names, values)
    if spec.design in ("random", "lhs"):
        if spec.design == "random":
            unit = np.random.default_rng(spec.seed).random((spec.n_samples, len(params)))
        else:
            from scipy.stats import qmc

            unit = qmc.LatinHypercube(d=len(params), seed=spec.seed).random(spec.n_samples)
        values = tuple(
            tuple(_from_unit(p, u) for p, u in zip(params, row, strict=True)) for row in unit
        )
        return Design(spec.design, names, values)
    problem = problem_of(spec)
    if spec.design == "sobol":
        from SALib.sample import sobol

        matrix = sobol.sample(
            problem, spec.n_samples, calc_second_order=spec.second_order, seed=spec.seed
        )
    else:
        from SALib.sample import morris

        matrix = morris.sample(problem, spec.n_samples, num_levels=spec.levels, seed=spec.seed)
    values = tuple(
        tuple(_from_problem(p, x) for p, x in zip(params, row, strict=True)) for row in matrix
    )
    return Design(spec.design, names, values, problem=problem, matrix=matrix)
