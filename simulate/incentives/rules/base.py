"""What every rule shares: the evaluation it is handed, the ``Rule`` base class
(timing, cap, what-ifs), the metric check and how team money is split."""

from __future__ import annotations

import difflib
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simulate.accounts.catalogue import CATALOGUE, MetricSpec
from simulate.incentives.targeting import Targeting

Level = Literal["physician", "team", "organisation"]
Shape = Literal["linear", "all_or_nothing"]
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
    targeting: Targeting | None = Field(
        None, description="Only these physicians are evaluated and paid (level: physician)."
    )
    shape: Shape | None = Field(
        None,
        description="linear: paid in proportion up to the cap; all_or_nothing: the full "
        "amount or nothing (default: the rule kind's own, docs/incentives.md).",
    )

    split_basis: ClassVar[str | None] = None
    """When set ('withheld' or 'base_payment'), team money is split in proportion to it."""
    cap_shaped: ClassVar[bool] = False
    """All-or-nothing means the cap or nothing (rules paying a continuous amount)."""

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
        self._check_targeting()
        self._check_shape()
        return self

    def shapes(self) -> tuple[str, ...]:
        """The shapes this rule can take, its default first."""
        return ("linear", "all_or_nothing")

    @property
    def effective_shape(self) -> str:
        """The shape the rule pays in: ``shape``, or the default of its kind."""
        return self.shape or self.shapes()[0]

    def _check_shape(self) -> None:
        allowed = self.shapes()
        if self.shape is not None and self.shape not in allowed:
            raise ValueError(
                f"this {self.type} rule is {allowed[0]} by nature; shape '{self.shape}' needs "
                + ("'worst' and 'best' (a scale)" if self.shape == "linear" else "another rule")
            )
        if self.cap_shaped and self.shape == "all_or_nothing" and self.cap is None:
            raise ValueError("shape all_or_nothing pays the cap or nothing: give a 'cap'")

    def _check_targeting(self) -> None:
        targeting = self.targeting
        if targeting is None:
            return
        if self.level != "physician":
            raise ValueError("targeting chooses physicians; it needs level: physician")
        if targeting.needs_data and self.targeting_chosen_at() < 0:
            raise ValueError(
                "targeting by a metric needs figures to rank: give targeting.chosen_at, "
                "or a start_period of at least 1"
            )

    def targeting_chosen_at(self) -> int:
        """The period whose close chooses the target set (default: the one before the
        rule comes into force, when physicians first anticipate it)."""
        chosen = self.targeting.chosen_at if self.targeting is not None else None
        return self.start_period - 1 if chosen is None else chosen

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
        amounts, reasons, _ = self.settle_counted(evaluation, explain=explain, count=False)
        return amounts, reasons

    def settle_counted(
        self, evaluation: Evaluation, *, explain: bool = True, count: bool = True
    ) -> tuple[np.ndarray, list[str] | None, dict[str, int]]:
        """:meth:`settle`, and how often its cap or gate bound (:meth:`bindings`)."""
        raw, reasons = self.amounts(evaluation, explain)
        amounts, reasons = self._capped(raw, reasons if explain else None)
        if self.cap_shaped and self.effective_shape == "all_or_nothing":
            amounts = np.where(amounts >= self.cap, self.cap, np.where(amounts < 0, -self.cap, 0.0))
        return amounts, reasons, self.bindings(evaluation, raw, amounts) if count else {}

    def bindings(self, evaluation: Evaluation, raw: np.ndarray, paid: np.ndarray) -> dict[str, int]:
        """Unit-evaluations with a figure (``evaluated``), paid or charged something
        (``paid``) and held at the cap (``at_cap``: the amount before the cap exceeded it)."""
        values = np.asarray(evaluation.metric(self.metric, self.risk_adjusted), dtype=float)
        valid = ~np.isnan(values)
        at_cap = 0
        if self.cap is not None:
            at_cap = int(np.sum(valid & (np.abs(np.nan_to_num(raw)) >= self.cap)))
        return {
            "evaluated": int(valid.sum()),
            "paid": int(np.sum(valid & (paid != 0))),
            "at_cap": at_cap,
        }

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
