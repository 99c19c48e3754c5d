"""Run every variant's replications in one pool and build the comparison tables."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from simulate.accounts.metrics import METRIC_UNITS, METRICS
from simulate.compare.by_phase import variant_effects
from simulate.compare.decision import decide
from simulate.compare.discounting import discounted_window
from simulate.compare.economics import economics, perspective_cost
from simulate.compare.paired import paired_table
from simulate.compare.subgroups import parse_by
from simulate.compare.variants import PERSPECTIVES, VariantSet, load_variants, with_options
from simulate.compare.window import (
    ORGANISATION,
    Window,
    check_level,
    check_windows,
    parse_window,
    window_values,
)
from simulate.errors import ScenarioError
from simulate.experiment.executors import map_ordered
from simulate.experiment.replications import ReplicationJob, RunResult, build_result, run_job
from simulate.output.store import (
    MANIFEST,
    package_versions,
    scenario_hash,
    write_directory,
    write_run,
    write_table,
    write_text,
)

TABLES = ("comparison", "cost_effectiveness", "ce_replications", "ceac", "window", "effects")
"""Tables written at the top of a comparison folder (CSV, and Parquet where possible)."""
VARIANTS_FOLDER = "variants"


@dataclass
class Comparison:
    """Variants run under common random numbers, compared with a reference (tidy tables)."""

    variant_set: VariantSet
    results: dict[str, RunResult] = field(repr=False)
    """Each variant's run, as ``simulate.run`` returns it."""
    window: pd.DataFrame
    """variant x replication: organisation metrics over the post-warm-up window."""
    comparison: pd.DataFrame
    """variant x metric: means and paired differences from the reference, with 95% CI."""
    cost_effectiveness: pd.DataFrame
    """One row per variant: cost, QALYs, increments, ICER, NMB, probabilities, verdict."""
    ce_replications: pd.DataFrame
    """variant x replication: cost and QALYs per period and their increments."""
    ceac: pd.DataFrame
    """threshold x variant: probability of being the most cost-effective, on the frontier."""
    ceac_grid: tuple[float, float] = (0.0, 0.0)
    """(maximum, step) of the acceptability grid, currency units per QALY (widened from
    the settings to reach every ICER)."""
    elapsed_seconds: float = 0.0
    effects: pd.DataFrame = field(default_factory=pd.DataFrame)
    """variant x window x unit (x subgroup) x metric: paired differences from the
    reference, absolute and relative (%), with 95% CIs (``compare.by_phase``)."""
    effects_by: dict[str, Any] = field(default_factory=dict)
    """How ``effects`` was cut: windows (``NAME=FIRST-LAST``), level and subgroups."""

    @property
    def reference(self) -> str:
        """Name of the reference variant."""
        return self.variant_set.settings.reference

    def tables(self) -> dict[str, pd.DataFrame]:
        """The top-level tables by output file stem."""
        return {
            "comparison": self.comparison,
            "cost_effectiveness": self.cost_effectiveness,
            "ce_replications": self.ce_replications,
            "ceac": self.ceac,
            "window": self.window,
            "effects": self.effects,
        }

    def manifest(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The comparison's manifest.json content."""
        vs, s = self.variant_set, self.variant_set.settings
        first = vs.variants[0].scenario
        return {
            "kind": "comparison",
            "name": vs.name,
            "reference": s.reference,
            "variants": [
                {
                    "name": v.name,
                    "description": v.description,
                    "source": v.source,
                    "folder": f"{VARIANTS_FOLDER}/{v.name}",
                    "scenario_sha256": scenario_hash(v.scenario),
                }
                for v in vs.variants
            ],
            "thresholds": list(s.thresholds),
            "perspective": s.perspective,
            "perspective_cost": PERSPECTIVES[s.perspective],
            "discount": s.discount.as_dict(),
            "ceac": {
                "max": self.ceac_grid[0],
                "step": self.ceac_grid[1],
                "asked": {"max": s.ceac_max, "step": s.ceac_step},
            },
            "seed": vs.seed,
            "replications": vs.replications,
            "horizon_periods": first.horizon_periods,
            "warmup_periods": first.warmup_periods,
            "period_days": first.period_days,
            "source_files": list(vs.files),
            "overrides": list(vs.overrides),
            "notes": list(vs.notes),
            "effects": self.effects_by,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "command": list(sys.argv),
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": package_versions(),
            "tables": {name: {"rows": len(t)} for name, t in self.tables().items()},
            **(extra or {}),
        }

    def write(
        self, directory: Path, *, extra: dict[str, Any] | None = None, overwrite: bool = False
    ) -> None:
        """Write the comparison folder; it appears whole or not at all (with
        ``overwrite``, in place of a comparison folder ValueSim wrote there)."""
        write_directory(
            Path(directory),
            lambda folder: self.write_into(folder, extra),
            kind="comparison",
            overwrite=overwrite,
        )

    def write_into(
        self,
        folder: Path,
        extra: dict[str, Any] | None = None,
        variant_extra: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """Write the comparison's tables, variant runs and manifest into ``folder``;
        ``variant_extra[name]`` adds keys to that variant's run manifest."""
        for stem, table in self.tables().items():
            write_table(table, folder, stem)
        for variant in self.variant_set.variants:
            result = self.results[variant.name]
            write_run(
                result.tables(),
                result.scenario,
                folder / VARIANTS_FOLDER / variant.name,
                extra={
                    "complete": True,
                    "comparison": self.variant_set.name,
                    "variant": variant.name,
                    "source": variant.source,
                    "replications_finished": len(result.replications),
                    **(variant_extra or {}).get(variant.name, {}),
                },
            )
        text = json.dumps(self.manifest(extra), indent=2, allow_nan=False, default=str) + "\n"
        write_text(folder / MANIFEST, text)


def run_comparison(
    variant_set: VariantSet,
    *,
    workers: int = 1,
    on_done: Callable[[int], object] | None = None,
    windows: Sequence[Window] | None = None,
    by: str | None = None,
    level: str = ORGANISATION,
) -> Comparison:
    """Run all variant x replication jobs on one pool of ``workers`` processes and compare.

    The numbers do not depend on ``workers``: replication k of every variant is seeded
    from (seed, k), so variants see the same patients (common random numbers).
    ``windows``, ``by`` and ``level`` cut the effects table (:func:`build_comparison`).
    """
    started = time.perf_counter()
    n = variant_set.replications
    scenarios = [v.scenario for v in variant_set.variants]
    jobs = [ReplicationJob(s, k, False) for s in scenarios for k in range(n)]
    done = map_ordered(run_job, jobs, workers=workers, on_done=on_done)
    elapsed = time.perf_counter() - started
    results = {
        v.name: build_result(v.scenario, done[i * n : (i + 1) * n], elapsed_seconds=elapsed)
        for i, v in enumerate(variant_set.variants)
    }
    return build_comparison(
        variant_set, results, elapsed_seconds=elapsed, windows=windows, by=by, level=level
    )


def build_comparison(
    variant_set: VariantSet,
    results: dict[str, RunResult],
    *,
    elapsed_seconds: float = 0.0,
    windows: Sequence[Window] | None = None,
    by: str | None = None,
    level: str = ORGANISATION,
) -> Comparison:
    """The comparison tables from each variant's finished run.

    ``effects``: each variant against the reference per window (default: the policy
    phases, before / during / after), unit of ``level`` and subgroup ``by``
    (:func:`simulate.compare.by_phase.variant_effects`); ScenarioError on bad ones.
    """
    settings = variant_set.settings
    effects = variant_effects(
        {v.name: v.scenario for v in variant_set.variants},
        {v.name: results[v.name].replications for v in variant_set.variants},
        settings.reference,
        windows,
        by,
        level,
    )
    values = {
        v.name: window_values(v.scenario, results[v.name].replications)
        for v in variant_set.variants
    }
    window = pd.concat([t.assign(variant=name) for name, t in values.items()], ignore_index=True)
    window = window[["variant", *[c for c in window.columns if c != "variant"]]]
    paired = paired_table(values, settings.reference, METRICS, METRIC_UNITS)
    econ = _economics(variant_set, results)
    decided = decide(econ.cost_effectiveness, window, settings.reference, settings.thresholds)
    table = pd.concat([paired, econ.rows], ignore_index=True)
    return Comparison(
        variant_set=variant_set,
        results=results,
        window=window,
        comparison=table,
        cost_effectiveness=decided,
        ce_replications=econ.ce_replications,
        ceac=econ.ceac,
        ceac_grid=(econ.ceac_max, econ.ceac_step),
        elapsed_seconds=elapsed_seconds,
        effects=effects,
        effects_by={"windows": _windows_of(effects), "level": level, "by": by},
    )


def _economics(variant_set: VariantSet, results: dict[str, RunResult]):
    """ICER, NMB and the acceptability curve from each variant's discounted costs and
    QALYs per period over the window (``compare.discounting``), replications paired."""
    settings = variant_set.settings
    ordered = {
        v.name: discounted_window(
            v.scenario, results[v.name].replications, settings.discount
        ).sort_values("replication")
        for v in variant_set.variants
    }
    return economics(
        cost={name: perspective_cost(t, settings.perspective) for name, t in ordered.items()},
        qalys={name: t["qalys"].to_numpy(dtype=float) for name, t in ordered.items()},
        replications=ordered[settings.reference]["replication"].to_numpy(),
        reference=settings.reference,
        thresholds=settings.thresholds,
        ceac_grid=(settings.ceac_max, settings.ceac_step),
        perspective=settings.perspective,
    )


def compare(
    sources: str | Path | Sequence[str | Path],
    *,
    overrides: Sequence[str] = (),
    replications: int | None = None,
    seed: int | None = None,
    reference: str | None = None,
    thresholds: Sequence[float] | None = None,
    perspective: str | None = None,
    workers: int = 1,
    on_done: Callable[[int], object] | None = None,
    windows: Sequence[Window | str] | None = None,
    by: str | None = None,
    level: str = ORGANISATION,
) -> Comparison:
    """Compare scenarios: one file with a ``variants:`` section, or two or more files.

    ``overrides`` (``dotted.path=value``) apply to every variant; ``replications`` and
    ``seed`` replace those of every variant; ``reference``, ``thresholds`` (currency
    units per QALY) and ``perspective`` replace the file's settings. ``windows``
    (``Window`` or ``"during=13-30"``; default the policy phases), ``by`` (``team``,
    ``targeted``, ``baseline-quartile:METRIC``) and ``level`` (``organisation``,
    ``team``, ``physician``) cut the ``effects`` table. Raises
    :class:`simulate.errors.ScenarioError` on bad input.
    """
    variant_set = with_options(
        load_variants(sources, overrides),
        reference=reference,
        thresholds=thresholds,
        perspective=perspective,
        replications=replications,
        seed=seed,
    )
    chosen = [w if isinstance(w, Window) else parse_window(w) for w in windows or ()]
    check_effect_options(variant_set, chosen, by, level)
    return run_comparison(
        variant_set, workers=workers, on_done=on_done, windows=chosen, by=by, level=level
    )


def check_effect_options(
    variant_set: VariantSet, windows: Sequence[Window], by: str | None, level: str
) -> None:
    """ScenarioError on windows outside the horizon, an unknown level or subgroup, or
    ``--by targeted`` where no variant targets physicians, before anything runs."""
    from simulate.incentives.targeting import owners_of

    if windows:
        check_windows(windows, variant_set.variants[0].scenario.horizon_periods)
    check_level(level)
    targeted = by is not None and parse_by(by)[0] == "targeted"
    if targeted and not any(owners_of(v.scenario) for v in variant_set.variants):
        raise ScenarioError(
            "--by targeted: no rule or dashboard in any variant targets physicians "
            "(add a targeting: section; docs/scenarios.md)"
        )


def _windows_of(effects: pd.DataFrame) -> list[str]:
    """The windows of an effects table, ``NAME=FIRST-LAST``, in order."""
    if effects.empty:
        return []
    spans = effects[["window", "first_month", "last_month"]].drop_duplicates()
    return [f"{w}={int(f)}-{int(la)}" for w, f, la in spans.itertuples(index=False)]
