"""A what-if run: the edited scenario against its unchanged self, and the tables shown.

The two sides run as ``simulate compare UNCHANGED.yaml EDITED.yaml`` runs them: one
variant set, the unchanged scenario the reference, the same seed and replications, so
replication k of both sides sees the same patients (common random numbers) and the
numbers are the command's. Everything below is pure (no Streamlit): the page shows
what these functions return.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulate.app.levers import Lever, changed, edits, to_scenario_value
from simulate.app.source import edited_name, scenario_data, with_edits
from simulate.compare.core import Comparison, run_comparison
from simulate.compare.variants import Settings, Variant, VariantSet
from simulate.experiment.replications import RunResult
from simulate.formatting import number
from simulate.report.data import RunData
from simulate.scenario.models import Scenario

DEFAULT_REPLICATIONS = 4
"""Replications per side by default: an answer in seconds, intervals still honest."""
UNCHANGED, EDITED = "unchanged", "edited"
SIDES = (UNCHANGED, EDITED)
HEADLINE_METRICS = (
    "value",
    "cost_per_episode",
    "qalys",
    "readmission_rate",
    "mean_wait_days",
)
"""Organisation metrics in the headline and the session log."""
TRAJECTORY_METRICS = ("value", "cost_per_episode", "readmission_rate", "mean_wait_days")
"""Organisation trajectories charted (edited against unchanged, with 95% bands)."""
DIFFERENCE_METRICS = (
    "episodes",
    "cost",
    "cost_per_episode",
    "complication_rate",
    "readmission_rate",
    "mean_wait_days",
    "recovery_days",
    "qalys",
    "value",
    "intensity",
    "quality_effort",
    "payment_total",
)
TITLES = {
    "value": "Value (QALYs per 1,000 of cost)",
    "cost_per_episode": "Cost per episode",
    "qalys": "QALYs per month",
    "readmission_rate": "Readmission rate",
    "mean_wait_days": "Mean wait (days)",
    "complication_rate": "Complication rate",
}
AXIS_UNITS = {
    "value": "QALYs per 1,000 of cost",
    "cost_per_episode": "currency",
    "qalys": "QALYs per month",
    "readmission_rate": "share of episodes",
    "complication_rate": "share of episodes",
    "mean_wait_days": "days",
}
"""Short units for chart axes (a long axis title squeezes the plot)."""


@dataclass(frozen=True)
class Change:
    """One lever the user moved."""

    where: str
    """Field path in the scenario, e.g. ``incentives[0].bonus``."""
    label: str
    before: str
    after: str

    def text(self) -> str:
        """``label (where): before → after``."""
        return f"{self.label} ({self.where}): {self.before} → {self.after}"


@dataclass(frozen=True)
class WhatIf:
    """The two scenarios of a run and what differs between them."""

    unchanged: Scenario
    edited: Scenario
    changes: tuple[Change, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    """The run settings both sides share (replications, horizon, warm-up, seed)."""


def prepare(
    scenario: Scenario,
    lever_list: Sequence[Lever],
    shown: Mapping[str, Any],
    run_lever_list: Sequence[Lever] = (),
    *,
    label: str = "edited scenario",
) -> WhatIf:
    """The unchanged and the edited scenario from the values shown on the page.

    Run settings (replications, horizon, warm-up, seed) apply to both sides; the levers
    to the edited side only. Raises :class:`simulate.errors.ScenarioError` (one line,
    naming ``label`` and the field) when an edit makes the scenario invalid.
    """
    settings = {lever.path[0]: shown.get(lever.key, lever.value) for lever in run_lever_list}
    common = {
        lever.path: to_scenario_value(lever, settings[lever.path[0]], scenario)
        for lever in run_lever_list
    }
    unchanged = with_edits(scenario, common, label=f"{label} (run settings)")
    moved = changed(list(lever_list), shown)
    mine = edits(list(lever_list), shown, unchanged)
    edited = with_edits(unchanged, mine, name=edited_name(scenario.name), label=label)
    changes = tuple(
        Change(lever.where, f"{lever.group}: {lever.label}", lever.text(lever.value), lever.text(v))
        for lever, v in moved
    )
    return WhatIf(unchanged, edited, changes, settings)


def variant_set(unchanged: Scenario, edited: Scenario) -> VariantSet:
    """The two sides as ``simulate compare UNCHANGED EDITED`` builds them."""
    return VariantSet(
        name=f"{unchanged.name}-comparison",
        variants=(
            Variant(unchanged.name, unchanged.description, unchanged, UNCHANGED),
            Variant(edited.name, edited.description, edited, EDITED),
        ),
        settings=Settings(reference=unchanged.name),
    )


def run_what_if(
    what_if: WhatIf,
    *,
    workers: int = 2,
    on_done: Callable[[int], object] | None = None,
) -> Comparison:
    """Run both sides (replications x 2 jobs on ``workers`` processes) and compare."""
    return run_comparison(
        variant_set(what_if.unchanged, what_if.edited), workers=workers, on_done=on_done
    )


def run_data(result: RunResult) -> RunData:
    """A run held in memory as the report reads a results folder."""
    return RunData(
        directory=Path("."),
        manifest={"scenario": scenario_data(result.scenario)},
        trajectories=result.trajectories,
        summary=result.summary,
        physicians=result.physicians,
        payments=result.payments,
    )


@dataclass
class AppRun:
    """One press of Run: its settings, changes and comparison."""

    number: int
    what_if: WhatIf
    comparison: Comparison
    elapsed_seconds: float = 0.0

    @property
    def runs(self) -> dict[str, RunData]:
        """Each side's run, unchanged first."""
        c = self.comparison
        names = [v.name for v in c.variant_set.variants]
        return {side: run_data(c.results[name]) for side, name in zip(SIDES, names, strict=True)}

    @property
    def edited_name(self) -> str:
        return self.comparison.variant_set.variants[1].name


