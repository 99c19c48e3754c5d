"""Experiments: replications now; comparisons and sweeps build on them."""

from simulate.experiment.executors import default_workers, map_ordered
from simulate.experiment.replications import RunResult, build_result, run, run_replications

__all__ = ["RunResult", "build_result", "default_workers", "map_ordered", "run", "run_replications"]
