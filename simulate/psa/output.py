"""The PSA's results folder, assembled from the run store (at the end, or on interrupt).

Files (each written atomically, CSV and Parquet where possible): runs, draws (parameter
values per draw), psa (draw x variant: cost, QALYs, NMB), decision, variance, evppi,
ceac (with the frontier), expected_loss, and manifest.json; the store runs.sqlite stays
beside them so ``--resume`` can continue.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulate.compare.economics import (
    ceac_range,
    ceac_thresholds,
    frontier,
    net_monetary_benefit,
    probability_most_cost_effective,
    threshold_label,
)
from simulate.output.store import package_versions, scenario_hash, write_table, write_text
from simulate.psa.analysis import (
    decision_under_uncertainty,
    draw_means,
    evppi_table,
    variance_split,
    with_perspective_cost,
)
from simulate.psa.plan import DISCOUNTED, PSAPlan
from simulate.psa.value_of_information import expected_loss
from simulate.sweep.store import STORE_NAME, RunStore

MANIFEST = "manifest.json"
MIN_DRAWS_FOR_EVPPI = 50
"""Fewer draws than this give no EVPPI: the metamodel needs data to fit (Strong et al.
2014 used 1,000 or more; the standard error shows how precise it is)."""


def runs_table(plan: PSAPlan, stored: pd.DataFrame) -> pd.DataFrame:
    """One row per finished run: draw, variant (name), replication, metrics."""
    names = plan.variant_set.names
    points = np.asarray(plan.design.values, dtype=int)
    index = stored["point"].to_numpy(dtype=int)
    runs = stored.assign(draw=points[index, 0], variant=[names[v] for v in points[index, 1]])
    columns = ["draw", "variant", "replication", *plan.evaluator.metrics]
    return runs[columns].sort_values(["draw", "variant", "replication"], ignore_index=True)


def complete_draws(runs: pd.DataFrame, plan: PSAPlan) -> pd.DataFrame:
    """The runs of the draws every variant finished all replications of."""
    needed = len(plan.variant_set.names) * plan.replications
    counts = runs.groupby("draw")["replication"].size()
    return runs[runs["draw"].isin(counts[counts == needed].index)]


def discounted(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs with cost, payments and QALYs replaced by their discounted values (the
    economics' inputs; runs.csv keeps both)."""
    return runs.assign(**{m.removeprefix("discounted_"): runs[m] for m in DISCOUNTED})


def psa_table(means: pd.DataFrame, thresholds: list[float]) -> pd.DataFrame:
    """draw x variant: cost, QALYs and NMB at each threshold (currency units per period)."""
    table = means[["draw", "variant", "cost", "qalys"]].copy()
    for t in thresholds:
        table[f"nmb_{threshold_label(t)}"] = net_monetary_benefit(table["cost"], table["qalys"], t)
    return table


def curves(
    means: pd.DataFrame, names: list[str], thresholds: list[float], maximum: float, step: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ceac with the frontier, expected loss) over a threshold grid reaching the ICERs."""
    cost = means.pivot(index="draw", columns="variant", values="cost")[names].to_numpy(float)
    qalys = means.pivot(index="draw", columns="variant", values="qalys")[names].to_numpy(float)
    mean_cost, mean_qalys = cost.mean(axis=0), qalys.mean(axis=0)
    icers = [
        (mean_cost[i] - mean_cost[0]) / (mean_qalys[i] - mean_qalys[0])
        for i in range(1, len(names))
        if mean_qalys[i] != mean_qalys[0]
    ]
    grid = ceac_thresholds(*ceac_range(maximum, step, icers), thresholds)
    best = frontier(cost.T, qalys.T, grid)
    ceac = pd.DataFrame(
        {
            "threshold": np.repeat(grid, len(names)),
            "variant": np.tile(names, len(grid)),
            "probability": probability_most_cost_effective(cost.T, qalys.T, grid).reshape(-1),
            "optimal": (best[:, None] == np.arange(len(names))[None, :]).reshape(-1),
        }
    )
    loss = [expected_loss(net_monetary_benefit(cost, qalys, t)) for t in grid]
    losses = pd.DataFrame(
        {
            "threshold": np.repeat(grid, len(names)),
            "variant": np.tile(names, len(grid)),
            "expected_loss": np.asarray(loss).reshape(-1),
        }
    )
    return ceac, losses


def write_outputs(
    plan: PSAPlan,
    store: RunStore,
    folder: Path,
    *,
    extra: dict[str, Any],
    figures: bool = True,
) -> dict[str, Any]:
    """Write the tables, the manifest and (``figures``) report/ and dashboard.html from
    the store; returns the manifest."""
    settings = plan.variant_set.settings
    names = plan.variant_set.names
    thresholds = list(settings.thresholds)
    runs = runs_table(plan, store.table())
    table_info: dict[str, Any] = {}

    def put(table: pd.DataFrame, stem: str) -> None:
        paths = write_table(table, folder, stem)
        table_info[stem] = {"rows": len(table), "files": [p.name for p in paths]}

    put(runs, "runs")
    put(plan.draws.reset_index(), "draws")
    usable = with_perspective_cost(discounted(complete_draws(runs, plan)), settings.perspective)
    n_draws = int(usable["draw"].nunique())
    skipped: dict[str, str] = {}
    if n_draws >= 2:
        means = draw_means(usable)
        put(psa_table(means, thresholds), "psa")
        put(decision_under_uncertainty(means, names, settings.reference, thresholds), "decision")
        put(variance_split(usable, thresholds[0], settings.reference), "variance")
        ceac, losses = curves(means, names, thresholds, settings.ceac_max, settings.ceac_step)
        put(ceac, "ceac")
        put(losses, "expected_loss")
        if n_draws >= MIN_DRAWS_FOR_EVPPI:
            groups = {p.name: list(p.paths) for p in plan.spec.parameters}
            draws = plan.draws.loc[sorted(usable["draw"].unique())]
            put(evppi_table(means, draws, names, thresholds[0], groups), "evppi")
        else:
            skipped["evppi"] = f"{n_draws} complete draws; EVPPI needs {MIN_DRAWS_FOR_EVPPI}"
    else:
        skipped["all"] = "fewer than 2 complete draws: resume the PSA to get its tables"
    manifest = {
        **_manifest(plan, runs, n_draws, skipped),
        "compute_seconds": round(store.seconds(), 3),
        **extra,
        "tables": table_info,
        "store": STORE_NAME,
    }
    text = json.dumps(manifest, indent=2, allow_nan=False, default=str) + "\n"
    write_text(folder / MANIFEST, text)
    if figures and "decision" in table_info:
        write_report(folder, manifest, names, thresholds)
    return manifest


def _manifest(
    plan: PSAPlan, runs: pd.DataFrame, n_draws: int, skipped: dict[str, str]
) -> dict[str, Any]:
    """The manifest's description of the PSA: variants, uncertainty, sizes, sources."""
    settings = plan.variant_set.settings
    first = plan.variant_set.variants[0].scenario
    return {
        "kind": "psa",
        "name": plan.variant_set.name,
        "complete": len(runs) == plan.n_runs,
        "reference": settings.reference,
        "variants": [
            {"name": v.name, "source": v.source, "scenario_sha256": scenario_hash(v.scenario)}
            for v in plan.variant_set.variants
        ],
        "thresholds": list(settings.thresholds),
        "perspective": settings.perspective,
        "discount": settings.discount.as_dict(),
        "uncertainty": plan.spec.model_dump(mode="json", by_alias=True, exclude_none=True),
        "draws_complete": n_draws,
        "replications_per_draw": plan.replications,
        "runs_total": plan.n_runs,
        "runs_finished": len(runs),
        "seed": first.seed,
        "horizon_periods": first.horizon_periods,
        "warmup_periods": first.warmup_periods,
        "period_days": first.period_days,
        "skipped": skipped,
        "source_files": list(plan.variant_set.files),
        "overrides": list(plan.variant_set.overrides),
        "command": list(sys.argv),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": package_versions(),
    }


