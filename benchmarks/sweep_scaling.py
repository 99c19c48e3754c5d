"""Sweep scaling: the same 40-run sweep serially, on a 2-process local pool and on a Dask
LocalCluster of 2 worker processes, timed in this one process.

The sweep is a grid over the value dashboard (bundled ``value_dashboard``, cut to
``--horizon`` months, 12 by default): 10 tournament bonus sizes x 2 peer conformity values, 2
replications per point = 40 runs of about 0.5-1 s each. Every executor goes through the
same code as ``simulate sweep`` (design, run store committed run by run, bounded
in-flight submission); the runs tables must be identical.

Reported (wall-clock seconds, median over ``--rounds`` rounds run alternately):

* speed-up = serial / local pool (target >= 1.8 on 2 cores);
* Dask overhead = Dask / local pool - 1 (target <= 15%), with and without the time to
  start the executor (pool: forking 2 processes; Dask: a scheduler and 2 workers).

Usage::

    python benchmarks/sweep_scaling.py            # about 2 minutes
    python benchmarks/sweep_scaling.py --check    # exit 1 if a target is missed
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_SPEEDUP = 1.8
TARGET_DASK_OVERHEAD = 0.15

SWEEP = """\
extends: {base}
name: scaling
replications: 2
horizon_periods: {horizon}
warmup_periods: 2
sweep:
  design: grid
  replications: 2
  parameters:
    - path: incentives[0].bonus
      low: 500
      high: 9500
      steps: 10
    - path: peer_pressure.conformity
      values: [0.5, 1.5]
"""


def burn(n: int) -> int:
    """Pure-Python CPU work (the machine check)."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def machine_speedup(workers: int, tasks: int = 16, n: int = 2_000_000) -> float:
    """Speed-up a process pool reaches right now on plain CPU work (1.0: no spare core)."""
    from concurrent.futures import ProcessPoolExecutor

    started = time.perf_counter()
    for _ in range(tasks):
        burn(n)
    serial = time.perf_counter() - started
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(burn, [1] * workers))  # start the processes first
        started = time.perf_counter()
        list(pool.map(burn, [n] * tasks))
        parallel = time.perf_counter() - started
    return serial / parallel


def _executor(kind: str, workers: int):
    from simulate.experiment.executors import DaskExecutor, PoolExecutor, SerialExecutor

    if kind == "serial":
        return SerialExecutor()
    if kind == "pool":
        return PoolExecutor(workers)
    return DaskExecutor(local_workers=workers)


def time_sweep(plan, kind: str, workers: int, folder: Path):
    """(total seconds, seconds after the executor started, runs table) of one sweep."""
    from simulate.sweep.analysis import runs_table
    from simulate.sweep.runner import run_design
    from simulate.sweep.store import RunStore

    store = RunStore(folder / f"{kind}-{time.monotonic_ns()}.sqlite", {}, plan.spec.metrics)
    started = time.perf_counter()
    with _executor(kind, workers) as executor:
        ready = time.perf_counter()
        run_design(plan.design, plan.evaluator, plan.replications, executor, store)
        finished = time.perf_counter()
    table = runs_table(plan.design, store.table(), list(plan.spec.metrics))
    store.close()
    return finished - started, finished - ready, table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", type=int, default=12, help="Months per run (default 12).")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="Exit 1 if a target is missed.")
    args = parser.parse_args()

    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)
    from simulate.scenario.loader import bundled_dir
    from simulate.sweep.plan import plan_sweep

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "scaling.yaml"
        path.write_text(
            SWEEP.format(base=bundled_dir() / "value_dashboard.yaml", horizon=args.horizon)
        )
        plan = plan_sweep(path)
        print(
            f"sweep: {plan.design.n_points} points x {plan.replications} replications = "
            f"{plan.n_runs} runs, horizon {args.horizon} months; {args.workers} workers; "
            f"load average before: {os.getloadavg()[0]:.2f}"
        )
        times: dict[str, list[tuple[float, float]]] = {"serial": [], "pool": [], "dask": []}
        reference = None
        for round_ in range(args.rounds):
            for kind in times:
                total, running, table = time_sweep(plan, kind, args.workers, folder)
                times[kind].append((total, running))
                if reference is None:
                    reference = table
                elif not table.equals(reference):
                    print(f"ERROR: {kind} runs table differs from serial", file=sys.stderr)
                    return 1
                print(
                    f"  round {round_ + 1} {kind:6s}: {total:6.2f} s "
                    f"({running:6.2f} s after start-up)  {plan.n_runs / total:5.2f} runs/s"
                )
    med = {k: (statistics.median(t for t, _ in v), statistics.median(r for _, r in v))
           for k, v in times.items()}  # fmt: skip
    serial = med["serial"][0]
    per_run = serial / plan.n_runs
    speedup = serial / med["pool"][0]
    overhead = med["dask"][0] / med["pool"][0] - 1
    overhead_running = med["dask"][1] / med["pool"][1] - 1
    print(f"serial: {per_run:.2f} s per run")
    target = f"target <= {TARGET_DASK_OVERHEAD:.0%}"
    print(f"speed-up, local pool of {args.workers} vs serial: {speedup:.2f} "
          f"(target >= {TARGET_SPEEDUP})")  # fmt: skip
    print(f"Dask LocalCluster vs local pool: {overhead:+.1%} including start-up, "
          f"{overhead_running:+.1%} after start-up ({target})")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.2f} (other programs slow all figures)")
    check = machine_speedup(args.workers)
    print(
        f"machine check: plain CPU work on a pool of {args.workers} reaches {check:.2f} x now; "
        f"the sweep reaches {speedup / check:.0%} of that"
    )
    ok = speedup >= TARGET_SPEEDUP and overhead <= TARGET_DASK_OVERHEAD
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
