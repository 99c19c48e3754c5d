"""Guard rails: warnings that a run's numbers depend on its horizon.

Two signs, each computed the way the rest of ValueSim computes it:

- **overload**: a team's expected utilisation (offered load over slots, the numbers
  ``simulate validate`` prints, :func:`simulate.model.capacity.team_loads`) is 1 or more,
  so demand exceeds capacity and the queue grows without bound;
- **queued at the horizon**: more than :data:`QUEUED_SHARE` of the patients who arrived
  were still waiting for a slot when the run ended (the manifest's ``patients`` totals),
  so waits were still growing.

Either way a longer horizon gives longer waits and different results. The functions here
are pure: they turn loads and patient totals into one-line warnings, which ``run``,
``compare`` and ``sweep`` print on stderr (once per command) and write into the manifest
under ``warnings``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from simulate.model.capacity import TeamLoad

QUEUED_SHARE = 0.01
"""Share of arrived patients still queued at the horizon above which a run is flagged.

A stable queue holds a few patients at any moment whatever the horizon (the bundled
scenarios end with 0-0.2% of arrivals queued); a queue that keeps growing holds a share
that does not shrink with the horizon (34% in a world at utilisation 2.5)."""

OVERLOAD_MEANING = (
    "demand exceeds capacity, so queues and waits grow without bound and the results "
    "depend on the horizon (a longer run gives longer waits); add slots or lower the "
    "arrival rates ('simulate validate' prints each team's utilisation)"
)
QUEUE_MEANING = (
    "the queue had not cleared by the horizon, so waits were still growing and the "
    "results depend on the horizon; run longer or check capacity ('simulate validate')"
)


def overloaded(loads: Sequence[TeamLoad]) -> list[TeamLoad]:
    """The teams whose utilisation is 1 or more."""
    return [load for load in loads if load.utilisation >= 1]


def overload_detail(loads: Sequence[TeamLoad]) -> str | None:
    """``team a utilisation 2.50 (offered load 45 of 18 slots)`` for each overloaded team,
    or None when every team's utilisation is below 1."""
    over = overloaded(loads)
    if not over:
        return None
    return ", ".join(
        f"team {load.team} utilisation {load.utilisation:.2f} "
        f"(offered load {load.offered_load:.3g} of {load.capacity} slots)"
        for load in over
    )


def queued_share(patients: Mapping[str, int]) -> float:
    """Queued at the horizon over arrived (0 when nobody arrived)."""
    arrived = int(patients.get("arrived", 0))
    return int(patients.get("queued", 0)) / arrived if arrived > 0 else 0.0


def queue_detail(patients: Mapping[str, int]) -> str | None:
    """``2,103 of 6,130 patients who arrived (34%) were still queued at the horizon``, or
    None when the share queued is at most :data:`QUEUED_SHARE`."""
    share = queued_share(patients)
    if share <= QUEUED_SHARE:
        return None
    queued, arrived = int(patients["queued"]), int(patients["arrived"])
    text = (
        f"{queued:,} of {arrived:,} patients who arrived ({share:.0%}) were still queued "
        "at the horizon"
    )
    turned_away = int(patients.get("turned_away", 0))
    if turned_away:
        text += f" and {turned_away:,} were turned away (queue full)"
    return text


def _details(loads: Sequence[TeamLoad], patients: Mapping[str, int] | None) -> list[str]:
    found = [overload_detail(loads), queue_detail(patients) if patients is not None else None]
    return [text for text in found if text is not None]


def _meaning(loads_over: bool) -> str:
    return OVERLOAD_MEANING if loads_over else QUEUE_MEANING


def run_warnings(loads: Sequence[TeamLoad], patients: Mapping[str, int] | None) -> list[str]:
    """The warnings of one run (empty, or one line): its teams' loads and its patient
    totals summed over replications (None when not known)."""
    details = _details(loads, patients)
    if not details:
        return []
    return [f"{'; '.join(details)}: {_meaning(bool(overloaded(loads)))}"]


def comparison_warnings(
    variants: Mapping[str, tuple[Sequence[TeamLoad], Mapping[str, int] | None]],
) -> list[str]:
    """The warnings of a comparison (empty, or one line naming each variant concerned):
    ``variants`` maps a variant's name to its teams' loads and patient totals."""
    parts, any_over = [], False
    for name, (loads, patients) in variants.items():
        over = overloaded(loads)
        found = [f"team {load.team} utilisation {load.utilisation:.2f}" for load in over]
        if patients is not None and queue_detail(patients) is not None:
            found.append(
                f"{int(patients['queued']):,} of {int(patients['arrived']):,} patients "
                f"still queued at the horizon, {queued_share(patients):.0%}"
            )
        if found:
            parts.append(f"{name} ({'; '.join(found)})")
            any_over = any_over or bool(over)
    if not parts:
        return []
    return [f"{len(parts)} of {len(variants)} variants: {'; '.join(parts)}: {_meaning(any_over)}"]


def sweep_warnings(
    point_loads: Sequence[Sequence[TeamLoad]],
    run_patients: Sequence[Mapping[str, int]] = (),
    point_names: Sequence[str] = (),
) -> list[str]:
    """The warnings of a sweep (empty, or one line): each design point's team loads, the
    patient totals of the runs whose totals are known (one mapping per run), and
    optionally each point's parameter values as text (``bonus=4000``)."""
    parts = []
    flagged = [(i, overloaded(loads)) for i, loads in enumerate(point_loads)]
    flagged = [(i, over) for i, over in flagged if over]
    if flagged:
        point, load = max(
            ((i, load) for i, over in flagged for load in over), key=lambda x: x[1].utilisation
        )
        parts.append(
            f"at {len(flagged)} of {len(point_loads)} design points a team's utilisation is "
            f">= 1 (highest: team {load.team} {load.utilisation:.2f} at point {point}"
            + (f": {point_names[point]})" if point < len(point_names) else ")")
        )
    queued = [p for p in run_patients if queue_detail(p) is not None]
    if queued:
        worst = max(queued, key=queued_share)
        parts.append(
            f"in {len(queued)} of {len(run_patients)} runs more than {QUEUED_SHARE:.0%} of "
            f"the patients who arrived were still queued at the horizon (up to "
            f"{queued_share(worst):.0%}: {int(worst['queued']):,} of {int(worst['arrived']):,})"
        )
    if not parts:
        return []
    return [f"{'; '.join(parts)}: {_meaning(bool(flagged))}"]


PATIENT_COUNTS = (
    "arrived",
    "finished",
    "queued",
    "in_treatment",
    "awaiting_readmission",
    "turned_away",
    "declined",
)
"""The patient counts of a replication's tally (``PatientTally``) kept in manifests."""


def patient_totals(tallies: Sequence[object]) -> dict[str, int]:
    """Each of :data:`PATIENT_COUNTS` summed over replications' tallies."""
    return {k: int(sum(getattr(t, k) for t in tallies)) for k in PATIENT_COUNTS}
