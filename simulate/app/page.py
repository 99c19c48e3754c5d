"""The Streamlit script of ``simulate app``: layout and widgets only.

The numbers come from :mod:`simulate.app.runs`, the controls from
:mod:`simulate.app.levers`, the charts from :mod:`simulate.app.charts`. The scenario is
named in the environment variable ``VALUESIM_APP_SOURCE`` (``simulate app`` sets it).
"""

from __future__ import annotations

import time

import streamlit as st

from simulate.accounts.catalogue import higher_is_better
from simulate.accounts.metrics import METRIC_UNITS
from simulate.app import charts
from simulate.app import levers as L
from simulate.app import runs as R
from simulate.app import source as S
from simulate.app import tables as T
from simulate.app.sections import trajectories
from simulate.errors import ScenarioError
from simulate.experiment.coverage import comparison_extrapolation_warnings

WHAT_IF, CLASSROOM = "What-if", "Classroom"
DECISION, TRAJECTORIES, PHYSICIANS, INCOME, QUADRANT, LOG = SECTIONS = (
    "Decision",
    "Trajectories",
    "Physicians",
    "Income",
    "Value quadrant",
    "Session log and downloads",
)
CLASSROOM_CHARTS = (
    "Practice styles",
    "Value ranks within team",
    "Value over time",
    "Cost per episode over time",
)
LARGE_FONTS = """
<style>
.stApp p, .stApp li, .stApp label, .stApp .stMarkdown, .stApp button
  {font-size: 1.45rem !important;}
.stApp h1 {font-size: 3rem !important;} .stApp h2 {font-size: 2.4rem !important;}
</style>
"""


def error_line(error: ScenarioError) -> str:
    """The one-line message the command line prints for ``error``."""
    return f"error: {error.format()}"


def load() -> S.Loaded | None:
    """The scenario named by ``simulate app`` (once per session)."""
    if "loaded" not in st.session_state:
        try:
            st.session_state.loaded = S.load_source(**_source_arguments())
        except ScenarioError as error:
            st.error(error_line(error))
            return None
    return st.session_state.loaded


def _source_arguments() -> dict:
    chosen = S.Source.from_env()
    return {"source": chosen.source, "overrides": chosen.overrides}


def lever_widget(lever: L.Lever) -> None:
    """The widget of one lever (its value lives in the session under ``lever.key``)."""
    if lever.key not in st.session_state:
        st.session_state[lever.key] = lever.value
    label = f"{lever.label} ({lever.unit})"
    common = {"key": lever.key, "help": lever.help}
    if lever.kind in (L.NUMBER, L.MEAN, L.INTEGER, L.MONTH):
        st.number_input(
            label,
            min_value=lever.minimum,
            max_value=lever.maximum,
            step=lever.step,
            format=lever.number_format,
            placeholder="to the end" if lever.kind == L.MONTH else "none",
            **common,
        )
    elif lever.kind == L.CHOICE:
        st.selectbox(label, options=list(lever.choices), **common)
    elif lever.kind == L.CHOICES:
        st.multiselect(label, options=list(lever.choices), **common)
    elif lever.kind == L.FLAG:
        st.checkbox(label, **common)


def reset(lever_list: list[L.Lever]) -> None:
    for lever in lever_list:
        st.session_state[lever.key] = lever.value


def lever_panel(lever_list: list[L.Lever]) -> None:
    """The levers in expandable groups, two columns."""
    groups: dict[str, list[L.Lever]] = {}
    for lever in lever_list:
        groups.setdefault(lever.group, []).append(lever)
    columns = st.columns(2)
    for k, (group, members) in enumerate(groups.items()):
        with columns[k % 2].expander(group, expanded=k < 2):
            for lever in members:
                lever_widget(lever)


def shown_values(lever_list: list[L.Lever]) -> dict:
    return {lever.key: st.session_state.get(lever.key, lever.value) for lever in lever_list}


def run_button(what_if: R.WhatIf | None) -> None:
    """Run: both sides, progress bar, the result kept in the session log."""
    pressed = st.sidebar.button(
        "Run edited against unchanged",
        type="primary",
        disabled=what_if is None,
        key="run",
        help="Runs the edited and the unchanged scenario with the same patients (common "
        "random numbers) and compares them, as simulate compare does.",
    )
    if not pressed or what_if is None:
        return
    total = 2 * int(what_if.unchanged.replications)
    bar = st.sidebar.progress(0.0, text=f"0 of {total} replications")
    started = time.perf_counter()
    comparison = R.run_what_if(
        what_if,
        workers=S.workers_from_env(),
        on_done=lambda done: bar.progress(done / total, text=f"{done} of {total} replications"),
    )
    elapsed = time.perf_counter() - started
    bar.progress(1.0, text=f"{total} replications in {elapsed:.1f} s")
    log = st.session_state.setdefault("log", [])
    log.append(R.AppRun(len(log) + 1, what_if, comparison, elapsed))


