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
import re
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from simulate.errors import ScenarioError
from simulate.scenario.models import Scenario
from simulate.scenario.yaml_source import Path_, format_path
from simulate.units import period_unit

NUMBER, INTEGER, MONTH, CHOICE, CHOICES, FLAG, MEAN = (
    "number",
    "integer",
    "month",
    "choice",
    "choices",
    "flag",
    "mean",
)
"""Kinds of lever: a number, a whole number, a month (counted from 1), one of a list,
several of a list, on/off, and the mean of a trait's distribution."""

TIMING = ("start_period", "end_period", "every", "lag")
"""Rule fields about when a rule applies (shown after its money)."""
SKIPPED = ("type", "name", "metric", "description")
"""Fields that name or identify a rule rather than set its size or timing."""
METRIC_VALUED = ("threshold", "worst", "best", "benchmark")
"""Rule fields in the units of the rule's metric."""
BEHAVIOUR_FIELDS = ("model", "loss_aversion")
TRAITS = ("altruism", "peer_sensitivity", "income_weight")
"""The physicians' traits offered as levers (the mean of each one's distribution)."""
RUN_FIELDS = ("horizon_periods", "warmup_periods", "seed")
MAX_SAFE_SEED = 2**53 - 1
"""Largest seed a browser's number input holds exactly."""
"""Scenario fields both sides of a run share (set in the run settings)."""

FALLBACK_HELP: dict[str, tuple[str, str]] = {
    "nurses": ("Nurses in the team; with team-based care each carries extra patients.", "nurses"),
    "altruism": (
        "Weight physicians put on their patients' health gain (0 none, 1 full): mean of "
        "the distribution traits are drawn from.",
        "0-1",
    ),
    "peer_sensitivity": (
        "How much physicians care about their standing on the dashboard against peers: "
        "mean of the distribution traits are drawn from.",
        "0-1",
    ),
    "income_weight": (
        "Weight physicians put on income (1: utility measured in money): mean of the "
        "distribution traits are drawn from.",
        "weight",
    ),
}
"""Help and unit of fields whose schema has no description (docs/model.md)."""


@dataclass(frozen=True)
class Lever:
    """One control on the page."""

    path: Path_
    """Where in the scenario's data the value goes."""
    group: str
    label: str
    kind: str
    value: Any
    """The value as shown: months from 1 for a month; a trait's mean for a mean."""
    help: str
    unit: str
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[Any, ...] = ()
    optional: bool = False
    """Whether it may be empty (none: no cap, to the end, ...)."""

    @property
    def key(self) -> str:
        """The widget key (stable for a scenario)."""
        return "lever:" + format_path(self.path)

    @property
    def where(self) -> str:
        """The field path as messages and the session log write it."""
        return format_path(self.path)

    @property
    def number_format(self) -> str:
        """printf format for a number input."""
        if self.kind in (INTEGER, MONTH) or not self.step or self.step >= 1:
            return "%d" if self.kind in (INTEGER, MONTH) else "%.0f"
        return f"%.{max(0, -math.floor(math.log10(self.step)))}f"

    def text(self, shown: Any) -> str:
        """A shown value in words, for the change list and the log."""
        if shown is None:
            return "to the end" if self.kind == MONTH else "none"
        if self.kind == MONTH:
            return f"month {shown}"
        if self.kind == FLAG:
            return "on" if shown else "off"
        if self.kind == CHOICES:
            return ", ".join(map(str, shown)) or "none"
        if isinstance(shown, float):
            return f"{shown:,.6g}"
        return str(shown)


# --- schema reading -------------------------------------------------------------------


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type inside ``X | None``, whether None is allowed)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], len(args) < len(typing.get_args(annotation))
    return annotation, False


def _bounds(info: Any) -> tuple[float | None, float | None, bool]:
    """(lowest, highest, lowest excluded) from a field's ge/gt/le/lt constraints."""
    low = high = None
    exclusive = False
    for item in info.metadata:
        if getattr(item, "ge", None) is not None:
            low = item.ge
        if getattr(item, "gt", None) is not None:
            low, exclusive = item.gt, True
        if getattr(item, "le", None) is not None:
            high = item.le
        if getattr(item, "lt", None) is not None:
            high = item.lt
    return low, high, exclusive


