"""Bonus, penalty, withhold and shared-savings rules: one small class per YAML ``type``.

Rules know nothing about SimPy. At the close of a period in which a rule is evaluated,
the payer hands it an :class:`Evaluation` (metric values per unit over the rule's
window, base payment over the window, a baseline where the rule needs one) and the
rule returns one amount per unit (positive: paid to the unit; negative: taken from it)
with a reason. Team and organisation amounts are then split among physicians
(:func:`split_weights`). Amounts are currency; metric values follow ``catalogue``
(flows such as episodes and cost are totals over the window).
"""

from __future__ import annotations

import difflib
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from simulate.accounts.catalogue import CATALOGUE, MetricSpec

Level = Literal["physician", "team", "organisation"]
_LARGEST = float(np.finfo(float).max)
Split = Literal["equal", "episodes", "contribution"]


@dataclass(frozen=True)
class Evaluation:
    """What a rule sees when it is evaluated, per unit of its level (arrays over units).

    At a period close the arrays are 1-D over the units; what-ifs pass arrays of any
    shape that broadcast together (physician x candidate x noise draw), so a rule's
    ``amounts`` must be elementwise over units (the tournament's ranking aside).
    """

    period: int
    metric: Callable[[str, bool], np.ndarray]
    """``metric(name, risk_adjusted)``: values per unit over the rule's window."""
    baseline: Callable[[str, bool], np.ndarray]
    """The same over the rule's baseline periods (NaN where there are none)."""
    base_payment: np.ndarray
    """Base payment per unit over the window (currency)."""
    withheld: np.ndarray
    """Amount this rule withheld per unit over the window (currency, >= 0)."""
    window_periods: int
    """Periods the window covers."""
    groups: np.ndarray | None = None
    """Peer group of each unit (physicians: their team index); None = one group."""


@dataclass(frozen=True)
class Peers:
    """The observed units candidates are ranked among when a payment is anticipated."""

    values: np.ndarray
    """Observed metric value per unit of the rule's level."""
    groups: np.ndarray
    """Peer group of each unit (physicians: their team index), as ``Evaluation.groups``."""
    own: np.ndarray
    """The observed unit each candidate stands in for (broadcasting against candidates)."""
    memo: dict = field(default_factory=dict, compare=False, repr=False)
    """What a rule prepares once from these peers for many candidates (sorted scores)."""


def check_metric(metric: str) -> str:
    """``metric`` if the catalogue has it; otherwise a ValueError naming the nearest."""
    if metric in CATALOGUE:
        return metric
    near = difflib.get_close_matches(metric, list(CATALOGUE), n=1)
    hint = f"did you mean '{near[0]}'? " if near else ""
    raise ValueError(f"unknown metric '{metric}'; {hint}The catalogue has: {', '.join(CATALOGUE)}")


def _text(value: float) -> str:
    return "no episodes" if math.isnan(value) else f"{value:.4g}"


def money(x: object) -> str:
    """A currency amount in words-friendly form: 4,000."""
    try:
        value = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(x)
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.4g}"


