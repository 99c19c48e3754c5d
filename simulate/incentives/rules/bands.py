"""Rank bands of a tiered tournament: each band of ranks (a share of the ranked units,
from the best) has its own bonus or penalty, in currency or as a share of base payment.

Positions count from 0 (the best). Among n ranked units, a band from ``from`` to ``to``
covers positions floor(from x n + 0.5) to floor(to x n + 0.5) - 1 (shares rounded half up,
as the tournament's slots). Tied units share the mean of their positions' amounts.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulate.incentives.rules.base import money


class Band(BaseModel):
    """One band of ranks and what it pays (negative: a penalty)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, populate_by_name=True
    )
    start: float = Field(alias="from", ge=0, le=1, description="Share of units ranked above it.")
    end: float = Field(alias="to", ge=0, le=1, description="Share of units ranked above its end.")
    amount: float | None = Field(None, description="Paid to each unit in it (currency).")
    share_of_base: float | None = Field(
        None, ge=-1, le=1, description="Or: paid as a share of the unit's base payment."
    )

    @model_validator(mode="after")
    def _valid(self):
        if self.end <= self.start:
            raise ValueError(f"a band needs from < to (got from {self.start:g}, to {self.end:g})")
        if (self.amount is None) == (self.share_of_base is None):
            raise ValueError("a band pays either an 'amount' or a 'share_of_base'")
        return self

    def edges(self, n) -> tuple[np.ndarray, np.ndarray]:
        """First position in the band and the first after it, among ``n`` ranked units."""
        n = np.asarray(n)
        return np.floor(self.start * n + 0.5), np.floor(self.end * n + 0.5)

    def describe(self) -> str:
        """In plain words."""
        ranks = f"ranks {self.start:.0%}-{self.end:.0%}"
        if self.amount is not None:
            return f"{ranks}: {money(self.amount)}"
        return f"{ranks}: {self.share_of_base:+.1%} of base payment"


def check_bands(bands: tuple[Band, ...]) -> None:
    """Bands must not overlap (a ValueError naming the two that do)."""
    ordered = sorted(bands, key=lambda band: band.start)
    for low, high in pairwise(ordered):
        if high.start < low.end:
            raise ValueError(
                f"bands overlap: {low.start:g}-{low.end:g} and {high.start:g}-{high.end:g}"
            )


def by_position(bands: tuple[Band, ...], position, n) -> tuple[np.ndarray, np.ndarray]:
    """Currency and share of base payment at ``position`` among ``n`` ranked units
    (arrays broadcasting together)."""
    position = np.asarray(position)
    currency = np.zeros(np.broadcast_shapes(position.shape, np.shape(n)))
    share = np.zeros(currency.shape)
    for band in bands:
        first, after = band.edges(n)
        inside = (position >= first) & (position < after)
        currency = currency + inside * (band.amount or 0.0)
        share = share + inside * (band.share_of_base or 0.0)
    return currency, share


def settle_group(bands: tuple[Band, ...], score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Currency and share of base payment per unit of one peer group, ranked by ``score``
    (higher is better; NaN: not ranked, nothing). Tied units share the mean of their
    positions' amounts."""
    currency, share = np.zeros(len(score)), np.zeros(len(score))
    valid = np.flatnonzero(~np.isnan(score))
    n = len(valid)
    if n == 0:
        return currency, share
    per_currency, per_share = by_position(bands, np.arange(n), n)
    ranked = np.sort(score[valid])[::-1]
    for unit in valid:
        positions = np.flatnonzero(ranked == score[unit])  # the tied block
        currency[unit] = per_currency[positions].mean()
        share[unit] = per_share[positions].mean()
    return currency, share
