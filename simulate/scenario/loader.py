"""From YAML files (with ``extends:`` and ``--set`` overrides) to a validated Scenario."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulate.errors import ScenarioError
from simulate.scenario.consistency import inconsistencies
from simulate.scenario.models import Scenario
from simulate.scenario.schema import allowed_keys, suggest
from simulate.scenario.yaml_source import Located, Path_, format_path, read_yaml_file

MAX_EXTENDS_DEPTH = 20
OVERRIDE_SOURCE = "--set"


@dataclass(frozen=True)
class ResolvedScenario:
    """A validated scenario with the merged data it came from and where each value was set."""

    scenario: Scenario
    data: dict[str, Any]
    lines: dict[Path_, tuple[str, int]] = field(repr=False)
    files: tuple[str, ...]
    overrides: tuple[str, ...]


def bundled_dir() -> Path:
    """Folder of the bundled example scenarios."""
    return Path(str(resources.files("simulate.scenarios")))


def bundled_scenarios() -> list[Path]:
    """The bundled scenario files, sorted by name."""
    return sorted(bundled_dir().glob("*.yaml"))


def find_scenario_file(source: str | Path) -> Path:
    """A path as given, or a bundled scenario by name (``baseline_ffs[.yaml]``)."""
    path = Path(source)
    if path.exists():
        return path
    name = path.name if path.suffix else path.name + ".yaml"
    if path.parent == Path(".") and (bundled_dir() / name).exists():
        return bundled_dir() / name
    known = [p.stem for p in bundled_scenarios()]
    hint = suggest(path.stem, known)
    extra = f"; did you mean the bundled scenario '{hint}'?" if hint else ""
    raise ScenarioError(f"no such file{extra}", file=str(source))


def deep_merge(base: Any, override: Any) -> Any:
    """``override`` merged over ``base``: mappings merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return copy.deepcopy(override)


def _read_with_extends(path: Path, chain: tuple[Path, ...]) -> tuple[Located, list[str]]:
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(p.name for p in (*chain, resolved))
        raise ScenarioError(f"'extends' cycle: {cycle}", file=str(path))
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(
            f"'extends' chain longer than {MAX_EXTENDS_DEPTH} files", file=str(path)
        )
    located = read_yaml_file(path)
    if not isinstance(located.data, dict):
        raise ScenarioError(
            "a scenario must be a mapping of keys to values", file=str(path), line=1
        )
    files = [str(path)]
    parent_name = located.data.pop("extends", None)
    if parent_name is None:
        return located, files
    file, line = located.lines.get(("extends",), (str(path), 1))
    if not isinstance(parent_name, str) or not parent_name.strip():
        raise ScenarioError(
            "must be the path of another scenario file", file=file, line=line, field="extends"
        )
    parent_path = path.parent / parent_name
    if not parent_path.exists() and (bundled_dir() / parent_name).exists():
        parent_path = bundled_dir() / parent_name
    if not parent_path.exists():
        raise ScenarioError(
            f"file '{parent_name}' not found (looked in {path.parent})",
            file=file,
            line=line,
            field="extends",
        )
    parent, parent_files = _read_with_extends(parent_path, (*chain, resolved))
    data = deep_merge(parent.data, located.data)
    lines = {**parent.lines, **located.lines}
    return Located(data=data, lines=lines), parent_files + files


_INDEX = re.compile(r"\[(\d+)\]")


def parse_dotted_path(text: str) -> Path_:
    """``teams[0].nurses`` -> ``('teams', 0, 'nurses')``."""
    parts: list[str | int] = []
    for chunk in text.split("."):
        name, _, rest = chunk.partition("[")
        if not name and not parts:
            raise ValueError(f"path '{text}' must start with a key")
        if name:
            parts.append(name)
        rest = "[" + rest if rest else ""
        while rest:
            match = _INDEX.match(rest)
            if not match:
                raise ValueError(f"path '{text}': bad index in '{chunk}'")
            parts.append(int(match.group(1)))
            rest = rest[match.end() :]
    if not parts or any(p == "" for p in parts):
        raise ValueError(f"path '{text}' is empty or has an empty part")
    return tuple(parts)