class Rule(BaseModel, ABC):
    """Fields every rule has: what is measured, who is paid, when, and how much at most."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    type: str
    name: str | None = Field(None, description="Label in the payments table (default: type_N).")
    metric: str = Field(description="A metric from the catalogue (docs/incentives.md).")
    level: Level = Field("physician", description="Who is evaluated and paid.")
    every: int = Field(1, ge=1, le=1000, description="Evaluated every this many periods.")
    lag: int = Field(0, ge=0, le=1000, description="Periods between evaluation and payment.")
    start_period: int = Field(0, ge=0, description="First period in force (0-based).")
    end_period: int | None = Field(
        None, ge=0, description="Last period in force, inclusive (none: to the end)."
    )
    cap: float | None = Field(
        None, ge=0, description="Largest absolute amount per unit per evaluation (currency)."
    )
    risk_adjusted: bool = Field(
        False, description="Use the observed/expected ratio times the overall rate."
    )
    split: Split = Field("equal", description="How team or organisation money reaches physicians.")

    split_basis: ClassVar[str | None] = None
    """When set ('withheld' or 'base_payment'), team money is split in proportion to it."""

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str) -> str:
        return check_metric(metric)

    @model_validator(mode="after")
    def _check_common(self):
        spec = self.spec
        if self.risk_adjusted and not spec.risk_adjustable:
            adjustable = ", ".join(m for m, s in CATALOGUE.items() if s.risk_adjustable)
            raise ValueError(f"metric '{self.metric}' cannot be risk-adjusted; only {adjustable}")
        if spec.team_only and self.level == "physician":
            raise ValueError(
                f"metric '{self.metric}' exists for teams and the organisation, not physicians"
            )
        if self.end_period is not None and self.end_period < self.start_period:
            raise ValueError(
                f"end_period ({self.end_period}) is before start_period ({self.start_period})"
            )
        return self

    @property
    def spec(self) -> MetricSpec:
        """The catalogue entry of this rule's metric."""
        return CATALOGUE[self.metric]

    def in_force(self, period: int) -> bool:
        """Whether the rule applies in ``period``."""
        return period >= self.start_period and (
            self.end_period is None or period <= self.end_period
        )

    def evaluates_at(self, period: int) -> bool:
        """Whether the rule is evaluated at the close of ``period``."""
        return self.in_force(period) and (period - self.start_period + 1) % self.every == 0

    def window(self, period: int) -> range:
        """Periods an evaluation at the close of ``period`` covers."""
        return range(max(self.start_period, period - self.every + 1), period + 1)

    def baseline_periods(self) -> range:
        """Periods forming the unit's own baseline (empty unless the rule uses one)."""
        return range(0)

    def withhold_share(self) -> float:
        """Share of base payment withheld each period in force (``withhold`` only)."""
        return 0.0

    def settle(
        self, evaluation: Evaluation, *, explain: bool = True
    ) -> tuple[np.ndarray, list[str] | None]:
        """Amounts per unit after the cap, with a reason per unit (None unless ``explain``)."""
        amounts, reasons = self.amounts(evaluation, explain)
        return self._capped(amounts, reasons if explain else None)

    def _capped(
        self, amounts: np.ndarray, reasons: list[str] | None
    ) -> tuple[np.ndarray, list[str] | None]:
        amounts = np.asarray(amounts, dtype=float)  # NaN: 0; +-inf: the largest float
        amounts = np.where(
            np.isnan(amounts), 0.0, np.minimum(np.maximum(amounts, -_LARGEST), _LARGEST)
        )
        if self.cap is not None:
            over = np.abs(amounts) > self.cap
            amounts = np.minimum(np.maximum(amounts, -self.cap), self.cap)
            if reasons is not None:
                reasons = [
                    reason + f"; capped at {self.cap:g}" if is_over else reason
                    for reason, is_over in zip(reasons, over, strict=True)
                ]
        return amounts, reasons

    def anticipate(self, evaluation: Evaluation, peers: Peers, scale) -> np.ndarray:
        """Amounts after the cap that candidate units expect.

        Each candidate (an element of the evaluation's arrays) stands in for the observed
        unit ``peers.own``; ``scale`` per candidate (None: 1) brings its figure back to
        the observed organisation's terms (risk adjustment scales every unit by the
        organisation's rate, which the candidate moves). Rules that judge a unit on its
        own figures alone (all but the tournament) need neither.
        """
        return self.settle(evaluation, explain=False)[0]

    @abstractmethod
    def amounts(
        self, evaluation: Evaluation, explain: bool = True
    ) -> tuple[np.ndarray, list[str] | None]:
        """Amounts per unit before the cap, and reasons (None unless ``explain``)."""

    @abstractmethod
    def describe(self) -> str:
        """What the rule pays, in plain words (the dashboard's table of rules)."""


