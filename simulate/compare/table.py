"""The comparison on the terminal: paired differences, then cost-effectiveness."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from simulate.accounts.catalogue import key_metrics
from simulate.compare.core import Comparison
from simulate.compare.economics import threshold_label

TERMINAL_METRICS = key_metrics("cost", "intensity", "quality_effort", "payment_total")
"""Metrics shown on the terminal (comparison.csv holds all of them)."""


def number(x: float) -> str:
    """A number for the terminal: thousands separators from 100, else 3 significant digits."""
    if x != x:  # NaN
        return "-"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def signed(x: float) -> str:
    """A difference with its sign."""
    text = number(x)
    return text if text == "-" or x < 0 else "+" + text


def interval(difference: float, low: float, high: float) -> str:
    """``+12 [3, 21]``, bold when the interval excludes 0."""
    if math.isnan(low):
        return signed(difference)
    text = f"{signed(difference)} [{number(low)}, {number(high)}]"
    return f"[bold]{text}[/]" if low > 0 or high < 0 else text


def print_comparison(console: Console, comparison: Comparison) -> None:
    """Print the metrics table and the economics table."""
    vs = comparison.variant_set
    s = vs.settings
    first = vs.variants[0].scenario
    rows = comparison.comparison.set_index(["variant", "metric"])
    others = [name for name in vs.names if name != s.reference]
    table = Table(
        title=f"{vs.name}: {vs.replications} replications, periods {first.warmup_periods + 1}-"
        f"{first.horizon_periods}, organisation: {s.reference} (mean per period or rate), and "
        "each variant's paired difference from it [95% CI]",
        title_justify="left",
    )
    table.add_column("metric", no_wrap=True)
    table.add_column(s.reference, justify="right")
    for name in others:
        table.add_column(name, justify="right")
    for metric in TERMINAL_METRICS:
        ref = rows.loc[(s.reference, metric)]
        cells = [number(ref["mean"])]
        for name in others:
            row = rows.loc[(name, metric)]
            cells.append(interval(row["difference"], row["ci_low"], row["ci_high"]))
        table.add_row(metric, *cells)
    console.print(table)

    ce = comparison.cost_effectiveness.set_index("variant")
    econ = Table(
        title=f"Cost-effectiveness against {s.reference} ({s.perspective} perspective): cost "
        "and NMB in currency units per period, QALYs per period, ICER per QALY; [95% CI]",
        title_justify="left",
    )
    econ.add_column("measure", no_wrap=True)
    for name in vs.names:
        econ.add_column(name, justify="right")

    def add(label: str, cell) -> None:
        econ.add_row(label, *[cell(ce.loc[name], name == s.reference) for name in vs.names])

    def increment(key: str):
        return lambda row, ref: (
            "" if ref else interval(row[key], row[f"{key}_ci_low"], row[f"{key}_ci_high"])
        )

    add("cost", lambda row, ref: number(row["cost"]))
    add("QALYs", lambda row, ref: number(row["qalys"]))
    add("incremental cost", increment("incremental_cost"))
    add("incremental QALYs", increment("incremental_qalys"))
    add("ICER", lambda row, ref: icer_text(row["icer"], row["icer_status"]))
    for t in s.thresholds:
        label = threshold_label(t)
        add(f"incremental NMB at {number(t)}", increment(f"incremental_nmb_{label}"))
    for t in s.thresholds:
        label = threshold_label(t)
        key = f"p_cost_effective_{label}"
        add(f"P(most cost-effective) at {number(t)}", lambda row, ref, key=key: f"{row[key]:.2f}")
    console.print(econ)


def icer_text(value: float, status: str) -> str:
    """The ICER, or what stands in place of a meaningless ratio."""
    if status == "more_costly_more_effective":
        return f"{number(value)} per QALY gained"
    if status == "less_costly_less_effective":
        return f"{number(value)} saved per QALY lost"
    return status.replace("_", " ")
