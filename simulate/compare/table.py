"""The comparison on the terminal: paired differences, then cost-effectiveness."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from simulate.accounts.catalogue import key_metrics
from simulate.compare.core import Comparison
from simulate.compare.economics import threshold_label
from simulate.formatting import number, signed
from simulate.units import period_span

TERMINAL_METRICS = key_metrics("cost", "intensity", "quality_effort", "payment_total")
"""Metrics shown on the terminal (comparison.csv holds all of them)."""


def interval(difference: float, low: float, high: float) -> str:
    """``+12 [3, 21]``, bold when the interval excludes 0."""
    if math.isnan(low):
        return signed(difference)
    text = f"{signed(difference)} [{number(low)}, {number(high)}]"
    return f"[bold]{text}[/]" if low > 0 or high < 0 else text


def window_text(comparison: Comparison) -> str:
    """The compared window as people count it: ``months 13-36``."""
    first = comparison.variant_set.variants[0].scenario
    return period_span(first.period_days, first.warmup_periods, first.horizon_periods - 1)


Column = tuple[str, list[str]]
"""A table column: its header and its cells, one per row."""


def print_columns(console: Console, title: str, labels: Column, columns: Sequence[Column]) -> None:
    """Print ``labels`` and ``columns`` as tables no wider than the terminal.

    Numbers are never cut or broken: when all columns do not fit side by side, they are
    split over several tables, each repeating the label column (as pandas splits a wide
    frame); only a single column wider than the terminal wraps.
    """
    groups: list[list[Column]] = []
    for column in columns:
        trial = [*(groups[-1] if groups else []), column]
        if groups and _width(console, labels, trial) <= console.width:
            groups[-1] = trial
        else:
            groups.append([column])
    for k, group in enumerate(groups):
        part = f" ({k + 1} of {len(groups)})" if len(groups) > 1 else ""
        table = Table(title=title + part, title_justify="left")
        wrap = _width(console, labels, group) > console.width
        table.add_column(labels[0], overflow="fold")
        for header, _ in group:
            table.add_column(header, justify="right", no_wrap=not wrap, overflow="fold")
        for i, label in enumerate(labels[1]):
            table.add_row(label, *[cells[i] for _, cells in group])
        console.print(table)


def _width(console: Console, labels: Column, group: Sequence[Column]) -> int:
    """Natural width of a table of ``labels`` and ``group`` (nothing wrapped), characters."""
    table = Table(title=None)
    table.add_column(labels[0])
    for header, _ in group:
        table.add_column(header, no_wrap=True)
    for i, label in enumerate(labels[1]):
        table.add_row(label, *[cells[i] for _, cells in group])
    unbounded = console.options.update_width(1_000_000)
    return Measurement.get(console, unbounded, table).maximum


def print_comparison(console: Console, comparison: Comparison) -> None:
    """Print the decision, the economics and the key metrics, fitted to the terminal."""
    print_decision(console, comparison)
    print_economics(console, comparison)
    print_metrics(console, comparison)


def print_decision(console: Console, comparison: Comparison) -> None:
    """One row per variant: the verdict in words."""
    vs, s = comparison.variant_set, comparison.variant_set.settings
    table = Table(
        title=f"Decision: each variant against {s.reference}, {s.perspective.replace('_', ' ')} "
        f"perspective, {vs.replications} replications, {window_text(comparison)}",
        title_justify="left",
    )
    table.add_column("variant", overflow="fold", style="bold")
    table.add_column("verdict (95% CIs; thresholds in currency per QALY)", overflow="fold")
    for row in comparison.cost_effectiveness.to_dict("records"):
        table.add_row(row["variant"], row["verdict"])
    console.print(table)


def print_economics(console: Console, comparison: Comparison) -> None:
    """Cost, QALYs, increments, ICER, NMB and probabilities, one column per variant."""
    vs, s = comparison.variant_set, comparison.variant_set.settings
    ce = comparison.cost_effectiveness.set_index("variant")
    measures: list[tuple[str, Callable]] = [
        ("cost", lambda row, ref: number(row["cost"])),
        ("QALYs", lambda row, ref: number(row["qalys"])),
        ("incremental cost", _increment("incremental_cost")),
        ("incremental QALYs", _increment("incremental_qalys")),
        ("ICER", lambda row, ref: "" if ref else icer_text(row["icer"], row["icer_status"])),
    ]
    for t in s.thresholds:
        label = threshold_label(t)
        measures += [
            (f"incremental NMB at {number(t)}", _increment(f"incremental_nmb_{label}")),
            (f"P(cost-effective vs reference) at {number(t)}", _share(f"p_cost_effective_{label}")),
            (f"P(best of all) at {number(t)}", _share(f"p_best_{label}")),
        ]
    columns = [
        (name, [cell(ce.loc[name], name == s.reference) for _, cell in measures])
        for name in vs.names
    ]
    title = (
        f"Cost-effectiveness against {s.reference}: cost and NMB in currency units per "
        "period, QALYs per period, ICER per QALY; [95% CI]"
    )
    print_columns(console, title, ("measure", [m for m, _ in measures]), columns)


def _increment(key: str) -> Callable:
    return lambda row, ref: (
        "" if ref else interval(row[key], row[f"{key}_ci_low"], row[f"{key}_ci_high"])
    )


def _share(key: str) -> Callable:
    return lambda row, ref: "" if not math.isfinite(row[key]) else f"{row[key]:.2f}"


def print_metrics(console: Console, comparison: Comparison) -> None:
    """Key metrics: the reference's level and each variant's paired difference."""
    vs, s = comparison.variant_set, comparison.variant_set.settings
    rows = comparison.comparison.set_index(["variant", "metric"])
    others = [name for name in vs.names if name != s.reference]
    levels = [number(rows.loc[(s.reference, m)]["mean"]) for m in TERMINAL_METRICS]
    columns = [(s.reference, levels)]
    for name in others:
        cells = []
        for metric in TERMINAL_METRICS:
            row = rows.loc[(name, metric)]
            cells.append(interval(row["difference"], row["ci_low"], row["ci_high"]))
        columns.append((name, cells))
    title = (
        f"Key metrics, organisation, {window_text(comparison)}: {s.reference} (mean per "
        "period or rate) and each variant's paired difference from it [95% CI]"
    )
    print_columns(console, title, ("metric", list(TERMINAL_METRICS)), columns)


def icer_text(value: float, status: str) -> str:
    """The ICER, or what stands in place of a meaningless ratio."""
    if status == "more_costly_more_effective":
        return f"{number(value)} per QALY gained"
    if status == "less_costly_less_effective":
        return f"{number(value)} saved per QALY lost"
    return status.replace("_", " ")
