"""The `simulate sweep` command (registers itself on the app)."""

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
def sweep(
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
    """Run the scenario's sweep: a design over parameters, replications per point.

    Writes runs, per-point means, sensitivity indices and figures to the results folder;
    each finished run is kept, so --resume continues a stopped sweep.
    """
    from simulate.experiment.guards import sweep_warnings
    from simulate.sweep.output import write_outputs
    from simulate.sweep.plan import plan_sweep

    try:
        check_executor_options(scheduler, dask_local, resume, overwrite)
        plan = plan_sweep(scenario_file, overrides or [])
        directory = out_dir or Path("results") / f"{plan.scenario.name}-sweep"
        if dry_run:
            _print_dry_run(plan, directory)
            return
        store = open_store(directory, "sweep", plan, resume=resume, overwrite=overwrite)
    except ScenarioError as error:
        fail(error)
    patients = PatientCounts()
    session = run_stored(
        plan,
        store,
        label=f"[bold]{escape(plan.scenario.name)}[/] sweep",
        executor_options={"workers": workers, "scheduler": scheduler, "dask_local": dask_local},
        quiet=quiet,
        on_row=patients.note,
    )
    extra = {
        **session.manifest_extra(),
        "warnings": sweep_warnings(plan.point_loads, patients.rows, _point_names(plan)),
    }
    manifest = finish_stored(
        directory,
        store,
        session,
        lambda figures: write_outputs(plan, store, directory, extra=extra, figures=figures),
        plan.n_runs,
        "sweep",
    )
    if not quiet:
        _print_summary(plan, manifest, session)
        _print_indices(directory, plan.spec.plot_metrics, plan.labels())
        out.print(f"results written to [bold]{escape(str(directory))}[/]", highlight=False)


class PatientCounts:
    """Patients arrived and still queued in each run of this invocation (for the guard
    rails; the run store keeps only the metrics)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, float]] = []

    def note(self, row: dict[str, float]) -> None:
        """Keep a finished run's patient counts (rows without them are skipped)."""
        from simulate.sweep.evaluate import PATIENT_KEYS

        if all(key in row for key in PATIENT_KEYS):
            self.rows.append({count: row[key] for key, count in PATIENT_KEYS.items()})


def _print_dry_run(plan, directory: Path) -> None:
    """The sweep's size and the warnings its design points give, without running."""
    from simulate.experiment.guards import sweep_warnings
    from simulate.sweep.analysis import stability_warnings

    out.print(
        f"ok: {plan.scenario.name}: {plan.design.method} design, "
        f"{_count(len(plan.spec.parameters), 'parameter')}, "
        f"{_count(plan.design.n_points, 'point')} x "
        f"{_count(plan.replications, 'replication')} = {_count(plan.n_runs, 'run')} "
        f"-> {directory}",
        highlight=False,
        soft_wrap=True,
    )
    print_warnings(
        [
            *sweep_warnings(plan.point_loads, (), _point_names(plan)),
            *stability_warnings(plan.design.method, plan.spec.n_samples, None),
        ]
    )


def _print_summary(plan, manifest: dict, session) -> None:
    new = manifest["runs_finished"] - session.already
    described = session.described
    out.print(
        f"{plan.design.method} sweep of {plan.scenario.name}: "
        f"{_count(plan.design.n_points, 'point')} x "
        f"{_count(plan.replications, 'replication')}; {_count(new, 'run')} in "
        f"{session.elapsed:.1f} s ({described.get('executor')}, "
        f"{_count(described.get('slots'), 'slot')})",
        highlight=False,
        soft_wrap=True,
    )


def _point_names(plan) -> list[str]:
    """Each design point's parameter values as text (``path=value, ...``)."""

    def show(value) -> str:
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    return [
        ", ".join(f"{name}={show(v)}" for name, v in zip(plan.design.names, values, strict=True))
        for values in plan.design.values
    ]


def _print_indices(directory: Path, metrics, labels: dict[str, str]) -> None:
    """The plotted metrics' Sobol or Morris indices with their 95% bootstrap CIs, as
    written to sensitivity.csv (nothing for other designs)."""
    import pandas as pd
    from rich.table import Table

    path = directory / "sensitivity.csv"
    if not path.exists():
        return
    table = pd.read_csv(path)
    table = table[table["metric"].isin(list(metrics))] if len(table) else table
    if table.empty:
        return
    sobol = table["method"].iloc[0] == "sobol"
    columns = ("S1", "ST") if sobol else ("mu_star", "sigma")
    shown = Table(
        title="Sobol indices (95% bootstrap CI)" if sobol else "Morris mu* (95% bootstrap CI)",
        title_justify="left",
    )
    shown.add_column("metric", overflow="fold")
    shown.add_column("parameter", overflow="fold")
    for name in columns:
        shown.add_column(name, justify="right", no_wrap=True)
    for row in table.itertuples(index=False):
        cells = [
            _with_interval(
                getattr(row, c),
                getattr(row, f"{c}_low", None),
                getattr(row, f"{c}_high", None),
                sobol,
            )
            for c in columns
        ]
        shown.add_row(row.metric, escape(labels.get(row.parameter, row.parameter)), *cells)
    out.print(shown)
    out.print("all metrics: sensitivity.csv", highlight=False)


def _with_interval(value: float, low: float | None, high: float | None, fixed: bool) -> str:
    """``0.41 [0.30, 0.52]`` (two decimals for Sobol shares, three figures otherwise)."""

    def num(x: float) -> str:
        if x != x:  # NaN
            return "-"
        return f"{x:.2f}" if fixed else f"{x:,.3g}"

    if low is None or high is None or low != low:
        return num(value)
    return f"{num(value)} [{num(low)}, {num(high)}]"


def _count(n, noun: str) -> str:
    """``1 slot``, ``4 slots``: the number and the noun, plural unless it is 1."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
