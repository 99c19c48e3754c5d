"""Behaviour at scale: adaptive physicians against bare SimPy, per physician and at 1,000.

Three measurements, printed last as one table:

* **flagship**: one replication of the bundled ``value_dashboard`` (adaptive physicians,
  a tournament, a readmissions penalty and a dashboard): patients per CPU second, and
  its ratio to a bare SimPy M/M/10 queue (``throughput.bare_mmc``) run alternately in the
  same process (``--rounds``, medians). Target: ratio >= 0.25.
* **period close per physician**: ``value_dashboard`` scaled to about 10, 100 and 1,000
  physicians (team sizes, nurses and arrival rates times the same factor, so each
  physician's load is the flagship's), run to month 15; the CPU time of the physicians'
  update at the closes of months 13-15 (rules and dashboard in force), per physician.
  Target: the 1,000 / 10 ratio <= 2 (a period close linear in physicians).
* **1,000 physicians, 36 months**: one replication of the scaled flagship in a fresh
  subprocess: CPU seconds and peak resident memory. Targets: <= 60 s, < 500 MB.

Usage::

    python benchmarks/behaviour_scaling.py           # about 1-2 minutes
    python benchmarks/behaviour_scaling.py --check   # exit 1 if a target is missed
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import bare_mmc

FLAGSHIP_TARGET = 0.25
"""Minimum flagship patients per CPU second relative to bare SimPy."""
LINEARITY_TARGET = 2.0
"""Largest CPU per physician of a period close at 1,000 relative to 10 physicians."""
LARGE_CPU_TARGET = 60.0
"""Largest CPU seconds of one 1,000-physician, 36-month replication."""
LARGE_RSS_TARGET = 500.0
"""Largest peak resident memory (MB) of that replication."""
SIZES = (10, 100, 1000)


def scaled_flagship(physicians: int, periods: int):
    """``value_dashboard`` with about ``physicians`` physicians, each as busy as in it."""
    from simulate.scenario import load_scenario
    from simulate.scenario.models import Scenario

    base = load_scenario("value_dashboard")
    factor = physicians / base.n_physicians
    data = base.model_dump(by_alias=True)
    for condition in data["conditions"]:
        condition["arrival_rate"] *= factor
    for team in data["teams"]:
        team["physicians"] = max(1, math.ceil(team["physicians"] * factor))
        team["nurses"] = math.ceil(team["nurses"] * factor)
    data.update(name=f"scaled_{physicians}", replications=1, horizon_periods=periods)
    return Scenario.model_validate(data)


def flagship_ratio(rounds: int) -> dict:
    """Flagship and bare SimPy patients per CPU second, alternately, medians."""
    from simulate.model import run_replication
    from simulate.scenario import load_scenario

    scenario = load_scenario("value_dashboard")
    project, bare = [], []
    for round_ in range(rounds):
        start = time.process_time()
        patients = run_replication(scenario, round_).tally.arrived
        project.append(patients / (time.process_time() - start))
        n = 100_000
        start = time.process_time()
        bare_mmc(arrival_rate=10 * 0.8, service_days=1.0, c=10, n=n, seed=round_)
        bare.append(n / (time.process_time() - start))
    rate, bare_rate = statistics.median(project), statistics.median(bare)
    return {"flagship": rate, "bare": bare_rate, "ratio": rate / bare_rate}


def close_cost(physicians: int) -> dict:
    """CPU seconds per physician of the physicians' update at closes of months 13-15."""
    from simulate.model.world import World

    scenario = scaled_flagship(physicians, 15)
    world = World(scenario, 0)
    behaviour, spent = world.behaviour, []
    update = behaviour.update

    def timed(period, style, context):
        start = time.process_time()
        new = update(period, style, context)
        if period >= 12:
            spent.append(time.process_time() - start)
        return new

    behaviour.update = timed
    world.run()
    n = scenario.n_physicians
    return {
        "physicians": n,
        "per_close": statistics.mean(spent),
        "per_physician": statistics.mean(spent) / n,
    }


def child() -> None:
    """One 1,000-physician, 36-month replication in this process; figures as JSON."""
    from simulate.model import run_replication

    scenario = scaled_flagship(1000, 36)
    start = time.process_time()
    result = run_replication(scenario, 0)
    print(
        json.dumps(
            {
                "physicians": scenario.n_physicians,
                "patients": result.tally.arrived,
                "cpu": time.process_time() - start,
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def large_run() -> dict:
    command = [sys.executable, __file__, "--child"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--rounds", type=int, default=3, help="alternations for the ratio")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    flagship = flagship_ratio(args.rounds)
    closes = {size: close_cost(size) for size in SIZES}
    large = large_run()
    linear = closes[SIZES[-1]]["per_physician"] / closes[SIZES[0]]["per_physician"]
    rows = [
        ("flagship patients per CPU s", f"{flagship['flagship']:,.0f}", ""),
        ("bare SimPy M/M/10 patients per CPU s", f"{flagship['bare']:,.0f}", ""),
        ("flagship / bare", f"{flagship['ratio']:.3f}", f">= {FLAGSHIP_TARGET}"),
    ]
    for figures in closes.values():
        rows.append(
            (
                f"period close, {figures['physicians']:,} physicians: ms per physician",
                f"{1000 * figures['per_physician']:.3f}",
                f"({1000 * figures['per_close']:.1f} ms per close)",
            )
        )
    rows += [
        (f"per physician, {SIZES[-1]:,} / {SIZES[0]:,}", f"{linear:.2f}", f"<= {LINEARITY_TARGET}"),
        (
            f"{large['physicians']:,} physicians x 36 months: CPU s",
            f"{large['cpu']:.1f}",
            f"<= {LARGE_CPU_TARGET:g} ({large['patients']:,} patients)",
        ),
        ("  peak RSS MB", f"{large['rss_mb']:.0f}", f"< {LARGE_RSS_TARGET:g}"),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>10}  {target}")
    missed = [
        flagship["ratio"] < FLAGSHIP_TARGET,
        linear > LINEARITY_TARGET,
        large["cpu"] > LARGE_CPU_TARGET,
        large["rss_mb"] >= LARGE_RSS_TARGET,
    ]
    if args.check and any(missed):
        sys.exit(1)


if __name__ == "__main__":
    main()
