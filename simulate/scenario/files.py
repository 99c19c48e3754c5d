"""Scenario files: the bundled folder, finding a file by name or path, and reading it
with its ``extends:`` chain merged (each value remembers the file and line it came from)."""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

from simulate.errors import ScenarioError
from simulate.scenario.schema import suggest
from simulate.scenario.yaml_source import (
    Located,
    Path_,
    read_yaml_file,
)

MAX_EXTENDS_DEPTH = 20


def bundled_dir() -> Path:
    """Folder of the bundled example scenarios."""
    return Path(str(resources.files("simulate.scenarios")))


def bundled_scenarios() -> list[Path]:
    """The bundled scenario files, sorted by name."""
    return sorted(bundled_dir().glob("*.yaml"))


def find_scenario_file(source: str | Path) -> Path:
    """A path as given, or a bundled scenario by name (``baseline_ffs[.yaml]``)."""
    path = Path(source)
    try:
        if path.exists():
            return path
    except OSError as exc:  # e.g. a name too long for the file system
        raise ScenarioError(f"cannot read file: {exc.strerror}", file=str(source)) from None
    name = path.name if path.suffix else path.name + ".yaml"
    if path.parent == Path(".") and _is_file(bundled_dir() / name):
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


def _describe(value: Any) -> str:
    """``value`` as written, shortened to 60 characters, for messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    """A YAML-ish name for the type of ``value``, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _merge_lines(
    parent: dict[Path_, tuple[str, int]], child: Located, parent_data: Any
) -> dict[Path_, tuple[str, int]]:
    """Source lines after merging ``child`` over its parent.

    Where the child replaces a value outright (a list, a scalar, ``null``, or a mapping
    over a non-mapping), the parent's lines below that path no longer describe anything
    and are dropped, so a later message cannot point into the parent file by mistake.
    """
    replaced: list[Path_] = []

    def walk(child_node: Any, parent_node: Any, path: Path_) -> None:
        if isinstance(child_node, dict) and isinstance(parent_node, dict):
            for key, value in child_node.items():
                if key in parent_node:
                    walk(value, parent_node[key], (*path, key))
        else:
            replaced.append(path)

    walk(child.data, parent_data, ())
    kept = {
        path: where
        for path, where in parent.items()
        if not any(len(path) > len(cut) and path[: len(cut)] == cut for cut in replaced)
    }
    return {**kept, **child.lines}


def _is_file(path: Path) -> bool:
    """Whether ``path`` is a file; False also when the name cannot be a path here."""
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long, a NUL character
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _find_parent(path: Path, parent_name: str) -> Path | None:
    for candidate in (path.parent / parent_name, bundled_dir() / parent_name):
        if _is_file(candidate):
            return candidate
    return None


def _read_with_extends(path: Path, chain: tuple[Path, ...]) -> tuple[Located, list[str]]:
    resolved = path.resolve()
    if resolved in chain:  # defensive: cycles are caught below, at the extends line
        cycle = " -> ".join(p.name for p in (*chain, resolved))
        raise ScenarioError(f"'extends' cycle: {cycle}", file=str(path))
    located = read_yaml_file(path)
    if not located.lines:
        raise ScenarioError(
            "file is empty; a scenario is a mapping with at least name, conditions, teams "
            "and payment (or 'extends:' another scenario file)",
            file=str(path),
        )
    if not isinstance(located.data, dict):
        raise ScenarioError(
            f"a scenario must be a mapping of keys to values (got {_kind(located.data)})",
            file=str(path),
            line=located.lines.get((), (str(path), 1))[1],
        )
    files = [str(path)]
    if "extends" not in located.data:
        return located, files
    parent_name = located.data.pop("extends")
    file, line = located.lines.pop(("extends",), (str(path), 1))

    def fail(message: str) -> ScenarioError:
        return ScenarioError(message, file=file, line=line, field="extends")

    if not isinstance(parent_name, str) or not parent_name.strip():
        raise fail(
            "must be the path of another scenario file, relative to this one "
            f"(got {_describe(parent_name)})"
        )
    parent_path = _find_parent(path, parent_name)
    if parent_path is None:
        folder = path.parent.resolve()
        if _is_dir(folder / parent_name):
            raise fail(f"'{parent_name}' is a folder, not a scenario file")
        near = {p.stem: p.name for p in (*bundled_scenarios(), *folder.glob("*.y*ml"))}
        hint = suggest(Path(parent_name).stem, sorted(near))
        extra = f"; did you mean '{near[hint]}'?" if hint else ""
        raise fail(
            f"file '{parent_name}' not found in {folder} or among the bundled scenarios"
            f"{extra} (the path is relative to this file)"
        )
    parent_resolved = parent_path.resolve()
    if parent_resolved in (*chain, resolved):
        names = [p.name for p in (*chain, resolved)]
        start = [*chain, resolved].index(parent_resolved)
        cycle = " -> ".join([*names[start:], parent_resolved.name])
        raise fail(f"'extends' goes round in a cycle: {cycle}")
    if len(chain) + 1 >= MAX_EXTENDS_DEPTH:
        raise fail(f"'extends' chain is longer than {MAX_EXTENDS_DEPTH} files")
    parent, parent_files = _read_with_extends(parent_path, (*chain, resolved))
    data = deep_merge(parent.data, located.data)
    lines = _merge_lines(parent.lines, located, parent.data)
    return Located(data=data, lines=lines), parent_files + files
