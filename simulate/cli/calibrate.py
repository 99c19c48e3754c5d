"""The `simulate calibrate` command (registers itself on the app)."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from simulate.cli.common import app, fail, out
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
def calibrate(
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
    """Fit parameters to targets (a file's calibration: section); best fit and accepted set.

    Latin hypercube screening of the priors, an Optuna optimiser (TPE or CMA-ES) for the
    best fit, and rejection ABC on prior draws for the accepted set. Writes trials.csv,
    best.yaml, accepted.csv and a fit report. --resume continues a stopped calibration
    with identical trials."""
    from simulate.calibration.output import write_outputs
    from simulate.calibration.plan import plan_calibration

    try:
        check_executor_options(scheduler, dask_local, resume, overwrite)
        plan = plan_calibration(scenario_file, overrides or [])
        directory = out_dir or Path("results") / f"{plan.name}-calibration"
        if dry_run:
            out.print(f"ok: {_size(plan)} -> {directory}", highlight=False, soft_wrap=True)
            return
        store = open_store(directory, "calibration", plan, resume=resume, overwrite=overwrite)
    except ScenarioError as error:
        fail(error)
    evaluations: list = []  # the finished evaluations, kept on interrupt
    session = run_stored(
        plan,
        store,
        label=f"[bold]{escape(plan.name)}[/] calibration",
        executor_options={"workers": workers, "scheduler": scheduler, "dask_local": dask_local},
        quiet=quiet,
        drive=_driver(plan, evaluations),
    )
    extra = session.manifest_extra()
    manifest = finish_stored(
        directory,
        store,
        session,
        lambda figures: write_outputs(
            plan, evaluations, store, directory, extra=extra, figures=figures
        ),
        plan.n_runs,
        "calibration",
    )
    if not quiet:
        out.print(
            f"{_size(plan)}; {session.added} runs in {session.elapsed:.1f} s", highlight=False
        )
        _print_fit(directory, manifest)
        out.print(f"results written to [bold]{escape(str(directory))}[/]", highlight=False)


def _driver(plan, evaluations: list):
    """Runs the calibration's stages on the executor, appending to ``evaluations``."""
    from simulate.calibration.evaluations import StoreEvaluator
    from simulate.calibration.search import run_calibration

    def drive(executor, store, on_done) -> None:
        run_calibration(plan, StoreEvaluator(plan, executor, store, on_done, evaluations))

    return drive


def _size(plan) -> str:
    m = plan.spec.method
    return (
        f"{plan.name}: 1 + {m.screening} screening + {m.trials} {m.optimiser} trials + "
        f"{m.prior_draws} prior draws = {plan.n_evaluations} evaluations x {len(plan.kinds)} "
        f"world variants x {plan.replications} replications = {plan.n_runs} runs"
    )


def _print_fit(directory: Path, manifest: dict) -> None:
    """Each target: value [CI], the model before and after [CI]; the best values."""
    import pandas as pd
    from rich.table import Table

    from simulate.formatting import number

    path = directory / "fit.csv"
    if not path.exists():
        return
    table = Table(title="Fit (95% intervals)", title_justify="left")
    for name in ("target", "value", "before", "after"):
        table.add_column(name, justify="left" if name == "target" else "right", overflow="fold")
    for row in pd.read_csv(path).to_dict("records"):
        cells = [
            f"{number(row[k])} [{number(row[f'{k}_low'])}, {number(row[f'{k}_high'])}]"
            + ("" if k == "value" or row[f"{k}_covered"] else " !")
            for k in ("value", "before", "after")
        ]
        table.add_row(str(row["label"]), *cells)
    out.print(table)
    best = manifest.get("best") or {}
    for path_name, value in (best.get("values") or {}).items():
        out.print(f"best {path_name} = {number(value)}", highlight=False)
    out.print(
        f"{manifest.get('accepted', 0)} prior draws accepted (tolerance "
        f"{manifest.get('tolerance', 0):.3g}); '!' marks a model value outside the target's CI",
        highlight=False,
    )
