"""Numbers as people read them, shared by the terminal tables, verdicts and dashboards."""

from __future__ import annotations

import math


def number(x: float) -> str:
    """Thousands separators from 100 (``12,345``), else 3 significant digits (``0.0517``);
    ``-`` when missing, ``0`` for rounding noise of a zero difference."""
    if x != x:  # NaN
        return "-"
    if abs(x) < 1e-12:
        return "0"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def signed(x: float) -> str:
    """A difference with its sign: ``+12``, ``-0.5``."""
    text = number(x)
    return text if text in ("-", "0") or x < 0 else "+" + text


def percent(share: float) -> str:
    """A relative change as ``-20%`` or ``+0.41%`` (two significant digits below 10%)."""
    if not math.isfinite(share):
        return "n/a"
    pct = 100.0 * share
    text = f"{pct:+.0f}%" if abs(pct) >= 10 else f"{pct:+.2g}%"
    return text.replace("+-", "-")


def money(x: float) -> str:
    """An amount without sign: ``12,300``."""
    return f"{abs(x):,.0f}"
