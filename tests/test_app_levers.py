"""The what-if page's levers: generated from any scenario and its schema (no Streamlit)."""

from __future__ import annotations

import pytest

import simulate
from simulate.app import levers as L
from simulate.app.source import with_edits
from simulate.errors import ScenarioError
from simulate.incentives.rules import Tournament
from simulate.scenario.models import FeeForService, PeerPressure, TeamBasedCare


def by_path(scenario) -> dict[str, L.Lever]:
    return {lever.where: lever for lever in L.levers(scenario)}


def test_levers_follow_the_scenario_not_a_list():
    flagship = by_path(simulate.load_scenario("value_dashboard"))
    capitation = by_path(simulate.load_scenario("capitation"))
    savings = by_path(simulate.load_scenario("shared_savings"))
    # base payment: only the schemes present
    assert "payment.fee_for_service.per_intensity_unit" in flagship
    assert "payment.fee_for_service.by_condition.medical_admission" in flagship
    assert not any(p.startswith("payment.capitation") for p in flagship)
    assert "payment.capitation.per_patient_per_period" in capitation
    assert not any(p.startswith("payment.fee_for_service") for p in capitation)
    # each rule's money and timing, by its own fields
    for field in ("bonus", "penalty", "top_share", "bottom_share", "cap", "start_period"):
        assert f"incentives[0].{field}" in flagship, field
    assert "incentives[1].max_share_of_base" in flagship
    assert "incentives[0].share" in savings and "incentives[0].bonus" not in savings
    assert not any(p.startswith("incentives[") for p in capitation)
    # peer pressure, team-based care per team, behaviour traits
    assert flagship["peer_pressure.transparency"].choices == (
        "none",
        "private_feedback",
        "internal_dashboard",
        "public",
    )
    assert flagship["peer_pressure.norm"].value == "top_decile"
    assert flagship["peer_pressure.metrics"].kind == L.CHOICES
    teams = simulate.load_scenario("value_dashboard").teams
    for index in range(len(teams)):
        for field in ("coordination", "peer_monitoring", "extra_caseload_per_nurse"):
            assert f"teams[{index}].team_based_care.{field}" in flagship
    for path in ("physician_traits.altruism", "physician_traits.peer_sensitivity"):
        assert flagship[path].kind == L.MEAN
    assert flagship["behaviour.loss_aversion"].minimum == 1.0


def test_help_units_and_bounds_come_from_the_schema():
    levers = by_path(simulate.load_scenario("value_dashboard"))
    bonus = levers["incentives[0].bonus"]
    assert bonus.help == Tournament.model_fields["bonus"].description
    assert bonus.unit == "currency" and bonus.minimum == 0.0
    share = levers["incentives[0].top_share"]
    assert (share.minimum, share.maximum, share.unit) == (0.0, 1.0, "share 0-1")
    fee = levers["payment.fee_for_service.per_intensity_unit"]
    assert fee.help == FeeForService.model_fields["per_intensity_unit"].description
    assert fee.unit == "currency per unit of intensity"
    coordination = levers["teams[0].team_based_care.coordination"]
    assert coordination.help == TeamBasedCare.model_fields["coordination"].description
    norm = levers["peer_pressure.norm"]
    assert norm.help.startswith(PeerPressure.model_fields["norm"].description.split(",")[0])
    # a subclass field without a description gets its parent's (the rule's level)
    assert levers["incentives[1].level"].help == "Who is evaluated and paid."
    for lever in levers.values():
        assert lever.help, lever.where
        assert lever.unit, lever.where


