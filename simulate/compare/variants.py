"""The variants of a comparison: from a ``variants:`` section or from several scenario files.

Each variant is a validated Scenario. Errors name the file, line and field at fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from simulate.compare.variant_set import (
    DEFAULT_THRESHOLDS,
    PERSPECTIVES,
    Settings,
    Variant,
    VariantSet,
    _check_thresholds,
    _choice_message,
    _error,
)
from simulate.compare.variants_section import from_variants_file
from simulate.errors import ScenarioError
from simulate.experiment.replications import with_run_options
from simulate.scenario.loader import resolve_scenario


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


__all__ = [
    "DEFAULT_THRESHOLDS",
    "PERSPECTIVES",
    "Settings",
    "Variant",
    "VariantSet",
    "from_files",
    "from_variants_file",
    "load_variants",
    "with_options",
]