class Target(Rule):
    """Bonus for beating a threshold, penalty for missing it; or QOF-style tiered points."""

    type: Literal["target"]
    threshold: float | None = Field(None, description="Beat this to earn the bonus.")
    bonus: float = Field(0.0, ge=0, description="Paid when the threshold is beaten (currency).")
    penalty: float = Field(0.0, ge=0, description="Taken when it is missed (currency).")
    worst: float | None = Field(None, description="Tiers: the value earning no points.")
    best: float | None = Field(None, description="Tiers: the value earning all points.")
    amount: float = Field(0.0, ge=0, description="Tiers: paid at full achievement (currency).")

    @model_validator(mode="after")
    def _threshold_or_tiers(self):
        tiers = self.worst is not None or self.best is not None
        if tiers and (self.worst is None or self.best is None or self.worst == self.best):
            raise ValueError("tiers need both 'worst' and 'best', and they must differ")
        if tiers == (self.threshold is not None):
            raise ValueError("give either 'threshold' (with bonus/penalty) or 'worst' and 'best'")
        return self

    def achievement(self, values: np.ndarray) -> np.ndarray:
        """Share 0-1 earned: 1 when the threshold is beaten, or pro rata between the tiers."""
        if self.threshold is not None:
            return (self.spec.sign * (values - self.threshold) >= 0).astype(float)
        return np.clip((values - self.worst) / (self.best - self.worst), 0.0, 1.0)

    def amounts(self, evaluation, explain=True):
        values = evaluation.metric(self.metric, self.risk_adjusted)
        share = self.achievement(values)
        reasons = None
        if self.threshold is None:
            amounts = self.amount * share
            reasons = explain and [
                f"{self.metric} {_text(v)}: {s:.0%} of points"
                for v, s in zip(values, share, strict=True)
            ]
        else:
            amounts = np.where(share > 0, self.bonus, -self.penalty)
            reasons = explain and [
                f"{self.metric} {_text(v)} {'beats' if s else 'misses'} target {self.threshold:g}"
                for v, s in zip(values, share, strict=True)
            ]
        amounts = np.where(np.isnan(values), 0.0, amounts)
        return amounts, reasons

    def describe(self) -> str:
        if self.threshold is not None:
            return (
                f"bonus {money(self.bonus)} for beating {self.threshold}, "
                f"penalty {money(self.penalty)} for missing it"
            )
        return f"up to {money(self.amount)} on a scale from {self.worst} to {self.best}"


