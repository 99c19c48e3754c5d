"""Calibration wall time: the bundled calibration ``social_norm_letter`` serially, on a
2-process local pool and on a Dask LocalCluster of 2 worker processes, in this process.

Every executor runs the same code as ``simulate calibrate`` (screening, Optuna batches,
prior draws; each evaluation's runs through a fresh run store), and the trials must be
identical. Reported (wall-clock seconds, median over ``--rounds`` rounds run alternately):

* speed-up = serial / local pool (on 2 cores; a calibration's optimiser batches of 4
  evaluations x 2 variants x 2 replications leave less to share than a sweep);
* Dask overhead = Dask / local pool - 1, with and without starting the executor.

Usage::

    python benchmarks/calibration_wall.py            # about 2 minutes
    python benchmarks/calibration_wall.py --check    # exit 1 if the pool is not faster
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sweep_scaling import _executor, machine_speedup

TARGET_SPEEDUP = 1.3
"""Below the sweep's 1.8: the optimiser's batches hold 16 runs, and each batch waits for
its slowest run before the next is asked."""


def time_calibration(plan, kind: str, workers: int, folder: Path):
    """(total seconds, seconds after the executor started, trials) of one calibration."""
    from simulate.calibration.evaluations import StoreEvaluator
    from simulate.calibration.search import run_calibration
    from simulate.sweep.store import RunStore

    store = RunStore(folder / f"{kind}-{time.monotonic_ns()}.sqlite", {}, plan.evaluator.metrics)
    started = time.perf_counter()
    with _executor(kind, workers) as executor:
        ready = time.perf_counter()
        evaluate = StoreEvaluator(plan, executor, store)
        run_calibration(plan, evaluate)
        finished = time.perf_counter()
    store.close()
    trials = [(e.stage, e.values, e.model, e.distance) for e in evaluate.done]
    return finished - started, finished - ready, trials


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="Exit 1 if a target is missed.")
    args = parser.parse_args()

    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)
    from simulate.calibration.plan import plan_calibration

    plan = plan_calibration("social_norm_letter")
    print(
        f"calibration: {plan.n_evaluations} evaluations x {len(plan.kinds)} variants x "
        f"{plan.replications} replications = {plan.n_runs} runs; {args.workers} workers; "
        f"load average before: {os.getloadavg()[0]:.2f}"
    )
    times: dict[str, list[tuple[float, float]]] = {"serial": [], "pool": [], "dask": []}
    reference = None
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for kind in times:
                total, running, trials = time_calibration(plan, kind, args.workers, Path(tmp))
                times[kind].append((total, running))
                if reference is None:
                    reference = trials
                elif trials != reference:
                    print(f"ERROR: {kind} trials differ from serial", file=sys.stderr)
                    return 1
                print(
                    f"  round {round_ + 1} {kind:6s}: {total:6.2f} s "
                    f"({running:6.2f} s after start-up)"
                )
    med = {k: (statistics.median(t for t, _ in v), statistics.median(r for _, r in v))
           for k, v in times.items()}  # fmt: skip
    speedup = med["serial"][0] / med["pool"][0]
    overhead = med["dask"][0] / med["pool"][0] - 1
    overhead_running = med["dask"][1] / med["pool"][1] - 1
    print(f"serial: {med['serial'][0]:.1f} s; pool: {med['pool'][0]:.1f} s; "
          f"dask: {med['dask'][0]:.1f} s")  # fmt: skip
    print(f"speed-up, local pool of {args.workers} vs serial: {speedup:.2f} "
          f"(target >= {TARGET_SPEEDUP})")  # fmt: skip
    print(f"Dask LocalCluster vs local pool: {overhead:+.1%} including start-up, "
          f"{overhead_running:+.1%} after start-up")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.2f} (other programs slow all figures)")
    check = machine_speedup(args.workers)
    print(
        f"machine check: plain CPU work on a pool of {args.workers} reaches {check:.2f} x now; "
        f"the calibration reaches {speedup / check:.0%} of that"
    )
    return 0 if speedup >= TARGET_SPEEDUP or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
