"""The what-if page's tables and chart data from a finished what-if: trajectory bands,
policy phases, physicians, income, styles and ranks by month, the value quadrant, and
the session log and downloads."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from simulate.app.runs import (
    EDITED,
    SIDES,
    UNCHANGED,
    AppRun,
    headline,
    interval_text,
    verdict,
)
from simulate.app.source import scenario_data
from simulate.report.data import RunData
from simulate.report.stats import COMPONENT_LABELS, income_components
from simulate.scenario.models import Scenario


def bands(runs: Mapping[str, RunData], metric: str) -> pd.DataFrame:
    """Per side and month (from 1): the organisation mean across replications and its
    95% percentile-bootstrap interval (as the report's trajectory figures)."""
    from simulate.report.figures import metric_band

    frames = []
    for side, run in runs.items():
        if metric not in run.trajectories:
            continue
        month, mean, low, high = metric_band(run.trajectories, metric)
        frames.append(
            pd.DataFrame({"side": side, "month": month, "mean": mean, "low": low, "high": high})
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def phases(scenario: Scenario) -> pd.DataFrame:
    """Each policy's months in force (from 1, inclusive): label, start, end."""
    from simulate.report.describe import policy_windows

    horizon = scenario.horizon_periods
    rows = []
    for window in policy_windows(scenario_data(scenario)):
        last = horizon - 1 if window.end is None else min(int(window.end), horizon - 1)
        if window.start <= last:
            rows.append({"policy": window.label, "start": window.start + 1, "end": last + 1})
    return pd.DataFrame(rows, columns=["policy", "start", "end"])


def physician_table(runs: Mapping[str, RunData]) -> pd.DataFrame:
    """One row per physician: value, cost per episode, readmission rate, rank by value
    within the team (1 = best), bonuses and penalties per month, unchanged and edited
    (post-warm-up window, mean across replications)."""
    from simulate.report.scorecard import unit_table

    tables = {side: unit_table(run, "physician").set_index("unit") for side, run in runs.items()}
    first = tables[UNCHANGED]
    out = pd.DataFrame(index=first.index)
    out["team"] = first["team"]
    for column, name in (
        ("value", "value"),
        ("rank", "rank in team"),
        ("cost_per_episode", "cost per episode"),
        ("readmission_rate", "readmission rate"),
        ("bonuses", "bonuses per month"),
        ("penalties", "penalties per month"),
    ):
        for side in SIDES:
            out[f"{name}, {side}"] = tables[side][column].reindex(out.index)
    out.index.name = "physician"
    return out.reset_index()


def income_table(runs: Mapping[str, RunData]) -> pd.DataFrame:
    """Mean income per physician per month by component, per side (post-warm-up)."""
    frames = []
    for side, run in runs.items():
        per = income_components(run).mean(axis=0)
        for component, amount in per.items():
            if component in COMPONENT_LABELS and (amount != 0 or component.startswith("payment")):
                frames.append(
                    {"side": side, "component": COMPONENT_LABELS[component], "amount": amount}
                )
    table = pd.DataFrame(frames, columns=["side", "component", "amount"])
    used = table.groupby("component")["amount"].apply(lambda a: (a != 0).any())
    return table[table["component"].map(used)].reset_index(drop=True)


def styles_by_month(run: RunData) -> pd.DataFrame:
    """Each physician's practice style per month (from 1), mean across replications."""
    panel = run.physicians
    table = (
        panel.groupby(["physician", "team", "period"], sort=False)[
            ["style_intensity", "style_quality_effort"]
        ]
        .mean()
        .reset_index()
    )
    table["month"] = table["period"] + 1
    return table.rename(
        columns={"style_intensity": "intensity", "style_quality_effort": "quality_effort"}
    ).drop(columns="period")


def ranks_by_month(run: RunData, window: int = 3) -> pd.DataFrame:
    """Each physician's value per month (from 1), pooled across replications over the
    last ``window`` months (a rolling figure, as dashboards publish), and their rank by
    it within the team (1 = best)."""
    rows = run.trajectories[run.trajectories["level"] == "physician"]
    sums = rows.groupby(["unit", "team", "period"], sort=False)[["qalys", "cost"]].sum()
    sums = sums.reset_index().sort_values(["unit", "period"])
    rolled = sums.groupby("unit", sort=False)[["qalys", "cost"]].transform(
        lambda s: s.rolling(window, min_periods=1).sum()
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        value = rolled["qalys"] / (rolled["cost"] / 1000).where(rolled["cost"] > 0)
    table = pd.DataFrame(
        {"physician": sums["unit"], "team": sums["team"], "month": sums["period"] + 1}
    )
    table["value"] = value.to_numpy()
    table["rank"] = (
        table.groupby(["team", "month"])["value"].rank(ascending=False, method="min").astype(float)
    )
    return table.reset_index(drop=True)


def quadrant_policy(run: RunData) -> pd.DataFrame:
    """Per physician of one run: cost and QALYs per episode before the policy and with
    it (the report's trend windows, replications pooled), as ``*_start`` / ``*_end``."""
    from simulate.report.figures import quadrant_points

    points = quadrant_points(run)
    return points.rename(
        columns={
            "cost_before": "cost_start",
            "qalys_before": "qalys_start",
            "cost_after": "cost_end",
            "qalys_after": "qalys_end",
        }
    )


def quadrant_sides(runs: Mapping[str, RunData]) -> pd.DataFrame:
    """Per physician: cost and QALYs per episode over the post-warm-up window, unchanged
    (``*_start``) and edited (``*_end``), replications pooled."""
    out = {}
    for side, suffix in ((UNCHANGED, "start"), (EDITED, "end")):
        run = runs[side]
        rows = run.trajectories[
            (run.trajectories["level"] == "physician") & (run.trajectories["period"] >= run.warmup)
        ]
        sums = rows.groupby(["unit", "team"], sort=False)[["cost", "qalys", "episodes"]].sum()
        episodes = sums["episodes"].where(sums["episodes"] > 0)
        out[f"cost_{suffix}"] = sums["cost"] / episodes
        out[f"qalys_{suffix}"] = sums["qalys"] / episodes
    return pd.DataFrame(out).reset_index()


# --- the session log and downloads ------------------------------------------------------


def log_row(run: AppRun) -> dict[str, Any]:
    """One line of the session log: what was changed and the headline numbers."""
    head = headline(run.comparison).set_index("metric")
    settings = run.what_if.settings
    row: dict[str, Any] = {
        "run": run.number,
        "changes": "; ".join(c.text() for c in run.what_if.changes) or "(nothing: both sides same)",
        "replications": settings.get("replications"),
        "horizon": settings.get("horizon_periods"),
        "seed": settings.get("seed"),
    }
    for metric in head.index:
        r = head.loc[metric]
        row[f"{metric}: unchanged"] = r["unchanged"]
        row[f"{metric}: edited"] = r["edited"]
        row[f"{metric}: difference [95% CI]"] = interval_text(
            r["difference"], r["ci_low"], r["ci_high"]
        )
    row["verdict"] = verdict(run.comparison)
    row["seconds"] = round(run.elapsed_seconds, 1)
    return row


def log_table(app_runs: Sequence[AppRun]) -> pd.DataFrame:
    """The session log, one row per run (the page shows it transposed, side by side)."""
    return pd.DataFrame([log_row(r) for r in app_runs])


def results_csv(run: AppRun) -> str:
    """The comparison as CSV: every metric's paired difference (comparison.csv of
    ``simulate compare``), sides named unchanged and edited."""
    table = run.comparison.comparison.copy()
    names = {
        v.name: side for v, side in zip(run.comparison.variant_set.variants, SIDES, strict=True)
    }
    for column in ("variant", "reference"):
        table[column] = table[column].map(names).fillna(table[column])
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    return buffer.getvalue()


def trajectories_csv(run: AppRun) -> str:
    """Both sides' organisation trajectories (replication x month) as CSV."""
    frames = []
    for side, data in run.runs.items():
        org = data.trajectories[data.trajectories["level"] == "organisation"].copy()
        org.insert(0, "side", side)
        org.insert(3, "month", org["period"] + 1)
        frames.append(org)
    buffer = io.StringIO()
    pd.concat(frames, ignore_index=True).to_csv(buffer, index=False)
    return buffer.getvalue()
