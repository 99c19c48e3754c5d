"""Effects by phase and subgroup on the terminal: one table per variant, key metrics as
rows, window (x unit x subgroup) as columns, relative differences with 95% CIs."""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Console

from simulate.accounts.catalogue import key_metrics
from simulate.compare.core import Comparison
from simulate.compare.table import print_columns
from simulate.formatting import signed

EFFECT_METRICS = key_metrics()
"""Metrics shown on the terminal (effects.csv holds all of them)."""
MAX_COLUMNS = 24
"""Columns per variant beyond which the terminal points to effects.csv instead."""


def _pct(x: float) -> str:
    """A percentage, signed, to at most two decimals: ``-19``, ``+1.5``, ``-0.04``, ``0``."""
    if not math.isfinite(x):
        return "-"
    text = f"{x:+.0f}" if abs(x) >= 9.5 else f"{x:+.1f}" if abs(x) >= 0.995 else f"{x:+.2f}"
    return "0" if float(text) == 0 else text


def effect_cell(row: pd.Series) -> str:
    """``-19% [-22, -16]`` (bold when the CI excludes 0); the absolute difference when the
    relative one is undefined (a reference mean of zero)."""
    rel, low, high = row["relative_pct"], row["relative_ci_low"], row["relative_ci_high"]
    if not math.isfinite(rel):
        return signed(row["difference"])
    text = f"{_pct(rel)}%"
    if math.isfinite(low) and math.isfinite(high):
        text += f" [{_pct(low)}, {_pct(high)}]"
        if low > 0 or high < 0:
            text = f"[bold]{text}[/]"
    return text


def column_header(row: pd.Series, level: str) -> str:
    """``during 13-30`` then the unit and the subgroup, one per line where there are any."""
    parts = [f"{row['window']} {int(row['first_month'])}-{int(row['last_month'])}"]
    if level != "organisation":
        parts.append(str(row["unit"]))
    if str(row["subgroup"]) and (level == "organisation" or row["subgroup"] != row["unit"]):
        parts.append(str(row["subgroup"]))
    return "\n".join(parts)


def print_effects(console: Console, comparison: Comparison) -> None:
    """Each variant's relative effects by window on the key metrics, fitted to the
    terminal; physician level (or too many columns) points to effects.csv."""
    table = comparison.effects
    if table.empty:
        return
    level = str(table["level"].iloc[0])
    by = str(table["by"].iloc[0])
    shown = table[table["metric"].isin(EFFECT_METRICS)]
    keys = ["window", "first_month", "last_month", "unit", "subgroup"]
    cuts = shown[keys].drop_duplicates()
    if level == "physician" or len(cuts) > MAX_COLUMNS:
        console.print(
            f"Effects by phase at {level} level{f' by {by}' if by else ''}: {len(table)} "
            "rows in effects.csv (too many to show here).",
            highlight=False,
        )
        return
    for variant, rows in shown.groupby("variant", sort=False):
        indexed = rows.set_index([*keys, "metric"])
        columns = []
        for cut in cuts.itertuples(index=False):
            header = column_header(pd.Series(cut._asdict()), level)
            cells = [
                effect_cell(indexed.loc[(*cut, m)]) if (*cut, m) in indexed.index else "-"
                for m in EFFECT_METRICS
            ]
            columns.append((header, cells))
        title = (
            f"Effects by phase at {level} level{f' by {by}' if by else ''}: {variant} against "
            f"{comparison.reference}, % of the reference [95% CI] (months from 1; "
            "absolute differences in effects.csv)"
        )
        print_columns(console, title, ("metric", list(EFFECT_METRICS)), columns)
