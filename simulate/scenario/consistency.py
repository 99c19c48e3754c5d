"""Checks across fields that a single field's validation cannot see.

Each check is a small named function of the scenario returning its problems, as
(field path, message); :data:`CHECKS` lists them in the order they are reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from simulate.accounts.catalogue import CATALOGUE
from simulate.scenario.models import Scenario
from simulate.scenario.yaml_source import Path_

SHARE_TOLERANCE = 1e-6

Problems = list[tuple[Path_, str]]


def warmup_before_horizon(scenario: Scenario) -> Problems:
    """The warm-up ends before the horizon."""
    if scenario.warmup_periods < scenario.horizon_periods:
        return []
    return [
        (
            ("warmup_periods",),
            f"warm-up ({scenario.warmup_periods} periods) must be shorter than the "
            f"horizon ({scenario.horizon_periods} periods)",
        )
    ]


def unique_names(scenario: Scenario) -> Problems:
    """Condition names and team names are unique (the first repeat of each is reported)."""
    problems: Problems = []
    for key, items in (("conditions", scenario.conditions), ("teams", scenario.teams)):
        first_index: dict[str, int] = {}
        for index, item in enumerate(items):
            if item.name in first_index:
                problems.append(
                    (
                        (key, index, "name"),
                        f"name '{item.name}' is already used by {key}[{first_index[item.name]}]; "
                        "names must be unique",
                    )
                )
                break
            first_index[item.name] = index
    return problems


def severity_shares_sum_to_one(scenario: Scenario) -> Problems:
    """The severity classes' shares sum to 1."""
    classes = scenario.severity.classes
    total = math.fsum(c.share for c in classes)
    if abs(total - 1.0) <= SHARE_TOLERANCE:
        return []
    shares = " + ".join(f"{c.share:g}" for c in classes)
    return [(("severity", "classes"), f"shares must sum to 1; they sum to {total:g} ({shares})")]


def condition_teams_exist(scenario: Scenario) -> Problems:
    """Every team a condition names exists, and a list of teams is not empty."""
    problems: Problems = []
    team_names = [t.name for t in scenario.teams]
    for index, condition in enumerate(scenario.conditions):
        for j, team in enumerate(condition.teams or ()):
            if team not in team_names:
                problems.append(
                    (
                        ("conditions", index, "teams", j),
                        f"no team named '{team}'; teams are: {', '.join(team_names)}",
                    )
                )
        if condition.teams is not None and not condition.teams:
            problems.append((("conditions", index, "teams"), "must name at least one team"))
    return problems


def unique_rule_names(scenario: Scenario) -> Problems:
    """Incentive rules have distinct labels (the first repeat is reported)."""
    labels = scenario.rule_labels
    for index, label in enumerate(labels):
        if label in labels[:index]:
            first = labels.index(label)
            return [
                (
                    ("incentives", index, "name"),
                    f"rule name '{label}' is already used by incentives[{first}]",
                )
            ]
    return []


def quality_gates_fit_level(scenario: Scenario) -> Problems:
    """A physician-level rule's quality gate names a metric physicians have."""
    problems: Problems = []
    for index, rule in enumerate(scenario.incentives):
        gate = getattr(rule, "quality_gate", None)
        if gate is not None and rule.level == "physician" and CATALOGUE[gate.metric].team_only:
            problems.append(
                (
                    ("incentives", index, "quality_gate", "metric"),
                    f"metric '{gate.metric}' exists for teams and the organisation only",
                )
            )
    return problems


def peer_pressure_period_order(scenario: Scenario) -> Problems:
    """Peer pressure ends no earlier than it starts."""
    pressure = scenario.peer_pressure
    if pressure.end_period is None or pressure.end_period >= pressure.start_period:
        return []
    return [
        (
            ("peer_pressure", "end_period"),
            f"end_period ({pressure.end_period}) is before start_period ({pressure.start_period})",
        )
    ]


def targeted_physicians_exist(scenario: Scenario) -> Problems:
    """A named target set names physicians of the scenario (``<team>.<NN>``)."""
    from simulate.incentives.targeting import physician_names

    known = physician_names(scenario.teams)
    owners = [
        (("incentives", index, "targeting"), rule.targeting)
        for index, rule in enumerate(scenario.incentives)
        if rule.targeting is not None
    ]
    if scenario.peer_pressure.targeting is not None:
        owners.append((("peer_pressure", "targeting"), scenario.peer_pressure.targeting))
    problems: Problems = []
    for where, targeting in owners:
        unknown = [name for name in targeting.physicians or () if name not in known]
        if unknown:
            problems.append(
                (
                    (*where, "physicians"),
                    f"no physician {', '.join(repr(u) for u in unknown)}; physicians are "
                    f"named <team>.<NN>, from {known[0]} to {known[-1]}",
                )
            )
    return problems


