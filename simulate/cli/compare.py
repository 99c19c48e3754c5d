"""The `simulate compare` command (registers itself on the app)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from simulate.cli.common import (
    app,
    check_report_options,
    check_results_target,
    err,
    fail,
    out,
    print_warnings,
    progress_bar,
    with_report,
    write_results,
)
from simulate.cli.options import (
    AnimateOption,
    NoReportOption,
    OutOption,
    OverwriteOption,
    QuietOption,
    ReplicationsOption,
    SeedOption,
    SetOption,
    WorkersOption,
)
from simulate.cli.signals import (
    EXIT_INTERRUPTED,
    Interrupted,
    announce,
    honour_pending,
    stop_signal,
    stoppable,
    written,
)
from simulate.errors import ScenarioError

ScenarioFiles = Annotated[
    list[str],
    typer.Argument(
        help="One scenario file with a 'variants:' section, or two or more scenario "
        "files (or bundled names) to compare.",
        show_default=False,
    ),
]
ReferenceOption = Annotated[
    str | None,
    typer.Option(help="Variant the others are compared with (default: the first)."),
]
ThresholdOption = Annotated[
    list[float] | None,
    typer.Option(
        "--threshold",
        min=0,
        help="Willingness to pay per QALY, currency units (default 20,000 and 30,000). Repeatable.",
        show_default=False,
    ),
]
PerspectiveOption = Annotated[
    str | None,
    typer.Option(
        help="Cost in the economics: health_system (cost + payment_total, default), "
        "payer (payment_total) or resource (cost)."
    ),
]
WindowOption = Annotated[
    list[str] | None,
    typer.Option(
        "--window",
        help="A window of the effects table, NAME=FIRST-LAST in months from 1 "
        "(during=13-30). Repeatable. Default: the policy phases before / during / after.",
        show_default=False,
    ),
]
ByOption = Annotated[
    str | None,
    typer.Option(
        "--by",
        help="Effects by subgroup of physicians: team, targeted, baseline-quartile:METRIC or "
        "baseline-quantile:METRIC:K.",
        show_default=False,
    ),
]
LevelOption = Annotated[
    str,
    typer.Option("--level", help="Effects per organisation, team or physician."),
]


@app.command()
def compare(
    scenario_files: ScenarioFiles,
    replications: ReplicationsOption = None,
    seed: SeedOption = None,
    out_dir: OutOption = None,
    overrides: SetOption = None,
    workers: WorkersOption = None,
    reference: ReferenceOption = None,
    thresholds: ThresholdOption = None,
    perspective: PerspectiveOption = None,
    window: WindowOption = None,
    by: ByOption = None,
    level: LevelOption = "organisation",
    overwrite: OverwriteOption = False,
    quiet: QuietOption = False,
    animate: AnimateOption = False,
    no_report: NoReportOption = False,
) -> None:
    """Compare variants: the decision, ICER, NMB, CEAC, effects by phase and subgroup.

    Variants run under common random numbers: the decision in words, paired differences
    with 95% CIs, ICER, net monetary benefit, acceptability curve and frontier, and
    effects by phase and subgroup; writes tables, a manifest and dashboard.html."""
    from simulate.compare.core import check_effect_options
    from simulate.compare.effects_table import print_effects
    from simulate.compare.table import print_comparison
    from simulate.compare.variants import load_variants, with_options
    from simulate.compare.window import parse_window
    from simulate.experiment.executors import default_workers

    try:
        check_report_options(animate, no_report)
        variant_set = with_options(
            load_variants(scenario_files, overrides or []),
            reference=reference,
            thresholds=thresholds,
            perspective=perspective,
            replications=replications,
            seed=seed,
        )
        windows = [parse_window(text) for text in window or []]
        check_effect_options(variant_set, windows, by, level)
        directory = out_dir if out_dir is not None else Path("results") / variant_set.name
        check_results_target(directory, "comparison", overwrite)
    except ScenarioError as error:
        fail(error)
    if not quiet:
        for note in variant_set.notes:
            err.print(f"note: {escape(note)}", highlight=False)
    n_workers = workers or default_workers()
    comparison = _run(variant_set, n_workers, quiet, (windows, by, level))
    _write(comparison, directory, n_workers, (no_report, animate), overwrite)
    if not quiet:
        print_comparison(out, comparison)
        print_effects(out, comparison)
        out.print(f"comparison written to [bold]{escape(str(directory))}[/]", highlight=False)


def _write(
    comparison, directory: Path, n_workers: int, report: tuple[bool, bool], overwrite: bool
) -> None:
    """Write the comparison folder (``report`` = (no_report, animate)) and print the
    guard-rail warnings."""
    per_variant, warnings = _warnings(comparison)
    write_results(
        directory,
        with_report(
            lambda folder: comparison.write_into(
                folder,
                extra={"workers": n_workers, "warnings": warnings},
                variant_extra={k: {"warnings": v} for k, v in per_variant.items()},
            ),
            no_report=report[0],
            animate=report[1],
        ),
        kind="comparison",
        overwrite=overwrite,
    )
    print_warnings(warnings)


def _run(variant_set, n_workers: int, quiet: bool, effects: tuple):
    """Every variant's replications on one pool, with a progress bar; a stopping signal
    ends the command with one line (nothing is written: a comparison is whole or absent).
    ``effects`` = (windows, by, level) of the effects table; bad ones (``--by targeted``
    without targeting) end it with one line and status 2."""
    from simulate.compare.core import run_comparison

    total = len(variant_set.variants) * variant_set.replications
    progress = progress_bar(
        f"[bold]{escape(variant_set.name)}[/]",
        f"replications ({len(variant_set.variants)} variants)",
        quiet=quiet,
    )
    try:
        with stoppable(), progress:
            task = progress.add_task("compare", total=total)
            return run_comparison(
                variant_set,
                workers=n_workers,
                windows=effects[0],
                by=effects[1],
                level=effects[2],
                on_done=lambda done: (honour_pending(), progress.update(task, completed=done)),
            )
    except ScenarioError as error:
        fail(error)
    except (KeyboardInterrupt, Interrupted) as stop:
        signum = stop_signal(stop)
        written()  # nothing to write
        announce(
            f"interrupted ({signal.Signals(signum).name}): comparison not finished, "
            "nothing written",
            EXIT_INTERRUPTED[signum],
        )
        raise typer.Exit(EXIT_INTERRUPTED[signum]) from None


def _warnings(comparison) -> tuple[dict[str, list[str]], list[str]]:
    """The guard-rail and evidence-coverage warnings of each variant's run, and of the
    comparison (a line each, naming the variants concerned)."""
    from simulate.experiment.coverage import (
        comparison_extrapolation_warnings,
        extrapolation_warnings,
    )
    from simulate.experiment.guards import comparison_warnings, patient_totals, run_warnings
    from simulate.model.capacity import team_loads

    found = {
        v.name: (
            team_loads(v.scenario),
            patient_totals([r.tally for r in comparison.results[v.name].replications]),
        )
        for v in comparison.variant_set.variants
    }
    scenarios = {v.name: v.scenario for v in comparison.variant_set.variants}
    per_variant = {
        name: run_warnings(*load_patients) + extrapolation_warnings(scenarios[name])
        for name, load_patients in found.items()
    }
    return per_variant, comparison_warnings(found) + comparison_extrapolation_warnings(scenarios)
