"""Tiered tournaments: rank bands with their own bonus or penalty, on hand-computed
rankings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from test_rules import evaluation

from simulate.incentives.rules import Tournament


def test_tiered_tournament_pays_each_rank_band_its_own_amount():
    """Eight units ranked by value (higher is better). Bands: top quartile (positions
    0-1) 4% of base payment, second quartile (2-3) 2,000, bottom decile (floor(0.9 x 8 +
    0.5) = 7 to 8: position 7) -1% of base payment. Base payment 100,000 each."""
    bands = [
        {"from": 0, "to": 0.25, "share_of_base": 0.04},
        {"from": 0.25, "to": 0.5, "amount": 2000},
        {"from": 0.9, "to": 1.0, "share_of_base": -0.01},
    ]
    rule = Tournament(type="tournament", metric="value", bands=bands)
    values = [0.08, 0.01, 0.07, 0.02, 0.06, 0.03, 0.05, 0.04]
    amounts, reasons = rule.settle(evaluation({"value": values}, base_payment=[100_000] * 8))
    assert amounts.tolist() == [4000, -1000, 4000, 0, 2000, 0, 2000, 0]
    assert "band amount 4,000" in reasons[0]
    # ties share their positions: two units tied at positions 1-2 get (4,000 + 2,000) / 2
    tied = [0.08, 0.07, 0.07, 0.01, 0.02, 0.03, 0.04, 0.05]
    amounts, _ = rule.settle(evaluation({"value": tied}, base_payment=[100_000] * 8))
    assert amounts[:3].tolist() == [4000, 3000, 3000] and amounts[3] == -1000
    assert rule.describe() == (
        "ranks 0%-25%: +4.0% of base payment; ranks 25%-50%: 2,000; "
        "ranks 90%-100%: -1.0% of base payment; ranked within the organisation"
    )


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"bands": [{"from": 0, "to": 0.5, "amount": 1}, {"from": 0.4, "to": 1, "amount": -1}]},
         "bands overlap"),
        ({"bands": [{"from": 0.5, "to": 0.5, "amount": 1}]}, "from < to"),
        ({"bands": [{"from": 0, "to": 0.5}]}, "either an 'amount' or a 'share_of_base'"),
        ({"bands": [{"from": 0, "to": 0.5, "amount": 1}], "top_share": 0.2}, "not both"),
        ({}, "give 'top_share'"),
    ],
)  # fmt: skip
def test_bad_bands_are_refused(given, says):
    with pytest.raises(ValidationError, match=says):
        Tournament(type="tournament", metric="value", **given)
