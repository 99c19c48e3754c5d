"""Offered load per team: how busy a team will be, known before any run."""

from __future__ import annotations

from dataclasses import dataclass

from simulate.scenario.models import Scenario


@dataclass(frozen=True)
class TeamLoad:
    """Expected demand on a team at guideline style, in treatment slots."""

    team: str
    arrival_rate: float
    """New patients per day routed to the team."""
    offered_load: float
    """Slots busy on average (arrival rate x treatment days, readmissions included)."""
    capacity: int
    """Concurrent treatment slots."""

    @property
    def utilisation(self) -> float:
        """Offered load over capacity; 1 or more means the queue grows without bound."""
        return self.offered_load / self.capacity


def team_loads(scenario: Scenario) -> list[TeamLoad]:
    """Each team's expected load (routing by capacity share, guideline treatment time)."""
    teams = scenario.teams
    rate = [0.0] * len(teams)
    load = [0.0] * len(teams)
    mean_rr = sum(k.share * k.relative_risk for k in scenario.severity.classes)
    readmit_share = scenario.clinical.readmission_treatment_share
    for condition in scenario.conditions:
        names = condition.teams or tuple(t.name for t in teams)
        members = [i for i, t in enumerate(teams) if t.name in names]
        total = sum(teams[i].capacity for i in members)
        readmissions = min(1.0, condition.readmission_rate * mean_rr)
        work = condition.treatment_days * (1.0 + readmissions * readmit_share)
        for i in members:
            share = teams[i].capacity / total
            rate[i] += condition.arrival_rate * share
            load[i] += condition.arrival_rate * share * work
    return [TeamLoad(t.name, rate[i], load[i], t.capacity) for i, t in enumerate(teams)]
