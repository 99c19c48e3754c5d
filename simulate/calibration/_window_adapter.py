"""TEMPORARY stand-in for the window API of ``simulate.compare.window`` (extended on
another branch: ``Window``, ``parse_window``, ``policy_windows``, ``unit_window_values``),
with the same signatures and forms. Delete this module and import from
``simulate.compare.window`` once that branch is merged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from simulate.compare.window import window_values
from simulate.errors import ScenarioError

WINDOW_FORM = "NAME=FIRST-LAST, months counted from 1, inclusive (e.g. during=13-30)"
_WINDOW = re.compile(r"\s*([A-Za-z][A-Za-z0-9_.-]{0,39})\s*=\s*(\d{1,6})\s*-\s*(\d{1,6})\s*")


@dataclass(frozen=True)
class Window:
    """A named span of months, counted from 1, both inclusive."""

    name: str
    first_month: int
    last_month: int

    def __post_init__(self) -> None:
        if not 1 <= self.first_month <= self.last_month:
            raise ScenarioError(
                f"window {self.name}={self.first_month}-{self.last_month}: months count "
                f"from 1 and the last is not before the first; allowed: {WINDOW_FORM}"
            )


def parse_window(text: str) -> Window:
    """``"during=13-30"`` -> ``Window("during", 13, 30)``."""
    match = _WINDOW.fullmatch(str(text))
    if match is None:
        raise ScenarioError(f"--window '{text}' is not of the form {WINDOW_FORM}")
    return Window(match.group(1), int(match.group(2)), int(match.group(3)))


def policy_windows(scenario) -> tuple[Window, ...]:
    """Stand-in: one window ``all`` after warm-up (the phases arrive with the merge)."""
    return (Window("all", scenario.warmup_periods + 1, scenario.horizon_periods),)


def unit_window_values(
    scenario, results: Sequence, window: Window, level: str = "organisation", by=None
):
    """Stand-in: organisation values over the post-warm-up window only."""
    after = (scenario.warmup_periods + 1, scenario.horizon_periods)
    span = (window.first_month, window.last_month)
    if level != "organisation" or by is not None or span != after:
        raise NotImplementedError("windows and levels arrive with the compare window API")
    return window_values(scenario, results).assign(unit="organisation")
