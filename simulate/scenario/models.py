"""The scenario: validated, immutable description of one world and its payment rules.

Units: time in days, money in currency units (the scenario's own), probabilities and
shares in 0-1, health gain in QALYs. Every default is documented with its source in
``docs/model.md``; every key in ``docs/scenarios.md``.
"""

from __future__ import annotations

from pydantic import Field

from simulate.incentives.rules import RuleSpec
from simulate.scenario.behaviour_models import (
    Behaviour,
    CrowdingOut,
    MechanismSection,
    Multitasking,
    PeerPressure,
    Selection,
)
from simulate.scenario.distributions import Beta, Distribution, Fixed, Normal
from simulate.scenario.payment_models import Bundled, Capitation, FeeForService, Payment, Salary
from simulate.scenario.section import NAME_PATTERN, _Model
from simulate.units import DAYS_PER_YEAR


class Condition(_Model):
    """A clinical condition in the case mix: how often it arrives and what it takes."""

    name: str = Field(pattern=NAME_PATTERN)
    arrival_rate: float = Field(gt=0, description="New patients per day (Poisson).")
    base_cost: float = Field(
        ge=0, description="Resource cost of an episode at guideline intensity (currency)."
    )
    treatment_days: float = Field(
        gt=0, description="Mean treatment time at guideline style (days a caseload slot is held)."
    )
    treatment_cv: float = Field(
        1.0,
        ge=0,
        le=5,
        description="Coefficient of variation of treatment time (gamma): 1 exponential, 0 fixed.",
    )
    complication_rate: float = Field(
        ge=0, le=1, description="Complication probability at guideline style, average risk."
    )
    readmission_rate: float = Field(
        ge=0, le=1, description="Probability of readmission within the window (average risk)."
    )
    readmission_window_days: float = Field(
        30.0, gt=0, description="Readmissions happen within this many days of discharge."
    )
    health_gain_qalys: float = Field(
        ge=0, description="QALYs gained by an uncomplicated episode at guideline intensity."
    )
    recovery_days: float = Field(
        ge=0, description="Mean recovery days after discharge without complication."
    )
    teams: tuple[str, ...] | None = Field(
        None, description="Names of the teams that treat this condition (default: all)."
    )


class SeverityClass(_Model):
    """A risk class of patients; shares across classes sum to 1."""

    name: str = Field(pattern=NAME_PATTERN)
    share: float = Field(ge=0, le=1, description="Share of arriving patients in this class.")
    relative_risk: float = Field(
        1.0, gt=0, description="Multiplies complication and readmission probabilities."
    )
    cost_weight: float = Field(1.0, gt=0, description="Multiplies episode resource cost.")
    high_risk: bool = Field(False, description="Counts towards the share of high-risk patients.")


class Severity(_Model):
    """The severity (risk) mix of arriving patients."""

    classes: tuple[SeverityClass, ...] = Field(
        default=(
            SeverityClass(name="standard", share=0.8, relative_risk=0.8, cost_weight=0.9),
            SeverityClass(
                name="high", share=0.2, relative_risk=1.8, cost_weight=1.4, high_risk=True
            ),
        ),
        min_length=1,
    )


class TeamBasedCare(_Model):
    """Team-based care: nurses take on patients and coordinate discharge."""

    extra_caseload_per_nurse: float = Field(
        0.0, ge=0, le=10, description="Concurrent patients each nurse adds to team capacity."
    )
    coordination: float = Field(
        0.0, ge=0, le=1, description="Strength of care coordination (0 none, 1 full)."
    )
    peer_monitoring: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Mutual monitoring within the team: the share of a team incentive beyond "
        "their own 1/N that each physician feels (0: free-riding, 1: none).",
    )


class Team(_Model):
    """A clinical team: physicians, nurses and how much they can treat at once."""

    name: str = Field(pattern=NAME_PATTERN)
    physicians: int = Field(ge=1, le=10_000)
    nurses: int = Field(0, ge=0, le=100_000)
    caseload_per_physician: int = Field(
        1, ge=1, le=1000, description="Patients a physician treats at the same time."
    )
    team_based_care: TeamBasedCare = TeamBasedCare()
    max_queue: int = Field(
        10_000,
        ge=1,
        le=10_000_000,
        description="Longest queue; patients arriving to a full queue are turned away "
        "(treated elsewhere) and counted, so an overloaded world stays bounded.",
    )

    @property
    def capacity(self) -> int:
        """Concurrent treatment slots: physicians' caseload plus nurses' extra caseload."""
        nurse_slots = int(self.nurses * self.team_based_care.extra_caseload_per_nurse)
        return self.physicians * self.caseload_per_physician + nurse_slots


class PhysicianTraits(_Model):
    """Distributions physicians' preference traits are drawn from (used by behaviour)."""

    altruism: Distribution = Beta(dist="beta", a=6, b=4)
    income_weight: Distribution = Fixed(value=1.0)
    effort_cost: Distribution = Normal(dist="normal", mean=1.0, sd=0.2, low=0.0)
    peer_sensitivity: Distribution = Beta(dist="beta", a=2, b=5)
    inertia: Distribution = Beta(dist="beta", a=8.8, b=2)


