"""The calibration's results folder, from its evaluations (at the end, or on interrupt).

Files: ``trials.csv`` (every evaluation: stage, parameters, each target's model value and
its noise SE, distance, accepted, best), ``fit.csv`` (each target: value and 95% CI, the
model before and after with its 95% CI, and whether the target's CI covers it),
``accepted.csv`` (``set``, ``weight``, one column per dotted path), ``best.yaml``,
``manifest.json`` (kind ``calibration``), the fit report (``dashboard.html``,
``report/``), and the run store ``runs.sqlite`` for ``--resume``.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from simulate.calibration.accepted import (
    accept,
    accepted_table,
    best_of,
    default_tolerance,
    ranges,
)
from simulate.calibration.evaluations import Evaluation
from simulate.calibration.plan import CalibrationPlan
from simulate.calibration.target_spec import Z95
from simulate.output.store import package_versions, scenario_hash, write_table, write_text
from simulate.scenario.overrides import parse_dotted_path
from simulate.sweep.store import STORE_NAME

MANIFEST = "manifest.json"


def trials_table(
    plan: CalibrationPlan, evaluations: Sequence[Evaluation], accepted: Sequence[Evaluation]
) -> pd.DataFrame:
    """One row per evaluation, in evaluation order."""
    best = best_of(evaluations)
    taken = {e.index for e in accepted}
    rows = []
    for e in evaluations:
        row: dict[str, Any] = {"evaluation": e.index, "stage": e.stage}
        row.update(zip(plan.paths, e.values, strict=True))
        for target, value, noise in zip(plan.targets, e.model, e.noise, strict=True):
            row[target.name] = value
            row[f"{target.name}_se"] = math.sqrt(noise) if noise >= 0 else math.nan
        row["distance"] = e.distance
        row["accepted"] = e.index in taken
        row["best"] = best is not None and e.index == best.index
        rows.append(row)
    return pd.DataFrame(rows)


def fit_table(plan: CalibrationPlan, before: Evaluation | None, after: Evaluation | None):
    """Per target: the published value and 95% CI, the model before (the worlds as
    written) and after (the best fit) with their 95% CIs (simulation noise), and whether
    the target's CI covers the model's value."""
    rows = []
    for i, target in enumerate(plan.targets):
        se = target.standard_error
        low, high = target.ci or (target.value - Z95 * se, target.value + Z95 * se)
        row = {
            "target": target.name,
            "label": target.shown,
            "world": plan.world(target).name,
            "metric": target.metric,
            "value": target.value,
            "value_low": low,
            "value_high": high,
        }
        for stage, e in (("before", before), ("after", after)):
            mean = e.model[i] if e else math.nan
            half = Z95 * math.sqrt(e.noise[i]) if e and e.noise[i] >= 0 else math.nan
            row |= {
                f"{stage}": mean,
                f"{stage}_low": mean - half,
                f"{stage}_high": mean + half,
                f"{stage}_covered": bool(low <= mean <= high),
            }
        rows.append(row)
    return pd.DataFrame(rows)


def best_yaml(plan: CalibrationPlan, best: Evaluation | None) -> str:
    """``best.yaml``: the best fit as a scenario fragment (mapping paths nest; paths
    through a list go as ``--set`` lines only, since a fragment replaces whole lists),
    extending the world's file when there is one world."""
    if best is None:
        return "# no evaluation gave a finite distance: nothing was fitted\n"
    fragment: dict[str, Any] = {}
    listed = []
    for path, value in zip(plan.paths, best.values, strict=True):
        parts = parse_dotted_path(path)
        listed.append(f"#   --set {path}={value!r}")
        if any(isinstance(p, int) for p in parts):
            continue
        node = fragment
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = float(value)
    head = [
        f"# Best fit of calibration '{plan.name}' (evaluation {best.index}, "
        f"distance {best.distance:.6g}).",
        "# The same values on the command line:",
        *listed,
    ]
    data: dict[str, Any] = {}
    if len(plan.worlds) == 1:
        world = plan.worlds[0].variant_set
        data["name"] = f"{plan.name}_best"
        data["extends"] = str(Path(world.files[-1]).resolve())
    data.update(fragment)
    return "\n".join(head) + "\n" + yaml.safe_dump(data, sort_keys=False)


def write_outputs(
    plan: CalibrationPlan,
    evaluations: Sequence[Evaluation],
    store,
    folder: Path,
    *,
    extra: dict[str, Any],
    figures: bool = True,
) -> dict[str, Any]:
    """Write the tables, best.yaml, the manifest and (``figures``) the fit report;
    returns the manifest."""
    method = plan.spec.method
    tolerance = method.tolerance or default_tolerance(len(plan.paths))
    accepted = accept(evaluations, tolerance)
    best = best_of(evaluations)
    before = next((e for e in evaluations if e.stage == "defaults"), None)
    table_info: dict[str, Any] = {}

    def put(table: pd.DataFrame, stem: str) -> None:
        paths = write_table(table, folder, stem)
        table_info[stem] = {"rows": len(table), "files": [p.name for p in paths]}

    trials = trials_table(plan, evaluations, accepted)
    put(trials, "trials")
    accepted_frame = accepted_table(accepted, plan.paths)
    put(accepted_frame, "accepted")
    fit = fit_table(plan, before, best)
    put(fit, "fit")
    write_text(folder / "best.yaml", best_yaml(plan, best))
    spread = ranges(accepted_frame, plan.paths)
    manifest = {
        **_manifest(plan, evaluations, best, tolerance, len(accepted)),
        "runs_finished": store.count(),
        "accepted_ranges": spread.to_dict("records"),
        "compute_seconds": round(store.seconds(), 3),
        **extra,
        "tables": table_info,
        "store": STORE_NAME,
    }
    text = json.dumps(_finite(manifest), indent=2, allow_nan=False, default=str) + "\n"
    write_text(folder / MANIFEST, text)
    if figures and best is not None:
        from simulate.report.calibration_page import write_report

        write_report(folder, manifest, plan, trials, fit, accepted_frame)
    return manifest


def _manifest(plan, evaluations, best, tolerance: float, n_accepted: int) -> dict[str, Any]:
    first = plan.worlds[0].variant_set.variants[0].scenario
    return {
        "kind": "calibration",
        "name": plan.name,
        "complete": len(evaluations) == plan.n_evaluations,
        "evaluations_total": plan.n_evaluations,
        "evaluations_finished": len(evaluations),
        "runs_total": plan.n_runs,
        "calibration": plan.spec.model_dump(mode="json", by_alias=True, exclude_none=True),
        "worlds": [
            {
                "name": w.name,
                "variants": [
                    {
                        "name": v.name,
                        "source": v.source,
                        "scenario_sha256": scenario_hash(v.scenario),
                    }
                    for v in w.variant_set.variants
                ],
            }
            for w in plan.worlds
        ],
        "best": None
        if best is None
        else {
            "evaluation": best.index,
            "stage": best.stage,
            "distance": best.distance,
            "values": dict(zip(plan.paths, best.values, strict=True)),
        },
        "tolerance": tolerance,
        "accepted": n_accepted,
        "accepted_method": "rejection ABC on the prior draws (screening and prior stages)",
        "replications": plan.replications,
        "seed": first.seed,
        "source_files": list(plan.files),
        "overrides": list(plan.overrides),
        "command": list(sys.argv),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": package_versions(),
    }


def _finite(value: Any) -> Any:
    """NaN and infinities as None (JSON has neither)."""
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
