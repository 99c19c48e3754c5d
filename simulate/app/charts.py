"""The page's charts: Vega-Lite through Altair (bundled with Streamlit, drawn in the
browser with hover values; nothing is fetched from the network).

Each function takes the tables of :mod:`simulate.app.runs` and returns a chart; the
page only displays it. ``large`` sets projector-sized fonts (the classroom view).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from simulate.app.runs import EDITED, UNCHANGED

SIDE_COLOURS = {UNCHANGED: "#7f7f7f", EDITED: "#1f77b4"}
POLICY_COLOUR = "#d62728"
TEAM_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _sides() -> alt.Scale:
    return alt.Scale(domain=list(SIDE_COLOURS), range=list(SIDE_COLOURS.values()))


def _size(chart: alt.TopLevelMixin, large: bool) -> alt.TopLevelMixin:
    if not large:
        return chart.configure_legend(orient="top")
    return (
        chart.configure_axis(labelFontSize=18, titleFontSize=20)
        .configure_legend(labelFontSize=18, titleFontSize=18, orient="top", symbolSize=200)
        .configure_title(fontSize=26)
        .configure_header(labelFontSize=20, titleFontSize=20)
    )


def _number_format(values: pd.Series) -> str:
    top = float(values.abs().max()) if len(values) else 0.0
    return ",.0f" if top >= 100 else ".4~g"


def phase_layers(phases: pd.DataFrame, horizon: int) -> list[alt.Chart]:
    """Each policy's months in force shaded, its start and end as lines (hover: names)."""
    if phases.empty:
        return []
    spans = (
        phases.groupby(["start", "end"], sort=False)["policy"]
        .apply(lambda names: ", ".join(dict.fromkeys(names)))
        .reset_index()
    )
    spans["x"], spans["x2"] = spans["start"] - 0.5, spans["end"] + 0.5
    shade = (
        alt.Chart(spans)
        .mark_rect(color=POLICY_COLOUR, opacity=0.07)
        .encode(
            x="x:Q",
            x2="x2:Q",
            tooltip=[
                alt.Tooltip("policy:N", title="in force"),
                alt.Tooltip("start:Q", title="from month"),
                alt.Tooltip("end:Q", title="to month"),
            ],
        )
    )
    starts = spans[spans["start"] > 1].assign(at=lambda d: d["start"] - 0.5, what="starts")
    ends = spans[spans["end"] < horizon].assign(at=lambda d: d["end"] + 0.5, what="ends")
    marks = pd.concat([starts, ends], ignore_index=True)
    layers = [shade]
    if not marks.empty:
        layers.append(
            alt.Chart(marks)
            .mark_rule(color=POLICY_COLOUR, strokeWidth=1.5)
            .encode(
                x="at:Q",
                strokeDash=alt.StrokeDash(
                    "what:N",
                    scale=alt.Scale(domain=["starts", "ends"], range=[[1, 0], [5, 4]]),
                    legend=None,
                ),
                tooltip=[alt.Tooltip("policy:N"), alt.Tooltip("what:N", title="")],
            )
        )
    return layers


