"""A comparison from one file's ``variants:`` section: each variant is the file's
scenario with its own ``set`` merged and ``overrides`` applied."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulate.compare.discounting import DEFAULT_RATE, Discount
from simulate.compare.variant_set import (
    DEFAULT_CEAC_MAX,
    DEFAULT_CEAC_STEP,
    DEFAULT_PERSPECTIVE,
    DEFAULT_THRESHOLDS,
    MAX_CEAC_POINTS,
    PERSPECTIVES,
    SECTION_KEYS,
    SHARED_KEYS,
    VARIANT_KEYS,
    Settings,
    Variant,
    VariantSet,
    _check_keys,
    _check_thresholds,
    _choice_message,
    _error,
)
from simulate.errors import ScenarioError
from simulate.scenario.consistency import inconsistencies
from simulate.scenario.files import _merge_lines, deep_merge
from simulate.scenario.loader import EXPERIMENT_SECTIONS, ResolvedScenario, resolve_scenario
from simulate.scenario.messages import _line_for, validation_error
from simulate.scenario.models import NAME_PATTERN, Scenario
from simulate.scenario.overrides import OVERRIDE_SOURCE, apply_override
from simulate.scenario.yaml_source import Located, Path_

ROOT: Path_ = ("variants",)


def from_variants_file(source: str | Path, overrides: Sequence[str] = ()) -> VariantSet:
    """The variants of one file's ``variants:`` section, each built on the file's scenario."""
    base = resolve_scenario(source, overrides)
    main = base.files[-1]
    if "variants" not in base.extras:
        raise ScenarioError(
            "has no 'variants:' section; give two or more scenario files to compare, or add "
            "a 'variants:' section (see docs/compare.md)",
            file=main,
        )
    section = base.extras["variants"]

    def fail(message: str, path: Path_) -> ScenarioError:
        return _error(message, base.lines, path, main)

    if not isinstance(section, dict):
        raise fail(f"must be a mapping with keys from: {', '.join(SECTION_KEYS)}", ROOT)
    _check_keys(section, SECTION_KEYS, ROOT, fail)
    variants = _variant_list(base, section, overrides, fail)
    return VariantSet(
        name=base.scenario.name,
        variants=variants,
        settings=_section_settings(section, [v.name for v in variants], fail),
        files=base.files,
        overrides=tuple(overrides),
    )


def _variant_list(
    base: ResolvedScenario, section: dict, overrides: Sequence[str], fail
) -> tuple[Variant, ...]:
    """The section's ``list``: at least two variants with names distinct ignoring case."""
    items = section.get("list")
    if not isinstance(items, list) or len(items) < 2:
        where = (*ROOT, "list") if "list" in section else ROOT
        got = f"{len(items)} given" if isinstance(items, list) else "missing or not a list"
        raise fail(
            f"must be a list of at least 2 variants, each with a name ({got})",
            where,
        )
    variants = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        variant = _build_variant(base, item, (*ROOT, "list", index), overrides, fail)
        key = variant.name.lower()
        if key in seen:
            raise fail(
                f"duplicate variant name '{variant.name}' (also variant {seen[key] + 1}); "
                "names must differ (ignoring case: they name folders)",
                (*ROOT, "list", index, "name"),
            )
        seen[key] = index
        variants.append(variant)
    return tuple(variants)


def _section_settings(section: dict, names: list[str], fail) -> Settings:
    """Reference, thresholds, perspective and the acceptability curve's grid."""
    reference = section.get("reference", names[0])
    if reference not in names:
        raise fail(
            _choice_message("reference", reference, names, what="variant"), (*ROOT, "reference")
        )
    thresholds = section.get("thresholds", list(DEFAULT_THRESHOLDS))
    checked = _check_thresholds(thresholds if isinstance(thresholds, list) else [thresholds])
    if checked is None:
        raise fail(
            "must be a number or a list of numbers >= 0 (willingness to pay per QALY, "
            f"currency units) (got {thresholds!r})",
            (*ROOT, "thresholds"),
        )
    perspective = section.get("perspective", DEFAULT_PERSPECTIVE)
    if perspective not in PERSPECTIVES:
        raise fail(
            _choice_message("perspective", perspective, list(PERSPECTIVES)),
            (*ROOT, "perspective"),
        )
    grid = {}
    for key, default in (("ceac_max", DEFAULT_CEAC_MAX), ("ceac_step", DEFAULT_CEAC_STEP)):
        value = section.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(f"must be a number > 0 (got {value!r})", (*ROOT, key))
        if not math.isfinite(value) or value <= 0:
            raise fail(f"must be a number > 0 (got {value!r})", (*ROOT, key))
        grid[key] = float(value)
    if grid["ceac_max"] / grid["ceac_step"] > MAX_CEAC_POINTS:
        raise fail(
            f"ceac_max / ceac_step gives more than {MAX_CEAC_POINTS:,} thresholds",
            (*ROOT, "ceac_step"),
        )
    return Settings(
        reference=reference,
        thresholds=checked,
        perspective=perspective,
        ceac_max=grid["ceac_max"],
        ceac_step=grid["ceac_step"],
        discount=_discount(section.get("discount", {}), fail),
    )


