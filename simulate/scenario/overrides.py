"""``--set dotted.path=value`` overrides: parsing the path and applying the value."""

from __future__ import annotations

import re
from typing import Any

from simulate.errors import ScenarioError
from simulate.scenario.files import _kind
from simulate.scenario.yaml_source import (
    Path_,
    format_path,
    read_yaml_text,
)

OVERRIDE_SOURCE = "--set"


_INDEX = re.compile(r"\[(\d+)\]")


def parse_dotted_path(text: str) -> Path_:
    """``teams[0].nurses`` -> ``('teams', 0, 'nurses')``."""
    parts: list[str | int] = []
    if not text:
        raise ValueError("the path before '=' is empty")
    for chunk in text.split("."):
        name, _, rest = chunk.partition("[")
        if not name and (not parts or not rest):
            raise ValueError(f"path '{text}' has an empty part; write keys like a.b[0].c")
        if name:
            parts.append(name)
        rest = "[" + rest if rest else ""
        while rest:
            match = _INDEX.match(rest)
            if not match:
                raise ValueError(
                    f"path '{text}': '{chunk}' has a bad index; indices are numbers, as in teams[0]"
                )
            parts.append(int(match.group(1)))
            rest = rest[match.end() :]
    return tuple(parts)


def apply_override(data: dict[str, Any], assignment: str, lines: dict) -> None:
    """Apply one ``dotted.path=value`` (value read as YAML) to ``data`` in place."""
    source = f"{OVERRIDE_SOURCE} {assignment}"
    key, path, value = _parse_assignment(assignment, source)
    target: Any = data
    for depth, part in enumerate(path):
        _check_step(target, path, depth, key, source)
        if depth == len(path) - 1:
            target[part] = value
        else:
            if isinstance(target, dict) and part not in target:
                target[part] = _missing_mapping(path[: depth + 1])
                lines[path[: depth + 1]] = (source, 0)
            target = target[part]
    for old in [p for p in lines if p[: len(path)] == path]:
        del lines[old]
    lines[path] = (source, 0)


def _missing_mapping(path: Path_) -> dict[str, Any]:
    """What a mapping the file leaves out starts as when ``--set`` steps into it: the
    scenario's default there when that is a distribution (``physician_traits.inertia.a=8``
    keeps the default's ``dist: beta`` and ``b``), else empty (validation fills in the
    other defaults)."""
    from pydantic import BaseModel

    from simulate.scenario.models import Scenario

    model: Any = Scenario
    default: Any = None
    for part in path:
        fields = getattr(model, "model_fields", None)
        if isinstance(part, int) or fields is None or part not in fields:
            return {}
        default = fields[part].get_default(call_default_factory=True)
        model = type(default) if isinstance(default, BaseModel) else None
    if isinstance(default, BaseModel) and "dist" in type(default).model_fields:
        return default.model_dump(mode="json", by_alias=True)
    return {}


def _parse_assignment(assignment: str, source: str) -> tuple[str, Path_, Any]:
    """The key, its path and the value (YAML; nothing or only a comment: null)."""
    if "=" not in assignment:
        raise ScenarioError(
            "must look like dotted.path=value, e.g. teams[0].nurses=20", file=source
        )
    key, _, raw = assignment.partition("=")
    key = key.strip()
    try:
        path = parse_dotted_path(key)
    except ValueError as exc:
        raise ScenarioError(str(exc), file=source) from None
    if path[0] == "extends":
        raise ScenarioError(
            "'extends' cannot be changed with --set; edit the file", file=source, field=key
        )
    if not raw.strip():
        return key, path, None
    try:
        parsed = read_yaml_text(raw, source)
    except ScenarioError as exc:
        message = exc.message if "\n" in raw.strip() else exc.message.replace(" on line 1", "")
        raise ScenarioError(f"bad value: {message}", file=source, field=key) from None
    return key, path, parsed.data if parsed.lines else None


def _check_step(target: Any, path: Path_, depth: int, key: str, source: str) -> None:
    """Refuse to step into ``target`` by ``path[depth]`` when it is not a list with that
    index or not a mapping."""
    part, where = path[depth], format_path(path[: depth + 1])
    if isinstance(part, int):
        if not isinstance(target, list):
            raise ScenarioError(
                f"'{format_path(path[:depth]) or key}' is not a list (it is "
                f"{_kind(target)}), so it has no index [{part}]",
                file=source,
                field=where,
            )
        if part >= len(target):
            size = len(target)
            raise ScenarioError(
                f"index {part} is out of range: the list has {size} item"
                f"{'' if size == 1 else 's'} (indices 0-{size - 1})"
                if size
                else f"index {part} is out of range: the list is empty",
                file=source,
                field=where,
            )
    elif not isinstance(target, dict):
        parent = format_path(path[:depth])
        hint = f"; use an index, as in {parent}[0].{part}" if isinstance(target, list) else ""
        raise ScenarioError(
            f"'{parent}' is {_kind(target)}, not a mapping, so it has no key '{part}'{hint}",
            file=source,
            field=where,
        )