def _first_sentence(text: str) -> str:
    text = " ".join(str(text or "").split())
    match = re.match(r"(.+?\.)(\s|$)", text)
    return (match.group(1) if match else text).strip()


_CURRENCY_PER = re.compile(r"currency per (.+?)(?= in | of a | of the | at | \(|[.,;:]|$)", re.I)
MONEY_FIELDS = ("bonus", "penalty", "amount", "cap")
"""Fields that are amounts of money whatever their description says."""


def unit_of(
    name: str,
    description: str,
    low: float | None,
    high: float | None,
    *,
    integer: bool = False,
    period: str = "month",
    metric_unit: str | None = None,
) -> str:
    """A short unit for a field, from its name, description and bounds."""
    text = str(description or "")
    lower = text.lower()
    if name.endswith("_period") and integer:
        return "counted from 1"
    if name in METRIC_VALUED and metric_unit:
        return metric_unit
    match = _CURRENCY_PER.search(text)
    if match:
        return "currency per " + match.group(1).strip()
    if "currency" in lower or name in MONEY_FIELDS:
        return "currency"
    if low == 0 and high == 1:
        return "share 0-1" if "share" in lower else "0-1"
    if lower.startswith("weight") or "ratio" in lower:
        return "weight"
    if "periods" in lower:
        return f"{period}s"
    if "patients" in lower:
        return "patients"
    if "days" in lower:
        return "days"
    return "count" if integer else "number"


def _step(
    value: Any, low: float | None, high: float | None, integer: bool, money: bool = False
) -> float:
    if integer:
        return 1
    if low == 0 and high is not None and high <= 10:
        return 0.01
    size = abs(float(value)) if isinstance(value, int | float) and value else 0.0
    if size == 0:
        return 0.01 if high is not None and high <= 10 else 100.0 if money else 0.01
    return float(10 ** (math.floor(math.log10(size)) - 1))


def _description(cls: type, name: str) -> str:
    """A field's schema description; from a parent class when a subclass redefines the
    field without one (e.g. a rule fixing its ``level``)."""
    for klass in cls.__mro__:
        fields = getattr(klass, "model_fields", None) or {}
        info = fields.get(name) if isinstance(fields, dict) else None
        if info is not None and info.description:
            return info.description
    return ""


def _label(name: str) -> str:
    words = name.replace("_", " ")
    return words[:1].upper() + words[1:]


def field_lever(
    model: BaseModel,
    name: str,
    path: Path_,
    group: str,
    *,
    horizon: int,
    period: str = "month",
    metric_unit: str | None = None,
    label: str | None = None,
) -> Lever | None:
    """The lever of ``model.name`` at ``path``, or None when the field is not a number,
    a flag or a choice."""
    info = type(model).model_fields[name]
    value = getattr(model, name)
    kind_type, optional = _unwrap(info.annotation)
    low, high, exclusive = _bounds(info)
    fallback_help, fallback_unit = FALLBACK_HELP.get(name, ("", ""))
    description = _description(type(model), name) or fallback_help
    help_text = _first_sentence(description)
    choices: tuple[Any, ...] = ()
    shown = value
    if kind_type is bool:
        kind, unit = FLAG, "on/off"
    elif kind_type is int and name in ("start_period", "end_period"):
        kind = MONTH
        unit = "counted from 1"
        shown = None if value is None else int(value) + 1
        low, high = 1, max(horizon, shown or 1)
        label = label or ("Starts in month" if name == "start_period" else "Last month in force")
        help_text = help_text.replace(" (0-based)", "")
        help_text += f" Shown as {period}s counted from 1; empty: to the end."
        if name == "start_period":
            help_text = help_text.replace("; empty: to the end.", ".")
    elif kind_type is int:
        kind = INTEGER
        unit = fallback_unit or unit_of(name, description, low, high, integer=True, period=period)
        if exclusive and low is not None:
            low += 1
    elif kind_type is float:
        kind = NUMBER
        unit = fallback_unit or unit_of(
            name, description, low, high, period=period, metric_unit=metric_unit
        )
        shown = None if value is None else float(value)
    elif typing.get_origin(kind_type) is Literal:
        kind, unit = CHOICE, "choice"
        choices = typing.get_args(kind_type)
    elif (
        typing.get_origin(kind_type) is tuple
        and typing.get_origin(typing.get_args(kind_type)[0]) is Literal
    ):
        kind, unit = CHOICES, "choices"
        choices = typing.get_args(typing.get_args(kind_type)[0])
        shown = list(value)
    else:
        return None
    step = None
    if kind in (NUMBER, INTEGER, MONTH):
        step = _step(value, low, high, kind != NUMBER, money=unit.startswith("currency"))
    return Lever(
        path=path,
        group=group,
        label=label or _label(name),
        kind=kind,
        value=shown,
        help=help_text,
        unit=unit,
        minimum=None if low is None else (int(low) if kind != NUMBER else float(low)),
        maximum=None if high is None else (int(high) if kind != NUMBER else float(high)),
        step=step,
        choices=choices,
        optional=optional,
    )


