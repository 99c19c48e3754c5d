"""Base payment schemes: fee-for-service, capitation, salary and bundled (episode) payment,
and who bears the cost of care (risk-bearing payment: ``incentives.risk_bearing``).

Each scheme present in the scenario is paid in full, so a mix is the sum of its parts
(Ellis & McGuire's mixed payment: a fixed part plus a part that varies with services).
Amounts are currency; per-episode amounts accrue in the period the episode ends,
per-period amounts at period close.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulate.units import DAYS_PER_YEAR

if TYPE_CHECKING:
    from simulate.scenario.models import Scenario


@dataclass(frozen=True)
class BasePayment:
    """The base payment of a scenario, resolved to numbers per condition and per period."""

    fee_per_intensity: tuple[float, ...]
    """Fee-for-service per unit of intensity, by condition index (0 without FFS)."""
    fee_pays_readmissions: bool
    bundle_price: tuple[float, ...]
    """Bundled price per index episode, by condition index (0 without bundling)."""
    bundle_pays_readmissions: bool
    capitation_per_period: float
    """Capitation per physician per period (rate x list size)."""
    salary_per_period: float
    """Salary per physician per period (annual x period_days / 365.25)."""
    readmission_units: float = 1.0
    """Units of intensity a readmission episode delivers per unit of the physician's
    intensity (the clinical ``readmission_cost_share``)."""
    cost_share: float = 0.0
    """Share 0-1 of the resource cost of care the physicians bear (risk-bearing payment)."""
    borne_readmissions: bool = True
    """The borne cost includes readmissions: always under capitation (the list's care),
    under a bundle when it includes them."""
    borne_by: str = "physician"
    """Who bears it: 'physician', 'team' or 'organisation'."""
    split: str = "equal"
    """How a team's or organisation's borne cost reaches its physicians."""

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> BasePayment:
        """Resolve the scenario's ``payment:`` section."""
        payment = scenario.payment
        names = [c.name for c in scenario.conditions]
        ffs, bundle = payment.fee_for_service, payment.bundled
        fees = tuple(ffs.by_condition.get(n, ffs.per_intensity_unit) if ffs else 0.0 for n in names)
        prices = tuple(
            bundle.by_condition.get(n, bundle.per_episode) if bundle else 0.0 for n in names
        )
        cap = payment.capitation
        capitation = cap.per_patient_per_period * cap.list_size_per_physician if cap else 0.0
        salary = (
            payment.salary.annual * scenario.period_days / DAYS_PER_YEAR if payment.salary else 0.0
        )
        risk = payment.risk_bearing
        return cls(
            fee_per_intensity=fees,
            fee_pays_readmissions=ffs.pays_readmissions if ffs else False,
            bundle_price=prices,
            bundle_pays_readmissions=not bundle.readmissions_included if bundle else False,
            capitation_per_period=capitation,
            salary_per_period=salary,
            readmission_units=scenario.clinical.readmission_cost_share,
            cost_share=risk.cost_share,
            borne_readmissions=bundle.readmissions_included if bundle else True,
            borne_by=risk.borne_by,
            split=risk.split,
        )

    def episode_payment(
        self, condition: int, intensity: float, readmission: bool
    ) -> tuple[float, float]:
        """(fee-for-service, bundled) paid for one episode.

        Fee-for-service pays per unit of intensity delivered: a readmission episode
        delivers ``readmission_units`` x intensity units.
        """
        if readmission:
            units = self.readmission_units * intensity
            fee = self.fee_per_intensity[condition] * units if self.fee_pays_readmissions else 0.0
            price = self.bundle_price[condition] if self.bundle_pays_readmissions else 0.0
            return fee, price
        return self.fee_per_intensity[condition] * intensity, self.bundle_price[condition]
