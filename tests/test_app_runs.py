"""A what-if run: the same numbers as `simulate compare` of the two scenarios, the
tables the page shows, the YAML download, and where the scenario comes from."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulate
from simulate.app import levers as L
from simulate.app import runs as R
from simulate.app import tables as T
from simulate.app.source import Source, load_source, scenario_yaml
from simulate.cli import app as cli
from simulate.compare.core import compare
from simulate.errors import ScenarioError

SMALL = ("horizon_periods=8", "warmup_periods=2", "replications=2")
POLICY_EARLY = (
    "incentives[0].start_period=3",
    "incentives[1].start_period=3",
    "peer_pressure.start_period=3",
)


def what_if(changes: dict[str, object], *overrides: str) -> R.WhatIf:
    scenario = simulate.load_scenario("value_dashboard", [*SMALL, *POLICY_EARLY, *overrides])
    levers = L.levers(scenario)
    run_levers = L.run_levers(scenario, replications=2)
    shown = {lever.key: lever.value for lever in levers + run_levers}
    for lever in levers:
        if lever.where in changes:
            shown[lever.key] = changes[lever.where]
    return R.prepare(scenario, levers, shown, run_levers)


@pytest.fixture(scope="module")
def fee_doubled() -> R.AppRun:
    chosen = what_if({"payment.fee_for_service.per_intensity_unit": 3000.0})
    return R.AppRun(1, chosen, R.run_what_if(chosen, workers=1))


def test_the_run_is_simulate_compare_of_the_two_files(fee_doubled, tmp_path):
    paths = []
    for scenario in (fee_doubled.what_if.unchanged, fee_doubled.what_if.edited):
        path = tmp_path / f"{scenario.name}.yaml"
        path.write_text(scenario_yaml(scenario), encoding="utf-8")
        paths.append(str(path))
    expected = compare(paths, workers=2)
    got = fee_doubled.comparison
    for name in ("comparison", "cost_effectiveness", "window", "ceac"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), obj=name)


def test_the_yaml_download_runs_with_simulate_run(fee_doubled, tmp_path):
    edited = fee_doubled.what_if.edited
    text = scenario_yaml(edited, ["Written by simulate app", "changed: a\nmultiline note"])
    assert text.startswith("# Written by simulate app\n# changed: a\n# multiline note\n")
    path = tmp_path / "edited.yaml"
    path.write_text(text, encoding="utf-8")
    assert simulate.load_scenario(str(path)) == edited
    out = tmp_path / "out"
    done = CliRunner().invoke(
        cli, ["run", str(path), "--out", str(out), "--no-report", "--quiet", "--workers", "1"]
    )
    assert done.exit_code == 0, done.output
    summary = pd.read_csv(out / "summary.csv")
    mine = fee_doubled.comparison.results[edited.name].summary
    org = summary[summary["level"] == "organisation"].set_index("metric")["mean"]
    expected = mine[mine["level"] == "organisation"].set_index("metric")["mean"]
    np.testing.assert_allclose(org.to_numpy(), expected.reindex(org.index).to_numpy(), rtol=1e-9)


def test_a_moved_lever_changes_the_headline(fee_doubled):
    head = R.headline(fee_doubled.comparison).set_index("metric")
    assert list(head.index) == list(R.HEADLINE_METRICS)
    cost = head.loc["cost_per_episode"]
    assert cost["edited"] > cost["unchanged"] and cost["clear"]  # paid more per unit: more care
    assert head.loc["value", "difference"] != 0
    assert fee_doubled.what_if.changes[0].where == "payment.fee_for_service.per_intensity_unit"
    assert fee_doubled.what_if.edited.name == "value_dashboard-edited"
    verdict = R.verdict(fee_doubled.comparison)
    assert verdict == fee_doubled.comparison.cost_effectiveness["verdict"].iloc[1]
    decision = R.decision_table(fee_doubled.comparison)
    assert decision.iloc[-1, 1] == verdict
    assert "per QALY" in " ".join(decision.iloc[:, 0])


def test_nothing_moved_gives_no_difference():
    chosen = what_if({})
    assert chosen.changes == ()
    result = R.run_what_if(chosen, workers=1)
    head = R.headline(result).set_index("metric")
    assert (head["difference"] == 0).all() and not head["clear"].any()


def test_the_tables_shown(fee_doubled):
    runs = fee_doubled.runs
    assert list(runs) == [R.UNCHANGED, R.EDITED]
    n = fee_doubled.what_if.edited.n_physicians
    horizon = fee_doubled.what_if.edited.horizon_periods
    band = T.bands(runs, "value")
    assert set(band["side"]) == {R.UNCHANGED, R.EDITED}
    assert band["month"].min() == 1 and band["month"].max() == horizon
    assert (band["low"] <= band["mean"] + 1e-12).all() and (
        band["mean"] <= band["high"] + 1e-12
    ).all()
    phases = T.phases(fee_doubled.what_if.edited)
    # months from 1: the rules from month 4; the dashboard, first published at the close
    # of month 4, shapes practice from month 5
    assert set(phases["start"]) == {4, 5} and set(phases["end"]) == {horizon}
    physicians = T.physician_table(runs)
    assert len(physicians) == n
    for side in R.SIDES:
        ranks = physicians.groupby("team")[f"rank in team, {side}"]
        assert (ranks.min() == 1).all()
    income = T.income_table(runs)
    fee = income[income["component"] == "fee-for-service"].set_index("side")["amount"]
    assert fee[R.EDITED] > fee[R.UNCHANGED]
    styles = T.styles_by_month(runs[R.EDITED])
    assert len(styles) == n * horizon
    ranks = T.ranks_by_month(runs[R.EDITED])
    assert ranks.groupby(["team", "month"])["rank"].min().eq(1).all()
    assert len(T.quadrant_sides(runs)) == n
    assert {"cost_start", "cost_end", "qalys_start", "qalys_end"} <= set(
        T.quadrant_policy(runs[R.EDITED]).columns
    )


def test_log_and_csv(fee_doubled):
    row = T.log_row(fee_doubled)
    assert row["run"] == 1 and "3,000" in row["changes"] and row["replications"] == 2
    assert row["verdict"] == R.verdict(fee_doubled.comparison)
    log = T.log_table([fee_doubled, fee_doubled])
    assert len(log) == 2
    from io import StringIO

    table = pd.read_csv(StringIO(T.results_csv(fee_doubled)))
    assert set(table["variant"]) == {R.UNCHANGED, R.EDITED}
    assert len(table) == len(fee_doubled.comparison.comparison)
    trajectories = pd.read_csv(StringIO(T.trajectories_csv(fee_doubled)))
    assert set(trajectories["side"]) == {R.UNCHANGED, R.EDITED}
    assert trajectories["month"].min() == 1


def test_sources_name_file_bundle_or_results_folder(fee_doubled, tmp_path):
    assert load_source("value_dashboard").scenario.name == "value_dashboard"
    noted = load_source("compare_schemes")
    assert noted.notes and "variants" in noted.notes[0]
    folder = tmp_path / "comparison"
    fee_doubled.comparison.write(folder)
    from_comparison = load_source(str(folder))
    assert from_comparison.scenario == fee_doubled.what_if.unchanged
    run_folder = folder / "variants" / fee_doubled.what_if.edited.name
    assert load_source(str(run_folder)).scenario == fee_doubled.what_if.edited
    assert load_source(str(run_folder / "manifest.json"), ["seed=5"]).scenario.seed == 5
    source = Source("x.yaml", ("a=1",))
    assert Source.from_env({"VALUESIM_APP_SOURCE": source.to_env()}) == source
    assert Source.from_env({}) == Source()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: str(p / "nothing.yaml"), "no such file"),
        (lambda p: str(p), "not a results folder"),
        (lambda p: (p / "manifest.json").write_text("{", encoding="utf-8") and str(p), "JSON"),
        (
            lambda p: (
                (p / "manifest.json").write_text(json.dumps({"a": 1}), encoding="utf-8") and str(p)
            ),
            "no resolved scenario",
        ),
    ],
)
def test_bad_sources_are_one_line(tmp_path, make, message):
    with pytest.raises(ScenarioError, match=message) as caught:
        load_source(make(tmp_path))
    assert "\n" not in caught.value.format()