def fmt(x: float) -> str:
    return R.number_text(x)


def headline_section(run: R.AppRun) -> None:
    head = R.headline(run.comparison)
    value = head.set_index("metric").loc["value"] if "value" in set(head["metric"]) else None
    if value is not None:
        st.markdown(
            f"**Headline, run {run.number}**: value (QALYs per 1,000 of cost) "
            f"unchanged {fmt(value['unchanged'])}, edited {fmt(value['edited'])}, "
            f"difference {R.interval_text(value['difference'], value['ci_low'], value['ci_high'])}"
            " (95% CI)"
        )
    cells = st.columns(len(head))
    for cell, record in zip(cells, head.to_dict("records"), strict=True):
        better = higher_is_better(record["metric"])
        cell.metric(
            record["title"],
            fmt(record["edited"]),
            delta=R.signed_text(record["difference"]),
            delta_color=("normal" if better else "inverse") if record["clear"] else "off",
            help=f"Edited, mean over the window ({record['unit']}); below: edited minus "
            f"unchanged, paired, 95% CI "
            f"{R.interval_text(record['difference'], record['ci_low'], record['ci_high'])} "
            f"(coloured only when the interval excludes 0). Unchanged: "
            f"{fmt(record['unchanged'])}.",
        )
    st.info(f"**Verdict**: {R.verdict(run.comparison)}")
    sides = {v.name: v.scenario for v in run.comparison.variant_set.variants}
    for line in comparison_extrapolation_warnings(sides):
        st.warning(line)  # the same line `simulate compare` prints


def results(run: R.AppRun) -> None:
    """The last run's results in tabs."""
    runs = run.runs
    edited = run.what_if.edited
    first = run.comparison.variant_set.variants[0].scenario
    window = f"months {first.warmup_periods + 1}-{first.horizon_periods}"
    st.subheader(f"Results of run {run.number}")
    st.caption(
        f"{first.replications} replications per side, seed {first.seed}, window {window}; "
        f"{run.elapsed_seconds:.1f} s. Changes: "
        + ("; ".join(c.text() for c in run.what_if.changes) or "none (both sides the same)")
    )
    headline_section(run)
    section = st.radio(
        "Show",
        SECTIONS,
        horizontal=True,
        key="section",
        help="One part of the results at a time (charts are drawn when shown).",
    )
    if section == DECISION:
        st.table(R.decision_table(run.comparison).set_index(""))
        st.dataframe(R.difference_table(run.comparison), hide_index=True)
    elif section == TRAJECTORIES:
        trajectories(runs, edited)
    elif section == PHYSICIANS:
        st.caption(
            "Post-warm-up window, mean across replications; rank by value within the team "
            "(1 = best); bonuses and penalties in currency per month."
        )
        st.dataframe(T.physician_table(runs), hide_index=True)
    elif section == INCOME:
        income = T.income_table(runs)
        st.altair_chart(charts.income_chart(income))
        st.dataframe(
            income.pivot_table(index="component", columns="side", values="amount", sort=False),
        )
    elif section == QUADRANT:
        mode = st.radio(
            "Arrows",
            ["unchanged → edited", "before → with the policy (edited run)"],
            horizontal=True,
            key="quadrant_mode",
        )
        if mode.startswith("unchanged"):
            points, start, end = T.quadrant_sides(runs), "unchanged", "edited"
        else:
            points, start, end = T.quadrant_policy(runs[R.EDITED]), "before", "with the policy"
        st.altair_chart(charts.quadrant_chart(points, start=start, end=end))
    elif section == LOG:
        session_log()
        downloads(run)


def session_log() -> None:
    log = st.session_state.get("log", [])
    st.markdown(f"**Session log**: {len(log)} run{'s' if len(log) != 1 else ''}, side by side")
    table = T.log_table(log)
    shown = table.set_index("run").T
    shown.columns = [f"run {c}" for c in shown.columns]
    st.dataframe(shown.astype(str))
    st.download_button(
        "Download the session log (CSV)",
        table.to_csv(index=False),
        file_name="session_log.csv",
        mime="text/csv",
        key="download_log",
    )


def downloads(run: R.AppRun) -> None:
    name = run.edited_name
    st.download_button(
        f"Download results of run {run.number} (CSV, every metric's paired difference)",
        T.results_csv(run),
        file_name=f"{name}-comparison.csv",
        mime="text/csv",
        key="download_results",
    )
    st.download_button(
        f"Download trajectories of run {run.number} (CSV)",
        T.trajectories_csv(run),
        file_name=f"{name}-trajectories.csv",
        mime="text/csv",
        key="download_trajectories",
    )


