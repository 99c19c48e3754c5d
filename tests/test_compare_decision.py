"""The decision in words (simulate/compare/decision.py), by hand-made records."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulate.compare.decision import (
    CLINICAL_METRICS,
    COST_EFFECTIVE,
    NOT_COST_EFFECTIVE,
    UNCERTAIN,
    decide,
    detectable,
    quadrant,
    same_care,
    threshold_decision,
    verdict,
)
from simulate.formatting import percent


def record(dc, dc_ci, dq, dq_ci, *, ref_cost=1000.0, ref_qalys=10.0, nmb=None) -> dict:
    """A cost_effectiveness row: increments with CIs, relative changes, ICER, NMB at 20,000."""
    icer = dc / dq if dq else math.nan
    row = {
        "incremental_cost": dc,
        "incremental_cost_ci_low": dc_ci[0],
        "incremental_cost_ci_high": dc_ci[1],
        "relative_cost": dc / ref_cost,
        "incremental_qalys": dq,
        "incremental_qalys_ci_low": dq_ci[0],
        "incremental_qalys_ci_high": dq_ci[1],
        "relative_qalys": dq / ref_qalys,
        "icer": icer,
    }
    low, high = nmb if nmb is not None else (20_000 * dq_ci[0] - dc_ci[1], 20_000 * dq_ci[1])
    row |= {"incremental_nmb_20000_ci_low": low, "incremental_nmb_20000_ci_high": high}
    return row


@pytest.mark.parametrize(
    "low, high, sign", [(1, 2, 1), (-2, -1, -1), (-1, 1, 0), (0, 0, 0), (math.nan, math.nan, 0)]
)
def test_detectable_means_the_interval_excludes_zero(low, high, sign):
    assert detectable(low, high) == sign


def test_threshold_decision_from_the_nmb_interval():
    assert threshold_decision(5.0, 50.0) == COST_EFFECTIVE
    assert threshold_decision(-50.0, -5.0) == NOT_COST_EFFECTIVE
    assert threshold_decision(-5.0, 50.0) == UNCERTAIN


def test_quadrants_in_words():
    # cheaper by 200 of 1,000 (-20%) and 0.6 of 10 QALYs fewer (-6%): 333 saved per QALY lost
    cheaper_worse = record(-200.0, (-250.0, -150.0), -0.6, (-0.7, -0.5))
    assert quadrant(cheaper_worse) == (
        "cheaper (cost -20%) and worse (QALYs -6%): 333 saved per QALY lost"
    )
    dominates = record(-200.0, (-250.0, -150.0), 0.6, (0.5, 0.7))
    assert quadrant(dominates).startswith("dominates: cheaper (cost -20%) and better")
    dominated = record(50.0, (10.0, 90.0), -0.1, (-0.2, -0.05))
    assert quadrant(dominated).startswith("dominated: costlier (cost +5%)")
    costlier_better = record(100.0, (50.0, 150.0), 0.01, (0.005, 0.015))
    assert quadrant(costlier_better).endswith("10,000 per QALY gained")
    cost_only = record(-20.0, (-30.0, -10.0), 0.01, (-0.1, 0.12))
    assert quadrant(cost_only) == "cheaper (cost -2%), no detectable difference in QALYs"
    qalys_only = record(5.0, (-10.0, 20.0), 0.5, (0.2, 0.8))
    assert quadrant(qalys_only) == "better (QALYs +5%), no detectable difference in cost"
    nothing = record(5.0, (-10.0, 20.0), 0.0, (-0.1, 0.1))
    assert quadrant(nothing) == "no detectable difference in cost or QALYs"
    one = record(5.0, (math.nan, math.nan), 0.1, (math.nan, math.nan))
    assert quadrant(one).startswith("one replication")


def test_verdict_groups_thresholds_and_flags_same_care():
    row = record(-200.0, (-250.0, -150.0), -0.6, (-0.7, -0.5), nmb=(100.0, 300.0))
    row |= {"incremental_nmb_30000_ci_low": -100.0, "incremental_nmb_30000_ci_high": 50.0}
    text = verdict(row, [20_000.0, 30_000.0], ["bundled"])
    assert text == (
        "cheaper (cost -20%) and worse (QALYs -6%): 333 saved per QALY lost; "
        "cost-effective at 20,000 per QALY; uncertain at 30,000 per QALY; "
        "same care as bundled: differs only in payments"
    )


def test_percent_keeps_two_significant_digits_below_ten():
    assert [percent(x) for x in (-0.2, 0.0041, -0.058, math.nan)] == [
        "-20%",
        "+0.41%",
        "-5.8%",
        "n/a",
    ]


def _window(values: dict[str, list[float]]) -> pd.DataFrame:
    """window.csv of variants with the given QALYs per replication, all else equal."""
    frames = []
    for name, qalys in values.items():
        frame = pd.DataFrame({m: 1.0 for m in CLINICAL_METRICS}, index=range(len(qalys)))
        frame["qalys"] = qalys
        frame["payment_total"] = np.arange(len(qalys)) + len(frames)  # payments always differ
        frames.append(frame.assign(variant=name, replication=range(len(qalys))))
    return pd.concat(frames, ignore_index=True)


def test_same_care_compares_every_clinical_metric_in_every_replication():
    window = _window({"a": [1.0, 2.0], "b": [1.0, 2.0], "c": [1.0, 2.0000001]})
    assert same_care(window, ["a", "b", "c"]) == {"a": ("b",), "b": ("a",), "c": ()}
    assert "payment_total" not in CLINICAL_METRICS and "qalys" in CLINICAL_METRICS


def test_decide_adds_the_decision_columns():
    table = pd.DataFrame(
        [
            {"variant": "ref", **record(0.0, (0.0, 0.0), 0.0, (0.0, 0.0))},
            {"variant": "x", **record(-200.0, (-250.0, -150.0), 0.6, (0.5, 0.7))},
        ]
    )
    decided = decide(table, _window({"ref": [1.0, 2.0], "x": [1.0, 2.0]}), "ref", [20_000.0])
    assert list(decided["decision_20000"]) == ["", COST_EFFECTIVE]
    assert list(decided["same_care_as"]) == ["x", "ref"]
    assert decided["verdict"].iloc[0] == "reference; same care as x"
    assert decided["verdict"].iloc[1].startswith("dominates")
