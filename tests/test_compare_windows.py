"""Windows of months, the policy phases, and metrics per unit and subgroup over a window
(`simulate.compare.window`, `simulate.compare.subgroups`), on hand-built ledgers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from simulate.accounts.ledger import PHYSICIAN_FIELDS, TEAM_FIELDS, F, T
from simulate.accounts.metrics import METRICS
from simulate.accounts.wait_histogram import N_BINS
from simulate.compare.subgroups import (
    NO_BASELINE,
    baseline_window,
    parse_by,
    quartile_index,
    subgroups,
)
from simulate.compare.window import (
    PolicySpan,
    Window,
    check_windows,
    comparison_windows,
    parse_window,
    phase_windows,
    policy_windows,
    unit_window_values,
    window_values,
)
from simulate.errors import ScenarioError
from simulate.model.result import ReplicationResult
from simulate.output.tables import summary_table
from simulate.scenario import load_scenario

SHORT = ["horizon_periods=4", "warmup_periods=1"]
TEAM = np.array([0] * 6 + [1] * 5)  # baseline_ffs: 6 in orthopaedics, 5 in medicine


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("baseline_ffs", SHORT)


def ledger(replication: int = 0, periods: int = 4, scale: float = 1.0) -> ReplicationResult:
    """A hand-made record: physician i in period p has 1 + i + p episodes costing
    1000 (i + 1) (p + 1) x scale in all, 1 readmission when i is even; team t receives
    10 (t + 1) + p new patients."""
    n = len(TEAM)
    physician = np.zeros((periods, n, len(PHYSICIAN_FIELDS)))
    for p in range(periods):
        for i in range(n):
            physician[p, i, F["episodes"]] = 1 + i + p
            physician[p, i, F["cost"]] = 1000.0 * (i + 1) * (p + 1) * scale
            physician[p, i, F["readmissions"]] = 1.0 if i % 2 == 0 else 0.0
    team = np.zeros((periods, 2, len(TEAM_FIELDS)))
    for p in range(periods):
        for t in range(2):
            team[p, t, T["arrivals"]] = 10 * (t + 1) + p
    return ReplicationResult(
        replication=replication,
        physician=physician,
        wait_hist=np.zeros((periods, n, N_BINS), dtype=np.int32),
        team=team,
        physician_team=TEAM.copy(),
        traits={},
        style={},
    )


def episodes(i: int, p: int) -> float:
    return 1 + i + p


def cost(i: int, p: int) -> float:
    return 1000.0 * (i + 1) * (p + 1)


# --- windows ---------------------------------------------------------------------------


def test_a_window_parses_from_name_first_last_in_months_from_one():
    window = parse_window("during=13-30")
    assert window == Window("during", 13, 30)
    assert window.periods == range(12, 30) and window.months == 18
    assert parse_window(" after = 37 - 48 ") == Window("after", 37, 48)
    assert window.label(365.25 / 12) == "during (months 13-30)"


@pytest.mark.parametrize("text", ["during", "during=13", "=1-2", "13-30", "a=x-y", "a b=1-2"])
def test_bad_window_text_names_the_allowed_form(text):
    with pytest.raises(ScenarioError, match="NAME=FIRST-LAST"):
        parse_window(text)


@pytest.mark.parametrize("text", ["during=30-13", "during=0-5"])
def test_windows_backwards_or_from_month_zero_are_refused(text):
    with pytest.raises(ScenarioError, match="months count from 1"):
        parse_window(text)


def test_windows_must_lie_within_the_horizon_and_have_distinct_names():
    with pytest.raises(ScenarioError, match="ends after the horizon: months run from 1 to 48"):
        check_windows([Window("after", 37, 49)], 48)
    with pytest.raises(ScenarioError, match="given twice"):
        check_windows([Window("a", 1, 2), Window("a", 3, 4)], 48)
    assert check_windows([Window("a", 1, 48)], 48) == (Window("a", 1, 48),)


def test_phases_before_during_after_from_policy_dates():
    spans = [PolicySpan("feedback", 12, 29)]
    assert phase_windows(spans, 6, 48) == (
        Window("before", 7, 12),
        Window("during", 13, 30),
        Window("after", 31, 48),
    )


def test_no_after_while_a_policy_runs_on_and_no_before_when_it_starts_in_warm_up():
    runs_on = [PolicySpan("a", 12, 29), PolicySpan("b", 12, None)]
    assert phase_windows(runs_on, 6, 48) == (Window("before", 7, 12), Window("during", 13, 48))
    ends_at_horizon = [PolicySpan("a", 12, 47)]
    assert [w.name for w in phase_windows(ends_at_horizon, 6, 48)] == ["before", "during"]
    early = [PolicySpan("a", 4, 29)]
    assert phase_windows(early, 6, 48) == (Window("during", 7, 30), Window("after", 31, 48))


def test_a_policy_in_force_from_period_zero_is_not_the_change():
    spans = [PolicySpan("standing rule", 0, None), PolicySpan("feedback", 12, None)]
    assert phase_windows(spans, 6, 36) == (Window("before", 7, 12), Window("during", 13, 36))
    assert phase_windows([PolicySpan("standing", 0, None)], 6, 36) == (Window("during", 7, 36),)


def test_no_policy_gives_one_window_after_warm_up():
    assert phase_windows([], 6, 36) == (Window("all", 7, 36),)


def test_policy_windows_read_rules_and_peer_pressure_of_a_scenario():
    peer = load_scenario(
        "peer_comparison",
        ["horizon_periods=48", "peer_pressure.end_period=29", "warmup_periods=6"],
    )
    # published at the close of period 12 (month 13): shapes months 14 to 31
    assert policy_windows(peer) == (
        Window("before", 7, 13),
        Window("during", 14, 31),
        Window("after", 32, 48),
    )
    ffs = load_scenario("baseline_ffs")
    everything = Window("all", ffs.warmup_periods + 1, ffs.horizon_periods)
    assert policy_windows(ffs) == (everything,)
    p4p = load_scenario("p4p_readmissions", ["horizon_periods=48", "warmup_periods=6"])
    both = comparison_windows([p4p, peer])  # the penalty runs on: no after
    assert both == (Window("before", 7, 12), Window("during", 13, 48))


def test_the_dashboard_headline_uses_the_same_phases():
    from simulate.report.scorecard import trend_windows

    data = load_scenario(
        "peer_comparison",
        ["horizon_periods=48", "peer_pressure.end_period=29", "warmup_periods=6"],
    ).model_dump(mode="json")
    trend = trend_windows(SimpleNamespace(warmup=6, horizon=48, scenario=data))
    assert (trend.before, trend.during, trend.ended) == (range(6, 13), range(13, 31), range(31, 48))


# --- values per unit -------------------------------------------------------------------


def test_organisation_values_are_pooled_rates_and_flows_per_period(scenario):
    window = Window("w", 2, 3)  # periods 1 and 2
    table = unit_window_values(scenario, [ledger()], window)
    assert list(table.columns) == ["replication", "unit", *METRICS]
    (row,) = table.to_dict("records")
    total_cost = sum(cost(i, p) for i in range(11) for p in (1, 2))
    total_episodes = sum(episodes(i, p) for i in range(11) for p in (1, 2))
    assert row["unit"] == "organisation"
    assert row["cost"] == pytest.approx(total_cost / 2)
    assert row["episodes"] == pytest.approx(total_episodes / 2)
    assert row["cost_per_episode"] == pytest.approx(total_cost / total_episodes)
    assert row["readmission_rate"] == pytest.approx(6 * 2 / total_episodes)
    assert row["arrivals"] == pytest.approx((11 + 12 + 21 + 22) / 2)


def test_team_and_physician_values(scenario):
    window = Window("w", 2, 3)
    teams = unit_window_values(scenario, [ledger()], window, "team").set_index("unit")
    medicine = range(6, 11)
    cost_med = sum(cost(i, p) for i in medicine for p in (1, 2))
    eps_med = sum(episodes(i, p) for i in medicine for p in (1, 2))
    assert list(teams.index) == ["orthopaedics", "medicine"]
    assert teams.loc["medicine", "cost_per_episode"] == pytest.approx(cost_med / eps_med)
    assert teams.loc["medicine", "arrivals"] == pytest.approx((21 + 22) / 2)
    doctors = unit_window_values(scenario, [ledger()], window, "physician").set_index("unit")
    assert len(doctors) == 11
    assert doctors.loc["medicine.02", "cost"] == pytest.approx((cost(7, 1) + cost(7, 2)) / 2)
    assert np.isnan(doctors.loc["medicine.02", "arrivals"])  # a team-only metric


def test_window_values_match_the_summary_organisation_row(scenario):
    results = [ledger(0), ledger(1, scale=1.5)]
    values = window_values(scenario, results)
    summary = summary_table(scenario, results)
    org = summary[summary["unit"] == "organisation"].set_index("metric")
    for metric in ("cost", "cost_per_episode", "readmission_rate", "arrivals"):
        assert values[metric].mean() == pytest.approx(org.loc[metric, "mean"])


def test_by_team_at_organisation_level_gives_the_team_rows(scenario):
    window = Window("w", 1, 4)
    teams = unit_window_values(scenario, [ledger()], window, "team").set_index("unit")
    by = unit_window_values(scenario, [ledger()], window, by="team").set_index("subgroup")
    assert list(by.columns[:2]) == ["replication", "unit"] and set(by["unit"]) == {"organisation"}
    for metric in ("cost", "cost_per_episode", "readmission_rate", "arrivals"):
        assert by.loc["medicine", metric] == pytest.approx(teams.loc["medicine", metric])


def targeted_ledger() -> ReplicationResult:
    result = ledger()
    result.targeted = np.zeros((4, 11), dtype=bool)
    result.targeted[2, [0, 7]] = True  # period 2 = month 3
    return result


def test_targeted_subgroup_is_anyone_targeted_in_a_period_of_the_window(scenario):
    result = targeted_ledger()
    table = unit_window_values(scenario, [result], Window("w", 2, 3), by="targeted")
    rows = table.set_index("subgroup")
    hit = sum(cost(i, p) for i in (0, 7) for p in (1, 2))
    hit_eps = sum(episodes(i, p) for i in (0, 7) for p in (1, 2))
    assert rows.loc["targeted", "cost"] == pytest.approx(hit / 2)
    assert rows.loc["targeted", "cost_per_episode"] == pytest.approx(hit / hit_eps)
    assert np.isnan(rows.loc["targeted", "arrivals"])
    rest = sum(cost(i, p) for i in range(11) if i not in (0, 7) for p in (1, 2))
    assert rows.loc["untargeted", "cost"] == pytest.approx(rest / 2)
    early = unit_window_values(scenario, [result], Window("early", 1, 2), by="targeted")
    assert list(early["subgroup"]) == ["untargeted"]  # no one targeted in months 1-2
    teams = unit_window_values(scenario, [result], Window("w", 2, 3), "team", by="targeted")
    assert list(zip(teams["unit"], teams["subgroup"], strict=True)) == [
        ("orthopaedics", "targeted"),
        ("medicine", "targeted"),
        ("orthopaedics", "untargeted"),
        ("medicine", "untargeted"),
    ]
    medicine = teams[(teams["unit"] == "medicine") & (teams["subgroup"] == "targeted")]
    assert medicine["cost"].iloc[0] == pytest.approx((cost(7, 1) + cost(7, 2)) / 2)


def test_by_targeted_without_targeting_is_an_error(scenario):
    with pytest.raises(ScenarioError, match="no rule in the scenario targets physicians"):
        unit_window_values(scenario, [ledger()], Window("w", 1, 4), by="targeted")


# --- subgroups -------------------------------------------------------------------------


def test_quartiles_rank_from_the_lowest_and_keep_missing_apart():
    values = np.array([5, 1, np.nan, 3, 2, 4, 8, 7, 6], dtype=float)
    # 8 defined values: ranks 0..7 -> quartile floor(4 k / 8) = k // 2
    expected = [2, 0, 4, 1, 0, 1, 3, 3, 2]
    assert quartile_index(values).tolist() == expected


def test_baseline_quartiles_come_from_the_baseline_window(scenario):
    result = ledger()
    result.physician[0, :, F["cost"]] *= np.arange(11, 0, -1)  # month 1 only
    by = "baseline-quartile:cost_per_episode"
    groups = subgroups(by, scenario, [result], Window("w", 2, 4), Window("baseline", 1, 1))
    # cost per episode in month 1 = 1000 (i + 1)(11 - i) / (1 + i) = 1000 (11 - i):
    # physician 10 ranks 0 (lowest), physician 0 ranks 10; quartile floor(4 k / 11)
    assert groups.of(0).tolist() == [3, 3, 2, 2, 2, 1, 1, 1, 0, 0, 0]
    assert groups.labels == ("Q1", "Q2", "Q3", "Q4", NO_BASELINE)
    table = unit_window_values(scenario, [result], Window("w", 2, 4), groups=groups)
    q1 = table.set_index("subgroup").loc["Q1"]
    assert q1["cost"] == pytest.approx(sum(cost(i, p) for i in (8, 9, 10) for p in (1, 2, 3)) / 3)
    # quintiles: floor(5 k / 11), k = 10 - i
    fifths = subgroups(
        "baseline-quantile:cost_per_episode:5",
        scenario,
        [result],
        Window("w", 2, 4),
        Window("baseline", 1, 1),
    )
    assert fifths.of(0).tolist() == [4, 4, 3, 3, 2, 2, 1, 1, 0, 0, 0]
    assert fifths.labels == ("Q1", "Q2", "Q3", "Q4", "Q5", NO_BASELINE)


def test_parse_by_lists_what_is_allowed():
    assert parse_by("team") == ("team", None)
    assert parse_by("baseline-quartile:cost") == ("baseline-quartile", "cost")
    with pytest.raises(
        ScenarioError,
        match="team, targeted, baseline-quartile:METRIC or baseline-quantile:METRIC:K",
    ):
        parse_by("ward")
    with pytest.raises(ScenarioError, match=r"'nope' is not a metric; allowed: .*cost_per_episode"):
        parse_by("baseline-quartile:nope")


def test_baseline_window_is_before_the_policy():
    peer = load_scenario("peer_comparison", ["horizon_periods=24", "warmup_periods=6"])
    # the dashboard first published at the close of month 13 shapes month 14 on
    assert baseline_window([peer]) == Window("baseline", 7, 13)
    early = load_scenario("peer_comparison", ["horizon_periods=24", "warmup_periods=13"])
    assert baseline_window([early]) == Window("baseline", 1, 13)  # before the start
    with pytest.raises(ScenarioError, match="--window baseline=FIRST-LAST"):
        baseline_window([load_scenario("baseline_ffs")])
