"""From YAML files (with ``extends:`` and ``--set`` overrides) to a validated Scenario."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulate.errors import ScenarioError
from simulate.scenario.consistency import inconsistencies
from simulate.scenario.files import (
    _read_with_extends,
    bundled_dir,
    bundled_scenarios,
    deep_merge,
    find_scenario_file,
)
from simulate.scenario.messages import _line_for, _more, validation_error
from simulate.scenario.models import Scenario
from simulate.scenario.overrides import OVERRIDE_SOURCE, apply_override, parse_dotted_path
from simulate.scenario.schema import EXPERIMENT_DESCRIPTIONS
from simulate.scenario.yaml_source import (
    Path_,
    format_path,
    one_line,
)

EXPERIMENT_SECTIONS = tuple(EXPERIMENT_DESCRIPTIONS)
"""Top-level keys describing experiments on a scenario, kept out of the Scenario model."""


@dataclass(frozen=True)
class ResolvedScenario:
    """A validated scenario with the merged data it came from and where each value was set."""

    scenario: Scenario
    data: dict[str, Any]
    lines: dict[Path_, tuple[str, int]] = field(repr=False)
    files: tuple[str, ...]
    overrides: tuple[str, ...]
    extras: dict[str, Any] = field(default_factory=dict)
    """Top-level sections that describe experiments on the scenario rather than the world
    (``variants:``, ``sweep:``): taken out before validation and read by their own
    modules; their source lines stay in ``lines``."""


def resolve_scenario(source: str | Path, overrides: Sequence[str] = ()) -> ResolvedScenario:
    """Read, merge, override and validate a scenario; raise ScenarioError when unusable.

    Every error message is one line: what the user wrote is quoted with line breaks and
    other unprintable characters escaped.
    """
    try:
        return _resolve(source, overrides)
    except ScenarioError as error:
        raise _on_one_line(error) from None


def _on_one_line(error: ScenarioError) -> ScenarioError:
    parts = (error.message, error.file or "", error.field or "")
    if all(part.isprintable() for part in parts):
        return error
    return ScenarioError(
        one_line(error.message),
        file=one_line(error.file) if error.file else None,
        line=error.line,
        field=one_line(error.field) if error.field else None,
    )


def _resolve(source: str | Path, overrides: Sequence[str]) -> ResolvedScenario:
    path = find_scenario_file(source)
    located, files = _read_with_extends(path, ())
    data, lines = located.data, dict(located.lines)
    for assignment in overrides:
        apply_override(data, assignment, lines)
    invalid = _invalid_text(data, ())
    if invalid is not None:
        file, line = _line_for(invalid, lines, str(path))
        raise ScenarioError(
            "text with an unpaired surrogate (\\ud800-\\udfff), which is not a character: "
            "write the character itself or use UTF-8",
            file=file,
            line=line,
            field=format_path(invalid),
        )
    extras = {key: data.pop(key) for key in EXPERIMENT_SECTIONS if key in data}
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, data, lines, str(path)) from None
    problems = inconsistencies(scenario)
    if problems:
        bad_path, message = problems[0]
        file, line = _line_for(bad_path, lines, str(path))
        message += _more(len(problems) - 1)
        raise ScenarioError(message, file=file, line=line, field=format_path(bad_path))
    return ResolvedScenario(
        scenario=scenario,
        data=data,
        lines=lines,
        files=tuple(files),
        overrides=tuple(overrides),
        extras=extras,
    )


def _invalid_text(value: Any, path: Path_) -> Path_ | None:
    """The path of the first key or string holding a lone surrogate (YAML escapes such as
    "\\ud800" decode to one; it cannot be written to UTF-8 tables or figures)."""
    if isinstance(value, str):
        return path if any("\ud800" <= c <= "\udfff" for c in value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _invalid_text(key, (*path, key)) or _invalid_text(item, (*path, key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _invalid_text(item, (*path, index))
            if found is not None:
                return found
    return None


def load_scenario(source: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """A validated, immutable Scenario from a YAML file (or a bundled scenario's name).

    ``overrides`` are ``dotted.path=value`` strings, applied after ``extends:`` merging.
    Raises :class:`simulate.errors.ScenarioError` naming file, line and field on bad input.
    """
    return resolve_scenario(source, overrides).scenario


__all__ = [
    "EXPERIMENT_SECTIONS",
    "OVERRIDE_SOURCE",
    "ResolvedScenario",
    "apply_override",
    "bundled_dir",
    "bundled_scenarios",
    "deep_merge",
    "find_scenario_file",
    "load_scenario",
    "parse_dotted_path",
    "resolve_scenario",
    "validation_error",
]
