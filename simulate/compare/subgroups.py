"""Subgroups of physicians for effects by subgroup: team, targeted, baseline quartile or
quantile.

A subgroup is defined once, from one variant's results (the reference's in a
comparison), replication by replication, and then used for every variant: with common
random numbers replication k of every variant has the same physicians, so the paired
difference compares the same people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from simulate.accounts.metrics import METRICS
from simulate.compare.window import (
    Window,
    comparison_windows,
    first_policy_start,
    policy_spans,
    unit_window_values,
)
from simulate.errors import ScenarioError
from simulate.model.result import ReplicationResult
from simulate.scenario.models import Scenario

BY_FORM = "team, targeted, baseline-quartile:METRIC or baseline-quantile:METRIC:K"
QUARTILE = "baseline-quartile"
QUARTILES = ("Q1", "Q2", "Q3", "Q4")
"""Quartiles of the baseline METRIC, Q1 the lowest values."""
QUANTILE = "baseline-quantile"
"""K groups of the baseline METRIC (``baseline-quantile:METRIC:5``: quintiles Q1-Q5)."""
MAX_QUANTILES = 100
NO_BASELINE = "no baseline"
"""Physicians whose baseline METRIC is undefined (e.g. no episodes in the baseline)."""
TARGETED = ("targeted", "untargeted")


@dataclass(frozen=True)
class Groups:
    """Which subgroup each physician is in, replication by replication."""

    by: str
    """What the subgroups are (``team``, ``targeted``, ``baseline-quartile:METRIC``)."""
    labels: tuple[str, ...]
    members: Mapping[int, np.ndarray]
    """replication -> index into ``labels`` of each physician (in scenario order)."""

    def of(self, replication: int) -> np.ndarray:
        """Each physician's subgroup index in ``replication``."""
        if replication not in self.members:
            raise ValueError(f"subgroups '{self.by}' are not defined for replication {replication}")
        return self.members[replication]


def parse_by(by: str) -> tuple[str, str | None]:
    """``"baseline-quartile:cost"`` -> ``("baseline-quartile", "cost")`` (and
    ``"baseline-quantile:cost:5"`` -> ``("baseline-quantile", "cost")``, see
    :func:`quantile_count`); ScenarioError naming the allowed forms (and the metrics) on
    anything else."""
    kind, _, metric = str(by).partition(":")
    if kind in ("team", "targeted") and not metric:
        return kind, None
    if kind == QUANTILE:
        metric, _, count = metric.partition(":")
        if not count.isdigit() or not 2 <= int(count) <= MAX_QUANTILES:
            raise ScenarioError(
                f"--by {by}: give the number of groups K (2-{MAX_QUANTILES}) as "
                f"{QUANTILE}:METRIC:K, e.g. {QUANTILE}:intensity:5 for quintiles"
            )
    if kind in (QUARTILE, QUANTILE):
        if metric not in METRICS:
            raise ScenarioError(
                f"--by {by}: '{metric}' is not a metric; allowed: {', '.join(METRICS)}"
            )
        return kind, metric
    raise ScenarioError(f"--by '{by}' is not one of: {BY_FORM}")


def quantile_count(by: str) -> int:
    """How many baseline groups ``by`` makes: 4 for quartiles, K for
    ``baseline-quantile:METRIC:K``; 0 for team and targeted."""
    kind, _ = parse_by(by)
    if kind == QUARTILE:
        return len(QUARTILES)
    return int(str(by).rsplit(":", 1)[1]) if kind == QUANTILE else 0


def labels_of(by: str) -> tuple[str, ...] | None:
    """The subgroup labels ``by`` gives whatever the runs (None for ``team``: the
    scenario's teams)."""
    kind, _ = parse_by(by)
    if kind == "targeted":
        return TARGETED
    count = quantile_count(by)
    return (*(f"Q{k + 1}" for k in range(count)), NO_BASELINE) if count else None


def baseline_window(scenarios: Sequence[Scenario]) -> Window:
    """The months before the policy: the ``before`` phase, else the months before the
    first policy start (warm-up included); ScenarioError when there are none."""
    phases = {w.name: w for w in comparison_windows(scenarios)}
    if "before" in phases:
        before = phases["before"]
        return Window("baseline", before.first_month, before.last_month)
    start = first_policy_start(span for s in scenarios for span in policy_spans(s))
    if start is None or start > scenarios[0].horizon_periods:
        raise ScenarioError(
            f"--by {QUARTILE}: no months before a policy comes into force; name them with "
            "--window baseline=FIRST-LAST"
        )
    return Window("baseline", 1, start)


def subgroups(
    by: str,
    scenario: Scenario,
    results: Sequence[ReplicationResult],
    window: Window,
    baseline: Window | None = None,
) -> Groups:
    """The subgroups ``by`` defines, from ``results`` (one variant's replications).

    ``team``: each physician's team. ``targeted``: targeted in any period of ``window``
    by a rule or dashboard, or not. ``baseline-quartile:METRIC``: quartile of the
    physician's METRIC over ``baseline`` (default :func:`baseline_window`), Q1 lowest.
    """
    kind, metric = parse_by(by)
    if kind == "team":
        labels = tuple(t.name for t in scenario.teams)
        members = {r.replication: np.asarray(r.physician_team, dtype=int) for r in results}
        return Groups(by, labels, members)
    if kind == "targeted":
        return targeted_groups(results, window)
    baseline = baseline if baseline is not None else baseline_window([scenario])
    return quartile_groups(scenario, results, str(metric), baseline, quantile_count(by))


def targeted_groups(results: Sequence[ReplicationResult], window: Window) -> Groups:
    """Targeted (in any period of ``window``) or untargeted; ScenarioError when no
    result records targeting (no rule or dashboard targets physicians)."""
    if all(r.targeted is None for r in results):
        raise ScenarioError(
            "--by targeted: no rule in the scenario targets physicians (every physician "
            "is subject to every rule and dashboard)"
        )
    p = window.periods
    members = {}
    for r in results:
        n = len(r.physician_team)
        hit = np.zeros(n, bool) if r.targeted is None else r.targeted[p.start : p.stop].any(axis=0)
        members[r.replication] = np.where(hit, 0, 1)
    return Groups("targeted", TARGETED, members)


def quartile_index(values: np.ndarray, count: int = len(QUARTILES)) -> np.ndarray:
    """Each value's quartile (``count``-quantile; 0 = lowest, ties in the given order),
    ``count`` where NaN.

    With n defined values, the one ranked k (from 0) is in group floor(count k / n)."""
    values = np.asarray(values, dtype=float)
    out = np.full(len(values), count)
    valid = np.flatnonzero(~np.isnan(values))
    order = valid[np.argsort(values[valid], kind="stable")]
    out[order] = (count * np.arange(len(order))) // max(len(order), 1)
    return out


def quartile_groups(
    scenario: Scenario,
    results: Sequence[ReplicationResult],
    metric: str,
    baseline: Window,
    count: int = len(QUARTILES),
) -> Groups:
    """Quartiles (``count``-quantiles) of the physicians' ``metric`` over ``baseline``,
    replication by replication."""
    values = unit_window_values(scenario, results, baseline, level="physician")
    members = {
        int(rep): quartile_index(rows[metric].to_numpy(dtype=float), count)
        for rep, rows in values.groupby("replication", sort=False)
    }
    kind = QUARTILE if count == len(QUARTILES) else f"{QUANTILE}:{metric}:{count}"
    by = f"{QUARTILE}:{metric}" if kind == QUARTILE else kind
    labels = (*(f"Q{k + 1}" for k in range(count)), NO_BASELINE)
    return Groups(by, labels, members)