def _discount(value: Any, fail) -> Discount:
    """``discount: 0.035`` (both), or ``{costs: 0.035, qalys: 0.015}`` (a missing key
    keeps its default); each rate a number with 0 <= rate < 1 per year."""
    where = (*ROOT, "discount")
    mapping = isinstance(value, dict)
    if not mapping:
        value = {"costs": value, "qalys": value}
    _check_keys(value, ("costs", "qalys"), where, fail)
    rates = {}
    for key in ("costs", "qalys"):
        rate = value.get(key, DEFAULT_RATE)
        path = (*where, key) if mapping else where
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate < 1:
            raise fail(
                "must be an annual discount rate with 0 <= rate < 1 (0.035 is 3.5% a year; "
                f"0 switches discounting off), or a mapping with costs and qalys (got {rate!r})",
                path,
            )
        rates[key] = float(rate)
    return Discount(**rates)


def _build_variant(
    base: ResolvedScenario, item: Any, path: Path_, overrides: Sequence[str], fail
) -> Variant:
    """A variant's scenario: the base, with ``set`` merged and ``overrides`` applied."""
    main = base.files[-1]
    if not isinstance(item, dict):
        raise fail(f"a variant must be a mapping with keys from: {', '.join(VARIANT_KEYS)}", path)
    _check_keys(item, VARIANT_KEYS, path, fail)
    name = item.get("name")
    if not isinstance(name, str) or not re.match(NAME_PATTERN, name):
        raise fail(
            "a variant needs a 'name' of up to 100 letters, digits, '_', '.' or '-', starting "
            f"with a letter or digit (it names a folder) (got {name!r})",
            (*path, "name") if "name" in item else path,
        )
    description = item.get("description", "")
    if not isinstance(description, str):
        raise fail(f"must be text (got {description!r})", (*path, "description"))
    changes = item.get("set") or {}
    if not isinstance(changes, dict):
        raise fail(
            "must be a mapping of scenario keys, merged over the base like 'extends' "
            f"(null removes a key) (got {changes!r})",
            (*path, "set"),
        )
    assignments = item.get("overrides") or []
    if not isinstance(assignments, list) or not all(isinstance(a, str) for a in assignments):
        raise fail(
            "must be a list of 'dotted.path=value' texts, e.g. ['teams[0].nurses=20']",
            (*path, "overrides"),
        )
    try:
        scenario = _variant_scenario(base, name, description, changes, assignments, path, overrides)
    except ScenarioError as error:
        raise ScenarioError(
            f"variant '{name}': {error.message}",
            file=error.file,
            line=error.line,
            field=error.field,
        ) from None
    file, line = _line_for(path, base.lines, main)
    return Variant(name, description or scenario.description, scenario, f"{file}:{line}")


def _variant_scenario(
    base: ResolvedScenario,
    name: str,
    description: str,
    changes: dict,
    assignments: list[str],
    path: Path_,
    overrides: Sequence[str],
) -> Scenario:
    """The base data with ``changes`` merged and ``assignments``, then ``overrides``, applied."""
    main = base.files[-1]
    data, lines = _merged(base, changes, path)
    for number, assignment in enumerate(assignments):
        file, line = _line_for((*path, "overrides", number), base.lines, main)
        try:
            apply_override(data, assignment, lines)
        except ScenarioError as error:
            raise ScenarioError(
                error.message, file=file, line=line, field=error.field or "overrides"
            ) from None
        source = f"{OVERRIDE_SOURCE} {assignment}"
        for key, where in list(lines.items()):
            if where[0] == source:
                lines[key] = (file, line)
    for assignment in overrides:  # the command line's --set wins over every variant
        if assignment.split("=", 1)[0].strip().split(".")[0].split("[")[0] in (EXPERIMENT_SECTIONS):
            continue  # it changed the variants: (or sweep:) section, applied to the base
        apply_override(data, assignment, lines)
    for key in SHARED_KEYS:
        if data.get(key) != base.data.get(key):
            raise _error(
                f"a variant cannot change '{key}': all variants share seed, replications, "
                "horizon, warm-up and period length (set it on the base scenario)",
                lines,
                (key,),
                main,
            )
    data["name"] = name
    if description:
        data["description"] = description
    return _validate(data, lines, main)


def _merged(base: ResolvedScenario, changes: dict, path: Path_) -> tuple[dict, dict]:
    """The base data with a variant's ``set`` merged over it, and where each value came
    from (the ``set`` entries at their own lines)."""
    set_path = (*path, "set")
    set_lines = {
        p[len(set_path) :]: where
        for p, where in base.lines.items()
        if p[: len(set_path)] == set_path and len(p) > len(set_path)
    }
    base_lines = {p: w for p, w in base.lines.items() if p[:1] != ("variants",)}
    data = deep_merge(copy.deepcopy(base.data), changes)
    lines = _merge_lines(base_lines, Located(data=changes, lines=set_lines), base.data)
    return data, lines


def _validate(data: dict[str, Any], lines: dict, main: str) -> Scenario:
    """Validate merged data as the loader does, errors pointing to their source lines."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, data, lines, main) from None
    problems = inconsistencies(scenario)
    if problems:
        bad_path, message = problems[0]
        extra = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise _error(message + extra, lines, bad_path, main)
    return scenario
