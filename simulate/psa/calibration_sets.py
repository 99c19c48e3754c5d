"""Accepted parameter sets from calibration as a joint distribution of the PSA.

``accepted.csv`` (written by the calibration) has columns ``set``, ``weight`` and then one
column per dotted path with the set's parameter values. A PSA with ``from_calibration:
accepted.csv`` (relative to the scenario file) draws whole rows, so the correlation between
the calibrated parameters is kept: draw i takes row F^-1(u_i) of the weighted empirical
distribution (rows in file order, cumulative normalised weights), with u a one-dimensional
Latin hypercube of its own named stream (``psa_calibration_sets``), so the draws of the
independent parameters do not move when sets are added. Stratifying u gives each row
about n x weight draws (fewer repeats than independent resampling).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import qmc

from simulate.errors import ScenarioError
from simulate.model.streams import seed_sequence

FIRST_COLUMNS = ("set", "weight")
STREAM = "psa_calibration_sets"


@dataclass(frozen=True)
class AcceptedSets:
    """The accepted sets: their values [set, path], normalised weights [set] and paths."""

    file: str
    paths: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray

    def mean(self) -> np.ndarray:
        """[path] weighted mean of each parameter."""
        return self.weights @ self.values

    def quantile(self, q: float) -> np.ndarray:
        """[path] weighted quantile of each parameter (inverse of the weighted empirical CDF)."""
        out = []
        for j in range(len(self.paths)):
            order = np.argsort(self.values[:, j], kind="stable")
            cdf = np.cumsum(self.weights[order])
            k = min(int(np.searchsorted(cdf, q * cdf[-1], side="left")), len(order) - 1)
            out.append(self.values[order[k], j])
        return np.asarray(out)

    def rows(self, n: int, seed: int) -> np.ndarray:
        """[n] row indices: a Latin hypercube of the stream through the weighted CDF."""
        rng = np.random.default_rng(seed_sequence(seed, 0, STREAM))
        u = qmc.LatinHypercube(d=1, seed=rng).random(n)[:, 0]
        cdf = np.cumsum(self.weights)
        return np.minimum(np.searchsorted(cdf / cdf[-1], u, side="right"), len(cdf) - 1)


def read_accepted(path: Path) -> AcceptedSets:
    """The file's sets, or a ScenarioError naming the file, line and column at fault."""
    name = str(path)
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            table = list(csv.reader(handle))
    except OSError as error:
        raise ScenarioError(f"cannot read accepted sets: {error.strerror}", file=name) from None
    header = [h.strip() for h in table[0]] if table else []
    if tuple(header[:2]) != FIRST_COLUMNS or len(header) < 3:
        raise ScenarioError(
            "accepted sets need the columns set, weight, then one column per dotted path "
            f"(got {', '.join(header) or 'nothing'})",
            file=name,
            line=1,
        )
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise ScenarioError(f"column '{duplicated[0]}' twice", file=name, line=1)
    values, weights = [], []
    for line, row in enumerate(table[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise ScenarioError(
                f"{len(row)} values for {len(header)} columns", file=name, line=line
            )
        numbers = []
        for column, text in zip(header[1:], row[1:], strict=True):
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if not math.isfinite(number) or (column == "weight" and number < 0):
                allowed = "a number >= 0" if column == "weight" else "a finite number"
                raise ScenarioError(
                    f"must be {allowed} (got {text!r})", file=name, line=line, field=column
                )
            numbers.append(number)
        weights.append(numbers[0])
        values.append(numbers[1:])
    if not weights or sum(weights) <= 0:
        raise ScenarioError("no set with a weight above 0", file=name, field="weight")
    w = np.asarray(weights)
    return AcceptedSets(name, tuple(header[2:]), np.asarray(values, dtype=float), w / w.sum())
