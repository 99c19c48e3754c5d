"""The ``payment:`` section: base payment schemes (fee-for-service, capitation,
salary, bundled); incentive rules live in ``simulate.incentives.rules``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulate.scenario.section import _Model


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


class RiskBearing(_Model):
    """Risk-bearing payment (supply-side cost sharing, Ellis & McGuire 1986): a share of the
    resource cost of care is charged to physicians. Under a bundle, the cost of each
    index episode (and of its readmissions when ``bundled.readmissions_included``); under
    capitation, the cost of all care of the list (index episodes and readmissions)."""

    cost_share: float = Field(
        0.0, ge=0, le=1, description="Share 0-1 of the resource cost of care borne (0: none)."
    )
    borne_by: Literal["physician", "team", "organisation"] = Field(
        "physician",
        description="Who bears it: each physician their own episodes' cost, or the team or "
        "organisation the cost of all its physicians' episodes (a shared margin).",
    )
    split: Literal["equal", "workload"] = Field(
        "equal",
        description="How a team's or organisation's borne cost reaches its physicians: in "
        "equal shares, or in proportion to the index episodes each treated in the period.",
    )


class Payment(_Model):
    """Base payment: any mix of the four schemes; each present one is paid in full."""

    fee_for_service: FeeForService | None = None
    capitation: Capitation | None = None
    salary: Salary | None = None
    bundled: Bundled | None = None
    risk_bearing: RiskBearing = Field(default_factory=RiskBearing)
