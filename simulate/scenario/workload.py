"""How much work and memory a scenario asks for, and the bounds a run must stay within.

A valid scenario can still ask for more than any machine gives: a typo of an arrival
rate of a billion patients a day, or 10,000 physicians per team over 10,000 periods.
These bounds refuse such worlds at validation, with the numbers, before any work starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulate.accounts.ledger import PHYSICIAN_FIELDS, TEAM_FIELDS
from simulate.accounts.wait_histogram import N_BINS
from simulate.scenario.models import Scenario
from simulate.scenario.yaml_source import Path_

MAX_PATIENTS_PER_REPLICATION = 100_000_000
"""Expected new patients per replication (at about 30,000 a second: about an hour)."""
MAX_LEDGER_BYTES = 2 * 1024**3
"""Memory of one replication's period ledger (bytes)."""
MAX_BEST_RESPONSES = 2_000_000
"""Adaptive behaviour: physicians x periods best responses per replication (about 0.25 ms
each with the flagship's rules, all physicians in one pass: about 8 minutes)."""


@dataclass(frozen=True)
class Workload:
    """What one replication of a scenario asks for."""

    patients: float
    """Expected new patients over the horizon (sum of arrival rates x days)."""
    ledger_bytes: int
    """Memory of the period ledger: periods x (physicians x fields and wait bins + teams)."""
    best_responses: int
    """Best responses computed (adaptive behaviour only; 0 when styles are fixed)."""

    @classmethod
    def of(cls, scenario: Scenario) -> Workload:
        days = scenario.horizon_days
        patients = sum(c.arrival_rate for c in scenario.conditions) * days
        n, periods = scenario.n_physicians, scenario.horizon_periods
        per_period = n * (len(PHYSICIAN_FIELDS) * 8 + N_BINS * 4)
        per_period += len(scenario.teams) * len(TEAM_FIELDS) * 8
        adaptive = scenario.behaviour.model == "adaptive"
        return cls(
            patients=patients,
            ledger_bytes=periods * per_period,
            best_responses=n * (periods + scenario.behaviour.initial_iterations) if adaptive else 0,
        )


def workload_problems(scenario: Scenario) -> list[tuple[Path_, str]]:
    """Bounds the scenario exceeds, as (field path, message); empty when within them."""
    work = Workload.of(scenario)
    problems: list[tuple[Path_, str]] = []
    if work.patients > MAX_PATIENTS_PER_REPLICATION:
        problems.append(
            (
                ("conditions",),
                f"about {work.patients:,.0f} patients would arrive in each replication "
                f"(arrival rates x {scenario.horizon_days:,.0f} days); the limit is "
                f"{MAX_PATIENTS_PER_REPLICATION:,}: lower the arrival rates or the horizon",
            )
        )
    if work.ledger_bytes > MAX_LEDGER_BYTES:
        problems.append(
            (
                ("horizon_periods",),
                f"the period ledger of {scenario.n_physicians:,} physicians over "
                f"{scenario.horizon_periods:,} periods needs {work.ledger_bytes / 1024**3:,.1f} "
                f"GiB per replication; the limit is {MAX_LEDGER_BYTES / 1024**3:g} GiB: use "
                "fewer physicians or fewer, longer periods",
            )
        )
    if work.best_responses > MAX_BEST_RESPONSES:
        problems.append(
            (
                ("behaviour", "model"),
                f"adaptive behaviour would compute {work.best_responses:,} best responses per "
                f"replication ({scenario.n_physicians:,} physicians x periods); the limit is "
                f"{MAX_BEST_RESPONSES:,}: use fewer physicians or periods, or behaviour: fixed",
            )
        )
    return problems
