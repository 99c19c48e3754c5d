"""The payer: settles incentive rules at each period close and keeps their line items.

Pure numpy over the ledger's arrays; the world calls :meth:`Payer.close_period` after
the period's sums are in the ledger and books the line items it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulate.incentives.metrics import compute_metrics, unit_sums
from simulate.incentives.rules import Evaluation, Rule, split_weights
from simulate.model.ledger import BASE_PAYMENT_SLICE, F

if TYPE_CHECKING:
    from simulate.scenario.models import Scenario

RISK_RATIOS = {"complication_rate": "complication_ratio", "readmission_rate": "readmission_ratio"}


@dataclass(frozen=True)
class LineItem:
    """One incentive payment (positive) or deduction (negative) to one physician."""

    period: int
    """Period in which it is paid (evaluation period + lag)."""
    physician: int
    rule: str
    amount: float
    """Currency."""
    reason: str


class Payer:
    """Evaluates a scenario's rules on the ledger and splits the money among physicians."""

    def __init__(self, scenario: Scenario, physician_team: np.ndarray) -> None:
        self.rules: tuple[Rule, ...] = scenario.incentives
        self.labels = scenario.rule_labels
        self.n_periods = scenario.horizon_periods
        self.period_days = scenario.period_days
        self.wait_target_days = scenario.metrics.wait_target_days
        self.team_of = physician_team
        n, n_teams = len(physician_team), len(scenario.teams)
        self.membership = np.zeros((n, n_teams))
        self.membership[np.arange(n), physician_team] = 1.0
        self.withheld = np.zeros((len(self.rules), self.n_periods, n))
        """Amount each rule withheld from each physician in each period (currency)."""
        self.pending: dict[int, list[LineItem]] = {}
        self.unpaid: list[LineItem] = []
        """Line items falling due after the horizon (not paid within the run)."""

    def level_slice(self, level: str) -> slice:
        n, n_teams = self.membership.shape
        return {"physician": slice(0, n), "team": slice(n, n + n_teams)}.get(
            level, slice(n + n_teams, n + n_teams + 1)
        )

    def metrics_over(self, ledger, periods: range) -> dict[str, np.ndarray] | None:
        """Metrics for every unit (physicians, teams, organisation) over ``periods``."""
        if len(periods) == 0:
            return None
        window = slice(periods.start, periods.stop)
        sums, hist, team = unit_sums(
            ledger.physician[window].sum(axis=0),
            ledger.wait_hist[window].sum(axis=0),
            ledger.team[window].sum(axis=0),
            self.membership,
        )
        return compute_metrics(
            sums, hist, team, 1.0, len(periods) * self.period_days, self.wait_target_days
        )

    def lookup(self, metrics: dict[str, np.ndarray] | None, level: str, units: int):
        part = self.level_slice(level)

        def metric(name: str, risk_adjusted: bool) -> np.ndarray:
            if metrics is None:
                return np.full(units, np.nan)
            if name in RISK_RATIOS.values() and not risk_adjusted:
                rate = name.replace("_ratio", "_rate")
                return metrics[rate][part] / metrics[rate][-1]  # relative to the organisation
            if risk_adjusted and name in RISK_RATIOS:
                ratio_name = RISK_RATIOS[name]
                return metrics[ratio_name][part] * metrics[name][-1]
            return metrics[name][part]

        return metric

    def close_period(self, period: int, ledger) -> list[LineItem]:
        """Withhold, evaluate and split for ``period``; the line items due in ``period``."""
        base = ledger.physician[period, :, BASE_PAYMENT_SLICE].sum(axis=1)
        for r, rule in enumerate(self.rules):
            share = rule.withhold_share()
            if share and rule.in_force(period):
                self.withheld[r, period] = share * base
                for i, amount in enumerate(self.withheld[r, period]):
                    if amount:
                        self._book(
                            LineItem(period, i, self.labels[r], -amount, f"withheld {share:.1%}")
                        )
            if rule.evaluates_at(period):
                self._evaluate(r, rule, period, ledger)
        return self.pending.pop(period, [])

    def _book(self, item: LineItem) -> None:
        if item.period < self.n_periods:
            self.pending.setdefault(item.period, []).append(item)
        else:
            self.unpaid.append(item)

    def _evaluate(self, r: int, rule: Rule, period: int, ledger) -> None:
        window = rule.window(period)
        span = slice(window.start, window.stop)
        metrics = self.metrics_over(ledger, window)
        base_phys = ledger.physician[span, :, BASE_PAYMENT_SLICE].sum(axis=(0, 2))
        withheld_phys = self.withheld[r, span].sum(axis=0)
        base_units = self.aggregate(base_phys, rule.level)
        withheld_units = self.aggregate(withheld_phys, rule.level)
        units = len(base_units)
        evaluation = Evaluation(
            period=period,
            metric=self.lookup(metrics, rule.level, units),
            baseline=self.lookup(
                self.metrics_over(ledger, rule.baseline_periods()), rule.level, units
            ),
            base_payment=base_units,
            withheld=withheld_units,
            window_periods=len(window),
            groups=self.team_of if rule.level == "physician" else None,
        )
        amounts, reasons = rule.settle(evaluation)
        episodes_phys = ledger.physician[span, :, F["episodes"]].sum(axis=0)
        values_phys = self.lookup(metrics, "physician", self.membership.shape[0])(
            rule.metric, rule.risk_adjusted
        )
        for unit, (amount, reason) in enumerate(zip(amounts, reasons, strict=True)):
            if amount == 0:
                continue
            members = self.members(rule.level, unit)
            if rule.split_basis == "withheld":
                weights = _proportional(withheld_phys[members])
            elif rule.split_basis == "base_payment":
                weights = _proportional(base_phys[members])
            else:
                weights = split_weights(
                    rule.split, episodes_phys[members], values_phys[members], rule.spec.sign
                )
            for i, weight in zip(members, weights, strict=True):
                if weight:
                    self._book(
                        LineItem(period + rule.lag, int(i), self.labels[r], amount * weight, reason)
                    )

    def aggregate(self, per_physician: np.ndarray, level: str) -> np.ndarray:
        if level == "physician":
            return per_physician
        if level == "team":
            return per_physician @ self.membership
        return np.array([per_physician.sum()])

    def members(self, level: str, unit: int) -> np.ndarray:
        if level == "physician":
            return np.array([unit])
        if level == "team":
            return np.flatnonzero(self.team_of == unit)
        return np.arange(len(self.team_of))


def _proportional(weights: np.ndarray) -> np.ndarray:
    total = weights.sum()
    return weights / total if total > 0 else np.full(len(weights), 1.0 / len(weights))
