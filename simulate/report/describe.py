"""The rules in force, in plain words, and the policy timing, from a resolved scenario dict.

Everything returned is plain text; the dashboard escapes it (scenario files come from
strangers).
"""

from __future__ import annotations

from typing import Any

from simulate.compare import window
from simulate.compare.window import PolicySpan, policy_spans
from simulate.incentives.rules import describe_amounts, money
from simulate.units import period_unit

COMMON_RULE_KEYS = {
    "type",
    "name",
    "metric",
    "level",
    "every",
    "lag",
    "start_period",
    "end_period",
    "cap",
    "risk_adjusted",
    "split",
    "bands",  # in the rule's own words (describe_amounts), as are the two below
    "own_baseline",
    "targeting",
}

TRANSPARENCY = {
    "none": "no dashboard: physicians do not see each other's figures",
    "private_feedback": "private feedback: each physician sees their own figures against peers",
    "internal_dashboard": "an internal dashboard: every physician sees everyone's figures",
    "public": "a public dashboard: physicians and patients see everyone's figures",
}
NORMS = {
    "median": "the peers' median",
    "top_decile": "the peers' top decile (an achievable benchmark)",
    "own_history": "the physician's own past figures",
}


PolicyWindow = PolicySpan
"""A policy's periods in force (the one home: ``simulate.compare.window``)."""


def policy_windows(scenario: dict[str, Any]) -> list[PolicySpan]:
    """Incentive rules and peer pressure with their periods in force."""
    return policy_spans(scenario)


def first_policy_start(scenario: dict[str, Any]) -> int | None:
    """The earliest period any policy is in force after period 0 (None: none starts later)."""
    return window.first_policy_start(policy_spans(scenario))


def last_policy_end(scenario: dict[str, Any]) -> int | None:
    """The last period any policy is in force, when every policy ends (None: one runs on)."""
    return window.last_policy_end(policy_spans(scenario))


def span(start: Any, end: Any, unit: str) -> str:
    """Periods in force as people count them (from 1): ``from month 13 to the end``."""
    first = f"from {unit} {int(start or 0) + 1}"
    return first + (f" to {unit} {int(end) + 1}" if end is not None else " to the end")


def _timing(rule: dict[str, Any], unit: str) -> str:
    every = int(rule.get("every") or 1)
    lag = int(rule.get("lag") or 0)
    often = f"every {unit}" if every == 1 else f"every {every} {unit}s"
    paid = "paid at once" if lag == 0 else f"paid {lag} {unit}(s) later"
    return (
        f"{span(rule.get('start_period'), rule.get('end_period'), unit)}, evaluated {often}, {paid}"
    )


def describe_rule(rule: dict[str, Any], index: int = 0, unit: str = "period") -> dict[str, str]:
    """One incentive rule as plain-words fields: name, type, metric, level, amounts, timing."""
    name = str(rule.get("name") or f"{rule.get('type', 'rule')}_{index + 1}")
    metric = str(rule.get("metric", ""))
    if rule.get("risk_adjusted"):
        metric += " (risk-adjusted)"
    level = str(rule.get("level", "physician"))
    if level != "physician":
        level += f" (money split {rule.get('split', 'equal')} among physicians)"
    amounts = describe_amounts(rule)
    if rule.get("cap") is not None:
        amounts += f"; at most {money(rule['cap'])} per unit per evaluation"
    others = [
        f"{key} = {value}"
        for key, value in rule.items()
        if key not in COMMON_RULE_KEYS and value not in (None, "", [], {})
    ]
    return {
        "name": name,
        "type": str(rule.get("type", "")).replace("_", " "),
        "metric": metric,
        "level": level,
        "amounts": amounts.strip("; "),
        "timing": _timing(rule, unit),
        "settings": ", ".join(others),
    }


