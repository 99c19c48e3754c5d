"""What every figure shares: a Figure without pyplot state, one legend below the axes,
readable currency ticks, and atomic saving as PNG and SVG."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, StrMethodFormatter

from simulate.output.store import atomic_write
from simulate.report.palette import DPI, FIGSIZE


def new_figure(size: tuple[float, float] = FIGSIZE, ncols: int = 1) -> tuple[Figure, list]:
    """A figure with ``ncols`` axes side by side."""
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    for ax in axes:
        ax.grid(True, color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
    return fig, list(axes)


def legend_below(fig: Figure, axes: list, title: str | None = None) -> None:
    """One legend for the figure, below the axes (never over the data or the titles),
    with each label once."""
    labels: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            labels.setdefault(label, handle)
    if labels:
        fig.legend(
            list(labels.values()),
            list(labels),
            loc="outside lower center",
            ncols=min(3, len(labels)),
            fontsize=7,
            frameon=False,
            title=title,
            title_fontsize=7,
        )


THOUSANDS = StrMethodFormatter("{x:,.0f}")
"""Axis labels of currency amounts: 1,500,000 rather than 1.5 with a 1e6 offset."""


def _compact(x: float, _pos: object = None) -> str:
    """1,500,000 as 1.5M, 250,000 as 250k, 900 as 900 (axis ticks of large amounts)."""
    for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:,.4g}{suffix}"
    return f"{x:,.4g}"


COMPACT = FuncFormatter(_compact)
"""Axis labels of large currency amounts: 1.5M, 250k."""


def save_figure(fig: Figure, directory: Path, stem: str) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` atomically; returns the paths."""
    paths = []
    for fmt in ("png", "svg"):
        path = directory / f"{stem}.{fmt}"
        atomic_write(path, lambda tmp, fmt=fmt: fig.savefig(tmp, format=fmt, dpi=DPI))
        paths.append(path)
    return paths
