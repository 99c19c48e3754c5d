"""Consistency checks across fields (``simulate.scenario.consistency``): each a small
named function; every bundled scenario passes them all."""

from __future__ import annotations

import pytest

import simulate
from simulate.scenario import consistency as c
from simulate.scenario.loader import bundled_scenarios

BASE = simulate.load_scenario("baseline_ffs")


def changed(scenario=BASE, **fields):
    """``scenario`` with fields replaced, unvalidated (as a file could say it)."""
    return scenario.model_copy(update=fields)


def section(name: str, **fields):
    return getattr(BASE, name).model_copy(update=fields)


def test_checks_run_in_order_and_bundled_scenarios_pass():
    assert [check.__name__ for check in c.CHECKS][:3] == [
        "warmup_before_horizon",
        "unique_names",
        "severity_shares_sum_to_one",
    ]
    for path in bundled_scenarios():
        assert c.inconsistencies(simulate.load_scenario(path)) == []


@pytest.mark.parametrize(
    "check, scenario, path, words",
    [
        (c.warmup_before_horizon, changed(warmup_periods=36), ("warmup_periods",), "shorter"),
        (
            c.unique_names,
            changed(teams=(BASE.teams[0], BASE.teams[0])),
            ("teams", 1, "name"),
            "already used by teams[0]",
        ),
        (
            c.severity_shares_sum_to_one,
            changed(
                severity=section(
                    "severity",
                    classes=(BASE.severity.classes[0].model_copy(update={"share": 0.5}),),
                )
            ),
            ("severity", "classes"),
            "they sum to 0.5",
        ),
        (
            c.condition_teams_exist,
            changed(conditions=(BASE.conditions[0].model_copy(update={"teams": ("nope",)}),)),
            ("conditions", 0, "teams", 0),
            "no team named 'nope'",
        ),
        (
            c.peer_pressure_period_order,
            changed(peer_pressure=section("peer_pressure", start_period=5, end_period=2)),
            ("peer_pressure", "end_period"),
            "before start_period",
        ),
        (
            c.a_base_payment,
            changed(payment=section("payment", fee_for_service=None)),
            ("payment",),
            "at least one base payment",
        ),
        (
            c.mechanisms_need_adaptive,
            changed(
                behaviour=section(
                    "behaviour",
                    crowding_out=BASE.behaviour.crowding_out.model_copy(update={"enabled": True}),
                )
            ),
            ("behaviour", "crowding_out", "enabled"),
            "crowding_out changes how physicians adapt",
        ),
    ],
)
def test_each_check_names_the_field_at_fault(check, scenario, path, words):
    assert check(BASE) == []
    problems = check(scenario)
    assert len(problems) == 1
    assert problems[0][0] == path and words in problems[0][1]
    assert problems[0] in c.inconsistencies(scenario)  # and the list reports it


def test_rule_names_and_quality_gates():
    # a repeated rule name, a gate on a team-only metric at physician level
    with pytest.raises(simulate.ScenarioError, match="rule name 'a' is already used"):
        simulate.load_scenario(
            "baseline_ffs",
            overrides=[
                "incentives=[{type: per_unit, metric: episodes, rate: 1, name: a},"
                " {type: per_unit, metric: cost, rate: 1, name: a}]"
            ],
        )
    with pytest.raises(simulate.ScenarioError, match="teams and the organisation only"):
        simulate.load_scenario(
            "baseline_ffs",
            overrides=[
                "incentives=[{type: shared_savings, benchmark: 5000, level: physician,"
                " quality_gate: {metric: mean_queue_length, threshold: 3}}]"
            ],
        )


def test_prices_by_condition_name_known_conditions():
    fees = BASE.payment.fee_for_service.model_copy(update={"by_condition": {"nope": 10.0}})
    problems = c.prices_by_known_condition(
        changed(payment=section("payment", fee_for_service=fees))
    )
    assert problems[0][0] == ("payment", "fee_for_service", "by_condition", "nope")
    assert "no condition named 'nope'" in problems[0][1]
