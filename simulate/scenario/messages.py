"""Validation errors in plain words: a pydantic error mapped back to the field path,
file and line it came from, with a hint (the nearest key, the allowed tags)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from simulate.errors import ScenarioError
from simulate.scenario.files import _describe
from simulate.scenario.models import NAME_PATTERN
from simulate.scenario.overrides import OVERRIDE_SOURCE
from simulate.scenario.schema import allowed_keys, schema_at, suggest, unknown_key_message
from simulate.scenario.yaml_source import (
    Path_,
    format_path,
)


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
    """A pydantic error in plain words: a special case if one applies, else pydantic's
    own text with the value given."""
    kind, loc = error["type"], tuple(error["loc"])
    got = f" (got {_describe(value)})" if value_known else ""
    for special in (_key_message, _union_message, _shape_message):
        text = special(kind, error, loc, path, got)
        if text is not None:
            return text
    text = error["msg"]
    if text.startswith("Value error, "):
        text = text[len("Value error, ") :]
    text = text.replace("Tuple should", "List should").replace("valid tuple", "valid list")
    if kind not in ("value_error",):
        text += got
    return text


def _key_message(kind: str, error: dict, loc: tuple, path: Path_, got: str) -> str | None:
    """An unknown key (with the nearest allowed one) or a missing key."""
    if kind == "extra_forbidden":
        return unknown_key_message(str(path[-1]), allowed_keys(loc[:-1]))
    if kind == "missing":
        return f"required key '{path[-1]}' is missing"
    return None


def _union_message(kind: str, error: dict, loc: tuple, path: Path_, got: str) -> str | None:
    """A rule type or distribution tag that is unknown or missing."""
    is_rule = "type" in str(error.get("ctx", {}).get("discriminator", ""))
    if kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag", "")
        return _rule_type_message(tag) if is_rule else _distribution_message(tag)
    if kind == "union_tag_not_found":
        return _rule_type_message(None) if is_rule else _distribution_message(None)
    return None


def _shape_message(kind: str, error: dict, loc: tuple, path: Path_, got: str) -> str | None:
    """A value of the wrong shape: not a mapping, not a list, not a name."""
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        schema = schema_at(loc) or {}
        if kind == "model_attributes_type" and "discriminator" in schema:
            return _distribution_message(None) + got
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
    return None


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
