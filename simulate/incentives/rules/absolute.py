"""Rules that judge each unit on its own figures: a target (or QOF-style tiers),
improvement on its own baseline, a payment per unit of the metric, a withhold."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulate.incentives.rules.base import Rule, _text, money


class OwnBaseline(BaseModel):
    """A threshold relative to the unit's own figure over a baseline window."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    first_period: int = Field(ge=0, description="First period of the baseline window (0-based).")
    last_period: int = Field(ge=0, description="Last period of the baseline window, inclusive.")
    change: float = Field(
        0.0,
        ge=-1,
        le=1,
        description="The threshold is the unit's baseline figure x (1 + change): -0.05 is 5% "
        "below it.",
    )

    @model_validator(mode="after")
    def _ordered(self):
        if self.last_period < self.first_period:
            raise ValueError(
                f"last_period ({self.last_period}) is before first_period ({self.first_period})"
            )
        return self

    def periods(self) -> range:
        """The baseline window."""
        return range(self.first_period, self.last_period + 1)

    def threshold(self, baseline: np.ndarray) -> np.ndarray:
        """Each unit's threshold from its baseline figure (NaN where it has none)."""
        return np.asarray(baseline, dtype=float) * (1.0 + self.change)

    def describe(self) -> str:
        """In plain words."""
        return (
            f"{self.change:+.0%} on its own figure over periods "
            f"{self.first_period}-{self.last_period}"
        )


def _scaled(values: np.ndarray, worst: float, best: float, shape: str) -> np.ndarray:
    """Share 0-1 earned on a scale from ``worst`` to ``best``: pro rata (linear), or 1 at
    ``best`` and beyond, else 0 (all_or_nothing)."""
    share = np.clip((values - worst) / (best - worst), 0.0, 1.0)
    return (share >= 1.0).astype(float) if shape == "all_or_nothing" else share


def _baseline_before_start(rule: Rule, own: OwnBaseline | None) -> None:
    if own is not None and own.last_period >= rule.start_period:
        raise ValueError(
            f"the own baseline (periods {own.first_period}-{own.last_period}) must end before "
            f"start_period ({rule.start_period})"
        )


class Target(Rule):
    """Bonus for beating a threshold, penalty for missing it; or QOF-style tiered points."""

    type: Literal["target"]
    threshold: float | None = Field(None, description="Beat this to earn the bonus.")
    bonus: float = Field(0.0, ge=0, description="Paid when the threshold is beaten (currency).")
    penalty: float = Field(0.0, ge=0, description="Taken when it is missed (currency).")
    worst: float | None = Field(None, description="Tiers: the value earning no points.")
    best: float | None = Field(None, description="Tiers: the value earning all points.")
    amount: float = Field(0.0, ge=0, description="Tiers: paid at full achievement (currency).")
    own_baseline: OwnBaseline | None = Field(
        None, description="Or: the threshold is the unit's own baseline figure x (1 + change)."
    )

    @model_validator(mode="after")
    def _threshold_or_tiers(self):
        tiers = self.worst is not None or self.best is not None
        if tiers and (self.worst is None or self.best is None or self.worst == self.best):
            raise ValueError("tiers need both 'worst' and 'best', and they must differ")
        if self.own_baseline is not None and (tiers or self.threshold is not None):
            raise ValueError("give 'own_baseline' instead of 'threshold' or tiers, not with them")
        if self.own_baseline is None and tiers == (self.threshold is not None):
            raise ValueError("give either 'threshold' (with bonus/penalty) or 'worst' and 'best'")
        _baseline_before_start(self, self.own_baseline)
        return self

    def baseline_periods(self) -> range:
        return range(0) if self.own_baseline is None else self.own_baseline.periods()

    @property
    def by_threshold(self) -> bool:
        """A threshold (fixed or own-baseline), not tiers."""
        return self.worst is None

    def shapes(self) -> tuple[str, ...]:
        """A threshold pays all or nothing; tiers pro rata (or all at ``best``)."""
        return ("all_or_nothing",) if self.by_threshold else ("linear", "all_or_nothing")

    def thresholds(self, evaluation) -> np.ndarray | float:
        """The threshold per unit: fixed, or from each unit's own baseline."""
        if self.own_baseline is None:
            return self.threshold
        base = evaluation.baseline(self.metric, self.risk_adjusted)
        return self.own_baseline.threshold(base)

    def achievement(self, values: np.ndarray, threshold=None) -> np.ndarray:
        """Share 0-1 earned: 1 when the threshold is beaten, or pro rata between the tiers."""
        if self.by_threshold:
            threshold = self.threshold if threshold is None else threshold
            return (self.spec.sign * (values - threshold) >= 0).astype(float)
        return _scaled(values, self.worst, self.best, self.effective_shape)

    def amounts(self, evaluation, explain=True):
        values = evaluation.metric(self.metric, self.risk_adjusted)
        threshold = self.thresholds(evaluation) if self.by_threshold else None
        share = self.achievement(values, threshold)
        reasons = None
        if not self.by_threshold:
            amounts = self.amount * share
            reasons = explain and [
                f"{self.metric} {_text(v)}: {s:.0%} of points"
                for v, s in zip(values, share, strict=True)
            ]
        else:
            amounts = np.where(share > 0, self.bonus, -self.penalty)
            marks = np.broadcast_to(threshold, np.shape(values))
            reasons = explain and [
                f"{self.metric} {_text(v)} {'beats' if s else 'misses'} target {t:g}"
                for v, s, t in zip(values, share, marks, strict=True)
            ]
            amounts = np.where(np.isnan(threshold), 0.0, amounts)  # no baseline: nothing
        amounts = np.where(np.isnan(values), 0.0, amounts)
        return amounts, reasons

    def describe(self) -> str:
        if self.own_baseline is not None:
            return (
                f"bonus {money(self.bonus)} for beating {self.own_baseline.describe()}, "
                f"penalty {money(self.penalty)} for missing it"
            )
        if self.threshold is not None:
            return (
                f"bonus {money(self.bonus)} for beating {self.threshold}, "
                f"penalty {money(self.penalty)} for missing it"
            )
        return f"up to {money(self.amount)} on a scale from {self.worst} to {self.best}"


