"""Bonus, penalty, withhold and shared-savings rules: one small class per YAML ``type``.

Rules know nothing about SimPy. At the close of a period in which a rule is evaluated,
the payer hands it an :class:`Evaluation` (metric values per unit over the rule's
window, base payment over the window, a baseline where the rule needs one) and the
rule returns one amount per unit (positive: paid to the unit; negative: taken from it)
with a reason. Team and organisation amounts are then split among physicians
(:func:`split_weights`). Amounts are currency; metric values follow ``catalogue``
(flows such as episodes and cost are totals over the window).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from simulate.accounts.catalogue import CATALOGUE, MetricSpec
from simulate.incentives.rules.absolute import Improvement, PerUnit, Target, Withhold
from simulate.incentives.rules.base import (
    Evaluation,
    Level,
    Peers,
    Rule,
    Split,
    check_metric,
    money,
    split_weights,
)
from simulate.incentives.rules.penalty import ReadmissionPenalty
from simulate.incentives.rules.savings import QualityGate, SharedSavings
from simulate.incentives.rules.tournament import Tournament

RULE_TYPES: dict[str, type[Rule]] = {
    cls.model_fields["type"].annotation.__args__[0]: cls
    for cls in (
        Target,
        Improvement,
        Tournament,
        PerUnit,
        Withhold,
        SharedSavings,
        ReadmissionPenalty,
    )
}
"""Rule classes by YAML ``type``: adding a rule is one class here, one test."""

RuleSpec = Annotated[
    Target | Improvement | Tournament | PerUnit | Withhold | SharedSavings | ReadmissionPenalty,
    Field(discriminator="type"),
]
"""A rule in a scenario's ``incentives:`` list, chosen by its ``type``."""


def describe_amounts(rule: Mapping[str, Any]) -> str:
    """What a rule given as a dict (a resolved scenario's) pays, in plain words, from its
    class's ``describe``; a dict that is no longer a valid rule says so."""
    try:
        valid = TypeAdapter(RuleSpec).validate_python(dict(rule))
    except ValidationError as error:
        return f"(not a valid {rule.get('type', 'rule')} rule: {error.error_count()} error(s))"
    text = valid.describe()
    if valid.targeting is not None:
        text += f"; only {valid.targeting.describe()}"
    return text


__all__ = [
    "CATALOGUE",
    "RULE_TYPES",
    "Evaluation",
    "Improvement",
    "Level",
    "MetricSpec",
    "Peers",
    "PerUnit",
    "QualityGate",
    "ReadmissionPenalty",
    "Rule",
    "RuleSpec",
    "SharedSavings",
    "Split",
    "Target",
    "Tournament",
    "Withhold",
    "check_metric",
    "describe_amounts",
    "money",
    "split_weights",
]