def trajectory_chart(
    bands: pd.DataFrame,
    phases: pd.DataFrame,
    *,
    title: str,
    unit: str,
    horizon: int,
    upto: int | None = None,
    large: bool = False,
) -> alt.TopLevelMixin:
    """Organisation trajectory per month: a line per side with its 95% band, the policy
    phases shaded; ``upto`` shows months up to it only (stepping through a run)."""
    data = bands if upto is None else bands[bands["month"] <= upto]
    fmt = _number_format(bands["mean"])
    x = alt.X(
        "month:Q",
        scale=alt.Scale(domain=[0.5, horizon + 0.5], nice=False),
        axis=alt.Axis(tickMinStep=1, format="d"),
        title="month",
    )
    lows, highs = bands["low"].dropna(), bands["high"].dropna()
    low = min(bands["mean"].min(), lows.min() if len(lows) else bands["mean"].min())
    high = max(bands["mean"].max(), highs.max() if len(highs) else bands["mean"].max())
    pad = 0.05 * (high - low) if high > low else abs(high) * 0.05 or 1.0
    y_scale = alt.Scale(domain=[low - pad, high + pad], nice=False, zero=False)
    colour = alt.Color("side:N", scale=_sides(), title="")
    band = (
        alt.Chart(data)
        .mark_area(opacity=0.2)
        .encode(x=x, y=alt.Y("low:Q", scale=y_scale, title=unit), y2="high:Q", color=colour)
    )
    line = (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=30 if not large else 80))
        .encode(
            x=x,
            y=alt.Y("mean:Q", scale=y_scale, title=unit),
            color=colour,
            tooltip=[
                alt.Tooltip("side:N"),
                alt.Tooltip("month:Q"),
                alt.Tooltip("mean:Q", format=fmt, title="mean"),
                alt.Tooltip("low:Q", format=fmt, title="95% CI low"),
                alt.Tooltip("high:Q", format=fmt, title="95% CI high"),
            ],
        )
    )
    layers = [*phase_layers(phases, horizon), band, line]
    chart = alt.layer(*layers).properties(
        title=title, height=420 if large else 300, width="container"
    )
    return _size(chart.resolve_scale(strokeDash="independent"), large)


