"""What rules are evaluated on: window sums, the metric reader and the split basis.

Shared by the payer's settlement at period close and by the what-ifs physicians ask
(``incentives.anticipation``), so the two read metrics, adjust for risk and split
money the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulate.incentives.rules import Rule

if TYPE_CHECKING:
    from simulate.accounts.ledger import PeriodLedger

RISK_RATIOS = {"complication_rate": "complication_ratio", "readmission_rate": "readmission_ratio"}
"""Rates that can be risk-adjusted, and their observed/expected ratio."""


@dataclass(frozen=True)
class WindowSums:
    """Ledger sums over a window of periods: what rules are evaluated on."""

    physician: np.ndarray
    """[physician, field] (``accounts.ledger.F``)."""
    hist: np.ndarray
    """[physician, wait bin]."""
    team: np.ndarray
    """[team, team field] (``accounts.ledger.T``)."""
    periods: int
    """Periods the window covers."""

    @classmethod
    def of(cls, ledger: PeriodLedger, periods: range) -> WindowSums:
        """Sums of ``ledger`` over ``periods``."""
        span = slice(periods.start, periods.stop)
        return cls(
            ledger.physician[span].sum(axis=0),
            ledger.wait_hist[span].sum(axis=0),
            ledger.team[span].sum(axis=0),
            len(periods),
        )


class MetricReader:
    """``Evaluation.metric`` over units, from their metrics and their organisation's.

    Risk adjustment in one place: a risk-adjusted rate is the observed/expected ratio
    times the organisation's rate (indirect standardisation); an unadjusted ratio is the
    rate relative to the organisation's. With ``part``, units are ``metrics[part]`` and
    the organisation is the last unit of the same metrics (the stacked unit order).
    """

    def __init__(
        self,
        units: Mapping[str, np.ndarray] | None,
        org: Mapping[str, np.ndarray] | None,
        part: slice | None = None,
    ) -> None:
        self.units, self.org, self.part = units, org, part

    def _unit(self, name: str) -> np.ndarray:
        values = self.units[name]
        return values if self.part is None else values[self.part]

    def _org(self, name: str) -> np.ndarray:
        values = self.org[name]
        return values if self.part is None else values[-1]

    def __call__(self, name: str, risk_adjusted: bool) -> np.ndarray:
        if self.units is None:
            return np.full(1, np.nan)
        if name in RISK_RATIOS.values() and not risk_adjusted:
            rate = name.replace("_ratio", "_rate")
            return self._unit(rate) / self._org(rate)
        if risk_adjusted and name in RISK_RATIOS:
            return self._unit(RISK_RATIOS[name]) * self._org(name)
        return self._unit(name)

    @staticmethod
    def org_dependence(name: str, risk_adjusted: bool) -> tuple[str | None, int]:
        """The organisation's rate a metric is proportional to, and the power (0: none)."""
        if name in RISK_RATIOS.values() and not risk_adjusted:
            return name.replace("_ratio", "_rate"), -1
        if risk_adjusted and name in RISK_RATIOS:
            return name, 1
        return None, 0


def split_basis(
    rule: Rule,
    episodes: np.ndarray,
    values: np.ndarray,
    base: np.ndarray,
    withheld: np.ndarray,
) -> np.ndarray:
    """Each physician's weight in the split of a team's or organisation's amount.

    A physician's share is their weight over the unit's total (1/N where the total is
    not positive). ``withhold``: the amount withheld from them; readmissions penalty:
    their base payment; ``split: equal``: 1; ``episodes``: index episodes;
    ``contribution``: episodes x performance (the metric where higher is better, its
    reciprocal where lower is better). Elementwise, so a candidate's weight is computed
    the same way as an observed one's.
    """
    if rule.split_basis == "withheld":
        return np.asarray(withheld, dtype=float)
    if rule.split_basis == "base_payment":
        return np.asarray(base, dtype=float)
    if rule.split == "equal":
        return np.ones(np.shape(episodes))
    weight = np.asarray(episodes, dtype=float)
    if rule.split == "contribution":
        with np.errstate(divide="ignore", invalid="ignore"):
            performance = values if rule.spec.sign > 0 else 1.0 / values
        weight = weight * np.where(np.isfinite(performance) & (performance > 0), performance, 0.0)
    return weight


def shares(weight: np.ndarray, total: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Weight over the unit's total; 1 / members where the total is not positive."""
    positive = total > 0
    return np.where(positive, weight / np.where(positive, total, 1.0), 1.0 / members)
