"""Incentive rules running inside the simulated world.

``test_rules.py`` checks each rule on hand-made metric values. Here the rules run in
the SimPy world and every figure is recomputed from the run itself: metric values from
the ledger sums each replication keeps (``result.replications[k].physician``, fields
named by ``simulate.accounts.ledger.F``), amounts from the scenario's rule parameters, and
compared with what the tables report (payments, trajectories). Scenarios are the short
baseline (6 periods unless stated, 2 replications) with rules added; physicians keep
their practice style, so the rules change money only, never care.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulate
from simulate.accounts.ledger import BASE_PAYMENT_SLICE, PAYMENT_COMPONENTS, F
from simulate.cli import app
from simulate.model.result import ReplicationResult
from simulate.output.store import write_run
from simulate.output.tables import Units
from simulate.scenario.loader import bundled_dir
from simulate.scenario.models import Scenario

COMPONENTS = (*PAYMENT_COMPONENTS, "incentives")
KEYS = ["replication", "period", "unit"]


# ----------------------------------------------------------------------- helpers
def with_rules(short_scenario, name: str, rules: list[dict], *overrides: str) -> Scenario:
    """The short baseline (2 replications unless overridden) paying under ``rules``."""
    base = short_scenario("baseline_ffs", "replications=2", *overrides)
    data = base.model_dump(by_alias=True)
    data["name"] = name
    data["incentives"] = rules
    return Scenario.model_validate(data)


def run_rules(short_scenario, name: str, rules: list[dict], *overrides: str) -> simulate.RunResult:
    return simulate.run(with_rules(short_scenario, name, rules, *overrides), workers=1)


def physician_index(scenario: Scenario) -> dict[str, int]:
    """Physician name in the tables -> index in the ledger."""
    return {name: i for i, name in enumerate(Units.of(scenario).name[: scenario.n_physicians])}


def paid(
    result: simulate.RunResult,
    rule: str,
    keep: Callable[[pd.DataFrame], pd.Series] | None = None,
) -> np.ndarray:
    """Incentive rows of ``rule`` in the payments table summed per [replication, period,
    physician] (0 where there is none); ``keep`` filters the rows first."""
    s = result.scenario
    rows = result.payments
    rows = rows[(rows["component"] == "incentives") & (rows["rule"] == rule)]
    if keep is not None:
        rows = rows[keep(rows)]
    out = np.zeros((s.replications, s.horizon_periods, s.n_physicians))
    np.add.at(
        out,
        (
            rows["replication"].to_numpy(),
            rows["period"].to_numpy(),
            rows["physician"].map(physician_index(s)).to_numpy(),
        ),
        rows["amount"].to_numpy(),
    )
    return out


def total(rep: ReplicationResult, window: range, field: str) -> np.ndarray:
    """Ledger field summed over ``window``, per physician."""
    return rep.physician[window.start : window.stop, :, F[field]].sum(axis=0)


def base_payment(rep: ReplicationResult, window: range) -> np.ndarray:
    """Base payment (every base component) over ``window``, per physician."""
    return rep.physician[window.start : window.stop, :, BASE_PAYMENT_SLICE].sum(axis=(0, 2))


def evaluations(rule: dict, horizon: int) -> list[tuple[int, range]]:
    """(period, window) of each evaluation of ``rule`` within ``horizon``: the close of
    periods start-1+every*k (k = 1, 2, ...) up to end_period, each covering ``every``
    periods."""
    start, every, end = rule.get("start_period", 0), rule.get("every", 1), rule.get("end_period")
    out = []
    k = 1
    while (period := start - 1 + every * k) < horizon and (end is None or period <= end):
        out.append((period, range(period - every + 1, period + 1)))
        k += 1
    return out


def round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def teams_of(rep: ReplicationResult) -> list[np.ndarray]:
    """Physician indices of each team."""
    return [np.flatnonzero(rep.physician_team == t) for t in range(rep.physician_team.max() + 1)]


# ------------------------------------------------------------ money is conserved
MULTI_RULES = [
    {"type": "per_unit", "name": "per_episode", "metric": "episodes", "rate": 40,
     "every": 2, "lag": 1},
    {"type": "target", "name": "team_points", "metric": "complication_rate", "level": "team",
     "risk_adjusted": True, "worst": 0.10, "best": 0.0, "amount": 3000, "every": 3, "lag": 2,
     "split": "episodes"},
    {"type": "shared_savings", "name": "savings", "benchmark": 18000, "min_savings_rate": 0.0,
     "share": 0.2, "two_sided": True, "loss_share": 0.2, "every": 3, "lag": 1,
     "split": "contribution"},
    {"type": "withhold", "name": "withhold", "metric": "value", "share": 0.02,
     "threshold": 0.02, "every": 3},
    {"type": "readmission_penalty", "name": "readmissions", "every": 2, "lag": 3, "scale": 0.5},
    {"type": "tournament", "name": "tournament", "metric": "value", "top_share": 0.2,
     "bonus": 1000, "bottom_share": 0.2, "penalty": 500, "every": 3, "lag": 1},
]  # fmt: skip
"""Rules at physician, team and organisation level, most paid with a lag."""


@pytest.fixture(scope="module")
def multi_run(short_scenario) -> simulate.RunResult:
    return run_rules(short_scenario, "multi_rule", MULTI_RULES, "horizon_periods=12")


@pytest.fixture(scope="module")
def multi_files(multi_run, tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """payments.csv and trajectories.csv of the multi-rule run, as written to disk."""
    directory = tmp_path_factory.mktemp("multi_rule")
    write_run(multi_run.tables(), multi_run.scenario, directory)
    payments = pd.read_csv(directory / "payments.csv", keep_default_na=False)
    trajectories = pd.read_csv(directory / "trajectories.csv")
    return payments, trajectories


def test_the_multi_rule_scenario_exercises_levels_lags_and_the_horizon(multi_run):
    """Guard for the conservation test: every rule pays, at all three levels, with lags,
    and some line items fall due after the horizon."""
    s = multi_run.scenario
    assert {r.level for r in s.incentives} == {"physician", "team", "organisation"}
    assert {r.lag for r in s.incentives} >= {0, 1, 2, 3}
    incentives = multi_run.payments[multi_run.payments["component"] == "incentives"]
    assert set(incentives["rule"]) == set(s.rule_labels)
    for rep in multi_run.replications:
        assert rep.unpaid_line_items
        assert all(item.period >= s.horizon_periods for item in rep.unpaid_line_items)
        assert all(item.period < s.horizon_periods for item in rep.line_items)


def _from_payments(payments: pd.DataFrame) -> pd.DataFrame:
    """Payments rows summed per replication x period x unit (physician, team and
    organisation), one column per component, named as in trajectories."""
    frames = []
    for unit in ("physician", "team", None):
        keys = ["replication", "period"] + ([unit] if unit else [])
        summed = payments.groupby([*keys, "component"])["amount"].sum().unstack(fill_value=0.0)
        summed = summed.reset_index()
        summed["unit"] = summed[unit] if unit else "organisation"
        frames.append(summed.drop(columns=[unit] if unit else []))
    out = pd.concat(frames, ignore_index=True).set_index(KEYS).fillna(0.0)
    return out.rename(columns={c: f"payment_{c}" for c in COMPONENTS})


def test_money_is_conserved_by_period_and_unit(multi_run, multi_files):
    """payments.csv incentive rows, summed per replication x period x physician, equal the
    trajectories' payment_incentives; teams and the organisation equal the sum of their
    physicians (in both tables); payment_total = base components + incentives."""
    payments, trajectories = multi_files
    s = multi_run.scenario
    assert (payments.loc[payments["component"] == "incentives", "rule"] != "").all()
    assert (payments.loc[payments["component"] != "incentives", "rule"] == "").all()
    columns = [f"payment_{c}" for c in COMPONENTS]
    reported = trajectories.set_index(KEYS)[columns]
    summed = _from_payments(payments).reindex(columns=columns, fill_value=0.0)
    assert set(summed.index) <= set(reported.index)  # no line item for an unknown unit
    summed = summed.reindex(reported.index, fill_value=0.0)
    n_units = s.n_physicians + len(s.teams) + 1
    assert len(reported) == s.replications * s.horizon_periods * n_units
    np.testing.assert_allclose(summed.to_numpy(), reported.to_numpy(), rtol=1e-9, atol=1e-6)

    # teams and the organisation in the trajectories are the sums of their physicians
    physicians = trajectories[trajectories["level"] == "physician"]
    for level, keys in (("team", ["team"]), ("organisation", [])):
        rows = trajectories[trajectories["level"] == level]
        rows = rows.set_index(["replication", "period", *keys])[columns].sort_index()
        sums = physicians.groupby(["replication", "period", *keys])[columns].sum().sort_index()
        np.testing.assert_allclose(sums.to_numpy(), rows.to_numpy(), rtol=1e-9, atol=1e-6)

    base = [f"payment_{c}" for c in PAYMENT_COMPONENTS]
    np.testing.assert_allclose(
        trajectories["payment_total"],
        trajectories[base].sum(axis=1) + trajectories["payment_incentives"],
        rtol=1e-12,
        atol=1e-6,
    )
    # the line items paid within the run, and none of those due after it
    paid_items = sum(item.amount for rep in multi_run.replications for item in rep.line_items)
    unpaid = sum(item.amount for rep in multi_run.replications for item in rep.unpaid_line_items)
    assert unpaid != 0
    assert physicians["payment_incentives"].sum() == pytest.approx(paid_items, rel=1e-9)


# ------------------------------------------------- a rule that never comes in force
def late_rules(start: int) -> list[dict]:
    """One rule of each kind, all in force from ``start``."""
    return [
        {"type": "withhold", "metric": "complication_rate", "share": 0.05, "threshold": 0.0,
         "start_period": start},
        {"type": "per_unit", "metric": "episodes", "level": "team", "rate": 10,
         "start_period": start},
        {"type": "tournament", "metric": "value", "top_share": 0.3, "bonus": 500,
         "start_period": start, "every": 2},
        {"type": "readmission_penalty", "start_period": start, "scale": 10.0},
        {"type": "improvement", "metric": "cost_per_episode", "baseline_length": 2,
         "per_unit_improvement": 1.0, "penalise_deterioration": True, "start_period": start},
        {"type": "shared_savings", "benchmark": 50000, "min_savings_rate": 0.0,
         "start_period": start},
    ]  # fmt: skip


def test_rule_starting_after_the_horizon_changes_nothing(short_scenario):
    """Under common random numbers, rules whose start_period is past the last period
    leave every table as the baseline's, exactly, and pay nothing (nor owe anything)."""
    baseline = run_rules(short_scenario, "late_rules", [])
    horizon = baseline.scenario.horizon_periods
    for start in (horizon, horizon + 5):
        late = run_rules(short_scenario, "late_rules", late_rules(start))
        assert len(late.scenario.incentives) == 6
        pd.testing.assert_frame_equal(late.trajectories, baseline.trajectories, check_exact=True)
        pd.testing.assert_frame_equal(late.physicians, baseline.physicians, check_exact=True)
        pd.testing.assert_frame_equal(late.payments, baseline.payments, check_exact=True)
        assert not (late.payments["component"] == "incentives").any()
        assert all(not r.line_items and not r.unpaid_line_items for r in late.replications)
    # the control: the same rules in force within the horizon do pay
    early = run_rules(short_scenario, "late_rules", late_rules(2))
    incentives = early.payments[early.payments["component"] == "incentives"]
    assert set(incentives["rule"]) == set(early.scenario.rule_labels)
    assert not early.trajectories["payment_incentives"].eq(0).all()


