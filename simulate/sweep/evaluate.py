"""What one run of a sweep computes: pluggable evaluators and the worker-side task.

An evaluator turns a point's values into a payload in the coordinating process
(``prepare``, where invalid points are caught) and a payload plus a replication number
into one row of metrics in a worker (``evaluate``). The simulation evaluator runs one
replication of the point's scenario and keeps only the organisation's summary metrics
over the post-warm-up window, so workers send back a few numbers, not the ledgers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from simulate.scenario.yaml_source import Path_
from simulate.sweep.points import build_scenario

PATIENT_KEYS = {"_patients_arrived": "arrived", "_patients_queued": "queued"}
"""Extra keys of a simulated run's row: patients arrived and still queued at the horizon
(the run store keeps only the metrics; ``simulate sweep`` checks these for its warnings)."""


class Evaluator(Protocol):
    """Computes ``metrics`` for one point and replication."""

    metrics: tuple[str, ...]

    def prepare(self, values: Sequence[Any]) -> Any:
        """Payload for a point (in the coordinator); raise PointError if invalid."""

    def evaluate(self, payload: Any, replication: int) -> dict[str, float]:
        """The metrics of one replication of the point (in a worker)."""


@dataclass(frozen=True)
class Task:
    """One run: a point's payload and a replication number."""

    evaluator: Evaluator
    point: int
    replication: int
    payload: Any


def run_task(task: Task) -> tuple[int, int, dict[str, float], float]:
    """(point, replication, metrics, seconds) of one run; module level for worker processes."""
    started = time.perf_counter()
    row = task.evaluator.evaluate(task.payload, task.replication)
    return task.point, task.replication, row, time.perf_counter() - started


def organisation_metrics(scenario, result, metrics: Sequence[str]) -> dict[str, float]:
    """The organisation's post-warm-up summary of one replication (as in summary.csv)."""
    from simulate.output.tables import ORGANISATION, summary_table

    table = summary_table(scenario, [result])
    org = table[table["level"] == ORGANISATION].set_index("metric")["mean"]
    return {name: float(org[name]) for name in metrics}


@dataclass(frozen=True)
class ScenarioEvaluator:
    """Runs replication ``k`` of the point's scenario (seeded by the scenario seed and k)."""

    data: dict[str, Any]
    full: dict[str, Any]
    paths: tuple[Path_, ...]
    metrics: tuple[str, ...]

    def prepare(self, values: Sequence[Any]):
        return build_scenario(self.data, self.full, self.paths, values)

    def evaluate(self, payload: Any, replication: int) -> dict[str, float]:
        from simulate.model.world import run_replication

        result = run_replication(payload, replication)
        row = organisation_metrics(payload, result, self.metrics)
        for key, count in PATIENT_KEYS.items():  # for the guard rails; not stored
            row[key] = float(getattr(result.tally, count))
        return row


@dataclass(frozen=True)
class FunctionEvaluator:
    """A plain function of the parameter vector (e.g. a test function such as Ishigami).

    ``function`` takes a 2-D array (one row per point) and returns one value per row,
    as SALib's test functions do; the replication number is ignored.
    """

    function: Callable[[np.ndarray], np.ndarray]
    metrics: tuple[str, ...] = ("y",)

    def prepare(self, values: Sequence[Any]) -> np.ndarray:
        return np.asarray([values], dtype=float)

    def evaluate(self, payload: Any, replication: int) -> dict[str, float]:
        return {self.metrics[0]: float(np.asarray(self.function(payload)).reshape(-1)[0])}
