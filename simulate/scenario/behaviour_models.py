"""The ``behaviour:`` and ``peer_pressure:`` sections: how physicians adapt, the
mechanisms they may switch on, and what they see of each other."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from simulate.accounts.catalogue import PEER_METRICS
from simulate.incentives.targeting import Targeting
from simulate.scenario.section import _Model

if TYPE_CHECKING:
    from simulate.scenario.models import Scenario


class MechanismSection(_Model):
    """A mechanism of adaptive behaviour, switched on by ``enabled`` (the classes in
    ``simulate.behaviour.mechanisms`` implement them)."""

    enabled: bool = False
    needs_adaptive: ClassVar[bool] = True
    """It changes how physicians adapt (so it needs ``behaviour.model: adaptive``)."""

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


class OrganisationalResponse(MechanismSection):
    """Organisational response: a team or the organisation invests in care coordination
    (discharge planning, transitional care) when the incentive money it expects to gain by
    it exceeds its cost. Works with fixed or adaptive physicians."""

    needs_adaptive: ClassVar[bool] = False
    enabled: bool = Field(
        False,
        description="Let teams (or the organisation) invest in coordination when the penalty "
        "avoided or bonus won by it exceeds its cost (hospitals facing the readmissions "
        "penalty invested in discharge planning and transitional care).",
    )
    level: Literal["team", "organisation"] = Field(
        "team", description="Who decides and pays: each team, or the organisation for all teams."
    )
    coordination_step: float = Field(
        0.25,
        gt=0,
        le=1,
        description="Coordination (0-1) one investment adds to each of the unit's teams "
        "(capped at 1). Assumption: no published figure.",
    )
    cost_per_period: float = Field(
        2000.0,
        ge=0,
        description="Cost of one investment, currency per team per period from the decision "
        "on (resource cost, paid out of the unit's physicians' margin). Assumption: no "
        "published figure.",
    )
    lag: int = Field(
        3,
        ge=0,
        le=120,
        description="Periods from the decision until coordination rises (hiring, setting up "
        "discharge planning). Assumption: no published figure.",
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
        11000.0,
        gt=0,
        description="Private cost of moving style away from the reference, currency per "
        "episode per unit of style squared (adaptive).",
    )
    loss_aversion: float = Field(
        2.5, ge=1, le=10, description="Weight of expected losses relative to gains (adaptive)."
    )
    noise_sd: float = Field(
        0.01, ge=0, le=1, description="Standard deviation of the style change noise per period."
    )
    habit_rate: float = Field(
        0.0086, ge=0, le=1, description="Per period, the habit moves this share toward practice."
    )
    habit_weight: float = Field(
        0.062, ge=0, lt=1, description="Pull of the habit on the reference style (persistence)."
    )
    initial_iterations: int = Field(
        6, ge=0, le=100, description="Fixed-point iterations for the starting equilibrium."
    )
    colleagues: Literal["as_observed", "symmetric"] = Field(
        "as_observed",
        description="How a physician expects colleagues to move when anticipating team or "
        "organisation money: as_observed (they stay as last seen) or symmetric (they respond "
        "as I do, so the unit's figure moves with everyone's).",
    )
    selection: Selection = Field(default_factory=Selection)
    multitasking: Multitasking = Field(default_factory=Multitasking)
    crowding_out: CrowdingOut = Field(default_factory=CrowdingOut)
    organisational_response: OrganisationalResponse = Field(default_factory=OrganisationalResponse)

    def mechanisms(self) -> dict[str, MechanismSection]:
        """The mechanism sections, by field name, in schema order."""
        return {
            name: section
            for name in type(self).model_fields
            if isinstance(section := getattr(self, name), MechanismSection)
        }


class Internalisation(_Model):
    """Norm internalisation: while feedback lasts, a physician's reference style moves
    toward the style their peer norm implies, and that part stays when feedback stops."""

    rate: float = Field(
        0.003,
        ge=0,
        le=1,
        description="kappa: per period with feedback, the internalised shift of the reference "
        "closes this share of its gap to the norm-implied one (a share 1-(1-kappa)^m in m "
        "periods); 0: off. Fitted to EVIDENCE.md (docs/calibration.md).",
    )
    share: float = Field(
        0.36,
        gt=0,
        le=1,
        description="eta: the share of the gap between the reference and the norm-implied "
        "style a physician comes to adopt as their own (then flat). Fitted to EVIDENCE.md "
        "(docs/calibration.md).",
    )


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
        7.1, ge=0, description="Weight of the squared relative gap to the norm (Brock-Durlauf)."
    )
    rank_concern: float = Field(
        1.5, ge=0, description="Weight of the share of peers ranked above (reputation)."
    )
    reputation_value: float = Field(
        560000.0,
        ge=0,
        description="With stake: value, currency per episode of a unit of reputational loss at "
        "peer sensitivity 1.",
    )
    stake: Literal["value", "income"] = Field(
        "value",
        description="What a unit of reputational loss is worth: value (reputation_value, the "
        "same currency for everyone) or income (income_share x the physician's own income "
        "per index episode over the dashboard window, so the loss is a share of earnings).",
    )
    income_share: float = Field(
        1.0,
        ge=0,
        description="With stake: income, the share of a physician's income per index episode "
        "a unit of reputational loss is worth at peer sensitivity 1.",
    )
    internalisation: Internalisation = Field(
        default_factory=Internalisation,
        description="Norm internalisation: the reference style moves toward the norm while "
        "feedback lasts, and stays (rate, share).",
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
    targeting: Targeting | None = Field(
        None,
        description="Only these physicians get the feedback (e.g. letters to the worst 20%); "
        "none: everyone.",
    )
    feedback: Literal["one_sided", "two_sided"] | None = Field(
        None,
        description="one_sided: only a figure worse than the norm costs reputation; "
        "two_sided: any gap does (conformity). Default: one_sided with targeting (letters, "
        "report cards), else as the norm implies (two-sided but for top_decile).",
    )

    @property
    def one_sided(self) -> bool:
        """Whether only a shortfall against the norm costs reputation (rank concern too)."""
        if self.feedback is not None:
            return self.feedback == "one_sided"
        return self.targeting is not None

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