def mechanisms_need_adaptive(scenario: Scenario) -> Problems:
    """Mechanisms of the ``behaviour:`` section change how physicians adapt: they need
    adaptive physicians."""
    model = scenario.behaviour.model
    if model == "adaptive":
        return []
    return [
        (
            ("behaviour", part, "enabled"),
            f"{part} changes how physicians adapt; it needs behaviour.model: adaptive "
            f"(the model is '{model}')",
        )
        for part, section in scenario.behaviour.mechanisms().items()
        if section.enabled and section.needs_adaptive
    ]


def mechanisms_fit_the_world(scenario: Scenario) -> Problems:
    """What each enabled mechanism needs of the rest of the scenario (its ``problems``)."""
    return [
        (("behaviour", part, *path), message)
        for part, section in scenario.behaviour.mechanisms().items()
        for path, message in section.problems(scenario)
    ]


def a_base_payment(scenario: Scenario) -> Problems:
    """At least one base payment scheme is given."""
    payment = scenario.payment
    if any((payment.fee_for_service, payment.capitation, payment.salary, payment.bundled)):
        return []
    return [
        (
            ("payment",),
            "give at least one base payment: fee_for_service, capitation, salary or bundled",
        )
    ]


def capitation_payable(scenario: Scenario) -> Problems:
    """Capitation per physician is a finite amount."""
    capitation = scenario.payment.capitation
    if capitation is None:
        return []
    try:
        amount = capitation.per_patient_per_period * capitation.list_size_per_physician
    except OverflowError:  # an integer list size beyond the range of floating point
        amount = math.inf
    if math.isfinite(amount):
        return []
    digits = len(str(capitation.list_size_per_physician))
    return [
        (
            ("payment", "capitation", "list_size_per_physician"),
            "per_patient_per_period x list_size_per_physician is too large to pay "
            f"(the list size has {digits} digits)",
        )
    ]


def risk_bearing_has_a_scheme(scenario: Scenario) -> Problems:
    """Cost sharing applies to a bundle's episodes or a capitated list's care."""
    payment = scenario.payment
    if payment.risk_bearing.cost_share == 0 or payment.bundled or payment.capitation:
        return []
    return [
        (
            ("payment", "risk_bearing", "cost_share"),
            "a share of the cost of care is borne under bundled payment (the episode) or "
            "capitation (the list's care); give payment.bundled or payment.capitation, or "
            "set cost_share: 0",
        )
    ]


def prices_by_known_condition(scenario: Scenario) -> Problems:
    """Prices by condition name existing conditions, with finite prices >= 0."""
    problems: Problems = []
    condition_names = [c.name for c in scenario.conditions]
    for scheme in ("fee_for_service", "bundled"):
        part = getattr(scenario.payment, scheme)
        for name, price in (part.by_condition if part is not None else {}).items():
            where = ("payment", scheme, "by_condition", name)
            if name not in condition_names:
                known = ", ".join(condition_names)
                problems.append((where, f"no condition named '{name}'; conditions are: {known}"))
            elif not (math.isfinite(price) and price >= 0):
                problems.append((where, f"must be a number >= 0 (got {price})"))
    return problems


CHECKS: tuple[Callable[[Scenario], Problems], ...] = (
    warmup_before_horizon,
    unique_names,
    severity_shares_sum_to_one,
    condition_teams_exist,
    unique_rule_names,
    quality_gates_fit_level,
    peer_pressure_period_order,
    targeted_physicians_exist,
    mechanisms_need_adaptive,
    mechanisms_fit_the_world,
    a_base_payment,
    capitation_payable,
    risk_bearing_has_a_scheme,
    prices_by_known_condition,
)
"""The consistency checks, in the order their problems are reported."""


def inconsistencies(scenario: Scenario) -> Problems:
    """Every inconsistency found, as (field path, message); empty when consistent. The
    bounds on work and memory are checked once the world itself makes sense."""
    problems = [problem for check in CHECKS for problem in check(scenario)]
    if not problems:
        from simulate.scenario.workload import workload_problems

        problems.extend(workload_problems(scenario))
    return problems
