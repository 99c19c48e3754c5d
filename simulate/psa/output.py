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

import pandas as pd

from simulate.output.store import package_versions, scenario_hash, write_table, write_text
from simulate.psa.plan import PSAPlan
from simulate.psa.tables import decision_tables, runs_table
from simulate.sweep.store import STORE_NAME, RunStore

MANIFEST = "manifest.json"


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
    names = plan.variant_set.names
    thresholds = list(plan.variant_set.settings.thresholds)
    runs = runs_table(plan, store.table())
    table_info: dict[str, Any] = {}

    def put(table: pd.DataFrame, stem: str) -> None:
        paths = write_table(table, folder, stem)
        table_info[stem] = {"rows": len(table), "files": [p.name for p in paths]}

    put(runs, "runs")
    put(plan.draws.reset_index(), "draws")
    tables, skipped, added = decision_tables(plan, runs)
    for stem, table in tables.items():
        put(table, stem)
    n_draws = int(tables["psa"]["draw"].nunique()) if "psa" in tables else 0
    manifest = {
        **_manifest(plan, runs, n_draws, skipped),
        "compute_seconds": round(store.seconds(), 3),
        **added,
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
    if not (tornado := read_table(folder, "tornado", required=False)).empty:
        charts["tornado"] = ("One parameter at a time (tornado)", ef.tornado_chart(tornado))
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
    "tornado": "Incremental net monetary benefit of the leading scheme against the reference "
    "at the first threshold (discounted, per period) with each parameter at its 2.5th and "
    "97.5th percentile and the others at their means; the grey line is all at their means "
    "(tornado.csv has every scheme).",
    "evppi": "Expected value of partial perfect information per parameter at the first "
    "threshold, with its 95% interval (regression metamodel), and the EVPI (dashed).",
}
