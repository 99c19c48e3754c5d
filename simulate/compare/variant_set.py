"""What a comparison is made of: its variants, how they are compared (settings) and
the checks and messages shared by the ways of defining them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from simulate.compare.discounting import Discount
from simulate.errors import ScenarioError
from simulate.scenario.messages import _line_for
from simulate.scenario.models import Scenario
from simulate.scenario.schema import suggest, unknown_key_message
from simulate.scenario.yaml_source import Path_, format_path

DEFAULT_THRESHOLDS: tuple[float, ...] = (20_000.0, 30_000.0)
"""Willingness to pay per QALY, in currency units (NICE's 20,000-30,000 range)."""
PERSPECTIVES: dict[str, str] = {
    "health_system": "resource cost of care plus physician payments (cost + payment_total)",
    "payer": "physician payments, incentives included (payment_total)",
    "resource": "resource cost of care (cost)",
}
"""Which cost enters the economics, by perspective name."""
DEFAULT_PERSPECTIVE = "health_system"
DEFAULT_CEAC_MAX = 100_000.0
DEFAULT_CEAC_STEP = 1_000.0
MAX_CEAC_POINTS = 100_000
SECTION_KEYS = (
    "reference",
    "thresholds",
    "perspective",
    "ceac_max",
    "ceac_step",
    "discount",
    "list",
)
VARIANT_KEYS = ("name", "description", "set", "overrides")
SHARED_KEYS = ("seed", "replications", "horizon_periods", "warmup_periods", "period_days")
"""What every variant shares: common random numbers and the same comparison window."""


@dataclass(frozen=True)
class Settings:
    """How variants are compared."""

    reference: str
    """Name of the variant the others are compared with."""
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    """Willingness to pay per QALY (currency units per QALY)."""
    perspective: str = DEFAULT_PERSPECTIVE
    ceac_max: float = DEFAULT_CEAC_MAX
    """Largest threshold of the acceptability curve (currency units per QALY)."""
    ceac_step: float = DEFAULT_CEAC_STEP
    """Step between the acceptability curve's thresholds (currency units per QALY)."""
    discount: Discount = field(default_factory=Discount)
    """Annual discount rates of costs and QALYs (``compare.discounting``)."""


@dataclass(frozen=True)
class Variant:
    """One scenario of a comparison."""

    name: str
    description: str
    scenario: Scenario
    source: str
    """Where it was defined: ``file`` or ``file:line``."""


@dataclass(frozen=True)
class VariantSet:
    """The variants to compare, how to compare them, and what was read to get them."""

    name: str
    """Name of the comparison (the default results folder)."""
    variants: tuple[Variant, ...]
    settings: Settings
    files: tuple[str, ...] = ()
    overrides: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    """Things the user should know (e.g. seeds of later files ignored)."""

    @property
    def names(self) -> list[str]:
        """Variant names, in order."""
        return [v.name for v in self.variants]

    @property
    def seed(self) -> int:
        """The seed all variants share."""
        return self.variants[0].scenario.seed

    @property
    def replications(self) -> int:
        """The replications every variant runs."""
        return self.variants[0].scenario.replications


def _choice_message(key: str, got: Any, names: list[str], what: str | None = None) -> str:
    hint = suggest(str(got), names)
    text = f"unknown {what or key} '{got}'"
    if hint:
        text += f"; did you mean '{hint}'?"
    return f"{text} (allowed: {', '.join(names)})"


def _check_thresholds(values: list[Any]) -> tuple[float, ...] | None:
    """Distinct thresholds in the order given, or None when one is not a number >= 0."""
    out: list[float] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if not math.isfinite(value) or value < 0:
            return None
        if float(value) not in out:
            out.append(float(value))
    return tuple(out) if out else None


def _check_keys(mapping: dict, allowed: Sequence[str], path: Path_, fail) -> None:
    for key in mapping:
        if key not in allowed:
            raise fail(unknown_key_message(str(key), list(allowed)), (*path, key))


def _error(message: str, lines: dict, path: Path_, main: str) -> ScenarioError:
    file, line = _line_for(path, lines, main)
    return ScenarioError(message, file=file, line=line, field=format_path(path) or None)