# --- the numbers shown ------------------------------------------------------------------


def _edited_rows(comparison: Comparison) -> pd.DataFrame:
    table = comparison.comparison
    edited = comparison.variant_set.variants[1].name
    return table[table["variant"] == edited].set_index("metric")


def headline(comparison: Comparison) -> pd.DataFrame:
    """Organisation headline metrics: unchanged, edited, paired difference with 95% CI,
    and whether the interval excludes 0 (over the post-warm-up window)."""
    rows = _edited_rows(comparison)
    out = []
    for metric in HEADLINE_METRICS:
        if metric not in rows.index:
            continue
        r = rows.loc[metric]
        low, high = float(r["ci_low"]), float(r["ci_high"])
        out.append(
            {
                "metric": metric,
                "title": TITLES.get(metric, metric),
                "unit": r["unit"],
                "unchanged": float(r["reference_mean"]),
                "edited": float(r["mean"]),
                "difference": float(r["difference"]),
                "ci_low": low,
                "ci_high": high,
                "clear": bool(np.isfinite(low) and (low > 0 or high < 0)),
            }
        )
    return pd.DataFrame(out)


def verdict(comparison: Comparison) -> str:
    """The decision in words for the edited side (simulate.compare.decision)."""
    ce = comparison.cost_effectiveness
    edited = comparison.variant_set.variants[1].name
    return str(ce.loc[ce["variant"] == edited, "verdict"].iloc[0])


def decision_table(comparison: Comparison) -> pd.DataFrame:
    """The cost-effectiveness row of the edited side, as the terminal prints it."""
    from simulate.compare.table import icer_text

    ce = comparison.cost_effectiveness
    edited = comparison.variant_set.variants[1].name
    r = ce[ce["variant"] == edited].iloc[0]
    rows = [
        ("Incremental cost per month", _interval(r, "incremental_cost")),
        ("Incremental QALYs per month", _interval(r, "incremental_qalys", digits=3)),
        ("ICER", icer_text(float(r["icer"]), str(r["icer_status"]))),
    ]
    for threshold in comparison.variant_set.settings.thresholds:
        key = f"{threshold:g}"
        rows.append(
            (
                f"Net monetary benefit at {threshold:,.0f} per QALY",
                _interval(r, f"incremental_nmb_{key}"),
            )
        )
        rows.append(
            (
                f"Probability cost-effective at {threshold:,.0f} per QALY",
                f"{float(r[f'p_cost_effective_{key}']):.0%} ({r[f'decision_{key}']})",
            )
        )
    rows.append(("Verdict", str(r["verdict"])))
    return pd.DataFrame(rows, columns=["", "edited against unchanged (95% CI)"])


def _interval(record: Mapping[str, Any], key: str, digits: int | None = None) -> str:
    return interval_text(
        float(record[key]), float(record[f"{key}_ci_low"]), float(record[f"{key}_ci_high"]), digits
    )


def number_text(x: float, digits: int | None = None) -> str:
    """A number for people (:func:`simulate.formatting.number`), or with ``digits``
    decimals."""
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:,.{digits}f}" if digits is not None else number(x)


def signed_text(x: float, digits: int | None = None) -> str:
    text = number_text(x, digits)
    return text if text.startswith("-") or text == "-" else "+" + text


def interval_text(difference: float, low: float, high: float, digits: int | None = None) -> str:
    """``+12 [3, 21]`` (difference and its 95% CI)."""
    if not math.isfinite(low):
        return signed_text(difference, digits)
    return (
        f"{signed_text(difference, digits)} [{number_text(low, digits)}, "
        f"{number_text(high, digits)}]"
    )


def difference_table(comparison: Comparison) -> pd.DataFrame:
    """Key organisation metrics: unchanged, edited, paired difference [95% CI]."""
    rows = _edited_rows(comparison)
    out = []
    for metric in DIFFERENCE_METRICS:
        if metric not in rows.index:
            continue
        r = rows.loc[metric]
        out.append(
            {
                "metric": metric,
                "unit": r["unit"],
                "unchanged": number_text(float(r["reference_mean"])),
                "edited": number_text(float(r["mean"])),
                "difference [95% CI]": interval_text(
                    float(r["difference"]), float(r["ci_low"]), float(r["ci_high"])
                ),
            }
        )
    return pd.DataFrame(out)