# -------------------------------------------------------------------------- timing
TIMED = {"every": 3, "start_period": 4, "end_period": 12, "lag": 2}
RATE = 10.0


@pytest.mark.parametrize("horizon", [13, 14, 16])
def test_timing_every_start_end_and_lag(short_scenario, horizon):
    """every=3, start_period=4, end_period=12, lag=2: evaluated at the close of periods
    start-1+3k (6, 9, 12), paid lag periods later (8, 11, 14); nothing else, nothing
    after end+lag; items due at or after the horizon are kept out of the tables and
    listed in the replication's unpaid_line_items."""
    rules = [
        {"type": "per_unit", "name": "timed", "metric": "episodes", "rate": RATE, **TIMED},
        {"type": "per_unit", "name": "timed_team", "metric": "episodes", "rate": RATE,
         "level": "team", **TIMED},
    ]  # fmt: skip
    result = run_rules(short_scenario, "timed", rules, f"horizon_periods={horizon}")
    lag, end = TIMED["lag"], TIMED["end_period"]
    schedule = evaluations(rules[0], horizon + lag)
    assert [p for p, _ in schedule] == [6, 9, 12]
    due = {p + lag for p, _ in schedule}
    inside = {p for p in due if p < horizon}
    outside = due - inside

    incentives = result.payments[result.payments["component"] == "incentives"]
    assert set(incentives["period"]) == inside
    assert incentives["period"].max() <= end + lag
    traj = result.trajectories
    incentive_periods = set(traj.loc[traj["payment_incentives"] != 0, "period"])
    assert incentive_periods == inside

    individual, team = paid(result, "timed"), paid(result, "timed_team")
    for k, rep in enumerate(result.replications):
        owed_later = {}
        for period, window in schedule:
            episodes = total(rep, window, "episodes")
            if period + lag < horizon:
                np.testing.assert_allclose(individual[k, period + lag], RATE * episodes)
                for members in teams_of(rep):
                    team_amount = RATE * episodes[members].sum() / len(members)
                    np.testing.assert_allclose(team[k, period + lag, members], team_amount)
            else:
                owed_later[period + lag] = RATE * episodes
        unpaid = rep.unpaid_line_items
        assert {item.period for item in unpaid} == outside
        assert all(item.rule in ("timed", "timed_team") for item in unpaid)
        for period, owed in owed_later.items():
            mine = np.zeros(len(owed))
            for item in unpaid:
                if item.rule == "timed" and item.period == period:
                    mine[item.physician] += item.amount
            np.testing.assert_allclose(mine, owed)
        paid_total = sum(item.amount for item in rep.line_items)
        mine = traj[(traj["replication"] == k) & (traj["level"] == "physician")]
        assert mine["payment_incentives"].sum() == pytest.approx(paid_total, rel=1e-9)
    assert bool(outside) == (horizon <= end + lag)


