"""Throughput of the project's SimPy world against a bare SimPy M/M/c queue.

Both models see the same arrival rate, number of servers ``c`` and mean service time,
so the same number of patients (about 200,000 by default) at the same utilisation:

* **bare**: the smallest SimPy M/M/c: one Poisson arrival process, one
  ``simpy.Resource`` with ``c`` servers, each patient a process doing
  request / timeout(exponential service) / release; interarrival and service times
  are drawn up front with numpy, as many as the project's run has patients.
* **project**: ``simulate.model.run_replication`` on the equivalent scenario (one
  condition, exponential treatment time, no readmissions, one team of ``c`` physicians
  with caseload 1 and no nurses, fixed style at guideline, one severity class,
  fee-for-service), so every patient also goes through the project's bookkeeping
  (outcome tables, period ledger, wait histogram, monthly period close).

The two are run alternately in one process (``--rounds`` rounds, median taken) so
machine noise hits both alike. Rates are patients per second of this process's CPU time
(``time.process_time``), which other programs on a shared machine disturb far less than
wall-clock time; ``--clock wall`` uses ``time.perf_counter`` instead (both are printed).
The target is project/bare >= 0.6 (the project costs at most ~1.7x the bare queue per
patient).

Usage::

    python benchmarks/throughput.py            # print the figures
    python benchmarks/throughput.py --check    # also exit 1 if the ratio is below target
    python benchmarks/throughput.py --profile  # also print the project's top functions
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time

import numpy as np
import simpy

from simulate.model import run_replication
from simulate.scenario.models import DAYS_PER_YEAR, Scenario

TARGET = 0.6
"""Minimum project/bare ratio of patients per second."""


def bare_mmc(arrival_rate: float, service_days: float, c: int, n: int, seed: int) -> float:
    """Run a bare SimPy M/M/c queue for ``n`` patients; return the simulated end time (days)."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1.0 / arrival_rate, n).tolist()
    services = rng.exponential(service_days, n).tolist()
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)

    def patient(service: float):
        request = servers.request()
        yield request
        yield env.timeout(service)
        servers.release(request)

    def arrivals():
        for gap, service in zip(gaps, services, strict=True):
            yield env.timeout(gap)
            env.process(patient(service))

    env.process(arrivals())
    env.run()
    return env.now


def mmc_scenario(arrival_rate: float, service_days: float, c: int, periods: int) -> Scenario:
    """The project's scenario equivalent to an M/M/c queue (monthly periods)."""
    return Scenario.model_validate(
        {
            "name": "benchmark_mmc",
            "replications": 1,
            "horizon_periods": periods,
            "conditions": [
                {
                    "name": "condition",
                    "arrival_rate": arrival_rate,
                    "base_cost": 1000.0,
                    "treatment_days": service_days,
                    "treatment_cv": 1.0,
                    "complication_rate": 0.05,
                    "readmission_rate": 0.0,
                    "health_gain_qalys": 0.1,
                    "recovery_days": 10.0,
                }
            ],
            "severity": {"classes": [{"name": "all", "share": 1.0}]},
            "teams": [{"name": "team", "physicians": c, "nurses": 0, "caseload_per_physician": 1}],
            "practice_style": {"intensity": 1.0, "quality_effort": 0.5},
            "payment": {"fee_for_service": {"per_intensity_unit": 1000.0}},
        }
    )


def timed(function, *args) -> tuple[float, float, object]:
    """(CPU seconds, wall-clock seconds, return value) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    value = function(*args)
    return time.process_time() - cpu, time.perf_counter() - wall, value


def profile_project(scenario: Scenario, top: int = 10) -> str:
    """cProfile of one project run: the ``top`` functions by cumulative time."""
    profiler = cProfile.Profile()
    profiler.runcall(run_replication, scenario, 0)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=200_000, help="patients (approx.)")
    parser.add_argument("--servers", type=int, default=10, help="c: servers / physicians")
    parser.add_argument("--utilisation", type=float, default=0.8)
    parser.add_argument("--service-days", type=float, default=1.0, help="mean service time")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="timer")
    parser.add_argument("--check", action="store_true", help="exit 1 if below the target")
    parser.add_argument("--profile", action="store_true", help="print the project's profile")
    args = parser.parse_args(argv)

    c, service = args.servers, args.service_days
    arrival_rate = args.utilisation * c / service
    period_days = DAYS_PER_YEAR / 12
    periods = max(1, round(args.patients / arrival_rate / period_days))
    scenario = mmc_scenario(arrival_rate, service, c, periods)

    # The project's patient count fixes the bare queue's, so both do the same work.
    run_replication(scenario, 0)  # warm-up (imports, caches)
    n = run_replication(scenario, 0).tally.arrived
    print(
        f"M/M/{c}: arrival rate {arrival_rate:g}/day, mean service {service:g} day, "
        f"utilisation {args.utilisation:g}, horizon {scenario.horizon_days:,.1f} days "
        f"({periods} periods), {n:,} patients per run, {args.rounds} rounds"
    )

    rates: dict[tuple[str, str], list[float]] = {
        (model, clock): [] for model in ("bare", "project") for clock in ("cpu", "wall")
    }
    for round_ in range(args.rounds):
        bare_cpu, bare_wall, _ = timed(bare_mmc, arrival_rate, service, c, n, round_)
        project_cpu, project_wall, result = timed(run_replication, scenario, 0)
        assert result.tally.arrived == n
        for model, cpu, wall in (
            ("bare", bare_cpu, bare_wall),
            ("project", project_cpu, project_wall),
        ):
            rates[model, "cpu"].append(n / cpu)
            rates[model, "wall"].append(n / wall)
        print(
            f"  round {round_ + 1}: bare {n / bare_cpu:8,.0f} patients/s "
            f"({bare_cpu:.2f} s CPU, {bare_wall:.2f} s wall)   "
            f"project {n / project_cpu:8,.0f} patients/s "
            f"({project_cpu:.2f} s CPU, {project_wall:.2f} s wall)"
        )

    median = {key: statistics.median(values) for key, values in rates.items()}
    other = "wall" if args.clock == "cpu" else "cpu"
    for model, label in (("bare", "bare SimPy M/M/c"), ("project", "project")):
        print(
            f"{label + ':':18s}{median[model, args.clock]:8,.0f} patients/s "
            f"(median, {args.clock} time; {median[model, other]:,.0f} by {other} time)"
        )
    ratio = median["project", args.clock] / median["bare", args.clock]
    ratio_other = median["project", other] / median["bare", other]
    print(
        f"ratio project/bare: {ratio:.2f} (target >= {TARGET}; "
        f"{args.clock} time, {ratio_other:.2f} by {other} time)"
    )

    if args.profile:
        print("\nproject run, top 10 functions by cumulative time (cProfile):")
        print(profile_project(scenario))

    if args.check and ratio < TARGET:
        print(f"FAIL: ratio {ratio:.2f} is below the target {TARGET}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
