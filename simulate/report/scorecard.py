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
from simulate.report.data import RunData
from simulate.report.describe import first_policy_start
from simulate.report.stats import income_components

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
    """How the trend arrows compare: ``after`` periods against ``before`` periods."""

    description: str
    before: range
    after: range


@dataclass(frozen=True)
class Headline:
    """One headline figure with its CI and trend."""

    metric: str
    mean: float
    ci_low: float
    ci_high: float
    before: float
    after: float

    @property
    def change(self) -> float:
        """after − before."""
        return self.after - self.before

    @property
    def better(self) -> bool | None:
        """Whether the change is an improvement (None: no change or undefined)."""
        if not np.isfinite(self.change) or self.change == 0:
            return None
        return (self.change > 0) == higher_is_better(self.metric)


def trend_windows(run: RunData) -> Trend:
    """After policy vs before (a policy starting after warm-up), else last quarter vs previous."""
    start, warm, horizon = first_policy_start(run.scenario), run.warmup, run.horizon
    if start is not None and warm < start < horizon:
        return Trend(
            f"after the policy starts (periods {start}-{horizon - 1}) against before it "
            f"(periods {warm}-{start - 1}, after warm-up)",
            range(warm, start),
            range(start, horizon),
        )
    q = min(3, max(horizon // 2, 1))
    return Trend(
        f"the last {q} period(s) (periods {horizon - q}-{horizon - 1}) against the {q} before",
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


def headlines(run: RunData) -> tuple[Trend, list[Headline]]:
    """Organisation headline figures (post-warm-up, mean and CI) with their trends."""
    trend = trend_windows(run)
    summary = run.summary[run.summary["level"] == "organisation"].set_index("metric")
    org = run.trajectories[run.trajectories["level"] == "organisation"]
    out = []
    for metric in HEADLINE_METRICS:
        if metric not in summary.index:
            continue
        row = summary.loc[metric]
        out.append(
            Headline(
                metric,
                float(row["mean"]),
                float(row["ci_low"]),
                float(row["ci_high"]),
                pooled(org[org["period"].isin(trend.before)], metric),
                pooled(org[org["period"].isin(trend.after)], metric),
            )
        )
    return trend, out


def _last_change(run: RunData, level: str) -> pd.Series:
    """Per unit: value in the last period minus the period before (pooled over replications)."""
    rows = run.trajectories[run.trajectories["level"] == level]
    last = run.horizon - 1
    result = {}
    for unit, group in rows.groupby("unit", sort=False):
        now = pooled(group[group["period"] == last], "value")
        before = pooled(group[group["period"] == last - 1], "value")
        result[unit] = now - before
    return pd.Series(result, dtype=float)


def unit_table(run: RunData, level: str) -> pd.DataFrame:
    """One row per team or physician: window metrics, rank by value, change, bonuses, penalties.

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
    table["value_change"] = _last_change(run, level).reindex(table.index)
    money = income_components(run)
    if level == "team":
        physician_team = run.physicians.groupby("physician")["team"].first()
        money = money.groupby(physician_team.reindex(money.index)).sum()
    for column in ("bonuses", "penalties"):
        table[column] = money[column].reindex(table.index).fillna(0.0) if column in money else 0.0
    table.index.name = "unit"
    return table.reset_index()