def test_manifest_reports_what_falls_due_after_the_horizon(tmp_path):
    """``simulate run``: payments.csv holds the items due within the run, and
    manifest.json's incentives_due_after_horizon the rest; from the run's own
    trajectories.csv, the two add up to rate x episodes over every evaluated window, and
    the part after the horizon is rate x episodes over the last window (paid at 14 > 12)."""
    rules = [
        {"type": "per_unit", "name": "timed", "metric": "episodes", "rate": RATE, **TIMED},
        {"type": "per_unit", "name": "timed_team", "metric": "episodes", "rate": RATE,
         "level": "team", **TIMED},
    ]  # fmt: skip
    horizon = 13
    path = tmp_path / "timed.yaml"
    path.write_text(
        f"extends: {bundled_dir() / 'baseline_ffs.yaml'}\nname: timed\n"
        f"horizon_periods: {horizon}\nwarmup_periods: 1\nreplications: 2\n"
        f"incentives: {json.dumps(rules)}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["run", str(path), "--workers", "1", "--quiet", "--out", str(out)]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    manifest = json.loads((out / "manifest.json").read_text())
    payments = pd.read_csv(out / "payments.csv", keep_default_na=False)
    trajectories = pd.read_csv(out / "trajectories.csv")
    episodes = trajectories[trajectories["level"] == "organisation"].groupby("period")["episodes"]
    episodes = episodes.sum()  # over both replications
    schedule = evaluations(rules[0], horizon + TIMED["lag"])
    owed = {p + TIMED["lag"]: 2 * RATE * episodes[list(w)].sum() for p, w in schedule}
    after = sum(amount for due, amount in owed.items() if due >= horizon)
    assert after > 0
    assert manifest["incentives_due_after_horizon"] == pytest.approx(after, rel=1e-9)
    incentives = payments[payments["component"] == "incentives"]
    assert incentives["amount"].sum() == pytest.approx(sum(owed.values()) - after, rel=1e-9)


# ---------------------------------------------------------------------- tournament
def window_values(rep: ReplicationResult, window: range) -> np.ndarray:
    """Value (QALYs per 1,000 of cost) per physician over ``window``; NaN without cost."""
    cost = total(rep, window, "cost")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cost > 0, total(rep, window, "qalys") / (cost / 1000.0), np.nan)


