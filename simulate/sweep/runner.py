"""Running a design: check every point, then stream the missing runs to an executor.

Seed plan (common random numbers): replication ``k`` of every point runs with the
scenario's seed and ``k`` (``run_replication(point_scenario, k)``), so two points differ
only by their parameter values, never by the random numbers drawn. The design's own
``seed`` only places the points. Results are committed one by one by this process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from simulate.experiment.executors import Executor
from simulate.sweep.design import Design
from simulate.sweep.evaluate import Evaluator, Task, run_task
from simulate.sweep.points import PointError
from simulate.sweep.store import RunStore

SEED_PLAN = (
    "common random numbers: replication k of every point runs with the scenario seed and k, "
    "so differences between points are not noise from different random numbers; the design "
    "seed only places the points"
)


class BadPoint(Exception):
    """A point whose values make the scenario invalid."""

    def __init__(self, point: int, values: tuple, message: str) -> None:
        super().__init__(message)
        self.point = point
        self.values = values
        self.message = message


def check_points(
    design: Design, evaluator: Evaluator, on_prepared: Callable[[int, Any], object] | None = None
) -> None:
    """Prepare every point once (cheap: a validation); raise BadPoint for the first bad one.

    ``on_prepared(point, payload)`` sees each good point's payload (its scenario)."""
    for index, values in enumerate(design.values):
        try:
            payload = evaluator.prepare(values)
        except PointError as error:
            raise BadPoint(index, values, str(error)) from None
        if on_prepared is not None:
            on_prepared(index, payload)


def pending_tasks(
    design: Design, evaluator: Evaluator, replications: int, done: set[tuple[int, int]]
) -> Iterator[Task]:
    """The runs still to do, point by point, each point's scenario built once, lazily."""
    for point, values in enumerate(design.values):
        missing = [k for k in range(replications) if (point, k) not in done]
        if not missing:
            continue
        payload = evaluator.prepare(values)
        for k in missing:
            yield Task(evaluator, point, k, payload)


def run_design(
    design: Design,
    evaluator: Evaluator,
    replications: int,
    executor: Executor,
    store: RunStore,
    *,
    on_done: Callable[[int], object] | None = None,
    on_row: Callable[[dict[str, float]], object] | None = None,
) -> int:
    """Run every missing (point, replication) and commit each as it finishes.

    Returns how many runs this call added. ``on_done(total stored)`` follows each commit;
    ``on_row(row)`` sees each run's row (its metrics and any extra keys the evaluator
    adds, such as :data:`simulate.sweep.evaluate.PATIENT_KEYS`; only metrics are stored).
    """
    done = store.done()
    stored = len(done)
    added = 0
    tasks = pending_tasks(design, evaluator, replications, done)
    for point, replication, row, seconds in executor.imap_unordered(run_task, tasks):
        store.add(point, replication, row, seconds)
        added += 1
        if on_row:
            on_row(row)
        if on_done:
            on_done(stored + added)
    return added
