"""Build ``report/`` (figures) and ``dashboard.html`` for a run or comparison folder."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from simulate.errors import ScenarioError
from simulate.output.store import MANIFEST, write_text
from simulate.report import economics_figures as ef
from simulate.report import figures as fg
from simulate.report.charts import save_figure
from simulate.report.comparison_page import comparison_dashboard
from simulate.report.dashboard import run_dashboard
from simulate.report.data import (
    ComparisonData,
    RunData,
    is_comparison,
    load_comparison,
    load_run,
    read_manifest,
)
from simulate.report.html import FigureRef

REPORT = "report"
DASHBOARD = "dashboard.html"

PLAIN_TEXT = {"text.parse_math": False}
"""Matplotlib settings for figures that show text from scenarios: a rule called
"$4,000 bonus" is drawn as written, not parsed as mathtext."""


def _save(fig: Figure, folder: Path, stem: str, title: str, caption: str, refs: list) -> list[Path]:
    paths = save_figure(fig, folder, stem)
    refs.append(FigureRef(title, caption, paths[0]))
    return paths


def trajectory_figures(runs: dict[str, RunData], folder: Path, refs: list) -> list[Path]:
    """One trajectory figure per key metric (all variants on one chart)."""
    written = []
    for metric in fg.KEY_METRICS:
        if not any(metric in run.trajectories for run in runs.values()):
            continue
        title = fg.TITLES[metric]
        caption = (
            f"{title} by month, organisation: mean across replications with its 95% "
            "bootstrap CI band. Grey: warm-up; tinted: policy in force, from its start "
            "(solid line) to its end (dashed)."
        )
        written += _save(
            fg.trajectory_figure(runs, metric), folder, f"trajectory_{metric}", title, caption, refs
        )
    return written


def run_figures(run: RunData, folder: Path) -> tuple[list[Path], list[FigureRef]]:
    """Every figure of one run; returns the files and the figures to inline."""
    refs: list[FigureRef] = []
    written = trajectory_figures({run.name: run}, folder, refs)
    written += _save(
        fg.value_quadrant_figure(run),
        folder,
        "value_quadrant",
        "Physicians' value",
        "Each physician's cost per episode against QALYs gained per episode, coloured by "
        "team, with an arrow from before the policy to with it (all replications pooled; "
        "the phases are those of the headline). Down-right is worse value, up-left better. "
        "Dotted lines: the physicians' medians.",
        refs,
    )
    written += _save(
        fg.style_fan_figure(run),
        folder,
        "style_distribution",
        "Practice styles",
        "Intensity and quality effort across physicians and replications: median and "
        "10-90% band per period (physician rows of trajectories).",
        refs,
    )
    written += _save(
        fg.income_figure(run),
        folder,
        "income_components",
        "Physician income",
        "Each physician's income by payment component, mean per period after warm-up "
        "across replications; incentive penalties below zero.",
        refs,
    )
    written += _save(
        fg.funnel_figure(run),
        folder,
        "funnel_readmissions",
        "Funnel plot",
        "Each physician's readmission rate against index episodes after warm-up (replication "
        "1), one panel per team, with 95% and 99.8% binomial control limits (normal "
        "approximation) around the team's own rate: teams differ in case mix, so a point "
        "outside its team's funnel differs from its peers by more than chance explains.",
        refs,
    )
    # Figures with many points first in the dashboard order: headline trajectories lead.
    return written, refs


def build_run_report(run: RunData, *, animate: bool = False) -> list[Path]:
    """Figures, optional animation and dashboard.html of one run folder."""
    folder = run.directory / REPORT
    written, refs = run_figures(run, folder)
    if animate:
        from simulate.report.animate import write_animation

        written.append(write_animation(run, folder / "animation.gif"))
    written.append(write_text(run.directory / DASHBOARD, run_dashboard(run, refs)))
    return written


def build_comparison_report(comparison: ComparisonData, *, animate: bool = False) -> list[Path]:
    """Comparison figures and dashboard, and each variant's own report."""
    written: list[Path] = []
    for run in comparison.variants.values():
        written += build_run_report(run, animate=animate)
    folder = comparison.directory / REPORT
    refs: list[FigureRef] = []
    if not comparison.ce_replications.empty:
        written += _save(
            ef.ce_plane_figure(comparison),
            folder,
            "ce_plane",
            "Cost-effectiveness plane",
            "Incremental cost against incremental QALYs of each scheme against the reference, "
            "per period: one small point per replication, the mean as a large point with its "
            "95% confidence ellipse. Below a threshold line a scheme is cost-effective at it.",
            refs,
        )
    if not comparison.ceac.empty:
        written += _save(
            ef.ceac_figure(comparison),
            folder,
            "ceac",
            "Acceptability curves and frontier",
            "Share of replications in which each scheme has the highest net monetary benefit "
            "of all schemes, by willingness to pay per QALY (the curves sum to 1). The thick "
            "grey line is the frontier: the scheme with the highest expected net benefit at "
            "each threshold, and how likely it is to be the best. Dotted lines: the "
            "thresholds asked for.",
            refs,
        )
    written += trajectory_figures(comparison.variants, folder, refs)
    written.append(
        write_text(comparison.directory / DASHBOARD, comparison_dashboard(comparison, refs))
    )
    return written


def build_report(directory: Path, *, animate: bool = False) -> list[Path]:
    """Write ``report/`` figures and ``dashboard.html`` into a run or comparison folder.

    Raises ScenarioError when the folder is missing or not a results folder.
    """
    import matplotlib

    directory = Path(directory)
    manifest = read_manifest(directory)
    kind = manifest.get("kind")
    if kind in ("sweep", "psa", "calibration"):
        command = "calibrate" if kind == "calibration" else kind
        raise ScenarioError(
            f"'{directory}' is a {kind} folder: its tables and page are rebuilt from its run "
            f"store by `simulate {command} FILE --resume --out {directory}` (no run is "
            "repeated); `simulate report` rebuilds run and comparison folders",
            file=str(directory / MANIFEST),
        )
    with matplotlib.rc_context(PLAIN_TEXT):  # names from scenarios are text, never math
        if is_comparison(manifest):
            return build_comparison_report(load_comparison(directory, manifest), animate=animate)
        return build_run_report(load_run(directory, manifest), animate=animate)
