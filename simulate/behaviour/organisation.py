"""Organisational response: teams (or the organisation) invest in care coordination.

Hospitals facing the readmissions penalty invested in discharge planning and
transitional care (docs/model.md, section 3.9). Here a unit (a team, or the
organisation for all its teams) decides at each period close, by the payer's own
settlement (``Payer.settle``), whether one more step of coordination pays:

    gain_u = sum over rules in force once it would take effect of
             sum_{i in u} [settle(window with u's readmissions x f) - settle(window)]_i / every
    f_t    = (1 - c_r min(1, k_t + step)) / (1 - c_r k_t)      (``readmission_factor``)

the money (penalty avoided or bonus won, currency per period) its physicians would gain
if coordination had been one step higher over the rule's last window (k_t: team t's
coordination, c_r: ``clinical.coordination_readmission_effect``). It invests when
``gain_u > cost_per_period x teams of u``. The investment is paid from the decision on
(each period, in equal shares by the unit's physicians: resource ``cost`` and the
``investment`` payment component), and raises coordination ``lag`` periods later. A unit
decides again once the rules' window has passed since its last investment took effect,
so that it judges the next step on figures the last one has already changed.
Investments are kept to the horizon (an assumption). Pure numpy, no SimPy.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from simulate.accounts.ledger import F
from simulate.incentives.window import WindowSums

if TYPE_CHECKING:
    from simulate.accounts.ledger import PeriodLedger
    from simulate.incentives.payer import Payer


def readmission_factor(coordination: np.ndarray, step: float, effect: float) -> np.ndarray:
    """The factor on readmissions of one more ``step`` of coordination, per team:
    ``(1 - c_r min(1, k + step)) / (1 - c_r k)`` (readmission risk is linear in
    coordination: ``clinical.outcomes.readmission_probability``)."""
    raised = np.minimum(1.0, coordination + step)
    return (1.0 - effect * raised) / np.maximum(1.0 - effect * coordination, 1e-12)


class OrganisationalResponse:
    """Investments in coordination by teams or the organisation (see the module)."""

    name = "organisational_response"
    section = ("behaviour", "organisational_response")
    adaptive_only = False
    dimension_name = None

    def __init__(self, scenario, team_of: np.ndarray) -> None:
        self.config = config = scenario.behaviour.organisational_response
        self.team_of = team_of
        self.effect = scenario.clinical.coordination_readmission_effect
        self.coordination = np.array([t.team_based_care.coordination for t in scenario.teams])
        """Coordination in force per team (share 0-1)."""
        n_teams = len(scenario.teams)
        self.unit_of_team = np.arange(n_teams) if config.level == "team" else np.zeros(n_teams, int)
        units = int(self.unit_of_team.max()) + 1
        self.investments = np.zeros(units, dtype=int)
        """Investments each unit has decided so far (each costed from its decision on)."""
        self.due: dict[int, list[int]] = {}
        """Period close -> units whose investment takes effect then."""
        self.next_decision = np.zeros(units, dtype=int)
        """The first period close at which each unit may decide again."""
        self.decisions: list[tuple[int, int, float, float]] = []
        """(period, unit, expected gain, cost) per period of every investment decided."""

    @staticmethod
    def enabled(scenario) -> bool:
        return scenario.behaviour.organisational_response.enabled

    def unit_cost(self) -> np.ndarray:
        """What one investment costs each unit per period (currency): per team covered."""
        teams = np.bincount(self.unit_of_team, minlength=len(self.investments))
        return self.config.cost_per_period * teams

    def cost_per_physician(self) -> np.ndarray:
        """This period's cost of the investments decided so far, per physician [N]
        (currency; each unit's cost in equal shares among its physicians)."""
        unit = self.unit_of_team[self.team_of]
        members = np.bincount(unit, minlength=len(self.investments))[unit]
        return (self.investments * self.unit_cost())[unit] / members

    def expected_gain(self, unit: int, period: int, ledger: PeriodLedger, payer: Payer) -> float:
        """Money per period the unit's physicians would gain from one more step of
        coordination, by the payer's settlement of each rule in force once it would take
        effect, over the rule's last ``every`` periods (currency per period)."""
        teams = self.unit_of_team == unit
        factor = np.where(
            teams,
            readmission_factor(self.coordination, self.config.coordination_step, self.effect),
            1.0,
        )
        members = teams[self.team_of]
        gain = 0.0
        for r, rule in enumerate(payer.rules):
            if not rule.in_force(period + 1 + self.config.lag):
                continue
            periods = range(max(0, period - rule.every + 1), period + 1)
            window = WindowSums.of(ledger, periods)
            scaled = window.physician.copy()
            scaled[:, F["readmissions"]] *= factor[self.team_of]
            withheld = payer.withheld[r, periods.start : periods.stop].sum(axis=0)
            base_periods = rule.baseline_periods()
            baseline = WindowSums.of(ledger, base_periods) if len(base_periods) else None
            now, _ = payer.settle(r, period, window, withheld, baseline)
            then, _ = payer.settle(r, period, replace(window, physician=scaled), withheld, baseline)
            gain += float((then - now)[members].sum()) / rule.every
        return gain

    def at_close(self, period: int, ledger: PeriodLedger, payer: Payer) -> bool:
        """Decide investments at the close of ``period`` and raise the coordination of
        those falling due; whether any team's coordination changed."""
        step, lag = self.config.coordination_step, self.config.lag
        cost = self.unit_cost()
        pending = {u for units in self.due.values() for u in units}
        for unit in range(len(self.investments)):
            teams = self.unit_of_team == unit
            if unit in pending or period < self.next_decision[unit]:
                continue
            if np.all(self.coordination[teams] >= 1.0):
                continue
            gain = self.expected_gain(unit, period, ledger, payer)
            if gain > cost[unit]:
                self.investments[unit] += 1
                self.due.setdefault(period + lag, []).append(unit)
                self.decisions.append((period, unit, gain, float(cost[unit])))
        changed = False
        for unit in self.due.pop(period, []):
            teams = self.unit_of_team == unit
            self.coordination[teams] = np.minimum(1.0, self.coordination[teams] + step)
            window = max((rule.every for rule in payer.rules), default=1)
            self.next_decision[unit] = period + window
            changed = True
        return changed
