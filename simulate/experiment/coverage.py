"""Where a scenario leaves the evidence the behaviour defaults were fitted to.

The adaptive defaults are fitted to the published figures of EVIDENCE.md (docs/
calibration.md): feedback against a median, the physician's own history or a regional
norm, over 2-24 months. No target has a benchmark set by the best tenth of peers, and
at the fitted peer weights a top-decile dashboard pulls nearly every physician to it:
its size is the model's extrapolation, which ``run`` and ``compare`` say in one warning
line (stderr and the manifest's ``warnings``, shown on the dashboard).
"""

from __future__ import annotations

from simulate.scenario.models import Scenario

TOP_DECILE_MEANING = (
    "peer_pressure.norm top_decile with adaptive physicians: no calibration target has a "
    "top-decile benchmark (the peer weights are fitted to feedback against a median or a "
    "regional norm over 2-24 months), so the size of its effect on practice is an "
    "extrapolation; read it as an upper reading (docs/calibration.md)"
)


def extrapolates(scenario: Scenario) -> bool:
    """True when adaptive physicians see a dashboard or feedback against the top decile."""
    pressure = scenario.peer_pressure
    return (
        scenario.behaviour.model == "adaptive"
        and pressure.transparency != "none"
        and pressure.norm == "top_decile"
    )


def extrapolation_warnings(scenario: Scenario) -> list[str]:
    """The run's warning line about leaving the calibrated evidence (empty, or one)."""
    return [TOP_DECILE_MEANING] if extrapolates(scenario) else []


def comparison_extrapolation_warnings(variants: dict[str, Scenario]) -> list[str]:
    """One line naming the variants (of ``variants``, name to scenario) that extrapolate."""
    names = [name for name, scenario in variants.items() if extrapolates(scenario)]
    if not names:
        return []
    return [f"{len(names)} of {len(variants)} variants ({', '.join(names)}): {TOP_DECILE_MEANING}"]
