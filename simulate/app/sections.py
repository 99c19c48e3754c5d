"""Parts of the what-if page's results drawn with Streamlit (the page script stays short)."""

from __future__ import annotations

import streamlit as st

from simulate.accounts.metrics import METRIC_UNITS
from simulate.app import charts
from simulate.app import runs as R
from simulate.app import tables as T


def trajectories(runs, edited) -> None:
    """The key trajectories, edited against unchanged, two charts a row."""
    phases = T.phases(edited)
    columns = st.columns(2)
    for k, metric in enumerate(R.TRAJECTORY_METRICS):
        table = T.bands(runs, metric)
        if table.empty:
            continue
        with columns[k % 2]:
            st.altair_chart(
                charts.trajectory_chart(
                    table,
                    phases,
                    title=R.TITLES.get(metric, metric) + ": mean and 95% band",
                    unit=R.AXIS_UNITS.get(metric, METRIC_UNITS.get(metric, metric)),
                    horizon=edited.horizon_periods,
                )
            )
    st.caption(
        "Shaded: months the edited scenario's policies are in force; a solid red line "
        "where one starts, dashed where one ends. Hover for the values."
    )
