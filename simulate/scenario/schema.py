"""The scenario's JSON Schema, and the keys it allows at any path (for 'did you mean')."""

from __future__ import annotations

import difflib
import json
from functools import cache
from typing import Any

from simulate.scenario.models import Scenario

EXPERIMENT_DESCRIPTIONS = {
    "variants": "Variants, reference, thresholds, perspective and discount rates for "
    "simulate compare and psa (docs/compare.md).",
    "uncertainty": "Parameter distributions and draws for simulate psa (docs/psa.md).",
    "sweep": "The design of simulate sweep (docs/sweeps.md).",
    "calibration": "Parameters, targets and worlds for simulate calibrate (docs/calibration.md).",
}
"""The experiment sections (``loader.EXPERIMENT_SECTIONS``), checked by their commands."""


@cache
def scenario_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file (draft 2020-12), as editors use for autocompletion."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ValueSim scenario"
    props = schema.setdefault("properties", {})
    props["extends"] = {
        "type": "string",
        "description": "Another scenario file (path relative to this one) to start from; "
        "this file's keys are deep-merged over it.",
    }
    for key, text in EXPERIMENT_DESCRIPTIONS.items():
        props[key] = {"type": "object", "description": text}
    # a file that extends another need not repeat its required keys: the loader checks
    # them on the merged scenario, so an editor must not flag them as missing
    schema.pop("required", None)
    return schema


def schema_json() -> str:
    """The JSON Schema as indented text."""
    return json.dumps(scenario_schema(), indent=2, sort_keys=True)


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = root["$defs"][name]
    return node


def _object_branch(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    node = _resolve(node, root)
    for key in ("anyOf", "oneOf"):
        if key in node and "discriminator" not in node:
            for option in node[key]:
                option = _resolve(option, root)
                if option.get("type") != "null":
                    return _object_branch(option, root)
    return node


def schema_at(
    loc: tuple[str | int, ...], root: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """Schema node at a validation location (in the scenario's schema, or in ``root``, a
    section model's ``model_json_schema()``), or None when the path leaves the schema."""
    root = scenario_schema() if root is None else root
    node: dict[str, Any] = root
    for part in loc:
        node = _object_branch(node, root)
        if "discriminator" in node:
            mapping = node["discriminator"].get("mapping", {})
            if part in mapping:
                node = _resolve({"$ref": mapping[part]}, root)
                continue
            return None
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
            if "items" in node:
                node = node["items"]
                continue
            return None
        props = node.get("properties", {})
        if part in props:
            node = props[part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return None
    return _object_branch(node, root)


def allowed_keys(loc: tuple[str | int, ...], root: dict[str, Any] | None = None) -> list[str]:
    """Keys a mapping at ``loc`` may hold (empty when unknown); ``root`` as in
    :func:`schema_at`."""
    node = schema_at(loc, root)
    if node is None:
        return []
    if "discriminator" in node:
        return [node["discriminator"]["propertyName"]]
    return sorted(node.get("properties", {}))


def suggest(word: str, choices: list[str]) -> str | None:
    """The nearest of ``choices`` to ``word``, if any is near enough."""
    matches = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_key_message(key: str, allowed: list[str]) -> str:
    """``unknown key 'k'; did you mean 'x'? (allowed here: ...)``: one wording everywhere."""
    hint = suggest(key, allowed)
    text = f"unknown key '{key}'" + (f"; did you mean '{hint}'?" if hint else "")
    return text + (f" (allowed here: {', '.join(allowed)})" if allowed else "")