def test_periods_are_shown_as_months_from_one():
    scenario = simulate.load_scenario("training_demo")
    levers = by_path(scenario)
    start, end = levers["incentives[0].start_period"], levers["incentives[0].end_period"]
    assert (start.kind, start.value, end.value) == (L.MONTH, 13, 30)
    assert start.maximum == scenario.horizon_periods and end.optional
    flagship = by_path(simulate.load_scenario("value_dashboard"))
    assert flagship["incentives[0].end_period"].value is None  # to the end
    shown = {start.key: 7, end.key: None}
    edits = L.edits(list(levers.values()), shown, scenario)
    assert edits == {("incentives", 0, "start_period"): 6, ("incentives", 0, "end_period"): None}
    edited = with_edits(scenario, edits)
    assert (edited.incentives[0].start_period, edited.incentives[0].end_period) == (6, None)


def test_a_month_beyond_a_shortened_horizon_is_kept():
    scenario = simulate.load_scenario("value_dashboard", ["horizon_periods=6", "warmup_periods=1"])
    start = by_path(scenario)["incentives[0].start_period"]
    assert start.value == 13 and start.maximum >= 13  # the widget must not clamp it


def test_only_moved_levers_become_edits():
    scenario = simulate.load_scenario("value_dashboard")
    levers = L.levers(scenario)
    shown = {lever.key: lever.value for lever in levers}
    assert L.edits(levers, shown, scenario) == {}
    bonus = next(lever for lever in levers if lever.where == "incentives[0].bonus")
    shown[bonus.key] = 8000.0
    edits = L.edits(levers, shown, scenario)
    assert edits == {("incentives", 0, "bonus"): 8000.0}
    assert with_edits(scenario, edits).incentives[0].bonus == 8000.0


@pytest.mark.parametrize(
    ("dist", "mean"),
    [
        ({"dist": "beta", "a": 6.0, "b": 4.0, "low": 0.0, "high": 1.0}, 0.75),
        ({"dist": "fixed", "value": 1.0}, 1.3),
        ({"dist": "normal", "mean": 1.0, "sd": 0.2, "low": 0.0, "high": None}, 0.8),
        ({"dist": "uniform", "low": 0.2, "high": 0.6}, 0.5),
    ],
)
def test_a_trait_mean_moves_and_keeps_its_spread(dist, mean):
    from pydantic import TypeAdapter

    from simulate.scenario.distributions import Distribution

    adapter = TypeAdapter(Distribution)
    moved = adapter.validate_python(L.with_mean(dist, mean))
    assert moved.mean() == pytest.approx(mean)
    if dist["dist"] == "beta":
        assert moved.a + moved.b == pytest.approx(dist["a"] + dist["b"])
    if dist["dist"] == "uniform":
        assert moved.high - moved.low == pytest.approx(dist["high"] - dist["low"])


def test_a_trait_lever_edits_the_distribution():
    scenario = simulate.load_scenario("value_dashboard")
    levers = L.levers(scenario)
    altruism = next(lever for lever in levers if lever.where == "physician_traits.altruism")
    edits = L.edits(levers, {altruism.key: 0.8}, scenario)
    edited = with_edits(scenario, edits)
    assert edited.physician_traits.altruism.mean() == pytest.approx(0.8)
    with pytest.raises(ScenarioError, match="strictly between 0 and 1"):
        L.edits(levers, {altruism.key: 1.0}, scenario)


def test_a_bad_edit_is_one_line_naming_the_field():
    scenario = simulate.load_scenario("value_dashboard")
    levers = L.levers(scenario)
    share = next(lever for lever in levers if lever.where == "incentives[0].top_share")
    edits = L.edits(levers, {share.key: 1.5}, scenario)
    with pytest.raises(ScenarioError) as caught:
        with_edits(scenario, edits, label="value_dashboard (edited on the page)")
    text = caught.value.format()
    assert "\n" not in text
    assert text.startswith("value_dashboard (edited on the page): field 'incentives[0].top_share'")


def test_run_settings_are_shared_levers():
    scenario = simulate.load_scenario("value_dashboard")
    run = {lever.where: lever for lever in L.run_levers(scenario, 4)}
    assert run["replications"].value == 4
    assert run["horizon_periods"].value == 36 and run["warmup_periods"].value == 6
    assert run["seed"].maximum == 2**53 - 1
