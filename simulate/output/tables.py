"""Tidy tables from replication records: trajectories, summary, physicians, payments, episodes."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from simulate.accounts.catalogue import KEY_METRICS
from simulate.accounts.labels import physician_name
from simulate.accounts.ledger import PAYMENT_COMPONENTS, F
from simulate.accounts.metrics import (
    METRIC_UNITS,
    METRICS,
    PAYMENT_COLUMNS,
    compute_metrics,
    unit_sums,
)
from simulate.model.population import STYLE_DIMENSIONS, TRAIT_NAMES
from simulate.model.result import EPISODE_LOG_COLUMNS, ReplicationResult
from simulate.scenario.models import Scenario

ORGANISATION = "organisation"
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Units:
    """The reporting units of a scenario: physicians, then teams, then the organisation."""

    level: tuple[str, ...]
    name: tuple[str, ...]
    team: tuple[str, ...]
    n_physicians: int
    n_teams: int

    @classmethod
    def of(cls, scenario: Scenario) -> Units:
        level, name, team = [], [], []
        for t in scenario.teams:
            for k in range(t.physicians):
                level.append("physician")
                name.append(physician_name(t.name, k))
                team.append(t.name)
        for t in scenario.teams:
            level.append("team")
            name.append(t.name)
            team.append(t.name)
        level.append(ORGANISATION)
        name.append(ORGANISATION)
        team.append("")
        return cls(
            tuple(level), tuple(name), tuple(team), scenario.n_physicians, len(scenario.teams)
        )


def membership(result: ReplicationResult, n_teams: int) -> np.ndarray:
    """[physician, team] matrix with 1 where the physician belongs to the team."""
    n = len(result.physician_team)
    matrix = np.zeros((n, n_teams))
    matrix[np.arange(n), result.physician_team] = 1.0
    return matrix


def result_unit_sums(result: ReplicationResult, n_teams: int):
    """Sums per [period, unit, field] for all units (physicians, teams, organisation)."""
    return unit_sums(
        result.physician,
        result.wait_hist.astype(np.int64),
        result.team,
        membership(result, n_teams),
    )


def trajectories_table(scenario: Scenario, results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """One row per replication x period x unit; one column per metric (see outputs.md)."""
    units = Units.of(scenario)
    frames = []
    for result in results:
        sums, hists, team_sums = result_unit_sums(result, units.n_teams)
        metrics = compute_metrics(
            sums, hists, team_sums, 1.0, scenario.period_days, scenario.metrics.wait_target_days
        )
        n_periods, n_units = sums.shape[:2]
        frame = pd.DataFrame(
            {
                "replication": np.full(n_periods * n_units, result.replication),
                "period": np.repeat(np.arange(n_periods), n_units),
                "level": np.tile(units.level, n_periods),
                "unit": np.tile(units.name, n_periods),
                "team": np.tile(units.team, n_periods),
                **{name: values.reshape(-1) for name, values in metrics.items()},
            }
        )
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def t_interval(values: np.ndarray, confidence: float = CONFIDENCE):
    """(mean, sd, low, high) of ``values`` along axis 0, ignoring NaN; t-based interval."""
    n = np.sum(~np.isnan(values), axis=0)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN, as wanted
        mean = np.nanmean(values, axis=0)
        sd = np.nanstd(values, axis=0, ddof=1)
        half = stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    half = np.where(n > 1, half, np.nan)
    return mean, sd, mean - half, mean + half, n


def summary_table(scenario: Scenario, results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """Per unit and metric, across replications: mean, sd and t-based 95% CI.

    Each replication contributes one value computed over the periods after warm-up:
    totals as means per period, rates pooled over the window (see outputs.md).
    """
    units = Units.of(scenario)
    warm = scenario.warmup_periods
    periods = scenario.horizon_periods - warm
    per_rep = {name: [] for name in METRICS}
    for result in results:
        sums, hists, team_sums = result_unit_sums(result, units.n_teams)
        window = compute_metrics(
            sums[warm:].sum(axis=0),
            hists[warm:].sum(axis=0),
            team_sums[warm:].sum(axis=0),
            float(periods),
            periods * scenario.period_days,
            scenario.metrics.wait_target_days,
        )
        for name in METRICS:
            per_rep[name].append(window[name])
    rows = []
    for name in METRICS:
        mean, sd, low, high, n = t_interval(np.array(per_rep[name]))
        rows.append(
            pd.DataFrame(
                {
                    "level": units.level,
                    "unit": units.name,
                    "team": units.team,
                    "metric": name,
                    "measure": METRIC_UNITS[name],
                    "mean": mean,
                    "sd": sd,
                    "ci_low": low,
                    "ci_high": high,
                    "replications": n,
                }
            )
        )
    table = pd.concat(rows, ignore_index=True)
    order = {"physician": 2, "team": 1, ORGANISATION: 0}
    table["_order"] = table["level"].map(order)
    table["_metric"] = table["metric"].map({m: i for i, m in enumerate(METRICS)})
    table = table.sort_values(["_order", "unit", "_metric"], kind="stable")
    return table.drop(columns=["_order", "_metric"]).reset_index(drop=True)


def physicians_table(
    scenario: Scenario, results: Sequence[ReplicationResult], trajectories: pd.DataFrame
) -> pd.DataFrame:
    """Per physician per period: practice style, traits, income and outcome metrics, and
    ``targeted`` (in a rule's or the dashboard's target set) when the scenario targets."""
    units = Units.of(scenario)
    n = units.n_physicians
    frames = []
    for result in results:
        n_periods = result.intensity.shape[0]
        frame = pd.DataFrame(
            {
                "replication": np.full(n_periods * n, result.replication),
                "period": np.repeat(np.arange(n_periods), n),
                "physician": np.tile(units.name[:n], n_periods),
                "team": np.tile(units.team[:n], n_periods),
                **{f"style_{name}": result.style[name].reshape(-1) for name in STYLE_DIMENSIONS},
                **{f"trait_{t}": np.tile(result.traits[t], n_periods) for t in TRAIT_NAMES},
            }
        )
        if result.targeted is not None:  # in a target set of a rule or the dashboard
            frame["targeted"] = result.targeted.reshape(-1)
        frames.append(frame)
    panel = pd.concat(frames, ignore_index=True)
    metric_cols = [*KEY_METRICS, "declined", *PAYMENT_COLUMNS, "payment_total"]
    rows = trajectories[trajectories["level"] == "physician"]
    rows = rows[["replication", "period", "unit", *metric_cols]].rename(
        columns={"unit": "physician", "payment_total": "income"}
    )
    return panel.merge(rows, on=["replication", "period", "physician"], how="left", validate="1:1")


def payments_table(scenario: Scenario, results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """The payment ledger's line items, base payment and incentives, one row each.

    Base payment: one row per replication x period x physician x component (rule and
    reason empty). Incentives: one row per rule payment or deduction, with its reason.
    """
    units = Units.of(scenario)
    n = units.n_physicians
    names, teams = np.asarray(units.name[:n]), np.asarray(units.team[:n])
    offset = F[PAYMENT_COMPONENTS[0]]
    frames = []
    for result in results:
        amounts = result.physician[:, :, offset : offset + len(PAYMENT_COMPONENTS)]
        period, phys, comp = np.nonzero(amounts)
        frames.append(
            pd.DataFrame(
                {
                    "replication": result.replication,
                    "period": period,
                    "physician": names[phys],
                    "team": teams[phys],
                    "component": np.asarray(PAYMENT_COMPONENTS)[comp],
                    "rule": "",
                    "amount": amounts[period, phys, comp],
                    "reason": "",
                }
            )
        )
        items = result.line_items
        if items:
            frames.append(
                pd.DataFrame(
                    {
                        "replication": result.replication,
                        "period": [item.period for item in items],
                        "physician": names[[item.physician for item in items]],
                        "team": teams[[item.physician for item in items]],
                        "component": "incentives",
                        "rule": [item.rule for item in items],
                        "amount": [item.amount for item in items],
                        "reason": [item.reason for item in items],
                    }
                )
            )
    table = pd.concat(frames, ignore_index=True)
    return table.sort_values(
        ["replication", "period", "physician"], kind="stable", ignore_index=True
    )


def episodes_table(scenario: Scenario, results: Sequence[ReplicationResult]) -> pd.DataFrame | None:
    """The per-episode log (only when it was asked for), with names instead of indices."""
    if any(r.episode_log is None for r in results):
        return None
    units = Units.of(scenario)
    frames = []
    for result in results:
        frame = pd.DataFrame(result.episode_log, columns=list(EPISODE_LOG_COLUMNS))
        frame.insert(0, "replication", result.replication)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    table["condition"] = np.asarray([c.name for c in scenario.conditions])[table["condition"]]
    table["severity"] = np.asarray([k.name for k in scenario.severity.classes])[table["severity"]]
    table["team"] = np.asarray([t.name for t in scenario.teams])[table["team"]]
    table["physician"] = np.asarray(units.name[: units.n_physicians])[table["physician"]]
    return table
