"""Peak memory of long, large runs: flat in the horizon, under 300 MB for 10 years.

The world keeps per-period sums (the period ledger), never per-patient records, so a
run's memory should not grow with the number of patients, only with the small ledger
(periods x physicians x fields). This benchmark checks that on the bundled baseline
scaled up: arrival rates and team sizes (physicians, nurses) are multiplied by the same
factor, so about 1,000,000 patients arrive in 10 years (120 monthly periods, 3,652.5
days) at the baseline's utilisation (checked < 0.9), and runs one replication of it for
2.5, 5 and 10 years.

Each run is a fresh subprocess (so one run's memory cannot hide another's) that reports:

* peak resident set size, ``resource.getrusage(RUSAGE_SELF).ru_maxrss``, before the run
  (Python, numpy, pandas, pydantic and the package imported) and after it;
* the elapsed seconds of the run (``time.perf_counter``);
* in a second subprocess, the peak of Python allocations during the run
  (``tracemalloc``, which slows the run down, so it is timed separately).

Target: peak RSS of the 10-year run under 300 MB.

Usage::

    python benchmarks/memory.py                    # 2.5, 5 and 10 years
    python benchmarks/memory.py --check            # exit 1 if the 10-year peak >= 300 MB
    python benchmarks/memory.py --no-tracemalloc   # RSS and timings only (faster)
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time

TARGET_MB = 300.0
"""Maximum peak resident set size of the 10-year, ~1M-patient run."""
YEARS = (2.5, 5.0, 10.0)
PERIODS_PER_YEAR = 12


def scaled_baseline(patients_in_10_years: int, periods: int):
    """The bundled baseline scaled so ``patients_in_10_years`` arrive in 120 periods."""
    from simulate.scenario import load_scenario
    from simulate.scenario.models import Scenario

    base = load_scenario("baseline_ffs")
    data = base.model_dump(by_alias=True)
    days_10_years = 10 * PERIODS_PER_YEAR * base.period_days
    factor = patients_in_10_years / (sum(c.arrival_rate for c in base.conditions) * days_10_years)
    for condition in data["conditions"]:
        condition["arrival_rate"] *= factor
    for team in data["teams"]:
        team["physicians"] = math.ceil(team["physicians"] * factor)
        team["nurses"] = math.ceil(team["nurses"] * factor)
    data.update(name="memory_benchmark", replications=1, horizon_periods=periods)
    return Scenario.model_validate(data)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(patients: int, periods: int, use_tracemalloc: bool) -> None:
    """Run one replication in this (fresh) process and print its figures as JSON."""
    import tracemalloc

    from simulate.model import run_replication
    from simulate.model.capacity import team_loads

    scenario = scaled_baseline(patients, periods)
    utilisation = max(load.utilisation for load in team_loads(scenario))
    if utilisation >= 0.9:
        raise SystemExit(f"scaled scenario too busy: utilisation {utilisation:.2f}")
    before = peak_rss_mb()
    if use_tracemalloc:
        tracemalloc.start()
    start = time.perf_counter()
    result = run_replication(scenario, 0)
    elapsed = time.perf_counter() - start
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20 if use_tracemalloc else None
    ledger_mb = sum(
        a.nbytes
        for a in (
            result.physician,
            result.wait_hist,
            result.team,
            result.intensity,
            result.quality_effort,
        )
    )
    print(
        json.dumps(
            {
                "periods": periods,
                "days": scenario.horizon_days,
                "patients": result.tally.arrived,
                "physicians": scenario.n_physicians,
                "utilisation": utilisation,
                "seconds": elapsed,
                "rss_before_mb": before,
                "rss_peak_mb": peak_rss_mb(),
                "tracemalloc_peak_mb": traced_peak,
                "ledger_mb": ledger_mb / 2**20,
            }
        )
    )


def measure(patients: int, periods: int, use_tracemalloc: bool) -> dict:
    """Figures of one run in a fresh subprocess."""
    command = [sys.executable, __file__, "--child", str(periods), "--patients", str(patients)]
    if use_tracemalloc:
        command.append("--tracemalloc")
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1_000_000, help="patients in 10 years")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip tracemalloc runs")
    parser.add_argument("--check", action="store_true", help="exit 1 if over the target")
    parser.add_argument("--child", type=int, metavar="PERIODS", help=argparse.SUPPRESS)
    parser.add_argument("--tracemalloc", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        child(args.patients, args.child, args.tracemalloc)
        return 0

    print(
        f"bundled baseline scaled to ~{args.patients:,} patients in 10 years; "
        "one replication per fresh process"
    )
    header = (
        f"{'years':>5} {'periods':>7} {'patients':>10} {'seconds':>8} {'RSS before':>10} "
        f"{'RSS peak':>9} {'run adds':>9} {'ledger':>7} {'other':>6}"
    )
    if not args.no_tracemalloc:
        header += f" {'tracemalloc peak':>16} {'(seconds)':>9}"
    print(header + "   (memory in MB)")
    rows = []
    for years in YEARS:
        periods = round(years * PERIODS_PER_YEAR)
        row = measure(args.patients, periods, use_tracemalloc=False)
        added = row["rss_peak_mb"] - row["rss_before_mb"]
        line = (
            f"{years:5g} {periods:7d} {row['patients']:10,d} {row['seconds']:8.1f} "
            f"{row['rss_before_mb']:10.1f} {row['rss_peak_mb']:9.1f} "
            f"{added:9.1f} {row['ledger_mb']:7.1f} {added - row['ledger_mb']:6.1f}"
        )
        if not args.no_tracemalloc:
            traced = measure(args.patients, periods, use_tracemalloc=True)
            line += f" {traced['tracemalloc_peak_mb']:16.1f} {traced['seconds']:9.1f}"
        print(line, flush=True)
        rows.append(row)

    final = rows[-1]
    print(
        f"{final['physicians']} physicians, busiest team's utilisation "
        f"{final['utilisation']:.2f}. 'run adds' = RSS peak - RSS before the run; 'ledger' = "
        "the per-period arrays the run returns; 'other' = run adds - ledger"
    )
    ok = final["rss_peak_mb"] < TARGET_MB
    print(
        f"10-year peak RSS: {final['rss_peak_mb']:.1f} MB (target < {TARGET_MB:g} MB) "
        f"{'OK' if ok else 'OVER TARGET'}"
    )
    if args.check and not ok:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
