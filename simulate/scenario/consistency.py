"""Checks across fields that a single field's validation cannot see."""

from __future__ import annotations

import math

from simulate.accounts.catalogue import CATALOGUE
from simulate.scenario.models import Scenario
from simulate.scenario.yaml_source import Path_

SHARE_TOLERANCE = 1e-6


def inconsistencies(scenario: Scenario) -> list[tuple[Path_, str]]:
    """Every inconsistency found, as (field path, message); empty when consistent."""
    problems: list[tuple[Path_, str]] = []
    if scenario.warmup_periods >= scenario.horizon_periods:
        problems.append(
            (
                ("warmup_periods",),
                f"warm-up ({scenario.warmup_periods} periods) must be shorter than the "
                f"horizon ({scenario.horizon_periods} periods)",
            )
        )
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
    classes = scenario.severity.classes
    total = math.fsum(c.share for c in classes)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        shares = " + ".join(f"{c.share:g}" for c in classes)
        problems.append(
            (("severity", "classes"), f"shares must sum to 1; they sum to {total:g} ({shares})")
        )
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
    labels = scenario.rule_labels
    for index, label in enumerate(labels):
        if label in labels[:index]:
            first = labels.index(label)
            problems.append(
                (
                    ("incentives", index, "name"),
                    f"rule name '{label}' is already used by incentives[{first}]",
                )
            )
            break
    for index, rule in enumerate(scenario.incentives):
        gate = getattr(rule, "quality_gate", None)
        if gate is not None and rule.level == "physician" and CATALOGUE[gate.metric].team_only:
            problems.append(
                (
                    ("incentives", index, "quality_gate", "metric"),
                    f"metric '{gate.metric}' exists for teams and the organisation only",
                )
            )
    pressure = scenario.peer_pressure
    if pressure.end_period is not None and pressure.end_period < pressure.start_period:
        problems.append(
            (
                ("peer_pressure", "end_period"),
                f"end_period ({pressure.end_period}) is before start_period "
                f"({pressure.start_period})",
            )
        )
    behaviour = scenario.behaviour
    for part in ("selection", "multitasking", "crowding_out"):
        if getattr(behaviour, part).enabled and behaviour.model != "adaptive":
            problems.append(
                (
                    ("behaviour", part, "enabled"),
                    f"{part} changes how physicians adapt; it needs behaviour.model: adaptive "
                    f"(the model is '{behaviour.model}')",
                )
            )
    if behaviour.selection.enabled and not any(c.high_risk for c in scenario.severity.classes):
        problems.append(
            (
                ("behaviour", "selection", "enabled"),
                "selection declines high-risk patients, but no severity class has high_risk: true",
            )
        )
    payment = scenario.payment
    if not any((payment.fee_for_service, payment.capitation, payment.salary, payment.bundled)):
        problems.append(
            (
                ("payment",),
                "give at least one base payment: fee_for_service, capitation, salary or bundled",
            )
        )
    capitation = payment.capitation
    if capitation is not None:
        try:
            amount = capitation.per_patient_per_period * capitation.list_size_per_physician
        except OverflowError:  # an integer list size beyond the range of floating point
            amount = math.inf
        if not math.isfinite(amount):
            digits = len(str(capitation.list_size_per_physician))
            problems.append(
                (
                    ("payment", "capitation", "list_size_per_physician"),
                    "per_patient_per_period x list_size_per_physician is too large to pay "
                    f"(the list size has {digits} digits)",
                )
            )
    condition_names = [c.name for c in scenario.conditions]
    for scheme in ("fee_for_service", "bundled"):
        part = getattr(payment, scheme)
        for name, price in (part.by_condition if part is not None else {}).items():
            where = ("payment", scheme, "by_condition", name)
            if name not in condition_names:
                known = ", ".join(condition_names)
                problems.append((where, f"no condition named '{name}'; conditions are: {known}"))
            elif not (math.isfinite(price) and price >= 0):
                problems.append((where, f"must be a number >= 0 (got {price})"))
    if not problems:  # bounds on work and memory, once the world itself makes sense
        from simulate.scenario.workload import workload_problems

        problems.extend(workload_problems(scenario))
    return problems