class Improvement(Rule):
    """Paid per unit of improvement on the unit's own baseline (the periods before start)."""

    type: Literal["improvement"]
    cap_shaped: ClassVar[bool] = True
    baseline_length: int | None = Field(
        None, ge=1, description="Periods just before start_period that form the baseline."
    )
    own_baseline: OwnBaseline | None = Field(
        None,
        description="Or: any baseline window; improvement counts from the baseline x (1 + change).",
    )
    per_unit_improvement: float = Field(
        ge=0, description="Currency per unit of improvement (in the metric's better direction)."
    )
    relative: bool = Field(False, description="Measure improvement as a share of the baseline.")
    penalise_deterioration: bool = Field(
        False, description="Also take money for getting worse, at the same rate."
    )

    @model_validator(mode="after")
    def _baseline_fits(self):
        if (self.baseline_length is None) == (self.own_baseline is None):
            raise ValueError("give either 'baseline_length' or 'own_baseline'")
        if self.baseline_length is not None and self.baseline_length > self.start_period:
            raise ValueError(
                f"baseline_length ({self.baseline_length}) needs start_period >= "
                f"{self.baseline_length}; start_period is {self.start_period}"
            )
        _baseline_before_start(self, self.own_baseline)
        return self

    def baseline_periods(self) -> range:
        if self.own_baseline is not None:
            return self.own_baseline.periods()
        return range(self.start_period - self.baseline_length, self.start_period)

    def amounts(self, evaluation, explain=True):
        values = evaluation.metric(self.metric, self.risk_adjusted)
        base = evaluation.baseline(self.metric, self.risk_adjusted)
        if self.own_baseline is not None:
            base = self.own_baseline.threshold(base)
        change = self.spec.sign * (values - base)
        if self.relative:
            with np.errstate(divide="ignore", invalid="ignore"):
                change = np.where(base != 0, change / np.abs(base), np.nan)
        if not self.penalise_deterioration:
            change = np.maximum(change, 0.0)
        amounts = np.where(np.isnan(change), 0.0, self.per_unit_improvement * change)
        reasons = explain and [
            f"{self.metric} {_text(v)} against baseline {_text(b)}"
            for v, b in zip(values, base, strict=True)
        ]
        return amounts, reasons

    def describe(self) -> str:
        return f"{money(self.per_unit_improvement)} per unit of improvement"


class PerUnit(Rule):
    """A continuous payment per unit of the metric (e.g. per episode, per QALY)."""

    type: Literal["per_unit"]
    cap_shaped: ClassVar[bool] = True
    rate: float = Field(description="Currency per unit of the metric (negative: a charge).")

    def amounts(self, evaluation, explain=True):
        values = evaluation.metric(self.metric, self.risk_adjusted)
        amounts = np.where(np.isnan(values), 0.0, self.rate * values)
        reasons = explain and [f"{self.metric} {_text(v)} x {self.rate:g}" for v in values]
        return amounts, reasons

    def describe(self) -> str:
        return f"{money(self.rate)} per unit of the metric"


class Withhold(Rule):
    """A share of base payment held back each period and returned for achievement."""

    type: Literal["withhold"]
    split_basis: ClassVar[str | None] = "withheld"
    share: float = Field(gt=0, le=1, description="Share of base payment withheld (0-1).")
    threshold: float | None = Field(None, description="Return all when the metric beats this.")
    worst: float | None = Field(None, description="Return nothing at or below this value.")
    best: float | None = Field(None, description="Return all at or beyond this value.")

    @model_validator(mode="after")
    def _threshold_or_range(self):
        ranged = self.worst is not None or self.best is not None
        if ranged and (self.worst is None or self.best is None or self.worst == self.best):
            raise ValueError(
                "a pro-rata return needs both 'worst' and 'best', and they must differ"
            )
        if ranged == (self.threshold is not None):
            raise ValueError("give either 'threshold' or 'worst' and 'best'")
        return self

    def withhold_share(self) -> float:
        return self.share

    def shapes(self) -> tuple[str, ...]:
        """A threshold returns all or nothing; a range pro rata (or all at ``best``)."""
        return ("all_or_nothing",) if self.threshold is not None else ("linear", "all_or_nothing")

    def describe(self) -> str:
        return f"{self.share:.1%} of base payment withheld, returned on performance"

    def amounts(self, evaluation, explain=True):
        values = evaluation.metric(self.metric, self.risk_adjusted)
        if self.threshold is not None:
            returned = (self.spec.sign * (values - self.threshold) >= 0).astype(float)
        else:
            returned = _scaled(values, self.worst, self.best, self.effective_shape)
        returned = np.where(np.isnan(values), 1.0, returned)  # nothing to judge: all returned
        amounts = evaluation.withheld * returned
        reasons = explain and [
            f"{self.metric} {_text(v)}: {r:.0%} of {w:.2f} withheld returned"
            for v, r, w in zip(values, returned, evaluation.withheld, strict=True)
        ]
        return amounts, reasons
