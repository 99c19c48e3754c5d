"""The calibration's fit report: each target against the model before and after, the
best values and the accepted set's ranges, then the figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path

import pandas as pd

from simulate.formatting import number
from simulate.report.html import FigureRef, data_value, figures_section, page, warnings_block

FIGURE_CAPTIONS = {
    "fit": "Each target's published value with its 95% CI (black), and the model's value "
    "with its 95% CI from simulation noise: before (the worlds as written, grey) and after "
    "calibration (the best fit, blue).",
    "convergence": "Distance (-2 log-likelihood) of every evaluation by stage, and the best "
    "so far (black step).",
    "pairs": "Prior draws (grey) and the accepted set (blue), each pair of parameters; the "
    "cross and the red line mark the best fit. Diagonal: the accepted set's histogram.",
}


def _cell(row: Mapping, key: str, covered: bool | None = None) -> str:
    low, high = row[f"{key}_low"], row[f"{key}_high"]
    mark = "" if covered is None else (" ✓" if covered else " ✗")
    return (
        f'<td data-value="{data_value(row[key])}">{number(row[key])} '
        f'<span class="ci">[{number(low)}, {number(high)}]</span>{mark}</td>'
    )


def fit_section(fit: pd.DataFrame) -> str:
    """The targets table: value and CI, model before and after (✓: inside the CI)."""
    head = ("Target", "World", "Published (95% CI)", "Model before", "Model after")
    cells = "".join(f'<th scope="col"><button type="button">{h}</button></th>' for h in head)
    rows = "".join(
        f'<tr><th scope="row" class="text">{escape(str(r["label"]))}</th>'
        f'<td class="text">{escape(str(r["world"]))}</td>'
        + _cell(r, "value")
        + _cell(r, "before", bool(r["before_covered"]))
        + _cell(r, "after", bool(r["after_covered"]))
        + "</tr>"
        for r in fit.to_dict("records")
    )
    covered = int(fit["after_covered"].sum())
    note = (
        f"{covered} of {len(fit)} targets' 95% CIs cover the best fit's value "
        f"({int(fit['before_covered'].sum())} before). Model intervals are simulation noise "
        "(1.96 SE of the replications' mean)."
    )
    return (
        '<section id="fit"><h2>Targets: published against the model</h2>'
        '<div class="table-wrap"><table id="targets" class="sortable">'
        f"<thead><tr>{cells}</tr></thead><tbody>{rows}</tbody></table></div>"
        f'<p class="note">{escape(note)}</p></section>'
    )


def parameters_section(manifest: Mapping) -> str:
    """Best values and the accepted set's mean and 95% range per parameter."""
    best = (manifest.get("best") or {}).get("values", {})
    rows = "".join(
        f'<tr><th scope="row" class="text">{escape(str(r["path"]))}</th>'
        f"<td>{number(best.get(r['path'], float('nan')))}</td>"
        f"<td>{number(r['mean'] if r['mean'] is not None else float('nan'))} "
        f'<span class="ci">[{number(r["low"] if r["low"] is not None else float("nan"))}, '
        f"{number(r['high'] if r['high'] is not None else float('nan'))}]</span></td></tr>"
        for r in manifest.get("accepted_ranges", [])
    )
    note = (
        f"{manifest.get('accepted', 0)} prior draws accepted: rejection ABC with tolerance "
        f"{manifest.get('tolerance', 0):.3g} on the distance above the best."
    )
    return (
        '<section id="parameters"><h2>Fitted parameters</h2><div class="table-wrap">'
        '<table id="values"><thead><tr><th scope="col">Parameter</th><th scope="col">Best fit'
        '</th><th scope="col">Accepted set: mean [95% range]</th></tr></thead>'
        f'<tbody>{rows}</tbody></table></div><p class="note">{escape(note)}</p></section>'
    )


def calibration_dashboard(
    manifest: Mapping, fit: pd.DataFrame, figures: Sequence[FigureRef]
) -> str:
    """The fit report page."""
    body = (
        warnings_block(manifest)
        + fit_section(fit)
        + parameters_section(manifest)
        + figures_section(figures)
    )
    return page(
        f"Calibration: {manifest.get('name', '')}",
        f"{manifest.get('evaluations_finished', '?')} evaluations x "
        f"{manifest.get('replications', '?')} replications; created "
        f"{manifest.get('created_utc', 'unknown')}",
        body,
    )


def write_report(folder: Path, manifest: Mapping, plan, trials, fit, accepted) -> None:
    """report/ (fit, convergence, pairs) and dashboard.html."""
    import matplotlib

    from simulate.output.store import write_text
    from simulate.report import calibration_figures as cf
    from simulate.report.build import PLAIN_TEXT
    from simulate.report.charts import save_figure

    paths = list(plan.paths)
    labels = [p.shown for p in plan.spec.parameters]
    prior = trials[trials["stage"].isin(("screening", "prior"))]
    best = list(manifest["best"]["values"].values())
    charts = {
        "fit": ("Targets against the model", cf.fit_chart(fit)),
        "convergence": ("Convergence", cf.convergence_chart(trials)),
        "pairs": ("The accepted set", cf.pairs_chart(prior, accepted, paths, labels, best)),
    }
    refs = []
    with matplotlib.rc_context(PLAIN_TEXT):
        for stem, (title, figure) in charts.items():
            saved = save_figure(figure, folder / "report", stem)
            refs.append(FigureRef(title, FIGURE_CAPTIONS[stem], saved[0]))
    write_text(folder / "dashboard.html", calibration_dashboard(manifest, fit, refs))
