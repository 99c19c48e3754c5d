"""PSA wall time: the bundled ``psa_schemes`` on a 2-process local pool and on a Dask
LocalCluster of 2 worker processes, timed in this one process.

Both go through the code ``simulate psa`` uses (plan, run store committed run by run,
bounded submission), and their runs tables must be identical. Reported: wall-clock
seconds per executor (with and without starting it), the Dask / pool ratio, and as the
in-process reference the speed-up a plain process pool gets on pure CPU work right now
(1.0 means no spare core: other programs share the machine), with the load average.

Usage::

    python benchmarks/psa_wall.py               # the bundled 50 draws: about 10 minutes
    python benchmarks/psa_wall.py --draws 10    # a fifth of it (tornado settings as bundled)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sweep_scaling import _executor, machine_speedup


def time_psa(plan, kind: str, workers: int, folder: Path):
    """(total seconds, seconds after the executor started, runs table) of one PSA."""
    from simulate.psa.tables import runs_table
    from simulate.sweep.runner import run_design
    from simulate.sweep.store import RunStore

    store = RunStore(folder / f"{kind}.sqlite", plan.fingerprint(), plan.evaluator.metrics)
    started = time.perf_counter()
    with _executor(kind, workers) as executor:
        ready = time.perf_counter()
        run_design(plan.design, plan.evaluator, plan.replications, executor, store)
        finished = time.perf_counter()
    table = runs_table(plan, store.table())
    store.close()
    return finished - started, finished - ready, table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=None, help="Draws (default: the file's).")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    from simulate.psa.plan import plan_psa

    overrides = [f"uncertainty.draws={args.draws}"] if args.draws else []
    plan = plan_psa("psa_schemes", overrides)
    print(
        f"psa_schemes: {plan.n_draws} draws + {len(plan.tornado)} tornado settings x "
        f"{len(plan.variant_set.variants)} variants x {plan.replications} replications = "
        f"{plan.n_runs} runs; load average {os.getloadavg()[0]:.2f}"
    )
    reference = machine_speedup(args.workers)
    print(f"reference: a {args.workers}-process pool on plain CPU work: {reference:.2f}x")
    times = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("pool", "dask"):
            total, running, table = time_psa(plan, kind, args.workers, Path(folder))
            times[kind] = (total, running, table.drop(columns="seconds", errors="ignore"))
            print(f"{kind:>5}: {total:7.1f} s wall ({running:.1f} s after start-up)")
    same = times["pool"][2].equals(times["dask"][2])
    ratio = times["dask"][0] / times["pool"][0]
    print(f"Dask / pool: {ratio:.2f} (with start-up), identical runs tables: {same}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
