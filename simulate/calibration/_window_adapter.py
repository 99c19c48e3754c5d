"""TEMPORARY stand-in for the window API of ``simulate.compare.window`` (being extended
on another branch: ``Window``, ``parse_window``, ``unit_window_values``), with the same
signatures. Delete this module and import from ``simulate.compare.window`` once merged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from simulate.compare.window import window_values


@dataclass(frozen=True)
class Window:
    """Months ``first_month``..``last_month`` (from 1, inclusive)."""

    name: str
    first_month: int
    last_month: int


def parse_window(text: str) -> Window:
    """``"13-24"`` -> Window("13-24", 13, 24); ValueError saying what is allowed."""
    match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", str(text))
    if not match:
        raise ValueError(
            f"a window is written FIRST-LAST in months from 1, as 13-24 (got {text!r})"
        )
    first, last = int(match.group(1)), int(match.group(2))
    if first < 1 or last < first:
        raise ValueError(f"a window needs 1 <= first month <= last month (got {text!r})")
    return Window(str(text).strip(), first, last)


def unit_window_values(
    scenario, results: Sequence, window: Window | None, level="organisation", by=None
):
    """Organisation values over the post-warm-up window only (what ``window_values`` gives)."""
    after = (scenario.warmup_periods + 1, scenario.horizon_periods)
    if (
        level != "organisation"
        or by is not None
        or (window is not None and (window.first_month, window.last_month) != after)
    ):
        raise NotImplementedError("windows and levels arrive with the compare window API")
    return window_values(scenario, results).assign(unit="organisation")
