"""Replications of one scenario and their tables (the ``simulate run`` of the API)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simulate.experiment.executors import map_ordered
from simulate.model.result import ReplicationResult
from simulate.model.world import run_replication
from simulate.output import tables
from simulate.scenario.loader import ResolvedScenario, resolve_scenario
from simulate.scenario.models import Scenario


@dataclass
class RunResult:
    """All replications of a scenario, as tidy pandas tables (see docs/outputs.md)."""

    scenario: Scenario
    trajectories: pd.DataFrame
    summary: pd.DataFrame
    physicians: pd.DataFrame
    payments: pd.DataFrame
    episodes: pd.DataFrame | None
    replications: list[ReplicationResult] = field(repr=False)
    elapsed_seconds: float = 0.0
    source: ResolvedScenario | None = field(default=None, repr=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by output file stem (``episodes`` only when logged)."""
        out = {
            "trajectories": self.trajectories,
            "summary": self.summary,
            "physicians": self.physicians,
            "payments": self.payments,
        }
        if self.episodes is not None:
            out["episodes"] = self.episodes
        return out


@dataclass(frozen=True)
class ReplicationJob:
    """One replication of one scenario, as sent to a worker."""

    scenario: Scenario
    replication: int
    episode_log: bool


def run_job(job: ReplicationJob) -> ReplicationResult:
    """Run one job (module level, so pool workers can import it)."""
    return run_replication(job.scenario, job.replication, episode_log=job.episode_log)


def run_replications(
    scenario: Scenario,
    *,
    workers: int = 1,
    episode_log: bool | None = None,
    on_done: Callable[[int], object] | None = None,
    on_result: Callable[[int, ReplicationResult], object] | None = None,
) -> list[ReplicationResult]:
    """Replications 0..n-1 of ``scenario``, in order, on ``workers`` processes."""
    log = scenario.output.episode_log if episode_log is None else episode_log
    jobs = [ReplicationJob(scenario, k, log) for k in range(scenario.replications)]
    return map_ordered(run_job, jobs, workers=workers, on_done=on_done, on_result=on_result)


def build_result(
    scenario: Scenario,
    results: Sequence[ReplicationResult],
    *,
    elapsed_seconds: float = 0.0,
    source: ResolvedScenario | None = None,
) -> RunResult:
    """Tables from replication records."""
    trajectories = tables.trajectories_table(scenario, results)
    return RunResult(
        scenario=scenario,
        trajectories=trajectories,
        summary=tables.summary_table(scenario, results),
        physicians=tables.physicians_table(scenario, results, trajectories),
        payments=tables.payments_table(scenario, results),
        episodes=tables.episodes_table(scenario, results),
        replications=list(results),
        elapsed_seconds=elapsed_seconds,
        source=source,
    )


def with_run_options(
    scenario: Scenario, *, replications: int | None = None, seed: int | None = None
) -> Scenario:
    """The scenario with replications and seed replaced where given (validated)."""
    changes = {}
    if replications is not None:
        changes["replications"] = replications
    if seed is not None:
        changes["seed"] = seed
    if not changes:
        return scenario
    return Scenario.model_validate({**scenario.model_dump(by_alias=True), **changes})


def run(
    scenario: Scenario | str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    workers: int = 1,
    episode_log: bool | None = None,
    on_done: Callable[[int], object] | None = None,
    on_result: Callable[[int, ReplicationResult], object] | None = None,
) -> RunResult:
    """Run a scenario (object, file path or bundled name) and return its tables.

    ``overrides`` are ``dotted.path=value`` strings (only with a path or name).
    ``workers`` processes run replications (1 = serially here); the numbers are the
    same for any worker count.
    """
    source = None
    if not isinstance(scenario, Scenario):
        source = resolve_scenario(scenario, overrides)
        scenario = source.scenario
    elif overrides:
        raise ValueError("overrides apply to scenario files; pass a path or bundled name")
    scenario = with_run_options(scenario, replications=replications, seed=seed)
    started = time.perf_counter()
    results = run_replications(
        scenario, workers=workers, episode_log=episode_log, on_done=on_done, on_result=on_result
    )
    return build_result(
        scenario, results, elapsed_seconds=time.perf_counter() - started, source=source
    )