def test_tournament_pays_the_top_and_bottom_slots(short_scenario):
    """At each evaluation exactly round-half-up(top_share x n) physicians, the best on value
    over the window, get the bonus and round-half-up(bottom_share x n), the worst, the
    penalty; the total per evaluation is slots x bonus - bottom slots x penalty."""
    rule = {"type": "tournament", "name": "tournament", "metric": "value", "top_share": 0.5,
            "bonus": 1000.0, "bottom_share": 0.3, "penalty": 400.0, "every": 3}  # fmt: skip
    result = run_rules(short_scenario, "tournament_world", [rule], "horizon_periods=9")
    amounts = paid(result, "tournament")
    schedule = evaluations(rule, result.scenario.horizon_periods)
    assert len(schedule) == 3
    evaluated = [p for p, _ in schedule]
    for k, rep in enumerate(result.replications):
        assert not amounts[k, [p for p in range(9) if p not in evaluated]].any()
        for period, window in schedule:
            values = window_values(rep, window)
            ranked = np.flatnonzero(~np.isnan(values))
            n = len(ranked)
            assert len(set(values[ranked])) == n  # continuous values: no ties
            top = round_half_up(rule["top_share"] * n)
            bottom = round_half_up(rule["bottom_share"] * n)
            assert top == math.ceil(rule["top_share"] * n)  # 5.5 -> 6 with 11 physicians
            order = ranked[np.argsort(-values[ranked])]  # best first
            expected = np.zeros(len(values))
            expected[order[:top]] = rule["bonus"]
            expected[order[n - bottom :]] = -rule["penalty"]
            np.testing.assert_array_equal(amounts[k, period], expected)
            assert (amounts[k, period] == rule["bonus"]).sum() == top
            assert (amounts[k, period] == -rule["penalty"]).sum() == bottom
            assert amounts[k, period].sum() == pytest.approx(
                top * rule["bonus"] - bottom * rule["penalty"]
            )


