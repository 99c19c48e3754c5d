"""Evaluations of parameter vectors on the sweep's run store and executors.

Evaluation ``e`` of a calibration owns store points ``e * K + j`` for its ``K`` point
kinds (world, variant); each point runs ``replications`` times under common random
numbers (replication k of every evaluation uses the scenario seed and k). A batch of
evaluations is one growing sweep design run by :func:`simulate.sweep.runner.run_design`:
runs already in the store (a resumed calibration) are not run again, so a resumed
calibration replays the stored numbers and asks the optimiser the same questions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulate.calibration.distance import distance
from simulate.calibration.plan import CalibrationPlan
from simulate.calibration.targets import model_value
from simulate.sweep.design import Design


@dataclass(frozen=True)
class Evaluation:
    """One parameter vector's fit."""

    index: int
    stage: str
    values: tuple[float, ...]
    """Parameter values in the order of ``calibration.parameters``."""
    model: tuple[float, ...]
    """Each target's model value (mean over replications)."""
    noise: tuple[float, ...]
    """Each target's simulation noise: the variance of that mean."""
    distance: float
    """-2 log-likelihood (inf when a model value is missing)."""


def fit(plan: CalibrationPlan, stored: pd.DataFrame, index: int, stage: str, values) -> Evaluation:
    """Evaluation ``index`` from its stored runs (every point kind, every replication)."""
    k = len(plan.kinds)
    models, noises = [], []
    for target, name in zip(plan.targets, plan.evaluator.metrics, strict=True):
        world = plan.world(target)
        runs = {}
        for variant in target.variants(world.first):
            point = index * k + plan.kinds.index((world.name, variant))
            rows = stored[stored["point"] == point].sort_values("replication")
            runs[variant] = rows[name].to_numpy(dtype=float)
        mean, noise = model_value(target, runs, world.first)
        models.append(mean)
        noises.append(noise)
    observed = np.array([t.value for t in plan.targets])
    se = np.array([t.standard_error for t in plan.targets])
    weights = np.array([t.weight for t in plan.targets])
    d = distance(observed, se, np.array(models), np.array(noises), weights)
    shown = plan.defaults if values is None else tuple(float(v) for v in values)
    return Evaluation(index, stage, shown, tuple(models), tuple(noises), d)


class StoreEvaluator:
    """Evaluates batches of parameter vectors on an executor through the run store."""

    def __init__(
        self,
        plan: CalibrationPlan,
        executor,
        store,
        on_done: Callable | None = None,
        done: list[Evaluation] | None = None,
    ) -> None:
        self.plan = plan
        self.executor = executor
        self.store = store
        self.on_done = on_done
        self.thetas: list[tuple | None] = []
        self.done: list[Evaluation] = [] if done is None else done
        """Every finished evaluation, in order (the caller's list, kept on interrupt)."""

    def _design(self) -> Design:
        names = ("kind", *self.plan.paths)
        k = len(self.plan.kinds)
        blank = (None,) * len(self.plan.paths)
        values = tuple(
            (j, *(blank if theta is None else theta)) for theta in self.thetas for j in range(k)
        )
        return Design("calibration", names, values)

    def __call__(self, thetas: Sequence[Sequence[float] | None], stage: str) -> list[Evaluation]:
        """Evaluate ``thetas`` (None: the worlds as written) as the next evaluations."""
        from simulate.sweep.runner import run_design

        first = len(self.thetas)
        self.thetas += [None if t is None else tuple(float(v) for v in t) for t in thetas]
        run_design(
            self._design(),
            self.plan.evaluator,
            self.plan.replications,
            self.executor,
            self.store,
            on_done=self.on_done,
        )
        stored = self.store.table()
        k = len(self.plan.kinds)
        stored = stored[stored["point"] >= first * k]
        batch = [fit(self.plan, stored, first + i, stage, theta) for i, theta in enumerate(thetas)]
        self.done.extend(batch)
        return batch
