"""Levers read from the scenario schema: a pydantic field's type, bounds, unit and
description become a control (``field_lever``); a model's fields, the levers of a part
of the scenario (``model_levers``)."""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel

from simulate.app.lever import CHOICE, CHOICES, FLAG, INTEGER, MONTH, NUMBER, Lever
from simulate.scenario.yaml_source import Path_

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


def first_sentence(text: str) -> str:
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


def step_of(
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


def field_label(name: str) -> str:
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
    description, fallback_unit = _described(type(model), name)
    help_text = first_sentence(description)
    choices: tuple[Any, ...] = ()
    shown = value
    if kind_type is bool:
        kind, unit = FLAG, "on/off"
    elif kind_type is int and name in ("start_period", "end_period"):
        kind, unit = MONTH, "counted from 1"
        shown, low, high, label, help_text = _month(name, value, horizon, period, label, help_text)
    elif kind_type is int:
        kind = INTEGER
        unit = fallback_unit or unit_of(name, description, low, high, integer=True, period=period)
        low = low + 1 if exclusive and low is not None else low
    elif kind_type is float:
        kind, shown = NUMBER, None if value is None else float(value)
        units = {"period": period, "metric_unit": metric_unit}
        unit = fallback_unit or unit_of(name, description, low, high, **units)
    elif _literal_choices(kind_type) is not None:
        kind, unit = CHOICE, "choice"
        choices = _literal_choices(kind_type)
    elif typing.get_origin(kind_type) is tuple and _literal_choices(typing.get_args(kind_type)[0]):
        kind, unit = CHOICES, "choices"
        choices = _literal_choices(typing.get_args(kind_type)[0])
        shown = list(value)
    else:
        return None
    money = unit.startswith("currency")
    numeric = kind in (NUMBER, INTEGER, MONTH)
    step = step_of(value, low, high, kind != NUMBER, money=money) if numeric else None
    return Lever(
        path=path,
        group=group,
        label=label or field_label(name),
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


def _described(cls: type, name: str) -> tuple[str, str]:
    """(description, fallback unit) of a field: the schema's, else FALLBACK_HELP's."""
    fallback_help, fallback_unit = FALLBACK_HELP.get(name, ("", ""))
    return _description(cls, name) or fallback_help, fallback_unit


def _month(name: str, value: Any, horizon: int, period: str, label: str | None, help_text: str):
    """(shown, low, high, label, help) of a start or end period shown as a month from 1."""
    shown = None if value is None else int(value) + 1
    label = label or ("Starts in month" if name == "start_period" else "Last month in force")
    help_text = help_text.replace(" (0-based)", "")
    help_text += f" Shown as {period}s counted from 1; empty: to the end."
    if name == "start_period":
        help_text = help_text.replace("; empty: to the end.", ".")
    return shown, 1, max(horizon, shown or 1), label, help_text


def _literal_choices(annotation: Any) -> tuple[Any, ...] | None:
    """The values of a ``Literal[...]`` annotation, else None."""
    return typing.get_args(annotation) if typing.get_origin(annotation) is Literal else None


def model_levers(
    model: BaseModel, path: Path_, group: str, *, horizon: int, period: str, **kw: Any
) -> Iterator[Lever]:
    for name in type(model).model_fields:
        if name in SKIPPED:
            continue
        lever = field_lever(model, name, (*path, name), group, horizon=horizon, period=period, **kw)
        if lever is not None:
            yield lever