def describe_payment(scenario: dict[str, Any]) -> list[str]:
    """The base payment scheme, one sentence per component."""
    payment = scenario.get("payment") or {}
    lines = []
    ffs = payment.get("fee_for_service")
    if ffs:
        text = f"Fee-for-service: {money(ffs.get('per_intensity_unit', 0))} per unit of intensity"
        by = ffs.get("by_condition") or {}
        if by:
            text += " (" + ", ".join(f"{k}: {money(v)}" for k, v in by.items()) + ")"
        text += (
            "; readmissions paid too" if ffs.get("pays_readmissions") else "; readmissions unpaid"
        )
        lines.append(text + ".")
    cap = payment.get("capitation")
    if cap:
        lines.append(
            f"Capitation: {money(cap.get('per_patient_per_period', 0))} per listed patient per "
            f"period, {cap.get('list_size_per_physician', '?')} patients per physician."
        )
    salary = payment.get("salary")
    if salary:
        lines.append(f"Salary: {money(salary.get('annual', 0))} per physician per year.")
    bundled = payment.get("bundled")
    if bundled:
        text = f"Bundled payment: {money(bundled.get('per_episode', 0))} per index episode"
        by = bundled.get("by_condition") or {}
        if by:
            text += " (" + ", ".join(f"{k}: {money(v)}" for k, v in by.items()) + ")"
        if bundled.get("readmissions_included"):
            text += "; readmissions covered by the bundle"
        lines.append(text + ".")
    risk = payment.get("risk_bearing") or {}
    if lines and risk.get("cost_share"):
        who = risk.get("borne_by", "physician")
        split = "" if who == "physician" else f", split {risk.get('split', 'equal')}"
        lines.append(
            f"Risk bearing: the {who} bears {risk['cost_share']:.0%} of the resource cost of "
            f"care{split}."
        )
    return lines or ["No base payment."]


def describe_peer_pressure(scenario: dict[str, Any]) -> list[str]:
    """Peer pressure settings in plain words (empty when there is none)."""
    peer = scenario.get("peer_pressure") or {}
    transparency = peer.get("transparency", "none")
    if not peer or transparency == "none":
        return []
    metrics = ", ".join(str(m) for m in peer.get("metrics") or [])
    unit = period_unit(float(scenario.get("period_days", 30.4375)))
    in_force = span(peer.get("start_period"), peer.get("end_period"), unit)
    reach = []
    if peer.get("targeting"):
        from simulate.incentives.targeting import Targeting

        who = Targeting.model_validate(peer["targeting"]).describe()
        sides = peer.get("feedback") or "one_sided"
        reach = [f"Only {who} get it ({sides.replace('_', '-')} feedback)."]
    elif peer.get("feedback"):
        reach = [f"Feedback: {peer['feedback'].replace('_', '-')}."]
    return [
        f"Transparency: {TRANSPARENCY.get(transparency, str(transparency))}.",
        *reach,
        f"Figures shown: {metrics}, each over a rolling {peer.get('window', '?')} {unit}s, "
        f"published every {peer.get('publish_every', 1)} {unit}(s), {in_force}.",
        f"Benchmark: {NORMS.get(peer.get('norm', ''), str(peer.get('norm')))}.",
        f"Weights: conformity {peer.get('conformity')}, rank concern "
        f"{peer.get('rank_concern')}, reputation value {money(peer.get('reputation_value'))}.",
    ]


def describe_behaviour(scenario: dict[str, Any]) -> str:
    """How physicians behave, in one sentence."""
    model = (scenario.get("behaviour") or {}).get("model", "fixed")
    if model == "adaptive":
        text = (
            "Physicians adapt: at each period close they move their practice style toward "
            "the style that serves them best under the rules in force."
        )
        if (scenario.get("behaviour") or {}).get("colleagues") == "symmetric":
            text += " They expect colleagues to respond to team money as they do."
        return text
    return "Physicians keep the practice style they were drawn with (behaviour: fixed)."
