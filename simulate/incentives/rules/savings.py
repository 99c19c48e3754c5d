"""Shared savings against a cost-per-episode benchmark, behind a quality gate."""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simulate.accounts.catalogue import CATALOGUE
from simulate.incentives.rules.base import Evaluation, Level, Rule, check_metric


class QualityGate(BaseModel):
    """A quality condition savings are only shared under."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    metric: str = Field(description="A metric from the catalogue.")
    threshold: float = Field(description="The metric must beat this.")
    risk_adjusted: bool = False

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str) -> str:
        return check_metric(metric)

    @model_validator(mode="after")
    def _adjustable(self):
        if self.risk_adjusted and not CATALOGUE[self.metric].risk_adjustable:
            raise ValueError(f"metric '{self.metric}' cannot be risk-adjusted")
        return self


class SharedSavings(Rule):
    """A share of savings against a cost-per-episode benchmark, behind a quality gate.

    Savings = (benchmark - actual cost per episode) x episodes. Paid only when they
    exceed ``min_savings_rate`` of the benchmark spend and the quality gate passes;
    with ``two_sided``, losses beyond the same rate are charged at ``loss_share``.
    """

    type: Literal["shared_savings"]
    cap_shaped: ClassVar[bool] = True
    metric: str = Field("cost_per_episode", description="Always cost_per_episode.")
    level: Level = "organisation"
    benchmark: float | None = Field(
        None, gt=0, description="Fixed benchmark cost per episode (currency)."
    )
    baseline_length: int | None = Field(
        None,
        ge=1,
        description="Or: benchmark = the unit's own cost per episode over these periods.",
    )
    trend_per_period: float = Field(
        0.0, ge=-0.5, le=0.5, description="Baseline benchmark trended by this share per period."
    )
    share: float = Field(0.5, ge=0, le=1, description="Share of savings paid (0-1).")
    min_savings_rate: float = Field(
        0.02, ge=0, le=1, description="Savings below this share of benchmark spend are not shared."
    )
    quality_gate: QualityGate | None = None
    two_sided: bool = Field(False, description="Charge a share of losses too (downside risk).")
    loss_share: float = Field(
        0.3, ge=0, le=1, description="Share of losses charged when two-sided."
    )

    @model_validator(mode="after")
    def _benchmark_given(self):
        if self.metric != "cost_per_episode":
            raise ValueError("shared_savings measures 'cost_per_episode'; leave metric out")
        if (self.benchmark is None) == (self.baseline_length is None):
            raise ValueError("give either a fixed 'benchmark' or a 'baseline_length'")
        if self.baseline_length is not None and self.baseline_length > self.start_period:
            need = self.baseline_length
            raise ValueError(f"baseline_length ({need}) needs start_period >= {need}")
        return self

    def describe(self) -> str:
        return f"{self.share:.0%} of savings against the benchmark shared"

    def baseline_periods(self) -> range:
        if self.baseline_length is None:
            return range(0)
        return range(self.start_period - self.baseline_length, self.start_period)

    def benchmarks(self, evaluation: Evaluation, shape: tuple[int, ...]) -> np.ndarray:
        """Benchmark cost per episode per unit at this evaluation."""
        if self.benchmark is not None:
            return np.full(shape, self.benchmark)
        base = evaluation.baseline("cost_per_episode", False)
        middle_of_window = evaluation.period - (evaluation.window_periods - 1) / 2
        middle_of_baseline = self.start_period - (self.baseline_length + 1) / 2
        return base * (1.0 + self.trend_per_period) ** (middle_of_window - middle_of_baseline)

    def bindings(self, evaluation, raw, paid) -> dict[str, int]:
        """As every rule's, and ``gate_failed``: savings above the minimum rate not shared
        because the quality gate failed."""
        counts = super().bindings(evaluation, raw, paid)
        if self.quality_gate is not None:
            rate, gate_ok = self._rate_and_gate(evaluation)
            counts["gate_failed"] = int(np.sum((rate >= self.min_savings_rate) & ~gate_ok))
        return counts

    def _rate_and_gate(self, evaluation) -> tuple[np.ndarray, np.ndarray]:
        """Savings as a share of benchmark spend, and whether the quality gate passes."""
        cost = evaluation.metric("cost_per_episode", False)
        bench = self.benchmarks(evaluation, np.shape(cost))
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = (bench - cost) / bench
        gate = self.quality_gate
        quality = evaluation.metric(gate.metric, gate.risk_adjusted)
        return rate, CATALOGUE[gate.metric].sign * (quality - gate.threshold) >= 0

    def amounts(self, evaluation, explain=True):
        cost = evaluation.metric("cost_per_episode", False)
        episodes = evaluation.metric("episodes", False)
        bench = self.benchmarks(evaluation, np.shape(cost))
        savings = (bench - cost) * episodes
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = savings / (bench * episodes)
        gate_ok = np.ones(np.shape(cost), dtype=bool)
        if self.quality_gate is not None:
            gate = self.quality_gate
            quality = evaluation.metric(gate.metric, gate.risk_adjusted)
            gate_ok = CATALOGUE[gate.metric].sign * (quality - gate.threshold) >= 0
        saved = rate >= self.min_savings_rate
        overspent = self.two_sided & (rate <= -self.min_savings_rate)
        amounts = np.where(saved & gate_ok, self.share * savings, 0.0)
        amounts = np.where(overspent, self.loss_share * savings, amounts)
        if not explain:
            return amounts, None
        reasons = []
        for k in range(len(cost)):
            if math.isnan(rate[k]):
                reasons.append("no episodes")
            elif rate[k] >= self.min_savings_rate and gate_ok[k]:
                reasons.append(f"saved {rate[k]:.1%} of benchmark {bench[k]:.0f}; quality gate met")
            elif rate[k] >= self.min_savings_rate:
                reasons.append(f"saved {rate[k]:.1%} but failed the quality gate")
            elif self.two_sided and rate[k] <= -self.min_savings_rate:
                reasons.append(f"overspent {-rate[k]:.1%} of benchmark {bench[k]:.0f}")
            else:
                reasons.append(f"savings {rate[k]:.1%} within the minimum rate")
        return amounts, reasons
