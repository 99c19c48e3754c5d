"""The PSA's tables from its finished runs: per-draw means under the perspective and the
discount rates, the decision under uncertainty, the curves, the value of information (per
period and, with ``population`` and ``years``, for the population) and the tornado."""

from __future__ import annotations

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
from simulate.psa.analysis import (
    decision_under_uncertainty,
    draw_means,
    evppi_table,
    population_factor,
    variance_split,
    with_perspective_cost,
    with_population,
)
from simulate.psa.plan import DISCOUNTED, PSAPlan
from simulate.psa.tornado import tornado_table
from simulate.psa.value_of_information import expected_loss

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


def decision_tables(
    plan: PSAPlan, runs: pd.DataFrame
) -> tuple[dict[str, pd.DataFrame], dict[str, str], dict[str, Any]]:
    """(tables by file stem, what was skipped and why, what the manifest adds) from the runs
    (``runs_table``) of the PSA's draws."""
    settings = plan.variant_set.settings
    names, thresholds = plan.variant_set.names, list(settings.thresholds)
    runs = with_perspective_cost(discounted(runs), settings.perspective)
    one_way = runs[runs["draw"] >= plan.n_draws]
    tornado = tornado_table(
        one_way,
        plan.tornado,
        plan.n_draws,
        names,
        settings.reference,
        thresholds[0],
        plan.replications,
    )
    usable = complete_draws(runs[runs["draw"] < plan.n_draws], plan)
    n_draws = int(usable["draw"].nunique())
    if n_draws < 2:
        return {}, {"all": "fewer than 2 complete draws: resume the PSA to get its tables"}, {}
    means = draw_means(usable)
    tables = {
        "tornado": tornado,
        "psa": psa_table(means, thresholds),
        "decision": decision_under_uncertainty(means, names, settings.reference, thresholds),
        "variance": variance_split(usable, thresholds[0], settings.reference),
    }
    tables["ceac"], tables["expected_loss"] = curves(
        means, names, thresholds, settings.ceac_max, settings.ceac_step
    )
    skipped: dict[str, str] = {}
    evppi = None
    if n_draws >= MIN_DRAWS_FOR_EVPPI and plan.groups:
        draws = plan.draws.loc[sorted(usable["draw"].unique())]
        evppi = evppi_table(means, draws, names, thresholds[0], plan.groups)
    else:
        skipped["evppi"] = f"{n_draws} complete draws; EVPPI needs {MIN_DRAWS_FOR_EVPPI}"
    extra: dict[str, Any] = {}
    spec = plan.spec
    if spec.population is not None and spec.years is not None:
        reference = usable[usable["variant"] == settings.reference]
        people = float(reference["episodes"].mean())
        factor = population_factor(people, spec.population, spec.years, settings.discount.costs)
        tables["decision"], evppi = with_population(tables["decision"], evppi, factor, thresholds)
        extra["population"] = {
            "people_per_year": spec.population,
            "years": spec.years,
            "annual_discount": settings.discount.costs,
            "people_per_period_simulated": people,
            "factor": factor,
        }
    if evppi is not None:
        tables["evppi"] = evppi
    if tornado.empty:
        skipped["tornado"] = "no one-way setting finished every variant's replications"
        del tables["tornado"]
    return tables, skipped, extra