def edited_yaml(loaded: S.Loaded, what_if: R.WhatIf) -> str:
    comments = [
        f"Written by simulate app from {loaded.label}; run it with: simulate run FILE",
        *(f"changed: {c.text()}" for c in what_if.changes),
    ]
    return S.scenario_yaml(what_if.edited, comments)


def classroom(loaded: S.Loaded) -> None:
    """Large fonts, one chart at a time, step or play through the months."""
    st.html(LARGE_FONTS)
    log = st.session_state.get("log", [])
    if not log:
        st.title(loaded.scenario.name)
        st.markdown("Press **Run** in the sidebar first; the classroom view shows its result.")
        return
    run = log[-1]
    runs = run.runs
    horizon = run.what_if.edited.horizon_periods
    st.title(f"{loaded.scenario.name}: run {run.number}")
    top = st.columns([2, 1, 1])
    chart = top[0].selectbox("Chart", CLASSROOM_CHARTS, key="classroom_chart")
    side = top[1].radio("Scenario", [R.EDITED, R.UNCHANGED], horizontal=True, key="class_side")
    playing = top[2].toggle("Play", key="playing", help="Advance one month a second.")
    if "month" not in st.session_state:
        st.session_state.month = 1
    fragment = getattr(st, "fragment", None) or st.experimental_fragment

    @fragment(run_every=1.0 if playing else None)
    def view() -> None:
        if st.session_state.get("playing"):
            st.session_state.month = st.session_state.month % horizon + 1
        steps = st.columns([2, 6, 2])
        steps[0].button("◀ back", key="back", on_click=_step, args=(-1, horizon))
        steps[2].button("next ▶", key="forward", on_click=_step, args=(1, horizon))
        month = steps[1].slider("Month", 1, horizon, key="month")
        data = runs[side]
        if chart == "Practice styles":
            figure = charts.styles_chart(T.styles_by_month(data), month, large=True)
        elif chart == "Value ranks within team":
            figure = charts.ranks_chart(T.ranks_by_month(data), month, large=True)
        else:
            metric = "value" if chart.startswith("Value") else "cost_per_episode"
            figure = charts.trajectory_chart(
                T.bands(runs, metric),
                T.phases(run.what_if.edited),
                title=R.TITLES[metric],
                unit=R.AXIS_UNITS.get(metric, METRIC_UNITS.get(metric, metric)),
                horizon=horizon,
                upto=month,
                large=True,
            )
        st.altair_chart(figure)

    view()


def _step(delta: int, horizon: int) -> None:
    st.session_state.month = min(max(st.session_state.get("month", 1) + delta, 1), horizon)


def main() -> None:
    st.set_page_config(page_title="ValueSim what-if", layout="wide")
    loaded = load()
    if loaded is None:
        st.stop()
    scenario = loaded.scenario
    lever_list = L.levers(scenario)
    run_list = L.run_levers(scenario, R.DEFAULT_REPLICATIONS)
    st.sidebar.title("ValueSim what-if")
    st.sidebar.markdown(f"**{scenario.name}** ({loaded.label})")
    st.sidebar.caption(scenario.description)
    for note in loaded.notes:
        st.sidebar.caption(f"note: {note}")
    view = st.sidebar.radio("View", [WHAT_IF, CLASSROOM], horizontal=True, key="view")
    with st.sidebar.expander("Run settings (both sides)", expanded=True):
        for lever in run_list:
            lever_widget(lever)
    what_if = None
    problem = None
    try:
        what_if = R.prepare(
            scenario,
            lever_list,
            shown_values(lever_list + run_list),
            run_list,
            label=f"{scenario.name} (edited on the page)",
        )
    except ScenarioError as error:
        problem = error_line(error)
    run_button(what_if)
    if view == CLASSROOM:
        classroom(loaded)
        return
    st.title(f"What if? {scenario.name}")
    st.caption(
        "Move the levers, then Run: the edited scenario runs against the unchanged one "
        "with the same patients (common random numbers). Months count from 1."
    )
    lever_panel(lever_list)
    st.button("Reset the levers", on_click=reset, args=(lever_list,), key="reset")
    if problem:
        st.error(problem)
    elif what_if is not None:
        changes = what_if.changes
        if changes:
            st.markdown("**Changed**: " + "; ".join(c.text() for c in changes))
        else:
            st.markdown("No lever changed: Run compares the scenario with itself.")
        yaml_text = edited_yaml(loaded, what_if)
        st.session_state.edited_yaml = yaml_text
        st.download_button(
            "Download the edited scenario (YAML, runs with simulate run FILE)",
            yaml_text,
            file_name=f"{what_if.edited.name}.yaml",
            mime="text/yaml",
            key="download_yaml",
        )
    log = st.session_state.get("log", [])
    if log:
        results(log[-1])


main()
