"""The variants of a comparison: from a ``variants:`` section or from several scenario files.

Each variant is a validated Scenario. Errors name the file, line and field at fault.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulate.errors import ScenarioError
from simulate.experiment.replications import with_run_options
from simulate.scenario.consistency import inconsistencies
from simulate.scenario.files import _merge_lines, deep_merge
from simulate.scenario.loader import EXPERIMENT_SECTIONS, ResolvedScenario, resolve_scenario
from simulate.scenario.messages import _line_for, validation_error
from simulate.scenario.models import NAME_PATTERN, Scenario
from simulate.scenario.overrides import OVERRIDE_SOURCE, apply_override
from simulate.scenario.schema import suggest
from simulate.scenario.yaml_source import Located, Path_, format_path

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
SECTION_KEYS = ("reference", "thresholds", "perspective", "ceac_max", "ceac_step", "list")
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


def load_variants(
    sources: str | Path | Sequence[str | Path], overrides: Sequence[str] = ()
) -> VariantSet:
    """One file with a ``variants:`` section, or two or more scenario files."""
    if isinstance(sources, str | Path):
        sources = [sources]
    sources = list(sources)
    if not sources:
        raise ScenarioError("give a scenario file with 'variants:', or two or more scenarios")
    if len(sources) == 1:
        return from_variants_file(sources[0], overrides)
    return from_files(sources, overrides)


def with_options(
    variant_set: VariantSet,
    *,
    reference: str | None = None,
    thresholds: Sequence[float] | None = None,
    perspective: str | None = None,
    replications: int | None = None,
    seed: int | None = None,
) -> VariantSet:
    """The set with settings and run options replaced where given (command-line options)."""
    settings = variant_set.settings
    if reference is not None:
        settings = replace(settings, reference=_check_reference(reference, variant_set.names))
    if thresholds is not None:
        values = _check_thresholds(list(thresholds))
        if values is None:
            raise ScenarioError(
                "--threshold must be a number of currency units per QALY, 0 or more"
            )
        settings = replace(settings, thresholds=values)
    if perspective is not None:
        if perspective not in PERSPECTIVES:
            raise ScenarioError(_choice_message("perspective", perspective, list(PERSPECTIVES)))
        settings = replace(settings, perspective=perspective)
    variants = tuple(
        replace(v, scenario=with_run_options(v.scenario, replications=replications, seed=seed))
        for v in variant_set.variants
    )
    return replace(variant_set, settings=settings, variants=variants)


def _check_reference(name: str, names: list[str]) -> str:
    if name in names:
        return name
    raise ScenarioError(_choice_message("reference", name, names, what="variant"))


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


# --- several files -------------------------------------------------------------------


def from_files(sources: Sequence[str | Path], overrides: Sequence[str] = ()) -> VariantSet:
    """Each file (or bundled name) is a variant; the first file's seed and replications apply."""
    resolved = [resolve_scenario(source, overrides) for source in sources]
    first = resolved[0].scenario
    seen: dict[str, str] = {}
    variants = []
    notes = []
    for source, item in zip(sources, resolved, strict=True):
        s = item.scenario
        main = item.files[-1]
        if "variants" in item.extras:
            raise _error(
                "this file has a 'variants:' section; compare it on its own "
                "(simulate compare FILE) or remove the section",
                item.lines,
                ("variants",),
                main,
            )
        if s.name.lower() in seen:
            raise _error(
                f"two scenarios are named '{s.name}' (also {seen[s.name.lower()]}); "
                "variant names must differ (set another 'name:' or use --set name=...)",
                item.lines,
                ("name",),
                main,
            )
        seen[s.name.lower()] = str(source)
        for key in ("horizon_periods", "warmup_periods", "period_days"):
            if getattr(s, key) != getattr(first, key):
                raise _error(
                    f"is {getattr(s, key)} here but {getattr(first, key)} in {sources[0]}; "
                    "compared scenarios must share horizon, warm-up and period length",
                    item.lines,
                    (key,),
                    main,
                )
        for key in ("seed", "replications"):
            if getattr(s, key) != getattr(first, key):
                notes.append(
                    f"{source}: {key} {getattr(s, key)} ignored; all variants use "
                    f"{key} {getattr(first, key)} of {sources[0]}"
                )
        scenario = with_run_options(s, replications=first.replications, seed=first.seed)
        variants.append(Variant(s.name, s.description, scenario, main))
    return VariantSet(
        name=f"{first.name}-comparison",
        variants=tuple(variants),
        settings=Settings(reference=variants[0].name),
        files=tuple(f for item in resolved for f in item.files),
        overrides=tuple(overrides),
        notes=tuple(notes),
    )