def write_report(folder: Path, manifest: dict[str, Any], names: list[str], thresholds) -> None:
    """report/ (CE plane of the draws, CEAC and frontier, expected loss, EVPPI) and the
    decision-first dashboard.html, from the tables just written."""
    import matplotlib

    from simulate.report import economics_figures as ef
    from simulate.report.build import PLAIN_TEXT
    from simulate.report.charts import save_figure
    from simulate.report.data import read_table
    from simulate.report.html import FigureRef
    from simulate.report.psa_page import psa_dashboard

    reference = manifest["reference"]
    psa = read_table(folder, "psa")
    wide = psa.pivot(index="draw", columns="variant")
    points = pd.concat(
        [
            pd.DataFrame(
                {
                    "variant": name,
                    "incremental_cost": wide["cost"][name] - wide["cost"][reference],
                    "incremental_qalys": wide["qalys"][name] - wide["qalys"][reference],
                }
            )
            for name in names
        ],
        ignore_index=True,
    )
    evppi = read_table(folder, "evppi", required=False)
    charts = {
        "ce_plane": (
            "Cost-effectiveness plane of the draws",
            ef.ce_plane(points, names, reference, thresholds, "draw"),
        ),
        "ceac": (
            "Acceptability curves and frontier",
            ef.ceac_chart(read_table(folder, "ceac"), names, thresholds, "draws"),
        ),
        "expected_loss": (
            "Expected loss",
            ef.expected_loss_chart(read_table(folder, "expected_loss"), names, thresholds),
        ),
    }
    if not evppi.empty:
        charts["evppi"] = ("Value of learning each parameter", ef.evppi_chart(evppi))
    refs = []
    with matplotlib.rc_context(PLAIN_TEXT):
        for stem, (title, figure) in charts.items():
            paths = save_figure(figure, folder / "report", stem)
            refs.append(FigureRef(title, FIGURE_CAPTIONS[stem], paths[0]))
    page = psa_dashboard(
        manifest,
        read_table(folder, "decision"),
        read_table(folder, "variance", required=False),
        evppi,
        refs,
    )
    write_text(folder / "dashboard.html", page)


FIGURE_CAPTIONS = {
    "ce_plane": "Incremental cost against incremental QALYs per period of each scheme against "
    "the reference, one small point per parameter draw (each the mean of its replications), "
    "the mean with its 95% confidence ellipse, and the threshold lines.",
    "ceac": "Share of draws in which each scheme has the highest net monetary benefit, by "
    "willingness to pay per QALY; the thick grey line is the frontier (the scheme of highest "
    "expected net benefit). Dotted: the thresholds asked for.",
    "expected_loss": "What choosing each scheme costs on average against choosing the best "
    "in each draw, by willingness to pay; the lowest curve is the best choice and its height "
    "the EVPI (currency units per period).",
    "evppi": "Expected value of partial perfect information per parameter at the first "
    "threshold, with its 95% interval (regression metamodel), and the EVPI (dashed).",
}
