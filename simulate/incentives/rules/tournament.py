"""The tournament: units ranked against their peers; the top share wins a bonus, the
bottom share pays a penalty (what-ifs rank a candidate among the observed peers)."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from simulate.incentives.rules.bands import Band, by_position, check_bands, settle_group
from simulate.incentives.rules.base import Evaluation, Peers, Rule, _text, money


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
    top_share: float | None = Field(
        None, ge=0, le=1, description="Share of units that win the bonus."
    )
    bonus: float = Field(0.0, ge=0, description="Paid to each winner (currency).")
    bottom_share: float = Field(0.0, ge=0, le=1, description="Share of units penalised.")
    penalty: float = Field(0.0, ge=0, description="Taken from each of the bottom units.")
    peer_group: Literal["organisation", "team"] = Field(
        "organisation",
        description="Rank physicians against the whole organisation or within their team.",
    )
    bands: tuple[Band, ...] | None = Field(
        None,
        min_length=1,
        description="Or: rank bands, each with its own bonus or penalty (a tiered tournament).",
    )

    @model_validator(mode="after")
    def _shares_fit(self):
        if self.bands is not None:
            if self.top_share is not None or self.bottom_share or self.bonus or self.penalty:
                raise ValueError(
                    "give 'bands' or top_share / bonus / bottom_share / penalty, not both"
                )
            check_bands(self.bands)
        elif self.top_share is None:
            raise ValueError("give 'top_share' (with bonus) or 'bands'")
        total = (self.top_share or 0.0) + self.bottom_share
        if total > 1:
            raise ValueError(f"top_share + bottom_share must be at most 1 (got {total:g})")
        if self.peer_group == "team" and self.level != "physician":
            raise ValueError("peer_group 'team' ranks physicians; it needs level: physician")
        return self

    def shapes(self) -> tuple[str, ...]:
        """A rank wins its band's amount or nothing."""
        return ("all_or_nothing",)

    def describe(self) -> str:
        group = "each team" if self.peer_group == "team" else "the organisation"
        if self.bands is not None:
            return "; ".join(band.describe() for band in self.bands) + f"; ranked within {group}"
        text = f"top {self.top_share:.0%} earn {money(self.bonus)} each"
        if self.bottom_share > 0:
            text += f"; bottom {self.bottom_share:.0%} lose {money(self.penalty)} each"
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
        if self.bands is not None:  # its position: the peers ranked above it
            currency, share = by_position(self.bands, better, ranked.n)
            amounts = currency + share * evaluation.base_payment
            amounts = np.where(np.isnan(score), 0.0, amounts)
            return amounts if self.cap is None else np.clip(amounts, -self.cap, self.cap)
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
        if self.bands is not None:
            return self._band_amounts(evaluation, values, groups, explain)
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

    def _band_amounts(self, evaluation, values, groups, explain):
        """Each unit's band amount within its peer group (ties share their positions')."""
        currency, share = np.zeros(len(values)), np.zeros(len(values))
        for group in np.unique(groups):
            members = np.flatnonzero(groups == group)
            part = settle_group(self.bands, self.spec.sign * values[members])
            currency[members], share[members] = part
        amounts = currency + share * evaluation.base_payment
        reasons = explain and [
            f"{self.metric} {_text(v)}: band amount {money(a)}"
            for v, a in zip(values, amounts, strict=True)
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
        self.n = n
        top = rule.top_share or 0.0  # bands: positions are looked up from n
        self.winners = np.floor(top * n + 0.5)
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
