"""What physicians expect to be paid per index episode under candidate styles.

Base payment per episode, less the share of the cost of care they bear (risk-bearing
payment: ``incentives.risk_bearing``), plus incentive payments: the payer's own what-if
of each rule in force next period on the window sums a candidate style implies. Part of
the adaptive model (``behaviour.adaptive``); pure numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulate.accounts.ledger import BASE_PAYMENT_SLICE, F
from simulate.behaviour.perception import perceive
from simulate.incentives.anticipation import Candidates, WhatIf
from simulate.incentives.base_payment import BasePayment
from simulate.incentives.risk_bearing import perceived_share
from simulate.incentives.window import WindowSums

if TYPE_CHECKING:
    from simulate.behaviour.adaptive import BehaviourContext
    from simulate.scenario.models import Scenario


class ExpectedMoney:
    """Money per episode [N, K] of candidate styles [N, K, d] (see the module docstring)."""

    def __init__(
        self,
        scenario: Scenario,
        payment: BasePayment,
        team_of: np.ndarray,
        monitoring: np.ndarray,
        column: dict[str, int],
    ) -> None:
        self.config = scenario.behaviour
        self.monitoring = monitoring
        """Each physician's team's mutual monitoring (share 0-1)."""
        self.column = column
        self.investing = scenario.behaviour.organisational_response.enabled
        """Teams may invest in coordination: their share of it is part of their cost."""
        self.bearing: np.ndarray | None = None
        """The share of their unit's borne cost each physician feels for their own
        episodes [N, 1] (None: nobody bears the cost of care)."""
        if payment.cost_share:
            size = {
                "physician": np.ones(len(team_of)),
                "team": np.bincount(team_of)[team_of].astype(float),
                "organisation": np.full(len(team_of), float(len(team_of))),
            }[payment.borne_by]
            monitoring = monitoring if payment.borne_by != "physician" else 0.0
            self.bearing = perceived_share(size, monitoring)[:, None]

    def base(self, expect: dict[str, np.ndarray]) -> np.ndarray:
        """Base payment per patient who would come, less the cost of care borne [N, K]
        (declined patients bring no payment and no cost)."""
        money = expect["base_payment_per_episode"]
        if self.bearing is not None:
            money = money - self.bearing * expect["borne_per_episode"]
        return money * expect["kept_share"]

    def candidate_sums(
        self, observed: np.ndarray, styles: np.ndarray, expect: dict, n: np.ndarray
    ) -> np.ndarray:
        """Each physician's window sums [N, K, fields] under candidate styles: ``n``
        expected episodes [N] with the figures the style implies; waits (and any
        investment in coordination) as observed."""
        own = np.repeat(observed[:, None, :], styles.shape[1], axis=1)
        n = np.broadcast_to(n[:, None], styles.shape[:2])
        if "selection" in self.column:  # fewer, lower-risk patients
            n = n * expect["kept_share"]
            own[..., F["high_risk_episodes"]] = n * expect["high_risk_share"]
        own[..., F["episodes"]] = n
        own[..., F["complications"]] = n * expect["complication_rate"]
        own[..., F["readmissions"]] = n * expect["readmission_rate"]
        own[..., F["expected_complications"]] = n * expect["expected_complications"]
        own[..., F["expected_readmissions"]] = n * expect["expected_readmissions"]
        own[..., F["cost"]] = n * expect["cost_per_episode"]
        if self.investing:  # their part of the unit's investments, as observed
            own[..., F["cost"]] -= observed[:, F["investment"], None]
        own[..., F["resource_use"]] = n * expect["resource_use_per_episode"]
        own[..., F["qalys"]] = n * expect["qalys_per_episode"]
        own[..., F["intensity"]] = n * styles[..., 0]
        own[..., F["quality_effort"]] = n * styles[..., 1]
        per_period = observed[:, BASE_PAYMENT_SLICE].sum(axis=1)
        fixed = per_period - observed[:, F["fee_for_service"]] - observed[:, F["bundled"]]
        own[..., F["fee_for_service"]] = 0.0
        own[..., F["bundled"]] = fixed[:, None] + n * expect["base_payment_per_episode"]
        return own

    def plans(self, context: BehaviourContext | None) -> list[tuple[WhatIf, np.ndarray]]:
        """Per rule in force next period, once per period close: the payer's what-if on
        the last ``every`` periods (the stand-in for the next evaluation window), and the
        episodes each physician expects over such a window [N] (their recent mean)."""
        if context is None:
            return []
        ledger, period, payer = context.ledger, context.period, context.payer
        recent = ledger.physician[max(0, period - 2) : period + 1, :, F["episodes"]]
        per_period = np.maximum(recent.mean(axis=0), 1.0)
        windows: dict[range, WindowSums] = {}

        def sums(periods: range) -> WindowSums | None:
            if len(periods) and periods not in windows:
                windows[periods] = WindowSums.of(ledger, periods)
            return windows.get(periods)

        plans = []
        for r, rule in enumerate(payer.rules):
            if rule.in_force(period + 1):
                periods = range(max(0, period - rule.every + 1), period + 1)
                what_if = payer.what_if(r, period, sums(periods), sums(rule.baseline_periods()))
                plans.append((what_if, per_period * len(periods)))
        return plans

    def incentives(self, styles: np.ndarray, expect: dict, plans: list) -> np.ndarray:
        """Expected incentive money per episode [N, K] (losses weighted by loss aversion),
        from the payer's own settlement of each rule in force next period."""
        money = np.zeros(styles.shape[:2])
        candidates: dict[int, Candidates] = {}  # rules on the same window share them
        for what_if, n in plans:
            key = id(what_if.window)
            if key not in candidates:
                own = self.candidate_sums(what_if.window.physician, styles, expect, n)
                candidates[key] = Candidates(own, what_if.window)
            result = what_if(candidates[key], perceive)
            share = result.share
            if what_if.rule.level != "physician":  # monitoring restores part of the 1/N
                share = share + self.monitoring[:, None] * (1.0 - share)
            net = result.amount * share[..., None] - result.withheld[..., None]
            weighted = np.where(net < 0, self.config.loss_aversion * net, net)
            money += np.add.reduce(weighted, axis=-1) / (weighted.shape[-1] * n[:, None])
        return money
