"""From YAML files (with ``extends:`` and ``--set`` overrides) to a validated Scenario."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulate.errors import ScenarioError
from simulate.scenario.consistency import inconsistencies
from simulate.scenario.models import NAME_PATTERN, Scenario
from simulate.scenario.schema import allowed_keys, schema_at, suggest
from simulate.scenario.yaml_source import (
    Located,
    Path_,
    format_path,
    one_line,
    read_yaml_file,
    read_yaml_text,
)

MAX_EXTENDS_DEPTH = 20
OVERRIDE_SOURCE = "--set"
EXPERIMENT_SECTIONS = ("variants", "sweep", "uncertainty")
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
    if raw.strip():
        try:
            parsed = read_yaml_text(raw, source)
        except ScenarioError as exc:
            message = exc.message if "\n" in raw.strip() else exc.message.replace(" on line 1", "")
            raise ScenarioError(f"bad value: {message}", file=source, field=key) from None
        value = parsed.data if parsed.lines else None  # only a comment: null
    else:
        value = None
    target: Any = data
    for depth, part in enumerate(path):
        where = format_path(path[: depth + 1])
        last = depth == len(path) - 1
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
        if last:
            target[part] = value
        else:
            if isinstance(target, dict) and part not in target:
                target[part] = {}
                lines[path[: depth + 1]] = (source, 0)
            target = target[part]
    for old in [p for p in lines if p[: len(path)] == path]:
        del lines[old]
    lines[path] = (source, 0)


def _data_path(loc: tuple, data: Any) -> tuple[Path_, bool]:
    """Map a pydantic error location to a path in the data (dropping union tags).

    Returns the path and whether it exists in the data.
    """
    path: list[str | int] = []
    node = data
    exists = True
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_dict or in_list:
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and _tag_of(node) == part:
            continue  # discriminated-union tag
        elif _is_number(node) and part == "fixed" and parts == ["value"]:
            break  # a plain number standing for ``{dist: fixed, value: ...}``
        else:
            path.append(part)
            exists = False
            node = None
    return tuple(path), exists


TAG_KEYS = ("dist", "type")
"""Keys that choose the member of a discriminated union: distributions and rules."""


def _tag_of(node: dict) -> Any:
    return next((node[key] for key in TAG_KEYS if key in node), None)


def _tag_message(tag: Any, what: str, names: list[str], missing: str, allowed: str) -> str:
    """Message for an unknown (or missing) union tag, with the nearest known name."""
    if tag is None:
        return f"{missing} ({allowed})"
    hint = suggest(str(tag), names)
    text = f"unknown {what} '{tag}'"
    if hint:
        text += f"; did you mean '{hint}'?"
    return f"{text} ({allowed})"


def _rule_type_message(tag: Any) -> str:
    from simulate.incentives.rules import RULE_TYPES

    names = list(RULE_TYPES)
    known = f"known rule types: {', '.join(names)}"
    return _tag_message(tag, "rule type", names, "a rule needs 'type:'", known)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


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


def _more(count: int) -> str:
    """Suffix for further problems; parentheses, as the CLI prints with rich markup."""
    if count < 1:
        return ""
    return f" (and {count} more problem{'s' if count > 1 else ''})"


def _distribution_message(tag: Any) -> str:
    from simulate.scenario.distributions import DISTRIBUTION_NAMES

    names = list(DISTRIBUTION_NAMES)
    allowed = f"allowed: {', '.join(names)}, or a plain number for a fixed value"
    missing = "a distribution is a plain number or a mapping with 'dist:'"
    return _tag_message(tag, "distribution", names, missing, allowed)


def _message(error: dict, path: Path_, exists: bool, value_known: bool, value: Any) -> str:
    kind = error["type"]
    loc = tuple(error["loc"])
    got = f" (got {_describe(value)})" if value_known else ""
    if kind == "extra_forbidden":
        key = str(path[-1])
        allowed = allowed_keys(loc[:-1])
        hint = suggest(key, allowed)
        text = f"unknown key '{key}'"
        if hint:
            text += f"; did you mean '{hint}'?"
        if allowed:
            text += f" (allowed here: {', '.join(allowed)})"
        return text
    if kind == "missing":
        return f"required key '{path[-1]}' is missing"
    is_rule = "type" in str(error.get("ctx", {}).get("discriminator", ""))
    if kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag", "")
        return _rule_type_message(tag) if is_rule else _distribution_message(tag)
    if kind == "union_tag_not_found":
        return _rule_type_message(None) if is_rule else _distribution_message(None)
    schema = schema_at(loc) or {}
    if kind == "model_attributes_type" and "discriminator" in schema:
        return _distribution_message(None) + got
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        keys = allowed_keys(loc)
        listed = f" with keys from: {', '.join(keys)}" if keys else ""
        return f"must be a mapping{listed}{got}"
    if kind in ("tuple_type", "list_type"):
        return f"must be a list{got}"
    if kind == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") == NAME_PATTERN:
        return (
            "must be a name of up to 100 letters, digits, '_', '.' or '-', starting with a "
            f"letter or digit (no spaces){got}"
        )
    text = error["msg"]
    if text.startswith("Value error, "):
        text = text[len("Value error, ") :]
    text = text.replace("Tuple should", "List should").replace("valid tuple", "valid list")
    if kind not in ("value_error",):
        text += got
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
    # A list whose items all failed is also reported as too short; that is noise.
    deeper = [tuple(e["loc"]) for e in errors]
    errors = [
        e
        for e in errors
        if not (
            e["type"] == "too_short"
            and any(len(o) > len(e["loc"]) and o[: len(e["loc"])] == e["loc"] for o in deeper)
        )
    ] or errors
    first = errors[0]
    path, exists = _data_path(tuple(first["loc"]), data)
    known, value = _value_at(data, path) if exists else (False, None)
    tag_key = next((k for k in TAG_KEYS if isinstance(value, dict) and k in value), None)
    if first["type"] == "union_tag_invalid" and tag_key:
        path = (*path, tag_key)  # point at the 'dist:' or 'type:' line itself
        known, value = True, value[tag_key]
    file, line = _line_for(path, lines, main_file)
    message = _message(first, path, exists, known, value) + _more(len(errors) - 1)
    return ScenarioError(message, file=file, line=line, field=format_path(path) or None)


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
