"""The world's look-up tables: per physician x condition x severity, what an episode
brings (outcome probabilities, costs, health gain, pay, treatment time), as nested
lists (a patient's look-ups index plain lists, faster than numpy scalars).

Computed from the pure functions of ``clinical.outcomes`` and the base payment;
refreshed in place whenever styles change, so a patient in treatment reads the tables
in force.
"""

from __future__ import annotations

import numpy as np

from simulate.behaviour.expectations import effort_split
from simulate.clinical import outcomes
from simulate.incentives.base_payment import BasePayment
from simulate.model.population import Population
from simulate.scenario.models import Scenario


class OutcomeTables:
    """What an episode brings, per physician x condition x severity (see the module)."""

    def __init__(self, scenario: Scenario, payment: BasePayment, population: Population) -> None:
        self.scenario, self.payment = scenario, payment
        self.coordination = np.array([t.team_based_care.coordination for t in scenario.teams])
        """Coordination in force per team (the organisational response may raise it)."""
        self._style_free()
        self.refresh(population)

    def _style_free(self) -> None:
        """What does not depend on style: treatment days, readmission windows, recovery,
        and the complication and readmission risk given severity alone, per condition x
        severity.

        The risk at guideline intensity, reference effort and no coordination: the
        'expected' of observed/expected risk adjustment (indirect standardisation).
        """
        s, clinical = self.scenario, self.scenario.clinical
        self.treatment_days = [c.treatment_days for c in s.conditions]
        self.window = [c.readmission_window_days for c in s.conditions]
        """Each condition's readmission window (days)."""
        self.recovery_mean = [
            [float(outcomes.recovery_days(c.recovery_days, comp, 0.5, clinical)) for comp in (0, 1)]
            for c in s.conditions
        ]
        """Mean recovery days per condition, without and with a complication."""
        self.readmit_time_share = clinical.readmission_treatment_share
        rr = np.array([k.relative_risk for k in s.severity.classes])[None, :]
        comp = np.array([c.complication_rate for c in s.conditions])[:, None]
        readm = np.array([c.readmission_rate for c in s.conditions])[:, None]
        reference = clinical.reference_quality_effort
        self.expected_comp = outcomes.complication_probability(
            comp, rr, 1.0, reference, clinical
        ).tolist()
        self.expected_readm = outcomes.readmission_probability(
            readm, rr, reference, 0.0, clinical
        ).tolist()

    def refresh(self, pop: Population) -> None:
        """Outcome probabilities, costs and gains per physician x condition x severity.

        Recomputed whenever styles change, from the pure functions in ``outcomes``.
        """
        s, clinical = self.scenario, self.scenario.clinical
        intensity = pop.intensity[:, None, None]
        effort_comp, effort_readm = effort_split(pop.quality_effort, pop.focus)
        conds, classes = s.conditions, s.severity.classes
        rr = np.array([k.relative_risk for k in classes])[None, None, :]
        weight = np.array([k.cost_weight for k in classes])[None, None, :]
        base_cost = np.array([c.base_cost for c in conds])[None, :, None]
        coordination = self.coordination[pop.team]
        p_comp = outcomes.complication_probability(
            np.array([c.complication_rate for c in conds])[None, :, None],
            rr,
            intensity,
            effort_comp[:, None, None],
            clinical,
        )
        p_readm = outcomes.readmission_probability(
            np.array([c.readmission_rate for c in conds])[None, :, None],
            rr,
            effort_readm[:, None, None],
            coordination[:, None, None],
            clinical,
        )
        self.p_comp = np.broadcast_to(p_comp, (pop.size, len(conds), len(classes))).tolist()
        self.p_readm = np.broadcast_to(p_readm, (pop.size, len(conds), len(classes))).tolist()
        self.cost = [
            outcomes.episode_cost(base_cost, weight, intensity, comp, clinical).tolist()
            for comp in (0, 1)
        ]
        self.readm_cost = outcomes.readmission_cost(base_cost, weight, intensity, clinical).tolist()
        gain = np.array([c.health_gain_qalys for c in conds])[None, :, None, None]
        flags = np.array([0.0, 1.0])
        qaly = outcomes.health_gain(
            gain,
            pop.intensity[:, None, None, None],
            flags[None, None, :, None],
            flags[None, None, None, :],
            clinical,
        )
        self.qaly = qaly.tolist()
        self.time_factor = outcomes.treatment_time_factor(
            pop.intensity, pop.quality_effort, clinical
        ).tolist()
        self.intensity = pop.intensity.tolist()
        self.effort = pop.quality_effort.tolist()
        self.selection = pop.selection.tolist()
        # (fee-for-service, bundled) paid per episode, [readmission][physician][condition]
        pay = self.payment
        self.pay = [
            [[pay.episode_payment(k, x, readm) for k in range(len(conds))] for x in self.intensity]
            for readm in (False, True)
        ]