def _model_levers(
    model: BaseModel, path: Path_, group: str, *, horizon: int, period: str, **kw: Any
) -> Iterator[Lever]:
    for name in type(model).model_fields:
        if name in SKIPPED:
            continue
        lever = field_lever(model, name, (*path, name), group, horizon=horizon, period=period, **kw)
        if lever is not None:
            yield lever


# --- the levers of a scenario ---------------------------------------------------------


def levers(scenario: Scenario) -> list[Lever]:
    """Every lever of ``scenario``, in page order (grouped)."""
    from simulate.accounts.metrics import METRIC_UNITS

    horizon = scenario.horizon_periods
    period = period_unit(scenario.period_days)
    common = {"horizon": horizon, "period": period}
    out: list[Lever] = []
    # base payment: the schemes present, their rates and flags, per-condition rates
    for scheme in type(scenario.payment).model_fields:
        part = getattr(scenario.payment, scheme)
        if part is None:
            continue
        group = "Base payment: " + scheme.replace("_", "-" if scheme == "fee_for_service" else " ")
        path = ("payment", scheme)
        out.extend(_model_levers(part, path, group, **common))
        for name, info in type(part).model_fields.items():
            value = getattr(part, name)
            if isinstance(value, Mapping):
                sibling = next(
                    (
                        lev
                        for lev in out
                        if lev.path[:2] == path and lev.kind == NUMBER and lev.group == group
                    ),
                    None,
                )
                for key, amount in value.items():
                    out.append(
                        Lever(
                            path=(*path, name, key),
                            group=group,
                            label=f"{_label(name)}: {key}",
                            kind=NUMBER,
                            value=float(amount),
                            help=_first_sentence(info.description or ""),
                            unit=sibling.unit if sibling else "currency",
                            minimum=0.0,
                            step=_step(amount, 0, None, False),
                        )
                    )
    # incentive rules: money first, then switches and choices, then timing
    for index, rule in enumerate(scenario.incentives):
        label = scenario.rule_labels[index]
        group = f"Rule {index + 1}: {label} ({rule.type.replace('_', ' ')}, on {rule.metric})"
        found = list(
            _model_levers(
                rule,
                ("incentives", index),
                group,
                metric_unit=METRIC_UNITS.get(rule.metric),
                **common,
            )
        )
        order = {NUMBER: 0, INTEGER: 0, FLAG: 1, CHOICE: 1, CHOICES: 1, MONTH: 2}
        found.sort(key=lambda lev: (lev.path[-1] in TIMING, order.get(lev.kind, 1)))
        out.extend(found)
    # peer pressure (transparency, norm, what the dashboard targets, its timing)
    out.extend(_model_levers(scenario.peer_pressure, ("peer_pressure",), "Peer pressure", **common))
    # team-based care per team
    for index, team in enumerate(scenario.teams):
        group = f"Team-based care: {team.name}"
        nurses = field_lever(team, "nurses", ("teams", index, "nurses"), group, **common)
        if nurses is not None:
            out.append(nurses)
        out.extend(
            _model_levers(
                team.team_based_care, ("teams", index, "team_based_care"), group, **common
            )
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
        label=f"{_label(name)} (mean)",
        kind=MEAN,
        value=round(mean, 4),
        help=_first_sentence(help_text) + f" Now {dist.dist} with mean {mean:.3g}.",
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
