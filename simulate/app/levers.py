"""The page's levers, generated from the scenario and its schema (pydantic fields).

Each lever is a field of the scenario the user may change: its place (a path in the
scenario's data), the kind of control, the value shown, bounds, unit and one-line help
(the field's schema description). Nothing here is written per scenario: the base
payment schemes present, each incentive rule's money and timing, peer pressure, each
team's team-based care and the physicians' behaviour traits are read from whatever
scenario is loaded. Periods are shown as months counted from 1 (period 0 is month 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from simulate.app.lever import CHOICE, CHOICES, FLAG, INTEGER, MEAN, MONTH, NUMBER, Lever
from simulate.app.schema_levers import (
    BEHAVIOUR_FIELDS,
    FALLBACK_HELP,
    MAX_SAFE_SEED,
    RUN_FIELDS,
    TIMING,
    TRAITS,
    field_label,
    field_lever,
    first_sentence,
    model_levers,
    step_of,
)
from simulate.errors import ScenarioError
from simulate.scenario.models import Scenario
from simulate.scenario.yaml_source import Path_
from simulate.units import period_unit

# --- the levers of a scenario ---------------------------------------------------------


def levers(scenario: Scenario) -> list[Lever]:
    """Every lever of ``scenario``, in page order (grouped)."""
    common = {"horizon": scenario.horizon_periods, "period": period_unit(scenario.period_days)}
    out = payment_levers(scenario, common)
    out += rule_levers(scenario, common)
    # peer pressure (transparency, norm, what the dashboard targets, its timing)
    out.extend(model_levers(scenario.peer_pressure, ("peer_pressure",), "Peer pressure", **common))
    # team-based care per team
    for index, team in enumerate(scenario.teams):
        group = f"Team-based care: {team.name}"
        nurses = field_lever(team, "nurses", ("teams", index, "nurses"), group, **common)
        if nurses is not None:
            out.append(nurses)
        out.extend(
            model_levers(team.team_based_care, ("teams", index, "team_based_care"), group, **common)
        )
    # physicians' behaviour and traits
    group = "Physicians' behaviour"
    for name in BEHAVIOUR_FIELDS:
        if name in type(scenario.behaviour).model_fields:
            lever = field_lever(scenario.behaviour, name, ("behaviour", name), group, **common)
            if lever is not None:
                out.append(lever)
    for name in TRAITS:
        lever = trait_lever(scenario, name, group)
        if lever is not None:
            out.append(lever)
    return out


def payment_levers(scenario: Scenario, common: dict[str, Any]) -> list[Lever]:
    """The base payment schemes present: their rates and flags, and per-condition rates."""
    out: list[Lever] = []
    for scheme in type(scenario.payment).model_fields:
        part = getattr(scenario.payment, scheme)
        if part is None:
            continue
        group = "Base payment: " + scheme.replace("_", "-" if scheme == "fee_for_service" else " ")
        path = ("payment", scheme)
        out.extend(model_levers(part, path, group, **common))
        for name, info in type(part).model_fields.items():
            value = getattr(part, name)
            if not isinstance(value, Mapping):
                continue
            sibling = next(
                (lev for lev in out if lev.path[:2] == path and lev.kind == NUMBER),
                None,
            )
            for key, amount in value.items():
                out.append(
                    Lever(
                        path=(*path, name, key),
                        group=group,
                        label=f"{field_label(name)}: {key}",
                        kind=NUMBER,
                        value=float(amount),
                        help=first_sentence(info.description or ""),
                        unit=sibling.unit if sibling else "currency",
                        minimum=0.0,
                        step=step_of(amount, 0, None, False),
                    )
                )
    return out


def rule_levers(scenario: Scenario, common: dict[str, Any]) -> list[Lever]:
    """Each incentive rule's levers: money first, then switches and choices, then timing."""
    from simulate.accounts.metrics import METRIC_UNITS

    out: list[Lever] = []
    order = {NUMBER: 0, INTEGER: 0, FLAG: 1, CHOICE: 1, CHOICES: 1, MONTH: 2}
    for index, rule in enumerate(scenario.incentives):
        label = scenario.rule_labels[index]
        group = f"Rule {index + 1}: {label} ({rule.type.replace('_', ' ')}, on {rule.metric})"
        metric_unit = METRIC_UNITS.get(rule.metric)
        path = ("incentives", index)
        found = list(model_levers(rule, path, group, metric_unit=metric_unit, **common))
        found.sort(key=lambda lev: (lev.path[-1] in TIMING, order.get(lev.kind, 1)))
        out.extend(found)
    return out