def apply_override(data: dict[str, Any], assignment: str, lines: dict) -> None:
    """Apply one ``dotted.path=value`` (value read as YAML) to ``data`` in place."""
    if "=" not in assignment:
        raise ScenarioError(
            f"'{assignment}' must look like dotted.path=value", file=OVERRIDE_SOURCE
        )
    key, _, raw = assignment.partition("=")
    key = key.strip()
    try:
        path = parse_dotted_path(key)
        value = yaml.safe_load(raw) if raw.strip() else None
    except (ValueError, yaml.YAMLError) as exc:
        raise ScenarioError(str(exc).splitlines()[0], file=OVERRIDE_SOURCE, field=key) from None
    target: Any = data
    for depth, part in enumerate(path[:-1]):
        where = format_path(path[: depth + 1])
        if isinstance(part, int):
            if not isinstance(target, list) or part >= len(target):
                size = len(target) if isinstance(target, list) else 0
                raise ScenarioError(
                    f"index {part} is out of range (the list has {size} items)",
                    file=OVERRIDE_SOURCE,
                    field=where,
                )
            target = target[part]
        else:
            if not isinstance(target, dict):
                raise ScenarioError("is not a mapping", file=OVERRIDE_SOURCE, field=where)
            target = target.setdefault(part, {})
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(target, list) or last >= len(target):
            raise ScenarioError("index out of range", file=OVERRIDE_SOURCE, field=key)
    elif not isinstance(target, dict):
        raise ScenarioError("parent is not a mapping", file=OVERRIDE_SOURCE, field=key)
    target[last] = value
    for old in [p for p in lines if p[: len(path)] == path]:
        del lines[old]
    lines[path] = (f"{OVERRIDE_SOURCE} {assignment}", 0)


def _data_path(loc: tuple, data: Any) -> tuple[Path_, bool]:
    """Map a pydantic error location to a path in the data (dropping union tags).

    Returns the path and whether it exists in the data.
    """
    path: list[str | int] = []
    node = data
    exists = True
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_dict or in_list:
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and node.get("dist") == part:
            continue  # discriminated-union tag
        else:
            path.append(part)
            exists = False
            node = None
    return tuple(path), exists


def _line_for(path: Path_, lines: dict[Path_, tuple[str, int]], default_file: str):
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            file, line = lines[path[:cut]]
            if file.startswith(OVERRIDE_SOURCE):
                return file, None
            return file, line
    return default_file, None


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(error: dict, path: Path_, exists: bool, value_known: bool, value: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(path[-1])
        allowed = allowed_keys(tuple(error["loc"][:-1]))
        hint = suggest(key, allowed)
        text = f"unknown key '{key}'"
        if hint:
            text += f"; did you mean '{hint}'?"
        if allowed:
            text += f" Allowed here: {', '.join(allowed)}"
        return text
    if kind == "missing":
        return f"required key '{path[-1]}' is missing"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        from simulate.scenario.distributions import DISTRIBUTION_NAMES

        tag = error.get("ctx", {}).get("tag", "")
        hint = suggest(str(tag), list(DISTRIBUTION_NAMES))
        text = f"unknown distribution '{tag}'" if tag else "a distribution needs 'dist:'"
        if hint:
            text += f"; did you mean '{hint}'?"
        return text + f" Allowed: {', '.join(DISTRIBUTION_NAMES)}, or a plain number"
    text = error["msg"]
    if text.startswith("Value error, "):
        text = text[len("Value error, ") :]
    if value_known and kind not in ("value_error",):
        text += f" (got {_describe(value)})"
    return text


def _value_at(data: Any, path: Path_) -> tuple[bool, Any]:
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False, None
    return True, node


def validation_error(exc: ValidationError, data: Any, lines: dict, main_file: str) -> ScenarioError:
    """The first validation problem as one ScenarioError with file, line and field path."""
    errors = exc.errors()
    first = errors[0]
    path, exists = _data_path(tuple(first["loc"]), data)
    file, line = _line_for(path, lines, main_file)
    known, value = _value_at(data, path) if exists else (False, None)
    message = _message(first, path, exists, known, value)
    if len(errors) > 1:
        more = len(errors) - 1
        message += f" [and {more} more problem{'s' if more > 1 else ''}]"
    return ScenarioError(message, file=file, line=line, field=format_path(path) or None)


def resolve_scenario(source: str | Path, overrides: Sequence[str] = ()) -> ResolvedScenario:
    """Read, merge, override and validate a scenario; raise ScenarioError when unusable."""
    path = find_scenario_file(source)
    located, files = _read_with_extends(path, ())
    data, lines = located.data, dict(located.lines)
    for assignment in overrides:
        apply_override(data, assignment, lines)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, data, lines, str(path)) from None
    problems = inconsistencies(scenario)
    if problems:
        bad_path, message = problems[0]
        file, line = _line_for(bad_path, lines, str(path))
        if len(problems) > 1:
            message += f" [and {len(problems) - 1} more problem(s)]"
        raise ScenarioError(message, file=file, line=line, field=format_path(bad_path))
    return ResolvedScenario(
        scenario=scenario,
        data=data,
        lines=lines,
        files=tuple(files),
        overrides=tuple(overrides),
    )


def load_scenario(source: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """A validated, immutable Scenario from a YAML file (or a bundled scenario's name).

    ``overrides`` are ``dotted.path=value`` strings, applied after ``extends:`` merging.
    Raises :class:`simulate.errors.ScenarioError` naming file, line and field on bad input.
    """
    return resolve_scenario(source, overrides).scenario
