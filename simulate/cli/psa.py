"""The `simulate psa` command (registers itself on the app)."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from simulate.cli.common import app, fail, out, print_warnings
from simulate.cli.options import (
    DaskLocalOption,
    DryRunOption,
    OutOption,
    OverwriteOption,
    QuietOption,
    ResumeOption,
    ScenarioFile,
    SchedulerOption,
    SetOption,
    WorkersOption,
)
from simulate.cli.stored import check_executor_options, finish_stored, open_store, run_stored
from simulate.errors import ScenarioError


@app.command()
def psa(
    scenario_file: ScenarioFile,
    overrides: SetOption = None,
    out_dir: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = None,
    resume: ResumeOption = False,
    overwrite: OverwriteOption = False,
    dry_run: DryRunOption = False,
    quiet: QuietOption = False,
) -> None:
    """Probabilistic sensitivity analysis: the decision under uncertainty, EVPI, EVPPI.

    Parameter draws from the file's uncertainty: section (outer loop), replications under
    common random numbers (inner loop); the decision under uncertainty, EVPI, EVPPI, the
    tornado and the split of variance between parameters and patient-level noise.
    --resume continues a stopped PSA."""
    from simulate.psa.output import write_outputs
    from simulate.psa.plan import plan_psa

    try:
        check_executor_options(scheduler, dask_local, resume, overwrite)
        plan = plan_psa(scenario_file, overrides or [])
        directory = out_dir or Path("results") / f"{plan.variant_set.name}-psa"
        if dry_run:
            out.print(f"ok: {_size(plan)} -> {directory}", highlight=False, soft_wrap=True)
            return
        store = open_store(directory, "psa", plan, resume=resume, overwrite=overwrite)
    except ScenarioError as error:
        fail(error)
    session = run_stored(
        plan,
        store,
        label=f"[bold]{escape(plan.variant_set.name)}[/] PSA",
        executor_options={"workers": workers, "scheduler": scheduler, "dask_local": dask_local},
        quiet=quiet,
    )
    extra = session.manifest_extra()
    finish_stored(
        directory,
        store,
        session,
        lambda figures: write_outputs(plan, store, directory, extra=extra, figures=figures),
        plan.n_runs,
        "PSA",
    )
    print_warnings(_skipped(directory))
    if not quiet:
        out.print(
            f"{_size(plan)}; {session.added} runs in {session.elapsed:.1f} s", highlight=False
        )
        _print_decision(directory)
        out.print(f"results written to [bold]{escape(str(directory))}[/]", highlight=False)


def _skipped(directory: Path) -> list[str]:
    """What the PSA could not compute and why (the manifest's ``skipped``), in words."""
    import json

    path = directory / "manifest.json"
    if not path.exists():
        return []
    skipped = json.loads(path.read_text(encoding="utf-8")).get("skipped") or {}
    return [f"no {table}.csv: {reason}" for table, reason in skipped.items()]


def _size(plan) -> str:
    n = len(plan.variant_set.variants)
    return (
        f"{plan.variant_set.name}: {plan.spec.draws} draws ({plan.spec.method}) x {n} variants x "
        f"{plan.replications} replications, with {len(plan.tornado)} tornado settings = "
        f"{plan.n_runs} runs"
    )


def _print_decision(directory: Path) -> None:
    """The decision under uncertainty and the variance split, from the written tables."""
    import pandas as pd
    from rich.table import Table

    from simulate.formatting import number

    path = directory / "decision.csv"
    if not path.exists():
        return
    decision = pd.read_csv(path)
    thresholds = [c.removeprefix("p_best_") for c in decision.columns if c.startswith("p_best_")]
    table = Table(
        title="Decision under parameter uncertainty (95% range across draws)",
        title_justify="left",
    )
    table.add_column("variant", overflow="fold")
    table.add_column("Δ cost / period", justify="right", overflow="fold")
    table.add_column("Δ QALYs / period", justify="right", overflow="fold")
    for t in thresholds:
        table.add_column(
            f"P(CE) / P(best) / loss at {number(float(t))}", justify="right", overflow="fold"
        )
    for row in decision.to_dict("records"):
        cells = [
            f"{number(row['incremental_cost'])} [{number(row['incremental_cost_low'])}, "
            f"{number(row['incremental_cost_high'])}]",
            f"{number(row['incremental_qalys'])} [{number(row['incremental_qalys_low'])}, "
            f"{number(row['incremental_qalys_high'])}]",
        ]
        for t in thresholds:
            p_ce = row[f"p_cost_effective_{t}"]
            shown = "-" if p_ce != p_ce else f"{p_ce:.2f}"
            star = " (optimal)" if row[f"optimal_{t}"] else ""
            cells.append(
                f"{shown} / {row[f'p_best_{t}']:.2f} / {number(row[f'expected_loss_{t}'])}{star}"
            )
        table.add_row(row["variant"], *cells)
    out.print(table)
    if thresholds:
        evpi = decision[f"evpi_{thresholds[0]}"].iloc[0]
        column = f"population_evpi_{thresholds[0]}"
        population = (
            f"; {number(decision[column].iloc[0])} for the population over the decision's years"
            if column in decision
            else ""
        )
        out.print(
            f"EVPI at {number(float(thresholds[0]))} per QALY: {number(evpi)} per period"
            + population,
            highlight=False,
        )
