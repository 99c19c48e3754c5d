"""Organisation-level metric values over the post-warm-up window, one per replication."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simulate.accounts.metrics import METRICS, compute_metrics
from simulate.model.result import ReplicationResult
from simulate.output.tables import Units, result_unit_sums
from simulate.scenario.models import Scenario


def window_values(scenario: Scenario, results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """One row per replication: each metric over the periods after warm-up.

    The same computation as ``summary.csv`` (organisation row): flows are means per
    period (e.g. ``cost`` in currency units per period, ``qalys`` in QALYs per period),
    rates are pooled over the window. Columns: ``replication`` then every metric.
    """
    units = Units.of(scenario)
    warm = scenario.warmup_periods
    periods = scenario.horizon_periods - warm
    rows = []
    for result in results:
        sums, hists, team_sums = result_unit_sums(result, units.n_teams)
        org = len(units.name) - 1
        window = compute_metrics(
            sums[warm:, org].sum(axis=0),
            hists[warm:, org].sum(axis=0),
            team_sums[warm:, org].sum(axis=0),
            float(periods),
            periods * scenario.period_days,
            scenario.metrics.wait_target_days,
        )
        rows.append(
            {
                "replication": result.replication,
                **{m: float(np.asarray(window[m])) for m in METRICS},
            }
        )
    return pd.DataFrame(rows, columns=["replication", *METRICS])
