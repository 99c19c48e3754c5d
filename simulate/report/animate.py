"""The trainers' animation: practice styles and value ranks moving period by period."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from simulate.report.data import RunData
from simulate.report.describe import policy_windows
from simulate.report.palette import POLICY, colour_map
from simulate.units import period_unit

MAX_FRAMES = 60
DPI = 80
FPS = 4


def frame_periods(horizon: int, max_frames: int = MAX_FRAMES) -> list[int]:
    """The periods shown, at most ``max_frames`` of them, evenly spaced, last included."""
    if horizon <= max_frames:
        return list(range(horizon))
    return sorted({round(x) for x in np.linspace(0, horizon - 1, max_frames)})


def rolling_value(run: RunData, replication: int, window: int) -> pd.DataFrame:
    """[period x physician] value over the last ``window`` periods (QALYs per 1,000 cost)."""
    rows = run.trajectories
    rows = rows[(rows["level"] == "physician") & (rows["replication"] == replication)]
    qalys = rows.pivot(index="period", columns="unit", values="qalys").fillna(0.0)
    cost = rows.pivot(index="period", columns="unit", values="cost").fillna(0.0)
    q = qalys.rolling(window, min_periods=1).sum()
    c = cost.rolling(window, min_periods=1).sum()
    return (q / (c / 1000).where(c > 0))[run.physician_names]


def animation_figure(run: RunData, replication: int = 0) -> tuple[Figure, FuncAnimation]:
    """The figure and its animation (replication ``replication``)."""
    panel = run.physicians[run.physicians["replication"] == replication]
    names = run.physician_names
    teams = panel.groupby("physician")["team"].first().reindex(names).fillna("")
    colours = colour_map(teams)
    window = int((run.scenario.get("peer_pressure") or {}).get("window") or 12)
    values = rolling_value(run, replication, window)
    x = panel.pivot(index="period", columns="physician", values="style_intensity")[names]
    y = panel.pivot(index="period", columns="physician", values="style_quality_effort")[names]
    windows = policy_windows(run.scenario)

    fig = Figure(figsize=(9.0, 4.0), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.13, top=0.84, wspace=0.45)
    ax1, ax2 = fig.subplots(1, 2)
    xs, ys = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
    pad_x = (np.nanmax(xs) - np.nanmin(xs)) * 0.1 + 0.02
    pad_y = (np.nanmax(ys) - np.nanmin(ys)) * 0.1 + 0.02
    ax1.set_xlim(np.nanmin(xs) - pad_x, np.nanmax(xs) + pad_x)
    ax1.set_ylim(np.nanmin(ys) - pad_y, np.nanmax(ys) + pad_y)
    ax1.set_xlabel("Intensity (x guideline)")
    ax1.set_ylabel("Quality effort (share 0-1)")
    for team, c in colours.items():
        ax1.scatter([], [], color=c, label=str(team))
    ax1.legend(fontsize=7, frameon=False, loc="upper right")
    scatter = ax1.scatter(xs[0], ys[0], c=[colours[t] for t in teams], s=40)
    top = float(np.nanmax(values.to_numpy())) * 1.1 if values.notna().any().any() else 1.0
    bars = ax2.barh(range(len(names)), np.zeros(len(names)), color=[colours[t] for t in teams])
    ax2.set_xlim(0, top)
    ax2.set_ylim(-0.6, len(names) - 0.4)
    ax2.tick_params(axis="y", labelsize=7)
    unit = period_unit(float(run.scenario.get("period_days", 30.4375)))
    ax2.set_xlabel(f"Value, last {window} {unit}s (QALYs per 1,000)")
    ax2.set_title("Value dashboard rank (1 = best)", fontsize=10)
    title = fig.suptitle("", fontsize=10)

    def draw(period: int):
        scatter.set_offsets(np.column_stack([x.loc[period], y.loc[period]]))
        active = [
            w.label for w in windows if w.start <= period and (w.end is None or period <= w.end)
        ]
        state = ("in force: " + ", ".join(active)) if active else "no policy in force"
        ax1.set_title(f"Practice styles, {unit} {period + 1}", fontsize=10)
        v = values.loc[period]
        order = v.rank(ascending=False, method="first", na_option="bottom").astype(int)
        n = len(names)
        for bar, name in zip(bars, names, strict=True):
            bar.set_y(n - order[name] - 0.4)
            bar.set_width(0.0 if not np.isfinite(v[name]) else float(v[name]))
        ranked = sorted(names, key=lambda name: order[name])
        ax2.set_yticks(range(n), [f"{n - i}. {ranked[n - 1 - i]}" for i in range(n)])
        title.set_text(f"{run.name}, replication {replication}: {state}")
        title.set_color(POLICY if active else "black")
        return [scatter, *bars]

    periods = frame_periods(run.horizon)
    anim = FuncAnimation(fig, draw, frames=periods, blit=False, repeat=False)
    return fig, anim


def write_animation(run: RunData, path: Path, replication: int = 0) -> Path:
    """Write the animated GIF to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    _fig, anim = animation_figure(run, replication)
    try:
        anim.save(tmp, writer=PillowWriter(fps=FPS), dpi=DPI)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