def test_tournament_never_both_rewards_and_penalises_one_physician(short_scenario):
    """top_share + bottom_share <= 1 is allowed, so the top and the bottom must not overlap:
    each physician gets the bonus, the penalty or nothing, never bonus - penalty."""
    rule = {"type": "tournament", "name": "tournament", "metric": "value", "top_share": 0.5,
            "bonus": 1000.0, "bottom_share": 0.5, "penalty": 400.0, "every": 3}  # fmt: skip
    result = run_rules(short_scenario, "tournament_halves", [rule])
    rows = result.payments[result.payments["component"] == "incentives"]
    assert len(rows) > 0
    by_physician = rows.groupby(["replication", "period", "physician"])["amount"].sum()
    assert set(by_physician) <= {rule["bonus"], -rule["penalty"]}
    for _, evaluation in rows.groupby(["replication", "period"]):
        assert len(evaluation) <= result.scenario.n_physicians


# ------------------------------------------------------------- readmission penalty
def test_readmission_penalty_on_observed_over_expected(short_scenario):
    """Each evaluation, a team pays base x min(max_share_of_base, (O/E - 1) x scale), O/E
    its observed over expected readmissions over the window: never more than
    max_share_of_base of its base payment, nothing when O/E <= 1, and split among its
    physicians in proportion to their base payment."""
    rule = {"type": "readmission_penalty", "name": "hrrp", "every": 2, "scale": 0.2,
            "max_share_of_base": 0.03}  # fmt: skip
    result = run_rules(short_scenario, "hrrp_world", [rule], "replications=3")
    amounts = paid(result, "hrrp")
    schedule = evaluations(rule, result.scenario.horizon_periods)
    evaluated = [p for p, _ in schedule]
    outcomes = {"paid": 0, "not_paid": 0, "capped": 0, "below_cap": 0}
    for k, rep in enumerate(result.replications):
        assert not amounts[k, [p for p in range(amounts.shape[1]) if p not in evaluated]].any()
        for period, window in schedule:
            observed = total(rep, window, "readmissions")
            expected = total(rep, window, "expected_readmissions")
            base = base_payment(rep, window)
            for members in teams_of(rep):
                ratio = observed[members].sum() / expected[members].sum()
                team_base = base[members].sum()
                penalty = -amounts[k, period, members].sum()
                share = min(rule["max_share_of_base"], max(0.0, ratio - 1.0) * rule["scale"])
                assert (amounts[k, period, members] <= 0).all()
                assert penalty <= rule["max_share_of_base"] * team_base * (1 + 1e-12)
                assert penalty == pytest.approx(share * team_base, rel=1e-9, abs=1e-9)
                assert (penalty > 0) == (ratio > 1)
                if penalty > 0:
                    np.testing.assert_allclose(
                        amounts[k, period, members] / -penalty,
                        base[members] / team_base,
                        rtol=1e-9,
                    )
                outcomes["paid" if penalty > 0 else "not_paid"] += 1
                if ratio > 1:
                    capped = (ratio - 1) * rule["scale"] > rule["max_share_of_base"]
                    outcomes["capped" if capped else "below_cap"] += 1
    assert min(outcomes.values()) > 0, outcomes  # every branch is exercised