def income_chart(income: pd.DataFrame, *, large: bool = False) -> alt.TopLevelMixin:
    """Mean income per physician per month by component, unchanged beside edited."""
    chart = (
        alt.Chart(income)
        .mark_bar()
        .encode(
            x=alt.X("component:N", title="", sort=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("side:N", sort=list(SIDE_COLOURS)),
            y=alt.Y("amount:Q", title="currency per physician per month"),
            color=alt.Color("side:N", scale=_sides(), title=""),
            tooltip=[
                alt.Tooltip("side:N"),
                alt.Tooltip("component:N"),
                alt.Tooltip("amount:Q", format=",.0f"),
            ],
        )
        .properties(title="Income by component", height=300, width="container")
    )
    return _size(chart, large)


def quadrant_chart(points: pd.DataFrame, *, start: str, end: str) -> alt.TopLevelMixin:
    """Cost against QALYs per episode per physician, an arrow (line to a dot) from
    ``start`` to ``end``, one panel per team (each case mix its own scale)."""
    charts = []
    teams = list(dict.fromkeys(points["team"]))
    for k, team in enumerate(teams):
        group = points[points["team"] == team]
        colour = TEAM_COLOURS[k % len(TEAM_COLOURS)]
        tips = [
            alt.Tooltip("unit:N", title="physician"),
            alt.Tooltip("cost_start:Q", format=",.0f", title=f"cost per episode, {start}"),
            alt.Tooltip("cost_end:Q", format=",.0f", title=f"cost per episode, {end}"),
            alt.Tooltip("qalys_start:Q", format=".4f", title=f"QALYs per episode, {start}"),
            alt.Tooltip("qalys_end:Q", format=".4f", title=f"QALYs per episode, {end}"),
        ]
        x = alt.X(
            "cost_start:Q", title="cost per episode (left is cheaper)", scale=alt.Scale(zero=False)
        )
        y = alt.Y(
            "qalys_start:Q", title="QALYs per episode (up is better)", scale=alt.Scale(zero=False)
        )
        move = (
            alt.Chart(group)
            .mark_rule(color=colour, strokeWidth=1.5)
            .encode(x=x, y=y, x2="cost_end:Q", y2="qalys_end:Q", tooltip=tips)
        )
        before = (
            alt.Chart(group)
            .mark_point(color=colour, opacity=0.5, size=30)
            .encode(x=x, y=y, tooltip=tips)
        )
        after = (
            alt.Chart(group)
            .mark_circle(color=colour, size=90)
            .encode(
                x=alt.X("cost_end:Q", scale=alt.Scale(zero=False)),
                y=alt.Y("qalys_end:Q", scale=alt.Scale(zero=False)),
                tooltip=tips,
            )
        )
        charts.append(
            alt.layer(move, before, after).properties(
                title=f"{team}: open {start}, filled {end}", width=320, height=280
            )
        )
    return alt.hconcat(*charts) if charts else alt.Chart(pd.DataFrame()).mark_point()


def styles_chart(
    styles: pd.DataFrame, month: int, *, trail: int = 4, large: bool = False
) -> alt.TopLevelMixin:
    """Practice styles at ``month``: intensity against quality effort per physician,
    with a trail over the previous ``trail`` months; axes fixed over the whole run."""
    x_scale = alt.Scale(domain=_domain(styles["intensity"]), nice=False)
    y_scale = alt.Scale(domain=_domain(styles["quality_effort"]), nice=False)
    recent = styles[(styles["month"] <= month) & (styles["month"] >= month - trail)]
    now = styles[styles["month"] == month]
    teams = list(dict.fromkeys(styles["team"]))
    colour = alt.Color(
        "team:N",
        scale=alt.Scale(domain=teams, range=list(TEAM_COLOURS[: len(teams)])),
        title="team",
    )
    x = alt.X(
        "intensity:Q", scale=x_scale, title="intensity (resources per episode, 1 = guideline)"
    )
    y = alt.Y("quality_effort:Q", scale=y_scale, title="quality effort (0-1)")
    trails = (
        alt.Chart(recent)
        .mark_line(opacity=0.45, strokeWidth=3 if large else 1.5)
        .encode(x=x, y=y, color=colour, detail="physician:N", order="month:Q")
    )
    dots = (
        alt.Chart(now)
        .mark_circle(size=260 if large else 90, opacity=0.9)
        .encode(
            x=x,
            y=y,
            color=colour,
            tooltip=[
                alt.Tooltip("physician:N"),
                alt.Tooltip("intensity:Q", format=".3f"),
                alt.Tooltip("quality_effort:Q", format=".3f"),
            ],
        )
    )
    chart = alt.layer(trails, dots).properties(
        title=f"Practice styles, month {month} (trails: {trail} months before)",
        height=520 if large else 340,
        width="container",
    )
    return _size(chart, large)


def ranks_chart(ranks: pd.DataFrame, month: int, *, large: bool = False) -> alt.TopLevelMixin:
    """Each physician's rank by value within the team, month by month up to ``month``
    (1 = best, on top), one panel per team."""
    horizon = int(ranks["month"].max())
    shown = ranks[ranks["month"] <= month]
    panels = []
    for team in dict.fromkeys(ranks["team"]):
        group = shown[shown["team"] == team]
        size = int(ranks.loc[ranks["team"] == team, "rank"].max())
        x = alt.X("month:Q", scale=alt.Scale(domain=[1, horizon], nice=False), title="month")
        y = alt.Y(
            "rank:Q",
            scale=alt.Scale(domain=[size + 0.5, 0.5], nice=False),
            axis=alt.Axis(tickMinStep=1, format="d"),
            title="rank in team (1 = best value)",
        )
        colour = alt.Color("physician:N", title="physician", legend=None)
        lines = (
            alt.Chart(group)
            .mark_line(strokeWidth=3 if large else 1.5)
            .encode(x=x, y=y, color=colour, detail="physician:N")
        )
        last = group[group["month"] == month]
        dots = (
            alt.Chart(last)
            .mark_circle(size=200 if large else 70)
            .encode(
                x=x,
                y=y,
                color=colour,
                tooltip=[
                    alt.Tooltip("physician:N"),
                    alt.Tooltip("rank:Q", format="d"),
                    alt.Tooltip("value:Q", format=".4f", title="value (3-month rolling)"),
                ],
            )
        )
        names = (
            alt.Chart(last)
            .mark_text(align="left", dx=8, fontSize=18 if large else 11)
            .encode(x=x, y=y, text="physician:N", color=colour)
        )
        panels.append(
            alt.layer(lines, dots, names).properties(
                title=f"{team}: value ranks up to month {month}",
                height=300 if large else 200,
                width=800 if large else 520,
            )
        )
    return _size(alt.vconcat(*panels), large)


def _domain(values: pd.Series) -> list[float]:
    low, high = float(values.min()), float(values.max())
    pad = 0.05 * (high - low) if high > low else 0.05
    return [low - pad, high + pad]
