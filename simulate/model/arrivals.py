"""A new patient's random numbers: each condition's named streams, drawn a block at a
time and handed out one record (:class:`Draws`) per patient."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from simulate.model.streams import Streams
from simulate.scenario.models import Condition

BLOCK = 1024
"""Patients whose random numbers are drawn together (speed only; results do not depend on it)."""


class Draws(NamedTuple):
    """A new patient's random numbers, drawn a block at a time (``patient_draws``)."""

    gap: float
    """Days since the last arrival of the condition."""
    severity: int
    """Severity class."""
    team: float
    """The team, or under public reporting the uniform that routes the patient on arrival."""
    work: float
    """Treatment time of the index episode, relative to the condition's mean."""
    work_readmission: float
    """The same for a readmission episode."""
    complication: float
    readmission: float
    recovery: float
    """Uniforms deciding a complication, a readmission and the recovery time."""
    delay: float
    """Uniform share of the readmission window before a readmission."""
    select: float
    """Uniform compared with a declined share (risk selection; 1.0 when off)."""
    choice: float
    """Uniform compared with the referral shift (public reporting; 1.0 when off)."""


def patient_draws(
    condition: Condition,
    streams: Streams,
    severity_cut: np.ndarray,
    route: tuple[np.ndarray, np.ndarray],
    *,
    selecting: bool,
    public: bool,
) -> Iterator[Draws]:
    """Each new patient's random numbers, from the condition's own named streams.

    Patient k of a condition always gets the same numbers, whatever the policy. The
    severity and team uniforms are turned into a severity class and a team here, a
    block at a time: the first class (team) whose cumulative share exceeds the uniform.
    ``route``: the teams treating the condition and their cumulative shares;
    ``public``: the team uniform is kept, to route the patient on arrival by the
    shares then in force; ``selecting``: risk selection draws its own uniforms.
    """
    prefix = f"patients.{condition.name}."
    gen = {
        name: streams.get(prefix + name)
        for name in ("arrival", "severity", "team", "treatment", "outcome", "readmission_delay")
    }
    cv = condition.treatment_cv
    mean_gap = 1.0 / condition.arrival_rate
    last_class = len(severity_cut) - 1
    teams, team_cut = route
    select = streams.get(prefix + "selection") if selecting else None
    choose = streams.get(prefix + "choice") if public else None
    while True:
        gaps = gen["arrival"].exponential(mean_gap, BLOCK).tolist()
        u_severity = gen["severity"].random(BLOCK)
        severity = np.minimum(
            np.searchsorted(severity_cut, u_severity, side="right"), last_class
        ).tolist()
        u_team = gen["team"].random(BLOCK)
        if public:  # routed on arrival, by the shares in force then
            team = u_team.tolist()
        else:
            team = teams[
                np.minimum(np.searchsorted(team_cut, u_team, side="right"), len(teams) - 1)
            ].tolist()
        if cv > 0:
            shape = 1.0 / cv**2
            work = gen["treatment"].gamma(shape, 1.0 / shape, (2, BLOCK)).tolist()
        else:
            work = [[1.0] * BLOCK, [1.0] * BLOCK]
        u_outcome = gen["outcome"].random((3, BLOCK)).tolist()
        u_delay = gen["readmission_delay"].random(BLOCK).tolist()
        # a uniform per patient for risk selection, from its own stream when enabled
        u_select = select.random(BLOCK).tolist() if select else itertools.repeat(1.0, BLOCK)
        u_choice = choose.random(BLOCK).tolist() if choose else itertools.repeat(1.0, BLOCK)
        yield from map(
            Draws._make,
            zip(
                gaps,
                severity,
                team,
                work[0],
                work[1],
                *u_outcome,
                u_delay,
                u_select,
                u_choice,
                strict=True,
            ),
        )