# --------------------------------------------------------------------------- withhold
def test_withhold_takes_a_share_each_period_and_returns_at_most_that(short_scenario):
    """Each period in force every physician loses share x that period's base payment; at
    each evaluation they get back the withheld of the window x achievement (pro rata on
    the crude complication rate between worst and best), never more than was withheld."""
    rule = {"type": "withhold", "name": "withhold", "metric": "complication_rate",
            "share": 0.02, "worst": 0.08, "best": 0.02, "every": 3}  # fmt: skip
    result = run_rules(short_scenario, "withhold_world", [rule], "horizon_periods=9")
    withheld = paid(result, "withhold", lambda rows: rows["amount"] < 0)
    returned = paid(result, "withhold", lambda rows: rows["amount"] > 0)
    schedule = evaluations(rule, result.scenario.horizon_periods)
    evaluated = [p for p, _ in schedule]
    partial = 0
    for k, rep in enumerate(result.replications):
        for period in range(result.scenario.horizon_periods):
            base = base_payment(rep, range(period, period + 1))
            np.testing.assert_allclose(withheld[k, period], -rule["share"] * base, rtol=1e-12)
            if period not in evaluated:
                assert not returned[k, period].any()
        for period, window in schedule:
            held = -withheld[k, window.start : window.stop].sum(axis=0)
            episodes = total(rep, window, "episodes")
            rate = total(rep, window, "complications") / episodes
            achieved = np.clip((rate - rule["worst"]) / (rule["best"] - rule["worst"]), 0, 1)
            np.testing.assert_allclose(returned[k, period], held * achieved, rtol=1e-9)
            assert (returned[k, period] <= held * (1 + 1e-12)).all()
            partial += int(((returned[k, period] > 0) & (returned[k, period] < held)).sum())
    assert partial > 0  # some returns are strictly between nothing and everything


