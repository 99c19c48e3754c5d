"""The numbers of the value dashboard: headline figures, trends, team and physician tables.

Window figures (episodes … value) come from ``summary`` (post-warm-up window, mean across
replications). Trends and "change since last period" are pooled across replications
from ``trajectories``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulate.accounts.catalogue import KEY_METRICS, higher_is_better
from simulate.compare.window import phase_windows, policy_spans
from simulate.output.tables import t_interval
from simulate.report.data import RunData
from simulate.report.stats import bootstrap_interval, income_components
from simulate.units import period_span

TABLE_METRICS = KEY_METRICS
HEADLINE_METRICS = ("value", *(m for m in KEY_METRICS if m not in ("episodes", "value")))
WEIGHTED = (
    "complication_rate",
    "readmission_rate",
    "mean_wait_days",
    "recovery_days",
    "intensity",
    "quality_effort",
)
"""Per-period metrics pooled over periods weighted by index episodes."""


@dataclass(frozen=True)
class Trend:
    """The policy phases the headline compares (0-based period ranges): ``during``
    against ``before``, and ``after`` the policy ended (empty when it does not end)."""

    description: str
    before: range
    after: range
    ended: range = range(0)

    @property
    def during(self) -> range:
        """The periods the policy is in force (the compared ``after`` periods)."""
        return self.after


@dataclass(frozen=True)
class Headline:
    """One headline figure: window mean with its bootstrap CI, and the policy phases."""

    metric: str
    mean: float
    ci_low: float
    ci_high: float
    before: float
    after: float
    change_low: float = float("nan")
    change_high: float = float("nan")
    """95% paired-t interval of (during − before) across replications."""
    ended: float = float("nan")
    """The figure after the policy ended (NaN when it does not end)."""

    @property
    def change(self) -> float:
        """after − before."""
        return self.after - self.before

    @property
    def clear(self) -> bool:
        """Whether the change is distinguishable from zero (its 95% CI excludes 0)."""
        return bool(np.isfinite(self.change_low) and (self.change_low > 0 or self.change_high < 0))

    @property
    def better(self) -> bool | None:
        """Whether a clear change is an improvement (None: no clear change)."""
        if not self.clear:
            return None
        return (self.change > 0) == higher_is_better(self.metric)


def trend_windows(run: RunData) -> Trend:
    """During the policy vs before it (a policy starting after warm-up), and after it ends
    (the phases of ``simulate.compare.window.policy_windows``); else the last quarter
    against the one before."""
    warm, horizon = run.warmup, run.horizon
    unit_days = float(run.scenario.get("period_days", 30.4375))
    phases = {w.name: w for w in phase_windows(policy_spans(run.scenario), warm, horizon)}
    if "before" in phases and "during" in phases:
        before, during = phases["before"].periods, phases["during"].periods
        ended = phases["after"].periods if "after" in phases else range(0)
        text = (
            f"{period_span(unit_days, during[0], during[-1])} (policy in force) against "
            f"{period_span(unit_days, before[0], before[-1])} (before it, after warm-up)"
        )
        if ended:
            text += f"; after it ended: {period_span(unit_days, ended[0], ended[-1])}"
        return Trend(text, before, during, ended)
    q = min(3, max(horizon // 2, 1))
    return Trend(
        f"{period_span(unit_days, horizon - q, horizon - 1)} against "
        f"{period_span(unit_days, max(horizon - 2 * q, 0), horizon - q - 1)}",
        range(max(horizon - 2 * q, 0), horizon - q),
        range(horizon - q, horizon),
    )


def pooled(rows: pd.DataFrame, metric: str) -> float:
    """``metric`` over the given trajectory rows (periods and replications) pooled.

    value and cost per episode are ratios of sums; rates, waits, recovery and style are
    weighted by index episodes; flows are means per period.
    """
    if rows.empty or metric not in rows:
        return float("nan")
    episodes = rows["episodes"].fillna(0.0)
    if metric == "value":
        cost = rows["cost"].sum()
        return float(rows["qalys"].sum() / (cost / 1000)) if cost > 0 else float("nan")
    if metric == "cost_per_episode":
        n = episodes.sum()
        return float(rows["cost"].sum() / n) if n > 0 else float("nan")
    if metric in WEIGHTED:
        values = rows[metric]
        weight = episodes.where(values.notna(), 0.0)
        total = weight.sum()
        return float((values.fillna(0.0) * weight).sum() / total) if total > 0 else float("nan")
    return float(rows[metric].mean())


def per_replication(rows: pd.DataFrame, metric: str, periods: range) -> np.ndarray:
    """``metric`` pooled over ``periods`` within each replication, in replication order."""
    chosen = rows[rows["period"].isin(periods)]
    return np.array(
        [pooled(group, metric) for _, group in chosen.groupby("replication", sort=True)],
        dtype=float,
    )


def headlines(run: RunData) -> tuple[Trend, list[Headline]]:
    """Organisation headline figures (post-warm-up mean, bootstrap CI) and their phases."""
    trend = trend_windows(run)
    summary = run.summary[run.summary["level"] == "organisation"].set_index("metric")
    org = run.trajectories[run.trajectories["level"] == "organisation"]
    window = range(run.warmup, run.horizon)
    out = []
    for metric in HEADLINE_METRICS:
        if metric not in summary.index:
            continue
        _, low, high = bootstrap_interval(per_replication(org, metric, window))
        change = per_replication(org, metric, trend.after) - per_replication(
            org, metric, trend.before
        )
        _, _, change_low, change_high, _ = t_interval(change)
        out.append(
            Headline(
                metric,
                float(summary.loc[metric, "mean"]),
                float(low),
                float(high),
                pooled(org[org["period"].isin(trend.before)], metric),
                pooled(org[org["period"].isin(trend.after)], metric),
                float(change_low),
                float(change_high),
                pooled(org[org["period"].isin(trend.ended)], metric),
            )
        )
    return trend, out


def value_changes(run: RunData, level: str) -> pd.DataFrame:
    """Per unit: value with the policy minus before it (trend windows), with the 95%
    paired-t interval across replications (``value_change``, ``_low``, ``_high``)."""
    trend = trend_windows(run)
    rows = run.trajectories[run.trajectories["level"] == level]
    result = {}
    for unit, group in rows.groupby("unit", sort=False):
        change = per_replication(group, "value", trend.after) - per_replication(
            group, "value", trend.before
        )
        mean, _, low, high, _ = t_interval(change)
        result[unit] = (float(mean), float(low), float(high))
    columns = ["value_change", "value_change_low", "value_change_high"]
    return pd.DataFrame.from_dict(result, orient="index", columns=columns)


def value_by_period(run: RunData, level: str) -> dict[str, list[float]]:
    """Per unit: value in each period, pooled across replications (for sparklines)."""
    rows = run.trajectories[run.trajectories["level"] == level]
    return {
        str(unit): [pooled(g, "value") for _, g in group.groupby("period", sort=True)]
        for unit, group in rows.groupby("unit", sort=False)
    }


def unit_table(run: RunData, level: str) -> pd.DataFrame:
    """One row per team or physician: window metrics, rank by value, value change with the
    policy (and its CI), bonuses, penalties.

    Physicians are ranked by value within their team, teams within the organisation
    (1 = best).
    """
    summary = run.summary[run.summary["level"] == level]
    wide = summary.pivot_table(index="unit", columns="metric", values="mean", dropna=False)
    teams = summary.groupby("unit")["team"].first()
    order = list(dict.fromkeys(run.trajectories.loc[run.trajectories["level"] == level, "unit"]))
    wide = wide.reindex(order)
    table = pd.DataFrame(index=wide.index)
    table["team"] = teams.reindex(wide.index).fillna("")
    for metric in TABLE_METRICS:
        table[metric] = wide.get(metric, np.nan)
    group = table["team"] if level == "physician" else pd.Series("", index=table.index)
    table["rank"] = table.groupby(group)["value"].rank(ascending=False, method="min")
    changes = value_changes(run, level).reindex(table.index)
    for column in changes:
        table[column] = changes[column]
    money = income_components(run)
    if level == "team":
        physician_team = run.physicians.groupby("physician")["team"].first()
        money = money.groupby(physician_team.reindex(money.index)).sum()
    for column in ("bonuses", "penalties"):
        table[column] = money[column].reindex(table.index).fillna(0.0) if column in money else 0.0
    table.index.name = "unit"
    return table.reset_index()
