"""Targeting: which physicians a rule or the feedback dashboard reaches.

One schema (:class:`Targeting`, the ``targeting:`` key of a rule and of
``peer_pressure``) and one holder of the sets chosen in a run (:class:`Targets`, kept by
the payer). A set is chosen once, at the close of a period: the worst or best share (or
count) of physicians on a catalogue metric over a window, within the organisation or
each team; a named list; or a random share (a trial arm, from its own named random
stream, so no other draw moves). Pure numpy, no SimPy.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simulate.accounts.catalogue import CATALOGUE, METRIC_CATALOGUE, PEER_METRICS
from simulate.accounts.labels import physician_name
from simulate.accounts.metrics import MetricView

if TYPE_CHECKING:
    from simulate.accounts.ledger import PeriodLedger

TARGETABLE: tuple[str, ...] = tuple(
    m for m in dict.fromkeys((*CATALOGUE, *PEER_METRICS)) if not METRIC_CATALOGUE[m].team_only
)
"""Metrics physicians can be ranked on to choose a target set (physician-level ones)."""


class Targeting(BaseModel):
    """Who is reached: the worst/best share or count on a metric, a named list, or a
    random share; chosen once, at the close of ``chosen_at``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    select: Literal["worst", "best", "named", "random"] = Field(
        description="worst / best on `metric` (by its direction: the worst on a "
        "lower-is-better metric are the highest), a `named` list, or a `random` share."
    )
    metric: str | None = Field(None, description="worst / best: the metric ranked on.")
    share: float | None = Field(None, gt=0, le=1, description="Share of physicians chosen.")
    count: int | None = Field(None, ge=1, description="Or: number of physicians chosen.")
    within: Literal["organisation", "team"] = Field(
        "organisation", description="Choose the share or count in the organisation or per team."
    )
    physicians: tuple[str, ...] | None = Field(
        None, min_length=1, description="named: the physicians, as team.NN (e.g. medicine.03)."
    )
    chosen_at: int | None = Field(
        None,
        ge=0,
        description="Period whose close chooses the set (default: just before its owner "
        "first acts).",
    )
    window: int = Field(12, ge=1, le=120, description="worst / best: periods ranked over.")
    trial_arm: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="A random share of the chosen set is reached (the intervention arm); the "
        "rest of the set is the control arm (a trial among the eligible).",
    )

    @field_validator("metric")
    @classmethod
    def _known(cls, metric: str | None) -> str | None:
        if metric is not None and metric not in TARGETABLE:
            near = difflib.get_close_matches(metric, TARGETABLE, n=1)
            hint = f"did you mean '{near[0]}'? " if near else ""
            raise ValueError(
                f"cannot rank physicians on '{metric}'; {hint}choose one of: "
                + ", ".join(TARGETABLE)
            )
        return metric

    @model_validator(mode="after")
    def _complete(self):
        ranked, named = self.select in ("worst", "best"), self.select == "named"
        if ranked != (self.metric is not None):
            raise ValueError("'metric' is needed by select: worst or best, and only by them")
        if named != (self.physicians is not None):
            raise ValueError("'physicians' is needed by select: named, and only by it")
        if not named and (self.share is None) == (self.count is None):
            raise ValueError(f"select: {self.select} needs exactly one of 'share' and 'count'")
        if named and (self.share is not None or self.count is not None):
            raise ValueError("select: named takes 'physicians', not 'share' or 'count'")
        if self.select == "random" and self.trial_arm is not None:
            raise ValueError("select: random is already a random arm; leave trial_arm out")
        return self

    @property
    def random(self) -> bool:
        """Whether the choice draws random numbers (its own stream)."""
        return self.select == "random" or self.trial_arm is not None

    @property
    def needs_data(self) -> bool:
        """Whether the choice ranks measured figures (worst / best)."""
        return self.select in ("worst", "best")

    def describe(self) -> str:
        """The target set in plain words."""
        if self.select == "named":
            return f"{len(self.physicians)} named physicians"
        size = f"{self.share:.0%}" if self.share is not None else f"{self.count}"
        where = " of each team" if self.within == "team" else ""
        if self.select == "random":
            return f"a random {size}{where}"
        arm = f", a random {self.trial_arm:.0%} of them" if self.trial_arm else ""
        return f"the {self.select} {size}{where} on {self.metric}{arm}"

    def slots(self, n: int) -> int:
        """Physicians chosen among ``n`` candidates: the count, or share x n rounded half
        up (at most ``n``)."""
        k = self.count if self.count is not None else math.floor(self.share * n + 0.5)
        return min(k, n)

    def choose(
        self,
        team_of: np.ndarray,
        names: Sequence[str],
        values: np.ndarray | None = None,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """The target set [N] (bool): the named, or in each group (the organisation or
        each team) the worst / best ``slots`` by ``values`` (NaN never chosen; ties by
        physician order), or a random ``slots`` of the group (``rng``)."""
        n = len(team_of)
        if self.select == "named":
            chosen = np.isin(np.asarray(names), self.physicians)
        else:
            chosen = self._chosen(team_of, values, rng)
        if self.trial_arm is not None:  # the intervention arm among the chosen
            eligible = np.flatnonzero(chosen)
            arm = math.floor(self.trial_arm * len(eligible) + 0.5)
            chosen = np.zeros(n, dtype=bool)
            chosen[rng.permutation(eligible)[:arm]] = True
        return chosen

    def _chosen(self, team_of, values, rng) -> np.ndarray:
        n = len(team_of)
        chosen = np.zeros(n, dtype=bool)
        groups = team_of if self.within == "team" else np.zeros(n, dtype=int)
        for g in np.unique(groups):
            members = np.flatnonzero(groups == g)
            if self.select == "random":
                picked = rng.permutation(members)[: self.slots(len(members))]
            else:
                score = METRIC_CATALOGUE[self.metric].sign * values[members]
                if self.select == "worst":
                    score = -score
                valid = members[~np.isnan(score)]
                order = np.argsort(-score[~np.isnan(score)], kind="stable")
                picked = valid[order][: self.slots(len(valid))]
            chosen[picked] = True
        return chosen


@dataclass
class Owner:
    """A rule or the dashboard with a target set."""

    label: str
    targeting: Targeting
    chosen_at: int
    """The period whose close chooses the set (-1: chosen before the run, no data)."""
    reaches: Callable[[int], bool]
    """Whether the owner acts on the targeted in a period (for the ``targeted`` record)."""
    members: np.ndarray | None = None


class Targets:
    """The target sets of a run: chosen when due, read by the payer and peer pressure."""

    def __init__(
        self,
        owners: list[Owner],
        team_of: np.ndarray,
        names: Sequence[str],
        stream: Callable[[str], np.random.Generator] | None,
        period_days: float = 1.0,
        wait_target_days: float = 0.0,
    ) -> None:
        self.owners = {owner.label: owner for owner in owners}
        self.team_of, self.names = team_of, tuple(names)
        self.period_days, self.wait_target_days = period_days, wait_target_days
        self.stream = stream
        for owner in owners:
            if not owner.targeting.needs_data:
                owner.members = owner.targeting.choose(team_of, self.names, rng=self._rng(owner))

    def _rng(self, owner: Owner) -> np.random.Generator | None:
        """The owner's own stream (``targeting.<label>``) when its choice is random."""
        if not owner.targeting.random or self.stream is None:
            return None
        return self.stream(f"targeting.{owner.label}")

    @property
    def any(self) -> bool:
        """Whether anything in the scenario targets."""
        return bool(self.owners)

    def at_close(self, period: int, ledger: PeriodLedger) -> None:
        """Choose the sets that rank figures at the close of ``period``."""
        for owner in self.owners.values():
            targeting = owner.targeting
            if targeting.needs_data and owner.chosen_at == period:
                span = slice(max(0, period - targeting.window + 1), period + 1)
                view = MetricView(
                    ledger.physician[span].sum(axis=0),
                    ledger.wait_hist[span].sum(axis=0),
                    None,
                    1.0,
                    (span.stop - span.start) * self.period_days,
                    self.wait_target_days,
                )
                figures = view[targeting.metric]
                owner.members = targeting.choose(
                    self.team_of, self.names, figures, self._rng(owner)
                )

    def mask(self, label: str) -> np.ndarray | None:
        """The owner's set [N] (bool; nobody before it is chosen); None: it does not target."""
        owner = self.owners.get(label)
        if owner is None:
            return None
        if owner.members is None:
            return np.zeros(len(self.team_of), dtype=bool)
        return owner.members

    def targeted(self, period: int) -> np.ndarray:
        """Physicians in a target set of an owner acting on them in ``period`` [N] (bool)."""
        out = np.zeros(len(self.team_of), dtype=bool)
        for owner in self.owners.values():
            if owner.members is not None and owner.reaches(period):
                out |= owner.members
        return out


PEER_OWNER = "peer_pressure"
"""The label of the dashboard's target set."""


def physician_names(teams) -> list[str]:
    """Each physician's label in scenario order: ``<team>.<NN>`` (as the output tables)."""
    return [physician_name(t.name, k) for t in teams for k in range(t.physicians)]


def owners_of(scenario) -> list[Owner]:
    """The rules and the dashboard of ``scenario`` that target, as owners of a set."""
    owners = [
        Owner(label, rule.targeting, rule.targeting_chosen_at(), rule.in_force)
        for rule, label in zip(scenario.incentives, scenario.rule_labels, strict=True)
        if getattr(rule, "targeting", None) is not None
    ]
    pressure = getattr(scenario, "peer_pressure", None)
    if pressure is not None and pressure.targeting is not None and pressure.transparency != "none":
        first = pressure.start_period + pressure.publish_every - 1
        chosen = first if pressure.targeting.chosen_at is None else pressure.targeting.chosen_at
        end = pressure.end_period

        def reaches(period: int, chosen: int = chosen, end: int | None = end) -> bool:
            return chosen < period and (end is None or period <= end + 1)

        owners.append(Owner(PEER_OWNER, pressure.targeting, chosen, reaches))
    return owners


def targets_of(
    scenario, team_of: np.ndarray, stream: Callable[[str], np.random.Generator] | None
) -> Targets:
    """The scenario's target sets for one replication (``stream``: its named streams)."""
    owners = owners_of(scenario)
    names = physician_names(scenario.teams) if owners else [""] * len(team_of)
    return Targets(
        owners,
        team_of,
        names,
        stream,
        scenario.period_days,
        scenario.metrics.wait_target_days,
    )