# --- a variants: section ----------------------------------------------------------------


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
    root: Path_ = ("variants",)

    def fail(message: str, path: Path_) -> ScenarioError:
        return _error(message, base.lines, path, main)

    if not isinstance(section, dict):
        raise fail(f"must be a mapping with keys from: {', '.join(SECTION_KEYS)}", root)
    _check_keys(section, SECTION_KEYS, root, fail)
    items = section.get("list")
    if not isinstance(items, list) or len(items) < 2:
        where = (*root, "list") if "list" in section else root
        got = f"{len(items)} given" if isinstance(items, list) else "missing or not a list"
        raise fail(
            f"must be a list of at least 2 variants, each with a name ({got})",
            where,
        )
    variants = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        variant = _build_variant(base, item, (*root, "list", index), overrides, fail)
        key = variant.name.lower()
        if key in seen:
            raise fail(
                f"duplicate variant name '{variant.name}' (also variant {seen[key] + 1}); "
                "names must differ (ignoring case: they name folders)",
                (*root, "list", index, "name"),
            )
        seen[key] = index
        variants.append(variant)
    names = [v.name for v in variants]
    reference = section.get("reference", names[0])
    if reference not in names:
        raise fail(
            _choice_message("reference", reference, names, what="variant"), (*root, "reference")
        )
    thresholds = section.get("thresholds", list(DEFAULT_THRESHOLDS))
    checked = _check_thresholds(thresholds if isinstance(thresholds, list) else [thresholds])
    if checked is None:
        raise fail(
            "must be a number or a list of numbers >= 0 (willingness to pay per QALY, "
            f"currency units) (got {thresholds!r})",
            (*root, "thresholds"),
        )
    perspective = section.get("perspective", DEFAULT_PERSPECTIVE)
    if perspective not in PERSPECTIVES:
        raise fail(
            _choice_message("perspective", perspective, list(PERSPECTIVES)),
            (*root, "perspective"),
        )
    grid = {}
    for key, default in (("ceac_max", DEFAULT_CEAC_MAX), ("ceac_step", DEFAULT_CEAC_STEP)):
        value = section.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail(f"must be a number > 0 (got {value!r})", (*root, key))
        if not math.isfinite(value) or value <= 0:
            raise fail(f"must be a number > 0 (got {value!r})", (*root, key))
        grid[key] = float(value)
    if grid["ceac_max"] / grid["ceac_step"] > MAX_CEAC_POINTS:
        raise fail(
            f"ceac_max / ceac_step gives more than {MAX_CEAC_POINTS:,} thresholds",
            (*root, "ceac_step"),
        )
    settings = Settings(
        reference=reference,
        thresholds=checked,
        perspective=perspective,
        ceac_max=grid["ceac_max"],
        ceac_step=grid["ceac_step"],
    )
    return VariantSet(
        name=base.scenario.name,
        variants=tuple(variants),
        settings=settings,
        files=base.files,
        overrides=tuple(overrides),
    )


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
    set_path = (*path, "set")
    set_lines = {
        p[len(set_path) :]: where
        for p, where in base.lines.items()
        if p[: len(set_path)] == set_path and len(p) > len(set_path)
    }
    base_lines = {p: w for p, w in base.lines.items() if p[:1] != ("variants",)}
    data = deep_merge(copy.deepcopy(base.data), changes)
    lines = _merge_lines(base_lines, Located(data=changes, lines=set_lines), base.data)
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


def _check_keys(mapping: dict, allowed: Sequence[str], path: Path_, fail) -> None:
    for key in mapping:
        if key not in allowed:
            hint = suggest(str(key), list(allowed))
            text = f"unknown key '{key}'"
            if hint:
                text += f"; did you mean '{hint}'?"
            raise fail(f"{text} (allowed here: {', '.join(allowed)})", (*path, key))


def _error(message: str, lines: dict, path: Path_, main: str) -> ScenarioError:
    file, line = _line_for(path, lines, main)
    return ScenarioError(message, file=file, line=line, field=format_path(path) or None)
