"""Rules say their shape (linear to the cap, or all-or-nothing) and how often their cap or
gate binds: hand-computed amounts and counts, the payer's tally, the manifest's words."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from test_rules import evaluation

from simulate.incentives.rules import (
    PerUnit,
    ReadmissionPenalty,
    RuleSpec,
    SharedSavings,
    Target,
    Tournament,
    Withhold,
)


def test_each_kind_has_its_default_shape():
    """Today's behaviour is each kind's default: thresholds and ranks all-or-nothing,
    scales and continuous amounts linear."""
    threshold = Target(type="target", metric="value", threshold=1, bonus=1)
    tiers = Target(type="target", metric="value", worst=1, best=3, amount=6)
    assert threshold.effective_shape == "all_or_nothing" and tiers.effective_shape == "linear"
    tournament = Tournament(type="tournament", metric="value", top_share=0.2, bonus=1)
    assert tournament.effective_shape == "all_or_nothing"
    assert PerUnit(type="per_unit", metric="cost", rate=1).effective_shape == "linear"
    assert ReadmissionPenalty(type="readmission_penalty").effective_shape == "linear"


def test_all_or_nothing_tiers_pay_only_at_best():
    rule = Target(type="target", metric="complication_rate", worst=0.10, best=0.02, amount=800,
                  shape="all_or_nothing")  # fmt: skip
    amounts, _ = rule.settle(evaluation({"complication_rate": [0.12, 0.06, 0.02, 0.01]}))
    assert amounts.tolist() == [0, 0, 800, 800]
    withhold = Withhold(type="withhold", metric="value", share=0.1, worst=1, best=3,
                        shape="all_or_nothing")  # fmt: skip
    amounts, _ = withhold.settle(evaluation({"value": [2.0, 3.0]}, withheld=[50, 50]))
    assert amounts.tolist() == [0, 50]


def test_all_or_nothing_continuous_rules_pay_the_cap_or_nothing():
    """100 per episode capped at 2,500: linear pays 1,000 and 2,500; all-or-nothing pays
    nothing short of the cap and the whole cap once reached. A charge is whole at once."""
    linear = PerUnit(type="per_unit", metric="episodes", rate=100, cap=2500)
    whole = linear.model_copy(update={"shape": "all_or_nothing"})
    values = evaluation({"episodes": [10, 25, 40]})
    assert linear.settle(values)[0].tolist() == [1000, 2500, 2500]
    assert whole.settle(values)[0].tolist() == [0, 2500, 2500]
    charge = PerUnit(type="per_unit", metric="cost", rate=-0.01, cap=300, shape="all_or_nothing")
    assert charge.settle(evaluation({"cost": [100.0, 0.0]}))[0].tolist() == [-300, 0]


def test_an_all_or_nothing_readmissions_penalty_takes_the_whole_share_for_any_excess():
    """ERR 1.01, 1.05 and 0.9; largest share 3%, scale 1, base 100,000: linear takes 1%
    and 3% (capped at 3%); all-or-nothing 3% for any excess."""
    ratios = {"readmission_ratio": [1.01, 1.05, 0.9]}
    base = [100_000.0] * 3
    linear = ReadmissionPenalty(type="readmission_penalty")
    assert linear.settle(evaluation(ratios, risk_adjusted=ratios, base_payment=base))[
        0
    ] == pytest.approx([-1000, -3000, 0])
    whole = ReadmissionPenalty(type="readmission_penalty", shape="all_or_nothing")
    assert whole.settle(evaluation(ratios, risk_adjusted=ratios, base_payment=base))[
        0
    ] == pytest.approx([-3000, -3000, 0])


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ({"type": "target", "metric": "value", "threshold": 1, "bonus": 1, "shape": "linear"},
         "all_or_nothing by nature"),
        ({"type": "tournament", "metric": "value", "top_share": 0.2, "shape": "linear"},
         "all_or_nothing by nature"),
        ({"type": "per_unit", "metric": "cost", "rate": 1, "shape": "all_or_nothing"},
         "give a 'cap'"),
        ({"type": "per_unit", "metric": "cost", "rate": 1, "shape": "stepped"}, "linear"),
    ],
)  # fmt: skip
def test_bad_shapes_are_refused(rule, says):
    with pytest.raises(ValidationError, match=says):
        TypeAdapter(RuleSpec).validate_python(rule)


def test_bindings_count_units_paid_at_the_cap_and_held_back_by_the_gate():
    rule = PerUnit(type="per_unit", metric="episodes", rate=100, cap=2500)
    _, _, counts = rule.settle_counted(evaluation({"episodes": [10, 25, 40, float("nan")]}))
    assert counts == {"evaluated": 3, "paid": 3, "at_cap": 2}
    ratios = {"readmission_ratio": [1.01, 1.05, 0.9], "readmission_rate": [0.1, 0.1, 0.1]}
    penalty = ReadmissionPenalty(type="readmission_penalty")
    _, _, counts = penalty.settle_counted(
        evaluation(ratios, risk_adjusted=ratios, base_payment=[1.0] * 3)
    )
    assert counts == {"evaluated": 3, "paid": 2, "at_cap": 1}  # 1.05: 5% > 3%
    gate = {"metric": "readmission_rate", "threshold": 0.15}
    savings = SharedSavings(type="shared_savings", benchmark=1000, share=0.5, quality_gate=gate)
    metrics = {"cost_per_episode": [900.0, 900.0, 1000.0], "episodes": [10.0] * 3,
               "readmission_rate": [0.10, 0.20, 0.10]}  # fmt: skip
    amounts, _, counts = savings.settle_counted(evaluation(metrics))
    assert amounts.tolist() == [500, 0, 0]
    assert counts["gate_failed"] == 1 and counts["paid"] == 1


def test_the_payer_tallies_bindings_and_the_manifest_says_them_in_words():
    """A per-episode rule capped at 150: episodes 10, 30, 20 at 5 each give 50, 150
    (capped), 100, in each of 3 periods; 9 unit-evaluations, 3 at the cap."""
    from types import SimpleNamespace

    from test_payer import ledger, payer

    from simulate.output.bindings import rule_bindings
    from simulate.report.dashboard import binding_text

    p = payer("[{type: per_unit, metric: episodes, rate: 5, cap: 150, name: volume}]")
    book = ledger()
    for period in range(3):
        p.close_period(period, book)
    assert p.bindings == [{"evaluated": 9, "paid": 9, "at_cap": 3}]
    scenario = SimpleNamespace(incentives=p.rules, rule_labels=("volume",))
    result = SimpleNamespace(rule_bindings=p.bindings)
    entry = rule_bindings(scenario, [result, result])["volume"]
    assert entry["evaluated"] == 18 and entry["share_at_cap"] == pytest.approx(1 / 3)
    assert binding_text(entry) == (
        "Shape: linear. Over 18 unit-evaluations: 100% paid or charged, 33% at the cap."
    )
    assert np.isclose(entry["share_paid"], 1.0)
