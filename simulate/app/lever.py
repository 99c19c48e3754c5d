"""One control of the what-if page: where its value goes in the scenario, its kind, the
value shown, bounds, unit and one-line help. Periods are shown as months from 1."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from simulate.scenario.yaml_source import Path_, format_path

NUMBER, INTEGER, MONTH, CHOICE, CHOICES, FLAG, MEAN = (
    "number",
    "integer",
    "month",
    "choice",
    "choices",
    "flag",
    "mean",
)
"""Kinds of lever: a number, a whole number, a month (counted from 1), one of a list,
several of a list, on/off, and the mean of a trait's distribution."""


@dataclass(frozen=True)
class Lever:
    """One control on the page."""

    path: Path_
    """Where in the scenario's data the value goes."""
    group: str
    label: str
    kind: str
    value: Any
    """The value as shown: months from 1 for a month; a trait's mean for a mean."""
    help: str
    unit: str
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[Any, ...] = ()
    optional: bool = False
    """Whether it may be empty (none: no cap, to the end, ...)."""

    @property
    def key(self) -> str:
        """The widget key (stable for a scenario)."""
        return "lever:" + format_path(self.path)

    @property
    def where(self) -> str:
        """The field path as messages and the session log write it."""
        return format_path(self.path)

    @property
    def number_format(self) -> str:
        """printf format for a number input."""
        if self.kind in (INTEGER, MONTH) or not self.step or self.step >= 1:
            return "%d" if self.kind in (INTEGER, MONTH) else "%.0f"
        return f"%.{max(0, -math.floor(math.log10(self.step)))}f"

    def text(self, shown: Any) -> str:
        """A shown value in words, for the change list and the log."""
        if shown is None:
            return "to the end" if self.kind == MONTH else "none"
        if self.kind == MONTH:
            return f"month {shown}"
        if self.kind == FLAG:
            return "on" if shown else "off"
        if self.kind == CHOICES:
            return ", ".join(map(str, shown)) or "none"
        if isinstance(shown, float):
            return f"{shown:,.6g}"
        return str(shown)