def test_withhold_everyone_beats_is_all_returned(short_scenario):
    """A range every physician beats (complication rate <= 1 <= best): all that is
    withheld over each completed window comes back at evaluation + lag, so the net is zero
    over completed windows; what is withheld after the last one stays withheld."""
    rule = {"type": "withhold", "name": "withhold", "metric": "complication_rate",
            "share": 0.03, "worst": 2.0, "best": 1.0, "every": 3, "start_period": 1,
            "lag": 1}  # fmt: skip
    result = run_rules(short_scenario, "withhold_all_back", [rule], "horizon_periods=8")
    withheld = paid(result, "withhold", lambda rows: rows["amount"] < 0)
    returned = paid(result, "withhold", lambda rows: rows["amount"] > 0)
    horizon, lag, share = result.scenario.horizon_periods, rule["lag"], rule["share"]
    schedule = evaluations(rule, horizon)
    assert [p for p, _ in schedule] == [3, 6]  # windows 1-3 and 4-6; period 7 is left over
    paydays = [p + lag for p, _ in schedule]
    for k, rep in enumerate(result.replications):
        assert not withheld[k, 0].any()  # not in force yet
        for period in range(1, horizon):
            base = base_payment(rep, range(period, period + 1))
            np.testing.assert_allclose(withheld[k, period], -share * base, rtol=1e-12)
        assert not returned[k, [p for p in range(horizon) if p not in paydays]].any()
        for (_, window), payday in zip(schedule, paydays, strict=True):
            held = -withheld[k, window.start : window.stop].sum(axis=0)
            assert (held > 0).all()
            np.testing.assert_allclose(returned[k, payday], held, rtol=1e-12)
        completed = range(schedule[0][1].start, schedule[-1][1].stop)
        net = withheld[k, completed.start : completed.stop].sum(axis=0) + returned[k].sum(axis=0)
        np.testing.assert_allclose(net, 0.0, atol=1e-6)


# ----------------------------------------------------------------- team money split
def test_team_rule_split_equal_and_by_episodes(short_scenario):
    """A team's amount (rate x the team's episodes over the window) reaches its members in
    equal parts with split 'equal', in proportion to their index episodes in the window
    with split 'episodes'."""
    rules = [
        {"type": "per_unit", "name": "equal", "metric": "episodes", "level": "team",
         "rate": 100.0, "every": 3, "split": "equal"},
        {"type": "per_unit", "name": "by_episodes", "metric": "episodes", "level": "team",
         "rate": 100.0, "every": 3, "split": "episodes"},
    ]  # fmt: skip
    result = run_rules(short_scenario, "team_split", rules)
    equal, by_episodes = paid(result, "equal"), paid(result, "by_episodes")
    schedule = evaluations(rules[0], result.scenario.horizon_periods)
    differ = 0
    for k, rep in enumerate(result.replications):
        for period, window in schedule:
            episodes = total(rep, window, "episodes")
            for members in teams_of(rep):
                team_total = 100.0 * episodes[members].sum()
                assert team_total > 0
                np.testing.assert_allclose(
                    equal[k, period, members], team_total / len(members), rtol=1e-12
                )
                np.testing.assert_allclose(
                    by_episodes[k, period, members],
                    team_total * episodes[members] / episodes[members].sum(),
                    rtol=1e-12,
                )
                differ += not np.allclose(
                    equal[k, period, members], by_episodes[k, period, members]
                )
    assert differ > 0


