"""Every figure, rendered at the size it is saved: no text overlaps other text or leaves
the canvas (bounding boxes from matplotlib's Agg renderer)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

import simulate
from simulate.compare.core import compare
from simulate.output.store import write_run
from simulate.report import economics_figures as ef
from simulate.report import figures as fg
from simulate.report.animate import animation_figure
from simulate.report.build import PLAIN_TEXT
from simulate.report.charts import save_figure
from simulate.report.data import load_comparison, load_run
from simulate.sweep import figures as sweep_figures
from simulate.sweep.design import Design

SHORT = ["horizon_periods=16", "warmup_periods=2"]
LONG_NAME = "a rule with a long name: $4,000 bonus for the top 20% of teams by value"


def _hidden_tick_labels(fig: Figure) -> set[int]:
    """Tick labels matplotlib does not draw (ticks outside the axis' view interval)."""
    hidden = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            slack = (high - low) * 1e-9
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - slack <= tick.get_loc() <= high + slack:
                    hidden.update({id(tick.label1), id(tick.label2)})
    return hidden


def text_boxes(fig: Figure) -> list[tuple[Text, Bbox]]:
    """Every drawn, non-empty text and its box in pixels (clipped texts to their clip box)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    hidden = _hidden_tick_labels(fig)
    boxes = []
    for text in fig.findobj(Text):
        if id(text) in hidden or not text.get_visible() or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        clip = text.get_clip_box()
        if text.get_clip_on() and clip is not None:
            box = Bbox.intersection(box, clip)
            if box is None:
                continue
        boxes.append((text, box))
    return boxes


def layout_problems(fig: Figure) -> list[str]:
    """Texts leaving the canvas, and pairs of texts that overlap (by more than 1 px)."""
    boxes = text_boxes(fig)
    width, height = fig.bbox.width, fig.bbox.height
    problems = [
        f"outside the canvas: {t.get_text()!r}"
        for t, b in boxes
        if b.x0 < -1 or b.y0 < -1 or b.x1 > width + 1 or b.y1 > height + 1
    ]
    for i, (first, a) in enumerate(boxes):
        for second, b in boxes[i + 1 :]:
            both = Bbox.intersection(a, b)
            if both is not None and both.width > 1 and both.height > 1:
                problems.append(f"overlap: {first.get_text()!r} / {second.get_text()!r}")
    return problems


def test_the_checker_finds_overlapping_and_clipped_text():
    fig = Figure(figsize=(3, 2), layout="constrained")
    ax = fig.subplots()
    ax.set_title("a title", loc="left")
    ax.text(0.0, 1.0, "on the title", transform=ax.transAxes, va="bottom")
    fig.text(0.9, 0.5, "off the right edge of the canvas")
    problems = layout_problems(fig)
    assert any(p.startswith("overlap") and "'a title'" in p for p in problems), problems
    assert "outside the canvas: 'off the right edge of the canvas'" in problems


@pytest.fixture(scope="module")
def run_data(tmp_path_factory):
    """value_dashboard with a long rule name holding a dollar sign."""
    result = simulate.run(
        "value_dashboard", replications=3, overrides=[*SHORT, f"incentives[0].name={LONG_NAME!r}"]
    )
    folder = tmp_path_factory.mktemp("layout") / "run"
    write_run(result.tables(), result.scenario, folder)
    return load_run(folder)


@pytest.fixture(scope="module")
def comparison_data(tmp_path_factory):
    comparison = compare(
        ["baseline_ffs", "capitation", "value_dashboard"], replications=3, overrides=SHORT
    )
    folder = tmp_path_factory.mktemp("layout") / "comparison"
    comparison.write(folder)
    return load_comparison(folder)


def run_figures(run) -> dict[str, Figure]:
    figures = {f"trajectory_{m}": fg.trajectory_figure({run.name: run}, m) for m in fg.KEY_METRICS}
    figures["value_quadrant"] = fg.value_quadrant_figure(run)
    figures["style_distribution"] = fg.style_fan_figure(run)
    figures["income_components"] = fg.income_figure(run)
    figures["funnel_readmissions"] = fg.funnel_figure(run)
    figures["animation"] = animation_figure(run)[0]  # checked as a still, never played
    return figures


@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
def test_run_figures_have_no_overlapping_or_clipped_text(run_data):
    with matplotlib.rc_context(PLAIN_TEXT):
        found = {name: layout_problems(fig) for name, fig in run_figures(run_data).items()}
    assert {name: p for name, p in found.items() if p} == {}


def test_comparison_figures_have_no_overlapping_or_clipped_text(comparison_data):
    figures = {
        "ce_plane": ef.ce_plane_figure(comparison_data),
        "ceac": ef.ceac_figure(comparison_data),
        "trajectory_value": fg.trajectory_figure(comparison_data.variants, "value"),
    }
    with matplotlib.rc_context(PLAIN_TEXT):
        found = {name: layout_problems(fig) for name, fig in figures.items()}
    assert {name: p for name, p in found.items() if p} == {}


def test_sweep_figures_have_no_overlapping_or_clipped_text():
    names = ("incentives[0].bonus_per_physician", "peer_pressure.peer_sensitivity")
    labels = {names[0]: "tournament bonus per physician (currency)", names[1]: "peer sensitivity"}
    rng = np.random.default_rng(3)
    sobol = pd.DataFrame(
        {
            "method": "sobol",
            "metric": "value",
            "parameter": list(names),
            "S1": [0.41, 0.2],
            "S1_conf": [0.1, 0.05],
            "ST": [0.6, 0.3],
            "ST_conf": [0.12, 0.08],
        }
    )
    grid = Design("grid", names, tuple((b, s) for b in (0, 2000, 4000) for s in (0.5, 1.0)))
    runs = pd.DataFrame(
        [{names[0]: b, names[1]: s, "value": 0.02 + rng.normal(0, 0.001)} for b, s in grid.values]
        * 3
    )
    figures = {
        "sensitivity": sweep_figures.sensitivity_figure(sobol, "value", labels),
        "oneway": sweep_figures.oneway_figure(grid, runs, "value", labels),
    }
    found = {name: layout_problems(fig) for name, fig in figures.items()}
    assert {name: p for name, p in found.items() if p} == {}


def test_figures_are_saved_at_the_size_checked(run_data, tmp_path: Path):
    fig = fg.funnel_figure(run_data)
    (png, _svg) = save_figure(fig, tmp_path, "funnel")
    from PIL import Image

    with Image.open(png) as image:
        assert image.size == (round(fig.bbox.width), round(fig.bbox.height))


def test_psa_figures_have_no_overlapping_or_clipped_text():
    grid = np.linspace(0, 100_000, 21)
    losses = pd.DataFrame(
        {
            "threshold": np.repeat(grid, 2),
            "variant": ["fee_for_service", "value_dashboard"] * len(grid),
            "expected_loss": np.column_stack([grid * 0.3, 30_000 - grid * 0.2]).reshape(-1),
        }
    )
    evppi = pd.DataFrame(
        {
            "parameters": ["physician_traits.peer_sensitivity.a", "conditions[0].base_cost"],
            "evppi": [1200.0, 300.0],
            "evppi_se": [100.0, 80.0],
            "evpi": 1500.0,
            "threshold": 20_000.0,
        }
    )
    loss_chart = ef.expected_loss_chart(losses, ["fee_for_service", "value_dashboard"], [20_000])
    (evpi_line,) = [line for line in loss_chart.axes[0].lines if line.get_gid() == "evpi"]
    lowest = losses.groupby("threshold")["expected_loss"].min().to_numpy()
    assert list(evpi_line.get_ydata()) == pytest.approx(list(lowest))  # the EVPI curve
    tornado = pd.DataFrame(
        {
            "variant": ["value_dashboard"] * 2 + ["capitation"],
            "reference": "fee_for_service",
            "threshold": 20_000.0,
            "parameter": ["physician_traits.peer_sensitivity.a (beta shape a)", "cost", "cost"],
            "incremental_nmb_low": [-800.0, 900.0, -5000.0],
            "incremental_nmb_high": [2500.0, 1400.0, -4000.0],
            "incremental_nmb_base": [1100.0, 1100.0, -4500.0],
            "swing": [3300.0, 500.0, 1000.0],
        }
    )
    tornado_chart = ef.tornado_chart(tornado)
    assert "value_dashboard vs fee_for_service" in tornado_chart.axes[0].get_title()
    bars = [p for p in tornado_chart.axes[0].patches if p.get_gid() == "tornado_high"]
    assert [round(b.get_x() + b.get_width()) for b in bars] == [1400, 2500]  # largest on top
    figures = {
        "expected_loss": loss_chart,
        "evppi": ef.evppi_chart(evppi),
        "tornado": tornado_chart,
    }
    found = {name: layout_problems(fig) for name, fig in figures.items()}
    assert {name: p for name, p in found.items() if p} == {}