class PracticeStyle(_Model):
    """Distributions of the practice style physicians start with."""

    intensity: Distribution = Normal(dist="normal", mean=1.0, sd=0.1, low=0.5, high=2.0)
    quality_effort: Distribution = Beta(dist="beta", a=5, b=5)


class Clinical(_Model):
    """Parameters of the pure outcome and cost functions (``simulate.clinical.outcomes``)."""

    reference_quality_effort: float = Field(
        0.5, ge=0, le=1, description="Quality effort at which the baseline rates apply."
    )
    effort_complication_effect: float = Field(
        0.89, ge=0, description="Log-reduction in complication risk per unit of quality effort."
    )
    effort_readmission_effect: float = Field(
        0.71, ge=0, description="Log-reduction in readmission risk per unit of quality effort."
    )
    underprovision_effect: float = Field(
        1.0, ge=0, description="Log-increase in complication risk per unit intensity below 1."
    )
    benefit_curvature: float = Field(
        2.0, gt=0, description="Curvature of health gain in intensity (flat of the curve)."
    )
    complication_qaly_loss: float = Field(
        0.3, ge=0, le=1, description="Share of the health gain lost after a complication."
    )
    readmission_qaly_loss: float = Field(
        0.1, ge=0, le=1, description="Share of the health gain lost after a readmission."
    )
    complication_cost_share: float = Field(
        1.0, ge=0, description="Extra resource cost of a complication, share of base cost."
    )
    complication_recovery_share: float = Field(
        1.0, ge=0, description="Extra recovery days after a complication, share of base."
    )
    readmission_cost_share: float = Field(
        0.6, ge=0, description="Resource cost of a readmission episode, share of base cost."
    )
    readmission_treatment_share: float = Field(
        0.6, gt=0, description="Treatment time of a readmission episode, share of base."
    )
    time_intensity_elasticity: float = Field(
        0.5, ge=0, le=2, description="Elasticity of treatment time with respect to intensity."
    )
    time_effort_share: float = Field(
        0.2, ge=0, le=2, description="Extra treatment time per unit of quality effort."
    )
    coordination_readmission_effect: float = Field(
        0.3, ge=0, le=1, description="Share of readmission risk removed by full coordination."
    )
    max_probability: float = Field(
        0.95, gt=0, le=1, description="Upper bound on complication and readmission risk."
    )


class MetricSettings(_Model):
    """Settings of the metrics the payer and the tables compute."""

    wait_target_days: float = Field(
        2.0, gt=0, description="Waits longer than this count in share_waiting_over_target (days)."
    )


class Output(_Model):
    """What a run records beyond the standard tables."""

    episode_log: bool = Field(False, description="Also write episodes.csv, one row per episode.")


class Scenario(_Model):
    """One simulated world under one payment scheme."""

    name: str = Field(pattern=NAME_PATTERN, description="Used for the results folder.")
    description: str = ""
    seed: int = Field(20261126, ge=0, lt=2**63)
    replications: int = Field(10, ge=1, le=100_000)
    horizon_periods: int = Field(36, ge=1, le=10_000)
    period_days: float = Field(
        DAYS_PER_YEAR / 12, gt=0, le=DAYS_PER_YEAR, description="Days per accounting period."
    )
    warmup_periods: int = Field(0, ge=0)
    conditions: tuple[Condition, ...] = Field(min_length=1)
    severity: Severity = Severity()
    teams: tuple[Team, ...] = Field(min_length=1)
    physician_traits: PhysicianTraits = PhysicianTraits()
    practice_style: PracticeStyle = PracticeStyle()
    clinical: Clinical = Clinical()
    payment: Payment
    incentives: tuple[RuleSpec, ...] = Field(
        (), description="Bonus, penalty, withhold and shared-savings rules, in payment order."
    )
    metrics: MetricSettings = MetricSettings()
    peer_pressure: PeerPressure = PeerPressure()
    behaviour: Behaviour = Behaviour()
    output: Output = Output()

    @property
    def horizon_days(self) -> float:
        """Length of the run in days."""
        return self.horizon_periods * self.period_days

    @property
    def rule_labels(self) -> tuple[str, ...]:
        """Each rule's label in payment tables: its ``name``, or ``type_N`` (N from 1)."""
        return tuple(r.name or f"{r.type}_{k + 1}" for k, r in enumerate(self.incentives))

    @property
    def n_physicians(self) -> int:
        """Physicians across all teams."""
        return sum(team.physicians for team in self.teams)


__all__ = [
    "DAYS_PER_YEAR",
    "NAME_PATTERN",
    "Behaviour",
    "Bundled",
    "Capitation",
    "Clinical",
    "Condition",
    "CrowdingOut",
    "FeeForService",
    "MechanismSection",
    "Multitasking",
    "Payment",
    "PeerPressure",
    "Salary",
    "Scenario",
    "Selection",
]
