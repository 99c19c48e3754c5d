"""The Medicare-style readmissions penalty: the excess readmission ratio, as a share
of base payment."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from simulate.incentives.rules.base import Level, Rule, _text


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

    def bindings(self, evaluation, raw, paid) -> dict[str, int]:
        """As every rule's, with ``at_cap``: the excess ratio reaching the largest share."""
        counts = super().bindings(evaluation, raw, paid)
        ratio = evaluation.metric("readmission_ratio", self.risk_adjusted)
        at_most = (ratio - 1.0) * self.scale >= self.max_share_of_base
        if self.cap is not None:
            at_most = at_most | (np.abs(raw) >= self.cap)
        counts["at_cap"] = int(np.sum(at_most))
        return counts

    def amounts(self, evaluation, explain=True):
        ratio = evaluation.metric("readmission_ratio", self.risk_adjusted)
        excess = np.maximum(0.0, ratio - 1.0) * self.scale
        if self.effective_shape == "all_or_nothing":  # any excess: the whole penalty
            excess = np.where(excess > 0, self.max_share_of_base, 0.0)
        share = np.minimum(self.max_share_of_base, excess)
        share = np.where(np.isnan(share), 0.0, share)
        amounts = -share * evaluation.base_payment
        reasons = explain and [
            f"excess readmission ratio {_text(r)}: {s:.2%} of base payment"
            for r, s in zip(ratio, share, strict=True)
        ]
        return amounts, reasons