def trait_lever(scenario: Scenario, name: str, group: str) -> Lever | None:
    """The mean of a physician trait's distribution as a lever."""
    traits = scenario.physician_traits
    if name not in type(traits).model_fields:
        return None
    dist = getattr(traits, name)
    info = type(traits).model_fields[name]
    help_text, unit = FALLBACK_HELP.get(name, (info.description or "", "number"))
    low = high = None
    if getattr(dist, "dist", "") == "beta":
        low, high = float(dist.low), float(dist.high)
    mean = float(dist.mean())
    return Lever(
        path=("physician_traits", name),
        group=group,
        label=f"{field_label(name)} (mean)",
        kind=MEAN,
        value=round(mean, 4),
        help=first_sentence(help_text) + f" Now {dist.dist} with mean {mean:.3g}.",
        unit=unit,
        minimum=low,
        maximum=high,
        step=0.01,
    )


def run_levers(scenario: Scenario, replications: int = 4) -> list[Lever]:
    """Run settings both sides share: replications, horizon, warm-up, seed."""
    period = period_unit(scenario.period_days)
    group = "Run settings"
    out = [
        Lever(
            path=("replications",),
            group=group,
            label="Replications",
            kind=INTEGER,
            value=replications,
            help="Replications of each side (the edited and the unchanged scenario), the "
            "same patients on both sides (common random numbers).",
            unit="count",
            minimum=1,
            maximum=100,
            step=1,
        )
    ]
    for name in RUN_FIELDS:
        lever = field_lever(
            scenario, name, (name,), group, horizon=scenario.horizon_periods, period=period
        )
        if lever is None:
            continue
        if name == "horizon_periods":
            lever = _replace(lever, label="Horizon", unit=f"{period}s")
        elif name == "warmup_periods":
            lever = _replace(
                lever,
                label="Warm-up",
                unit=f"{period}s",
                help="First periods left out of the summaries and the comparison window.",
            )
        elif name == "seed":
            lever = _replace(
                lever,
                help="Random seed: the same seed gives the same numbers.",
                unit="number",
                maximum=MAX_SAFE_SEED,
            )
        out.append(lever)
    return out


def _replace(lever: Lever, **changes: Any) -> Lever:
    from dataclasses import replace

    return replace(lever, **changes)


# --- from shown values to scenario edits ----------------------------------------------


def same(a: Any, b: Any) -> bool:
    """Whether two shown values are the same (numbers to 1e-9, relative)."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return list(a) == list(b)
    return a == b


def changed(lever_list: list[Lever], shown: Mapping[str, Any]) -> list[tuple[Lever, Any]]:
    """The levers whose shown value differs from the scenario's, with that value."""
    return [
        (lever, shown[lever.key])
        for lever in lever_list
        if lever.key in shown and not same(shown[lever.key], lever.value)
    ]


def to_scenario_value(lever: Lever, shown: Any, scenario: Scenario) -> Any:
    """A shown value as the value to write at the lever's path."""
    if lever.kind == MONTH:
        return None if shown is None else int(shown) - 1
    if lever.kind == INTEGER:
        return None if shown is None else int(shown)
    if lever.kind == NUMBER:
        return None if shown is None else float(shown)
    if lever.kind == CHOICES:
        return list(shown)
    if lever.kind == MEAN:
        dist = getattr(scenario.physician_traits, lever.path[-1])
        return with_mean(dist.model_dump(by_alias=True), float(shown), lever.where)
    return shown


def edits(
    lever_list: list[Lever], shown: Mapping[str, Any], scenario: Scenario
) -> dict[Path_, Any]:
    """Scenario edits (path -> value) for the levers the user changed."""
    return {
        lever.path: to_scenario_value(lever, value, scenario)
        for lever, value in changed(lever_list, shown)
    }


def with_mean(dist: dict[str, Any], mean: float, where: str = "") -> dict[str, Any]:
    """A distribution (as data) moved to ``mean``, keeping its spread: a beta keeps a + b
    (its concentration), a uniform its width, a normal or log-normal its sd or sigma."""
    out = dict(dist)
    kind = out.get("dist", "fixed")
    if kind == "fixed":
        out["value"] = mean
    elif kind in ("normal", "lognormal"):
        out["mean"] = mean
    elif kind == "uniform":
        shift = mean - 0.5 * (out["low"] + out["high"])
        out["low"], out["high"] = out["low"] + shift, out["high"] + shift
    elif kind == "beta":
        low, high = float(out.get("low", 0.0)), float(out.get("high", 1.0))
        share = (mean - low) / (high - low)
        if not 0 < share < 1:
            raise ScenarioError(
                f"the mean of a beta distribution must lie strictly between {low:g} and "
                f"{high:g} (got {mean:g})",
                field=where or None,
            )
        total = float(out["a"]) + float(out["b"])
        out["a"], out["b"] = share * total, (1 - share) * total
    return out