# --------------------------------------------------------------- risk adjustment
def test_risk_adjusted_target_uses_observed_over_expected_times_the_organisation_rate(
    short_scenario,
):
    """complication_rate with risk_adjusted: (complications / expected complications) x
    the organisation's crude rate, all over the window; crude: complications / episodes.
    The QOF-style tiers pay amount x achievement, so the two versions pay differently."""
    tiers = {"type": "target", "metric": "complication_rate", "worst": 0.2, "best": 0.0,
             "amount": 1000.0, "every": 3}  # fmt: skip
    rules = [
        {**tiers, "name": "adjusted", "risk_adjusted": True},
        {**tiers, "name": "crude", "risk_adjusted": False},
    ]
    result = run_rules(short_scenario, "risk_adjusted", rules)
    adjusted, crude = paid(result, "adjusted"), paid(result, "crude")
    schedule = evaluations(tiers, result.scenario.horizon_periods)

    def pay(value: np.ndarray) -> np.ndarray:
        share = np.clip((value - tiers["worst"]) / (tiers["best"] - tiers["worst"]), 0, 1)
        return tiers["amount"] * share

    differ = 0
    for k, rep in enumerate(result.replications):
        for period, window in schedule:
            complications = total(rep, window, "complications")
            episodes = total(rep, window, "episodes")
            expected = total(rep, window, "expected_complications")
            organisation_rate = complications.sum() / episodes.sum()
            crude_rate = complications / episodes
            adjusted_rate = complications / expected * organisation_rate
            np.testing.assert_allclose(crude[k, period], pay(crude_rate), rtol=1e-9)
            np.testing.assert_allclose(adjusted[k, period], pay(adjusted_rate), rtol=1e-9)
            differ += int((~np.isclose(adjusted[k, period], crude[k, period])).sum())
    assert differ > 0


# ---------------------------------------------------------- bundled scenarios, CLI
INCENTIVE_SCENARIOS = ["p4p_readmissions", "qof_points", "tournament", "withhold", "shared_savings"]
EXTRA = {
    # With fixed styles and no cost trend there are no real savings to share: make the
    # contract two-sided with no minimum rate so that any difference is paid or charged.
    "shared_savings": ["incentives[0].two_sided=true", "incentives[0].min_savings_rate=0"],
}


@pytest.mark.parametrize("name", INCENTIVE_SCENARIOS)
def test_bundled_incentive_scenario_runs_and_pays(name, tmp_path):
    """``simulate run NAME --set horizon_periods=H`` with H just long enough for every rule
    to pay once: exit 0, incentive rows for every rule, a non-zero total, a reason on each
    incentive row and the same total as the trajectories."""
    scenario = simulate.load_scenario(name)
    assert scenario.incentives
    horizon = 1 + max(r.start_period + r.every - 1 + r.lag for r in scenario.incentives)
    out = tmp_path / name
    args = ["run", name, "--set", f"horizon_periods={horizon}", "--set", "warmup_periods=1"]
    for assignment in EXTRA.get(name, []):
        args += ["--set", assignment]
    args += ["--replications", "2", "--workers", "1", "--quiet", "--out", str(out)]
    args += ["--no-report"]  # the tables; every bundled scenario's report: test_bundled_scenarios
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    payments = pd.read_csv(out / "payments.csv", keep_default_na=False)
    incentives = payments[payments["component"] == "incentives"]
    assert set(incentives["replication"]) <= {0, 1}
    assert len(incentives) > 0
    assert set(incentives["rule"]) <= set(scenario.rule_labels)
    assert incentives["amount"].sum() != 0
    assert (incentives["amount"] != 0).all()
    assert (incentives["reason"].str.strip() != "").all()
    assert (payments.loc[payments["component"] != "incentives", "reason"] == "").all()
    trajectories = pd.read_csv(out / "trajectories.csv")
    physicians = trajectories[trajectories["level"] == "physician"]
    assert physicians["period"].max() == horizon - 1
    assert physicians["payment_incentives"].sum() == pytest.approx(
        incentives["amount"].sum(), rel=1e-9
    )
