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


_DRAWS = itertools.repeat(Draws)
"""``map(tuple.__new__, _DRAWS, rows)`` makes records of rows without a Python-level
call per patient (``Draws._make`` costs about twice as much)."""


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
    mean_gap = 1.0 / condition.arrival_rate
    last_class = len(severity_cut) - 1
    teams, team_cut = route
    select = streams.get(prefix + "selection") if selecting else None
    choose = streams.get(prefix + "choice") if public else None
    while True:
        gaps = gen["arrival"].exponential(mean_gap, BLOCK).tolist()
        severity = _first_above(severity_cut, gen["severity"].random(BLOCK), last_class).tolist()
        u_team = gen["team"].random(BLOCK)
        if public:  # routed on arrival, by the shares in force then
            team = u_team.tolist()
        else:
            team = teams[_first_above(team_cut, u_team, len(teams) - 1)].tolist()
        work = _work(gen["treatment"], condition.treatment_cv)
        u_outcome = gen["outcome"].random((3, BLOCK)).tolist()
        u_delay = gen["readmission_delay"].random(BLOCK).tolist()
        # uniforms for risk selection and patient choice, from their own streams when on
        u_select, u_choice = _optional_uniforms(select), _optional_uniforms(choose)
        yield from map(
            tuple.__new__,
            _DRAWS,
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


def _first_above(cut: np.ndarray, u: np.ndarray, last: int) -> np.ndarray:
    """The index of the first cumulative share above each uniform (at most ``last``)."""
    return np.minimum(np.searchsorted(cut, u, side="right"), last)


def _work(generator: np.random.Generator, cv: float) -> list[list[float]]:
    """Treatment times of index and readmission episodes relative to the mean: gamma
    with coefficient of variation ``cv`` (1 when ``cv`` is 0), [2][BLOCK]."""
    if cv > 0:
        shape = 1.0 / cv**2
        return generator.gamma(shape, 1.0 / shape, (2, BLOCK)).tolist()
    return [[1.0] * BLOCK, [1.0] * BLOCK]


def _optional_uniforms(generator: np.random.Generator | None):
    """A block of uniforms from ``generator``, or 1.0 for every patient without one."""
    return generator.random(BLOCK).tolist() if generator else itertools.repeat(1.0, BLOCK)
