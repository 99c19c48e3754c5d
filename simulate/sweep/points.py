"""From the base scenario and a point's parameter values to a validated Scenario.

Parameter paths are checked against the base scenario with every default filled in
(so ``physician_traits.peer_sensitivity.a`` works even when the file does not mention
the traits); a point's scenario is a deep copy of the file's merged data with each
value set at its path, validated exactly as a scenario file is.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from simulate.errors import ScenarioError
from simulate.scenario.consistency import inconsistencies
from simulate.scenario.messages import validation_error
from simulate.scenario.models import Scenario
from simulate.scenario.overrides import parse_dotted_path
from simulate.scenario.schema import suggest
from simulate.scenario.yaml_source import Path_, format_path


class PointError(ValueError):
    """A point's values make the scenario invalid: ``message`` says why."""


def _leaf_paths(node: Any, prefix: Path_) -> list[str]:
    """Every scalar path below ``node`` (for suggestions)."""
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaf_paths(v, (*prefix, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaf_paths(v, (*prefix, i))]
    return [format_path(prefix)]


def check_path(text: str, full: dict[str, Any]) -> Path_:
    """The parsed path, if it names a value of the scenario; ValueError saying why not.

    ``full`` is the scenario with defaults filled in (``model_dump(by_alias=True)``).
    """
    try:
        path = parse_dotted_path(text.strip())
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    node: Any = full
    for depth, part in enumerate(path):
        _check_step(text, full, path, depth, node)
        node = node[part]
        if node is None and depth < len(path) - 1:
            raise ValueError(
                f"'{format_path(path[: depth + 1])}' is not set in this scenario; a sweep "
                "varies values the scenario has (set it in the file first)"
            )
    if isinstance(node, dict | list):
        inner = _leaf_paths(node, path)[:4]
        raise ValueError(
            f"'{text}' is {'a mapping' if isinstance(node, dict) else 'a list'}, not a single "
            f"value; sweep one of its values, e.g. {', '.join(inner)}"
        )
    return path


def _check_step(text: str, full: dict[str, Any], path: Path_, depth: int, node: Any) -> None:
    """ValueError unless ``node`` has ``path[depth]`` (an index of a list, a key of a
    mapping; an unknown key gets the nearest parameter as a hint)."""
    part = path[depth]
    here = format_path(path[:depth]) or "the scenario"
    if isinstance(part, int):
        if not isinstance(node, list):
            raise ValueError(f"'{here}' is not a list, so it has no index [{part}]")
        if part >= len(node):
            raise ValueError(
                f"index {part} is out of range: '{here}' has {len(node)} item"
                f"{'' if len(node) == 1 else 's'}"
            )
        return
    if not isinstance(node, dict):
        kind = "a list (use an index, as in [0])" if isinstance(node, list) else "a value"
        raise ValueError(f"'{here}' is {kind}, so it has no key '{part}'")
    if part not in node:
        candidates = _leaf_paths(full, ())
        near = suggest(text, candidates) or suggest(
            format_path((*path[:depth], part)),
            [format_path((*path[:depth], k)) for k in node],
        )
        hint = f"; did you mean '{near}'?" if near else ""
        raise ValueError(f"the scenario has no parameter '{text}'{hint}")


def set_value(data: dict[str, Any], full: dict[str, Any], path: Path_, value: Any) -> None:
    """Set ``value`` at ``path`` in ``data`` (in place), filling gaps from ``full``."""
    node, full_node = data, full
    for part in path[:-1]:
        full_child = full_node[part]
        present = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and part < len(node)
        )
        if not present or type(node[part]) is not type(full_child):
            node[part] = copy.deepcopy(full_child)  # default, or a plain-number shorthand
        node, full_node = node[part], full_child
    node[path[-1]] = value


def build_scenario(
    data: dict[str, Any], full: dict[str, Any], paths: Sequence[Path_], values: Sequence[Any]
) -> Scenario:
    """The validated scenario of one point; PointError naming the first problem."""
    point = copy.deepcopy(data)
    for path, value in zip(paths, values, strict=True):
        set_value(point, full, path, value)
    try:
        scenario = Scenario.model_validate(point)
    except ValidationError as exc:
        error = validation_error(exc, point, {}, "")
        raise PointError(_describe(error)) from None
    problems = inconsistencies(scenario)
    if problems:
        bad_path, message = problems[0]
        raise PointError(f"field '{format_path(bad_path)}': {message}")
    return scenario


def _describe(error: ScenarioError) -> str:
    return f"field '{error.field}': {error.message}" if error.field else error.message


def base_full(data: dict[str, Any]) -> dict[str, Any]:
    """The base scenario as plain data with every default filled in."""
    return Scenario.model_validate(data).model_dump(mode="json", by_alias=True)
