"""Who pays for care beyond the base payment: the cost of care physicians bear
(risk-bearing payment, ``incentives.risk_bearing``) and the investments in coordination
their team or organisation makes (organisational response, ``behaviour.organisation``).

The world adds each episode's cost within the borne scope to ``borne`` as it happens;
at period close :meth:`Margins.book` charges the period's borne cost (payment component
``cost_sharing``) and investment cost (``investment``, and resource ``cost``) to the
physicians' ledger rows, so money stays visible line by line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulate.accounts.ledger import F
from simulate.behaviour.organisation import OrganisationalResponse
from simulate.incentives.risk_bearing import split_borne

if TYPE_CHECKING:
    from simulate.incentives.base_payment import BasePayment
    from simulate.scenario.models import Scenario

_EPISODES, _COST = F["episodes"], F["cost"]
_P_BORNE, _P_INVEST = F["cost_sharing"], F["investment"]


class Margins:
    """Borne cost of care and investments, booked at period close (see the module)."""

    def __init__(self, scenario: Scenario, payment: BasePayment, team: np.ndarray) -> None:
        self.payment = payment
        self.bearing = payment.cost_share > 0
        """Some unit bears a share of the cost of care."""
        self.borne_readmissions = self.bearing and payment.borne_readmissions
        self.borne = [0.0] * len(team)
        """This period's resource cost of each physician's episodes within the borne scope."""
        self.bearer = {
            "physician": np.arange(len(team)),
            "team": team,
            "organisation": np.zeros(len(team), dtype=int),
        }[payment.borne_by]
        """Each physician's bearing unit (index within its level)."""
        self.organisation = (
            OrganisationalResponse(scenario, team)
            if OrganisationalResponse.enabled(scenario)
            else None
        )

    def book(self, rows: list[list[float]]) -> None:
        """Charge this period's borne cost and investment cost to the ledger's current
        physician ``rows`` (negative payment components; investments also as cost)."""
        if self.bearing:
            episodes = np.array([row[_EPISODES] for row in rows])
            borne = self.payment.cost_share * np.array(self.borne)
            parts = split_borne(borne, episodes, self.bearer, self.payment.split)
            for row, part in zip(rows, parts.tolist(), strict=True):
                row[_P_BORNE] -= part
            self.borne[:] = [0.0] * len(self.borne)
        if self.organisation is not None:
            costs = self.organisation.cost_per_physician().tolist()
            for row, cost in zip(rows, costs, strict=True):
                row[_COST] += cost
                row[_P_INVEST] -= cost
