"""The scenario: validated, immutable description of one world and its payment rules.

Units: time in days, money in currency units (the scenario's own), probabilities and
shares in 0-1, health gain in QALYs. Every default is documented with its source in
``docs/model.md``; every key in ``docs/scenarios.md``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from simulate.accounts.catalogue import PEER_METRICS
from simulate.incentives.rules import RuleSpec
from simulate.scenario.distributions import Beta, Distribution, Fixed, Normal
from simulate.units import DAYS_PER_YEAR

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
"""Names used in paths and tables: letters, digits, '_', '.', '-'; no separators."""


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, populate_by_name=True
    )


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
    inertia: Distribution = Beta(dist="beta", a=18, b=2)


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


class FeeForService(_Model):
    """Fee-for-service: a fee per unit of intensity delivered in each episode."""

    per_intensity_unit: float = Field(
        ge=0, description="Currency per unit of intensity (1 = a guideline episode)."
    )
    by_condition: dict[str, float] = Field(
        default_factory=dict, description="Fee per unit of intensity by condition name."
    )
    pays_readmissions: bool = Field(True, description="Readmission episodes are paid as well.")


class Capitation(_Model):
    """Capitation: a fixed amount per enrolled patient per period."""

    per_patient_per_period: float = Field(
        ge=0, description="Currency per listed patient per period."
    )
    list_size_per_physician: int = Field(
        1950, ge=0, description="Patients on each physician's list."
    )


class Salary(_Model):
    """Salary: a fixed annual amount per physician, paid pro rata each period."""

    annual: float = Field(ge=0, description="Currency per physician per year.")


class Bundled(_Model):
    """Bundled (episode) payment: a price per index episode covering its readmissions."""

    per_episode: float = Field(ge=0, description="Currency per index episode.")
    by_condition: dict[str, float] = Field(
        default_factory=dict, description="Price per index episode by condition name."
    )
    readmissions_included: bool = Field(
        True, description="Readmissions within the window are covered by the bundle (unpaid)."
    )


class Payment(_Model):
    """Base payment: any mix of the four schemes; each present one is paid in full."""

    fee_for_service: FeeForService | None = None
    capitation: Capitation | None = None
    salary: Salary | None = None
    bundled: Bundled | None = None


class MechanismSection(_Model):
    """A mechanism of adaptive behaviour, switched on by ``enabled`` (the classes in
    ``simulate.behaviour.mechanisms`` implement them)."""

    enabled: bool = False

    def problems(self, scenario: Scenario) -> list[tuple[tuple[str, ...], str]]:
        """What the mechanism, when enabled, needs of the rest of the scenario, as
        (field path within the section, message)."""
        return []


class Selection(MechanismSection):
    """Risk selection (cream-skimming): physicians may decline high-risk patients."""

    enabled: bool = Field(
        False,
        description="Let adaptive physicians decline a share of high-risk patients (Ma 1994).",
    )
    max_share: float = Field(
        0.5, ge=0, le=1, description="Largest share of high-risk patients one may decline (0-1)."
    )
    cost: float = Field(
        200.0,
        ge=0,
        description="Private (ethical, administrative) cost of declining, currency per patient "
        "at a declined share of 1 (quadratic in the share).",
    )

    def problems(self, scenario: Scenario) -> list[tuple[tuple[str, ...], str]]:
        if self.enabled and not any(c.high_risk for c in scenario.severity.classes):
            return [
                (
                    ("enabled",),
                    "selection declines high-risk patients, but no severity class has "
                    "high_risk: true",
                )
            ]
        return []


class Multitasking(MechanismSection):
    """Multitasking: quality effort can be shifted between outcomes."""

    enabled: bool = Field(
        False,
        description="Let adaptive physicians shift quality effort between readmission and "
        "complication prevention (Holmstrom & Milgrom 1991; Kaarboe & Siciliani 2011).",
    )
    max_focus: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Largest focus f: effort on readmissions is effort x (1 + f), on "
        "complications effort x (1 - f); f in [-max_focus, max_focus].",
    )
    shift_cost: float = Field(
        750.0,
        gt=0,
        description="Private cost of shifting focus, currency per episode per unit of focus "
        "squared: lower than behaviour.adjustment_cost, since moving effort between tasks is "
        "cheaper than adding effort (tasks are substitutes in effort).",
    )


class CrowdingOut(MechanismSection):
    """Motivation crowding-out: altruism erodes with the share of income at risk."""

    enabled: bool = Field(
        False, description="Erode intrinsic motivation with pay at risk (Frey & Jegen 2001)."
    )
    strength: float = Field(
        1.0,
        ge=0,
        le=10,
        description="Per period, motivation falls by strength x share of income from "
        "incentives (absolute amounts over the window) x motivation.",
    )
    recovery: float = Field(
        0.01, ge=0, le=1, description="Per period, motivation recovers this share toward 1."
    )
    window: int = Field(
        12, ge=1, le=120, description="Periods over which the share of income at risk is taken."
    )


class Behaviour(_Model):
    """How physicians change their practice style over time."""

    model: Literal["fixed", "adaptive"] = Field(
        "fixed",
        description="'fixed': physicians keep the style they were drawn with; 'adaptive': they "
        "move toward the style that maximises their utility under the rules in force.",
    )
    qaly_value: float = Field(
        30000.0, ge=0, description="Currency per QALY in the altruism term (adaptive)."
    )
    adjustment_cost: float = Field(
        7500.0,
        gt=0,
        description="Private cost of moving style away from the reference, currency per "
        "episode per unit of style squared (adaptive).",
    )
    loss_aversion: float = Field(
        2.0, ge=1, le=10, description="Weight of expected losses relative to gains (adaptive)."
    )
    noise_sd: float = Field(
        0.01, ge=0, le=1, description="Standard deviation of the style change noise per period."
    )
    habit_rate: float = Field(
        0.05, ge=0, le=1, description="Per period, the habit moves this share toward practice."
    )
    habit_weight: float = Field(
        0.5, ge=0, lt=1, description="Pull of the habit on the reference style (persistence)."
    )
    initial_iterations: int = Field(
        6, ge=0, le=100, description="Fixed-point iterations for the starting equilibrium."
    )
    selection: Selection = Field(default_factory=Selection)
    multitasking: Multitasking = Field(default_factory=Multitasking)
    crowding_out: CrowdingOut = Field(default_factory=CrowdingOut)

    def mechanisms(self) -> dict[str, MechanismSection]:
        """The mechanism sections, by field name, in schema order."""
        return {
            name: section
            for name in type(self).model_fields
            if isinstance(section := getattr(self, name), MechanismSection)
        }


class PeerPressure(_Model):
    """Transparency: what physicians see of each other, and how much they care."""

    transparency: Literal["none", "private_feedback", "internal_dashboard", "public"] = Field(
        "none",
        description="none; private_feedback (own figures against peers); internal_dashboard "
        "(all physicians see all); public (patients see too).",
    )
    metrics: tuple[Literal[PEER_METRICS], ...] = Field(  # type: ignore[valid-type]
        ("value",), min_length=1, description="Metrics the dashboard shows."
    )
    norm: Literal["median", "top_decile", "own_history"] = Field(
        "median",
        description="The benchmark: peers' median, peers' top decile (achievable benchmark), "
        "or the physician's own past figures.",
    )
    publish_every: int = Field(1, ge=1, le=120, description="Periods between publications.")
    start_period: int = Field(0, ge=0, description="First period whose close publishes.")
    end_period: int | None = Field(
        None, ge=0, description="Last period whose close publishes (none: to the end)."
    )
    window: int = Field(
        12,
        ge=1,
        le=120,
        description="Periods each published figure covers (a rolling window, as dashboards use).",
    )
    conformity: float = Field(
        1.0, ge=0, description="Weight of the squared relative gap to the norm (Brock-Durlauf)."
    )
    rank_concern: float = Field(
        0.2, ge=0, description="Weight of the share of peers ranked above (reputation)."
    )
    reputation_value: float = Field(
        1000.0,
        ge=0,
        description="Currency per episode of a unit of reputational loss at peer sensitivity 1.",
    )
    referral_shift: float = Field(
        0.1,
        ge=0,
        le=1,
        description="With public reporting: the share of patients who choose by the published "
        "ranking (better-ranked teams and physicians get more of them).",
    )
    lead_influence: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Weight of the team lead's (each team's first physician's) published figure "
        "in the team's norm; 0: the lead is one peer among others.",
    )

    def lapsed(self, period: int) -> bool:
        """Whether publication has ended by the close of ``period``."""
        return self.end_period is not None and period > self.end_period

    def publishes_at(self, period: int) -> bool:
        """Whether the dashboard is published at the close of ``period`` (the schedule)."""
        return (
            self.transparency != "none"
            and period >= self.start_period
            and not self.lapsed(period)
            and (period - self.start_period + 1) % self.publish_every == 0
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
