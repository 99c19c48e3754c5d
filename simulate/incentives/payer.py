"""The payer: settles incentive rules at period close, and answers physicians' what-ifs.

Pure numpy over ledger sums. At each period close the world calls
:meth:`Payer.close_period` and books the line items it returns. Physicians choosing a
style ask :meth:`Payer.what_if` what each rule would pay them under candidate sums of
their own (``incentives.anticipation``). Both read metrics, adjust for risk and split
money through the same pieces (``incentives.window``), and both settle with the rule's
own methods, so what physicians expect and what the payer pays cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulate.accounts.ledger import BASE_PAYMENT_SLICE, F
from simulate.accounts.metrics import MetricView, unit_sums
from simulate.incentives.anticipation import Anticipation, Perceive, WhatIf
from simulate.incentives.rules import Evaluation, Rule
from simulate.incentives.targeting import targets_of
from simulate.incentives.window import MetricReader, WindowSums, shares, split_basis

if TYPE_CHECKING:
    from simulate.accounts.ledger import PeriodLedger
    from simulate.scenario.models import Scenario


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
    """Evaluates a scenario's rules on ledger sums and splits the money among physicians."""

    def __init__(
        self,
        scenario: Scenario,
        physician_team: np.ndarray,
        stream: Callable[[str], np.random.Generator] | None = None,
    ) -> None:
        self.rules: tuple[Rule, ...] = scenario.incentives
        self.labels = scenario.rule_labels
        self.n_periods = scenario.horizon_periods
        self.period_days = scenario.period_days
        self.wait_target_days = scenario.metrics.wait_target_days
        self.team_of = physician_team
        n, n_teams = len(physician_team), len(scenario.teams)
        self.membership = np.zeros((n, n_teams))
        self.membership[np.arange(n), physician_team] = 1.0
        self.team_size = self.membership.sum(axis=0)
        self.withheld = np.zeros((len(self.rules), self.n_periods, n))
        """Amount each rule withheld from each physician in each period (currency)."""
        self.bindings: list[dict[str, int]] = [{} for _ in self.rules]
        """Per rule, summed over its evaluations: unit-evaluations with a figure, paid,
        held at the cap, failing a gate (``Rule.bindings``)."""
        self.pending: dict[int, list[LineItem]] = {}
        self.unpaid: list[LineItem] = []
        """Line items falling due after the horizon (not paid within the run)."""
        self._units: dict[int, tuple] = {}
        behaviour = getattr(scenario, "behaviour", None)
        self.symmetric = getattr(behaviour, "colleagues", "as_observed") == "symmetric"
        """What-ifs expect colleagues to respond as the asking physician does."""
        self.targets = targets_of(scenario, physician_team, stream)
        """The target sets of rules and the dashboard (``stream``: the replication's
        named random streams, for random arms)."""

    # ------------------------------------------------------------------ units
    def level_slice(self, level: str) -> slice:
        """Rows of a level's units in the stacked (physicians, teams, organisation) order."""
        n, n_teams = self.membership.shape
        return {"physician": slice(0, n), "team": slice(n, n + n_teams)}.get(
            level, slice(n + n_teams, n + n_teams + 1)
        )

    def unit_of(self, level: str) -> np.ndarray:
        """Each physician's unit at ``level`` (index within the level)."""
        n = len(self.team_of)
        return {"physician": np.arange(n), "team": self.team_of}.get(level, np.zeros(n, int))

    def members(self, level: str) -> np.ndarray:
        """Number of physicians in each physician's unit at ``level``."""
        n = len(self.team_of)
        return {"physician": np.ones(n), "team": self.team_size[self.team_of]}.get(
            level, np.full(n, float(n))
        )

    def aggregate(self, per_physician: np.ndarray, level: str) -> np.ndarray:
        """Sum per unit of ``level`` of a per-physician array (last axis: physicians)."""
        if level == "physician":
            return per_physician
        if level == "team":
            return per_physician @ self.membership
        return per_physician.sum(axis=-1, keepdims=True)

    def metrics(self, window: WindowSums | None) -> MetricView | None:
        """Metrics for every unit (physicians, teams, organisation) over a window."""
        if window is None or window.periods == 0:
            return None
        return self.units(window)[3]

    def units(self, window: WindowSums) -> tuple:
        """Every unit's sums, wait histograms and team sums over ``window`` (physicians,
        then teams, then the organisation) and their metrics. The last few windows asked
        about are kept: the rules of a period close share theirs."""
        kept = self._units.get(id(window))
        if kept is None or kept[0] is not window:
            if len(self._units) >= 4:
                self._units.clear()
            sums, hist, team = unit_sums(
                window.physician, window.hist, window.team, self.membership
            )
            kept = (window, sums, hist, team, self.metrics_of(sums, hist, team, window.periods))
            self._units[id(window)] = kept
        return kept[1:]

    def metrics_of(
        self, sums: np.ndarray, hist: np.ndarray, team: np.ndarray | None, periods: int
    ) -> MetricView:
        """Metrics (window totals for flows) of units' sums over ``periods`` periods."""
        days = periods * self.period_days
        return MetricView(sums, hist, team, 1.0, days, self.wait_target_days)

    def reader(self, metrics: MetricView | None, level: str) -> MetricReader:
        """The metric reader for the units of ``level``."""
        return MetricReader(metrics, metrics, self.level_slice(level))

    # ---------------------------------------------------------- period close
    def close_period(self, period: int, ledger: PeriodLedger) -> list[LineItem]:
        """Withhold, evaluate and split for ``period``; the line items due in ``period``."""
        base = ledger.physician[period, :, BASE_PAYMENT_SLICE].sum(axis=1)
        self.targets.at_close(period, ledger)
        for r, rule in enumerate(self.rules):
            share = rule.withhold_share()
            if share and rule.in_force(period):
                self.withheld[r, period] = share * base * self.reached(r)
                for i, amount in enumerate(self.withheld[r, period]):
                    if amount:
                        self._book(
                            LineItem(period, i, self.labels[r], -amount, f"withheld {share:.1%}")
                        )
            if rule.evaluates_at(period):
                window = rule.window(period)
                amounts, reasons = self.settle(
                    r,
                    period,
                    WindowSums.of(ledger, window),
                    self.withheld[r, window.start : window.stop].sum(axis=0),
                    self._baseline(rule, ledger),
                    record=True,
                )
                for i, (amount, reason) in enumerate(zip(amounts, reasons, strict=True)):
                    if amount:
                        self._book(
                            LineItem(period + rule.lag, i, self.labels[r], float(amount), reason)
                        )
        return self.pending.pop(period, [])

    def reached(self, r: int) -> np.ndarray | float:
        """1 for the physicians rule ``r`` reaches (its target set), 0 for the others;
        1.0 when it targets nobody in particular."""
        mask = self.targets.mask(self.labels[r])
        return 1.0 if mask is None else mask.astype(float)

    def masked(self, r: int, read):
        """``read`` with the figures of physicians outside rule ``r``'s target set NaN
        (nothing to judge: not paid, not ranked); ``read`` itself when it does not target."""
        mask = self.targets.mask(self.labels[r])
        if mask is None:
            return read

        def metric(name: str, risk_adjusted: bool) -> np.ndarray:
            values = read(name, risk_adjusted)
            keep = mask.reshape(mask.shape + (1,) * (np.ndim(values) - 1))
            return np.where(keep, values, np.nan)

        return metric

    def _baseline(self, rule: Rule, ledger: PeriodLedger) -> WindowSums | None:
        periods = rule.baseline_periods()
        return WindowSums.of(ledger, periods) if len(periods) else None

    def _book(self, item: LineItem) -> None:
        if item.period < self.n_periods:
            self.pending.setdefault(item.period, []).append(item)
        else:
            self.unpaid.append(item)

    def settle(
        self,
        r: int,
        period: int,
        window: WindowSums,
        withheld: np.ndarray,
        baseline: WindowSums | None = None,
        *,
        record: bool = False,
    ) -> tuple[np.ndarray, list[str]]:
        """Rule ``r`` evaluated at the close of ``period``: each physician's amount
        (currency, withheld amounts not deducted) and the reason of their unit.

        ``withheld``: what the rule withheld from each physician over the window;
        ``record``: add how often its cap or gate bound to ``bindings``.
        """
        rule, level = self.rules[r], self.rules[r].level
        metrics = self.metrics(window)
        base = window.physician[:, BASE_PAYMENT_SLICE].sum(axis=1)
        base_units = self.aggregate(base, level)
        evaluation = Evaluation(
            period=period,
            metric=self.masked(r, self.reader(metrics, level)),
            baseline=self._baseline_reader(baseline, level, len(base_units)),
            base_payment=base_units,
            withheld=self.aggregate(withheld, level),
            window_periods=window.periods,
            groups=self.team_of if level == "physician" else None,
        )
        amounts, reasons, counts = rule.settle_counted(evaluation, count=record)
        for key, count in counts.items():
            self.bindings[r][key] = self.bindings[r].get(key, 0) + count
        values = self.reader(metrics, "physician")(rule.metric, rule.risk_adjusted)
        weight = split_basis(rule, window.physician[:, F["episodes"]], values, base, withheld)
        unit = self.unit_of(level)
        share = shares(weight, self.aggregate(weight, level)[unit], self.members(level))
        return amounts[unit] * share, [reasons[u] for u in unit]

    def _baseline_reader(self, baseline: WindowSums | None, level: str, units: int):
        read = self.reader(self.metrics(baseline), level)

        def metric(name: str, risk_adjusted: bool) -> np.ndarray:
            return np.broadcast_to(read(name, risk_adjusted), (units,))

        return metric

    # -------------------------------------------------------------- what-ifs
    def what_if(
        self, r: int, period: int, window: WindowSums, baseline: WindowSums | None = None
    ) -> WhatIf:
        """Rule ``r`` at the close of ``period`` on an observed window, prepared for
        candidates (see :class:`~simulate.incentives.anticipation.WhatIf`)."""
        return WhatIf(self, r, period, window, baseline)

    def anticipate(
        self,
        r: int,
        period: int,
        window: WindowSums,
        own: np.ndarray,
        baseline: WindowSums | None = None,
        perceive: Perceive | None = None,
    ) -> Anticipation:
        """What rule ``r`` would pay each physician if their own window sums were each
        candidate row of ``own`` [N, K, fields], everyone else's as observed."""
        return self.what_if(r, period, window, baseline)(own, perceive)
