"""The sweep's results folder, assembled from the run store (at the end, or on interrupt).

Files (each written atomically): runs.csv/.parquet, points.csv/.parquet,
sensitivity.csv/.parquet (Sobol, Morris), figures/*.png|svg, manifest.json; the store
runs.sqlite stays beside them so ``--resume`` can continue.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simulate.output.store import package_versions, scenario_hash, write_table, write_text
from simulate.sweep.analysis import points_table, runs_table, sensitivity, stability_warnings
from simulate.sweep.plan import SweepPlan
from simulate.sweep.runner import SEED_PLAN
from simulate.sweep.store import STORE_NAME, RunStore

MANIFEST = "manifest.json"


def _versions() -> dict[str, str]:
    versions = package_versions()
    for name in ("SALib", "dask", "distributed", "matplotlib"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def write_outputs(
    plan: SweepPlan, store: RunStore, folder: Path, *, extra: dict[str, Any], figures: bool = True
) -> dict[str, Any]:
    """Write tables, figures and manifest from the store; returns the manifest."""
    spec, design = plan.spec, plan.design
    metrics = list(spec.metrics)
    runs = runs_table(design, store.table(), metrics)
    complete = len(runs) == plan.n_runs
    table_info: dict[str, Any] = {}

    def put(table, stem: str) -> None:
        paths = write_table(table, folder, stem)
        table_info[stem] = {"rows": len(table), "files": [p.name for p in paths]}

    put(runs, "runs")
    put(points_table(design, runs, metrics), "points")
    skipped: dict[str, str] = {}
    indices = None
    if design.method in ("sobol", "morris"):
        if complete:
            indices, skipped = sensitivity(
                design,
                runs,
                metrics,
                second_order=spec.second_order,
                levels=spec.levels,
                seed=spec.seed,
            )
            put(indices, "sensitivity")
        else:
            skipped = {"all": "the sweep is incomplete; resume it to get sensitivity indices"}
    warnings = [
        *extra.get("warnings", []),
        *stability_warnings(design.method, spec.n_samples, indices),
    ]
    drawn = _figures(plan, runs, indices, folder) if figures else []
    manifest = _manifest(plan, store, complete, len(runs), skipped)
    manifest.update({**extra, "warnings": warnings})
    manifest.update({"tables": table_info, "figures": drawn, "store": STORE_NAME})
    manifest["scenario"] = plan.scenario.model_dump(mode="json", by_alias=True)
    text = json.dumps(manifest, indent=2, allow_nan=False, default=str) + "\n"
    write_text(folder / MANIFEST, text)
    return manifest


def _figures(plan: SweepPlan, runs, indices, folder: Path) -> list[str]:
    """Sensitivity figures (Sobol, Morris) or one-way figures (grid, random, LHS), as
    paths relative to ``folder``."""
    import matplotlib

    from simulate.report.build import PLAIN_TEXT
    from simulate.sweep.figures import oneway_figures, sensitivity_figures

    design, figure_dir = plan.design, folder / "figures"
    plot = list(plan.spec.plot_metrics)
    with matplotlib.rc_context(PLAIN_TEXT):  # parameter labels are text, not math
        if indices is not None:
            paths = sensitivity_figures(indices, plot, plan.labels(), figure_dir)
        elif design.method in ("grid", "random", "lhs"):
            paths = oneway_figures(design, runs, plot, plan.labels(), figure_dir)
        else:
            paths = []
    return [str(p.relative_to(folder)) for p in paths]


def _manifest(
    plan: SweepPlan, store: RunStore, complete: bool, finished: int, skipped: dict[str, str]
) -> dict[str, Any]:
    """The manifest's description of the sweep: design, parameters, seeds, sources."""
    spec, design, scenario = plan.spec, plan.design, plan.scenario
    return {
        "kind": "sweep",
        "name": scenario.name,
        "description": scenario.description,
        "complete": complete,
        "design": {
            "method": design.method,
            "seed": spec.seed,
            "samples": spec.n_samples if design.method != "grid" else None,
            "levels": spec.levels if design.method == "morris" else None,
            "second_order": spec.second_order if design.method == "sobol" else None,
            "points": design.n_points,
            "sha256": design.sha256(),
        },
        "parameters": [p.model_dump(exclude_none=True) for p in spec.parameters],
        "replications_per_point": plan.replications,
        "runs_total": plan.n_runs,
        "runs_finished": finished,
        "seed_plan": {"scenario_seed": scenario.seed, "description": SEED_PLAN},
        "metrics": list(spec.metrics),
        "sensitivity_skipped": skipped,
        "scenario_sha256": scenario_hash(scenario),
        "source_files": list(plan.resolved.files),
        "overrides": list(plan.resolved.overrides),
        "command": list(sys.argv),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
        "compute_seconds": round(store.seconds(), 3),
    }