class Improvement(Rule):
    """Paid per unit of improvement on the unit's own baseline (the periods before start)."""

    type: Literal["improvement"]
    baseline_length: int = Field(
        ge=1, description="Periods just before start_period that form the baseline."
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
        if self.baseline_length > self.start_period:
            raise ValueError(
                f"baseline_length ({self.baseline_length}) needs start_period >= "
                f"{self.baseline_length}; start_period is {self.start_period}"
            )
        return self

    def baseline_periods(self) -> range:
        return range(self.start_period - self.baseline_length, self.start_period)

    def amounts(self, evaluation, explain=True):
        values = evaluation.metric(self.metric, self.risk_adjusted)
        base = evaluation.baseline(self.metric, self.risk_adjusted)
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


def _tournament_shares(values: np.ndarray, slots: int, better: float) -> np.ndarray:
    """Share of a prize each unit wins when the best ``slots`` units win; ties share equally."""
    shares = np.zeros(len(values))
    valid = np.flatnonzero(~np.isnan(values))
    if slots <= 0 or len(valid) == 0:
        return shares
    slots = min(slots, len(valid))
    score = better * values[valid]
    cutoff = np.sort(score)[::-1][slots - 1]
    above = score > cutoff
    tied = score == cutoff
    shares[valid[above]] = 1.0
    remaining = slots - int(above.sum())
    shares[valid[tied]] = remaining / int(tied.sum())
    return shares


class Tournament(Rule):
    """Relative performance: the top share of peers gets a bonus, the bottom share a penalty."""

    type: Literal["tournament"]
    top_share: float = Field(ge=0, le=1, description="Share of units that win the bonus.")
    bonus: float = Field(0.0, ge=0, description="Paid to each winner (currency).")
    bottom_share: float = Field(0.0, ge=0, le=1, description="Share of units penalised.")
    penalty: float = Field(0.0, ge=0, description="Taken from each of the bottom units.")
    peer_group: Literal["organisation", "team"] = Field(
        "organisation",
        description="Rank physicians against the whole organisation or within their team.",
    )

    @model_validator(mode="after")
    def _shares_fit(self):
        total = self.top_share + self.bottom_share
        if total > 1:
            raise ValueError(f"top_share + bottom_share must be at most 1 (got {total:g})")
        if self.peer_group == "team" and self.level != "physician":
            raise ValueError("peer_group 'team' ranks physicians; it needs level: physician")
        return self

    def describe(self) -> str:
        text = f"top {self.top_share:.0%} earn {money(self.bonus)} each"
        if self.bottom_share > 0:
            text += f"; bottom {self.bottom_share:.0%} lose {money(self.penalty)} each"
        group = "each team" if self.peer_group == "team" else "the organisation"
        return text + f"; ranked within {group}"

    @staticmethod
    def slots(share: float, n: int) -> int:
        """Winners (or losers) among ``n`` ranked units: share x n rounded half up; the
        bottom group is then cut so that it never overlaps the top group."""
        return math.floor(share * n + 0.5)

    def anticipate(self, evaluation: Evaluation, peers: Peers, scale) -> np.ndarray:
        """Each candidate ranked among the other units of its peer group at their
        observed figures: the same slots as :meth:`amounts` (the candidate counted among
        the ranked) for values not tied with a peer; after the cap."""
        score = self.spec.sign * evaluation.metric(self.metric, self.risk_adjusted)
        if scale is not None:
            score = score / scale
        if "ranked" not in peers.memo:  # the peers are this rule's: prepared once
            peers.memo["ranked"] = _Ranked(self, peers)
        ranked = peers.memo["ranked"]
        better, worse = ranked.counts(score)
        own, valid = ranked.own_value, ranked.own_valid
        better = better - (valid & (own > score))  # the candidate replaces its own figure
        worse = worse - (valid & (own < score))
        amounts = np.where(
            better < ranked.winners,
            self.bonus,
            np.where((worse < ranked.losers) & (better >= ranked.winners), -self.penalty, 0.0),
        )
        amounts = np.where(np.isnan(score), 0.0, amounts)  # finite: only the cap is left
        if self.cap is None:
            return amounts
        return np.minimum(np.maximum(amounts, -self.cap), self.cap)

    def amounts(self, evaluation, explain=True):
        values = evaluation.metric(self.metric, self.risk_adjusted)
        groups = evaluation.groups
        if self.peer_group == "organisation" or groups is None:
            groups = np.zeros(len(values), dtype=int)
        top, bottom = np.zeros(len(values)), np.zeros(len(values))
        sign = self.spec.sign
        for group in np.unique(groups):
            members = np.flatnonzero(groups == group)
            part = values[members]
            n = int(np.sum(~np.isnan(part)))
            winners = self.slots(self.top_share, n)
            losers = min(self.slots(self.bottom_share, n), n - winners)  # never both
            top[members] = _tournament_shares(part, winners, sign)
            bottom[members] = _tournament_shares(part, losers, -sign)
        amounts = self.bonus * top - self.penalty * bottom
        reasons = explain and [
            f"{self.metric} {_text(v)}: "
            + ("top" if t > 0 else "bottom" if b > 0 else "middle")
            + (f" (tie, {max(t, b):.2f} share)" if 0 < max(t, b) < 1 else "")
            for v, t, b in zip(values, top, bottom, strict=True)
        ]
        return amounts, reasons


class _Ranked:
    """A tournament's observed peers, prepared for ranking many candidates at once."""

    def __init__(self, rule: Tournament, peers: Peers) -> None:
        observed = rule.spec.sign * peers.values
        group = peers.groups if rule.peer_group == "team" else np.zeros(len(observed), int)
        valid = ~np.isnan(observed)
        self.sorted = {int(g): np.sort(observed[(group == g) & valid]) for g in np.unique(group)}
        self.own_group = group[peers.own]
        self.own_value = observed[peers.own]
        self.own_valid = valid[peers.own]
        sizes = np.zeros(int(group.max()) + 1, dtype=int)
        for g, values in self.sorted.items():
            sizes[g] = len(values)
        n = sizes[self.own_group] - self.own_valid + 1  # the candidate among the ranked
        self.winners = np.floor(rule.top_share * n + 0.5)
        self.losers = np.minimum(np.floor(rule.bottom_share * n + 0.5), n - self.winners)
        flat_group = self.own_group.reshape(len(self.own_group), -1)[:, 0]
        edges = np.flatnonzero(np.diff(flat_group)) + 1
        self.blocks = None
        if np.all(np.diff(flat_group) >= 0):  # candidates' groups in order: contiguous blocks
            starts = np.concatenate([[0], edges])
            ends = np.concatenate([edges, [len(flat_group)]])
            self.blocks = [
                (int(flat_group[a]), a, b) for a, b in zip(starts, ends, strict=True) if b > a
            ]

    def counts(self, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Observed peers (the candidate's own unit included) strictly better and
        strictly worse than each candidate score."""
        better = np.zeros(score.shape, dtype=int)
        worse = np.zeros(score.shape, dtype=int)
        if self.blocks is not None:
            for g, start, end in self.blocks:
                others, part = self.sorted[g], score[start:end]
                better[start:end] = len(others) - others.searchsorted(part, "right")
                worse[start:end] = others.searchsorted(part, "left")
            return better, worse
        for g, others in self.sorted.items():
            rows = np.broadcast_to(self.own_group == g, score.shape)
            better[rows] = len(others) - np.searchsorted(others, score[rows], side="right")
            worse[rows] = np.searchsorted(others, score[rows], side="left")
        return better, worse


class PerUnit(Rule):
    """A continuous payment per unit of the metric (e.g. per episode, per QALY)."""

    type: Literal["per_unit"]
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

    def describe(self) -> str:
        return f"{self.share:.1%} of base payment withheld, returned on performance"

    def amounts(self, evaluation, explain=True):
        values = evaluation.metric(self.metric, self.risk_adjusted)
        if self.threshold is not None:
            returned = (self.spec.sign * (values - self.threshold) >= 0).astype(float)
        else:
            returned = np.clip((values - self.worst) / (self.best - self.worst), 0.0, 1.0)
        returned = np.where(np.isnan(values), 1.0, returned)  # nothing to judge: all returned
        amounts = evaluation.withheld * returned
        reasons = explain and [
            f"{self.metric} {_text(v)}: {r:.0%} of {w:.2f} withheld returned"
            for v, r, w in zip(values, returned, evaluation.withheld, strict=True)
        ]
        return amounts, reasons


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


class ReadmissionPenalty(Rule):
    """Medicare-style readmissions penalty: excess readmission ratio, as a share of base pay.

    ERR = observed / expected readmissions (expected from severity). Penalty =
    base payment x min(max_share_of_base, max(0, ERR - 1) x scale).
    """

    type: Literal["readmission_penalty"]
    split_basis: ClassVar[str | None] = "base_payment"
    metric: str = Field("readmission_rate", description="Always readmission_rate.")
    level: Level = "team"
    risk_adjusted: bool = True
    max_share_of_base: float = Field(
        0.03, ge=0, le=1, description="Penalty cap, share of base pay."
    )
    scale: float = Field(1.0, gt=0, description="Penalty share per unit of excess ratio.")

    @model_validator(mode="after")
    def _metric_fixed(self):
        if self.metric != "readmission_rate":
            raise ValueError("readmission_penalty measures 'readmission_rate'; leave metric out")
        return self

    def describe(self) -> str:
        return (
            f"a penalty of {self.scale:g} x the excess readmission ratio, as a share of base "
            f"payment, capped at {self.max_share_of_base:.1%}"
        )

    def amounts(self, evaluation, explain=True):
        ratio = evaluation.metric("readmission_ratio", self.risk_adjusted)
        share = np.minimum(self.max_share_of_base, np.maximum(0.0, ratio - 1.0) * self.scale)
        share = np.where(np.isnan(share), 0.0, share)
        amounts = -share * evaluation.base_payment
        reasons = explain and [
            f"excess readmission ratio {_text(r)}: {s:.2%} of base payment"
            for r, s in zip(ratio, share, strict=True)
        ]
        return amounts, reasons


RULE_TYPES: dict[str, type[Rule]] = {
    cls.model_fields["type"].annotation.__args__[0]: cls
    for cls in (
        Target,
        Improvement,
        Tournament,
        PerUnit,
        Withhold,
        SharedSavings,
        ReadmissionPenalty,
    )
}
"""Rule classes by YAML ``type``: adding a rule is one class here, one test."""

RuleSpec = Annotated[
    Target | Improvement | Tournament | PerUnit | Withhold | SharedSavings | ReadmissionPenalty,
    Field(discriminator="type"),
]
"""A rule in a scenario's ``incentives:`` list, chosen by its ``type``."""


def describe_amounts(rule: Mapping[str, Any]) -> str:
    """What a rule given as a dict (a resolved scenario's) pays, in plain words, from its
    class's ``describe``; a dict that is no longer a valid rule says so."""
    try:
        return TypeAdapter(RuleSpec).validate_python(dict(rule)).describe()
    except ValidationError as error:
        return f"(not a valid {rule.get('type', 'rule')} rule: {error.error_count()} error(s))"


def split_weights(
    split: Split, episodes: np.ndarray, values: np.ndarray, better: float
) -> np.ndarray:
    """Shares 0-1 (summing to 1) in which a team's amount reaches its physicians.

    ``equal``: 1/N each. ``episodes``: in proportion to index episodes. ``contribution``:
    in proportion to episodes x performance (the metric for higher-is-better metrics,
    its reciprocal for lower-is-better), so better performers receive more.
    """
    n = len(episodes)
    if split == "equal" or n == 0:
        return np.full(n, 1.0 / max(n, 1))
    weight = episodes.astype(float)
    if split == "contribution":
        with np.errstate(divide="ignore", invalid="ignore"):
            performance = values if better > 0 else 1.0 / values
        weight = weight * np.where(np.isfinite(performance) & (performance > 0), performance, 0.0)
    total = weight.sum()
    return weight / total if total > 0 else np.full(n, 1.0 / n)
