"""A calibration target: a catalogue metric at a level, for a subgroup and a window, as a
level or as a policy's effect against a control (or a ratio of two effects), with a
published value and its uncertainty (SE, or a 95% CI read as +-1.96 SE) and its source."""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulate.accounts.catalogue import LEVELS, METRIC_CATALOGUE
from simulate.accounts.metrics import METRICS
from simulate.compare.subgroups import labels_of, parse_by
from simulate.compare.window import Window, parse_window, policy_windows
from simulate.errors import ScenarioError
from simulate.scenario.yaml_source import Path_

Z95 = 1.959963984540054
"""The standard normal's 97.5% quantile: a 95% CI is value +- Z95 SE."""
NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
PHASE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
MONTHS = re.compile(r"\s*\d+\s*-\s*\d+\s*")


def explicit_window(text: str) -> Window | None:
    """``13-24`` or ``during=13-24`` as a Window; None for a phase name (``during``);
    ScenarioError for anything else."""
    if PHASE.fullmatch(text.strip()):
        return None
    return parse_window(f"months={text}" if MONTHS.fullmatch(text) else text)


class FieldError(ValueError):
    """A problem with one field (``path`` relative to the model that raised it)."""

    def __init__(self, path: Path_, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


class Effect(BaseModel):
    """The target is the effect of variant ``of`` against variant ``against``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    of: str = Field(min_length=1, description="The policy variant.")
    against: str = Field(min_length=1, description="The control variant.")
    scale: Literal["absolute", "relative"] = Field(
        "absolute",
        description="absolute: policy - control (the metric's unit); relative: "
        "policy / control - 1 (a share, -0.05 for 5% lower).",
    )
    per: str | None = Field(
        None,
        description="A third variant: the target is the ratio of the mean effects "
        "(of - against) / (per - against), unit-free (scale does not matter).",
    )


class Target(BaseModel):
    """One published figure the model should reproduce."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME, description="Column name in trials.csv.")
    world: str | None = Field(
        None, description="The world it is measured in (default: the only one)."
    )
    metric: Literal[METRICS] = Field(description="A catalogue metric (docs/outputs.md).")  # type: ignore[valid-type]
    level: Literal["organisation", "team", "physician"] = "organisation"
    subgroup: str | None = Field(
        None,
        description="team level: a team; physician level: a team (its physicians) or one "
        "physician (team.01); with by: the group (targeted, untargeted, Q1, ...). "
        "Default: the mean over the level's units.",
    )
    by: str | None = Field(
        None,
        description="Subgroups of the organisation's physicians, as simulate compare --by: "
        "targeted, baseline-quartile:METRIC or baseline-quantile:METRIC:K.",
    )
    versus: Literal["organisation"] | None = Field(
        None,
        description="With by: the group's figure minus the whole organisation's (all its "
        "physicians pooled): the group's gap to the mean.",
    )
    baseline: str | None = Field(
        None,
        description="Months FIRST-LAST of the baseline quantiles (default: the months "
        "before the policy, as simulate compare).",
    )
    window: str | None = Field(
        None, description="Months FIRST-LAST from 1 (default: after warm-up)."
    )
    variant: str | None = Field(None, description="A level target's variant (default: the first).")
    effect: Effect | None = None
    value: float = Field(allow_inf_nan=False, description="The published value.")
    se: float | None = Field(None, gt=0, allow_inf_nan=False, description="Its standard error.")
    ci: tuple[float, float] | None = Field(None, description="Or its 95% confidence interval.")
    weight: float = Field(1.0, gt=0, allow_inf_nan=False, description="Weight in the distance.")
    label: str | None = Field(None, description="Name in the report (default: name).")
    source: str | None = Field(
        None, description="Where the value comes from (e.g. an EVIDENCE.md row: 'Patel 2018')."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if (self.se is None) == (self.ci is None):
            raise FieldError(("se",), "give the value's uncertainty as se or as ci (one of them)")
        if self.ci is not None:
            low, high = self.ci
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise FieldError(
                    ("ci",), f"a 95% CI is [low, high] with low < high (got {list(self.ci)})"
                )
            if not low <= self.value <= high:
                raise FieldError(("value",), f"{self.value:g} lies outside its ci {list(self.ci)}")
        if self.variant is not None and self.effect is not None:
            raise FieldError(("variant",), "a target is a level (variant) or an effect, not both")
        if self.level not in METRIC_CATALOGUE[self.metric].levels:
            allowed = ", ".join(METRIC_CATALOGUE[self.metric].levels)
            raise FieldError(("level",), f"{self.metric} is defined at {allowed} only")
        if self.by is not None:
            self._check_by()
        elif self.subgroup is not None and self.level == "organisation":
            raise FieldError(("subgroup",), "a subgroup needs level team or physician, or by:")
        elif self.baseline is not None:
            raise FieldError(("baseline",), "a baseline window needs by: baseline-quartile")
        elif self.versus is not None:
            raise FieldError(("versus",), "a gap to the organisation needs by: (a subgroup)")
        if self.effect is not None and self.effect.per in (self.effect.of, self.effect.against):
            raise FieldError(("effect", "per"), "per names a third variant (not of or against)")
        if self.window is not None:
            try:
                explicit_window(self.window)
            except ScenarioError as exc:
                raise FieldError(("window",), exc.message) from None
        return self

    def _check_by(self) -> None:
        """``by`` is a compare subgroup form, at organisation level, naming its group."""
        try:
            kind, _ = parse_by(str(self.by))
        except ScenarioError as exc:
            raise FieldError(("by",), exc.message.replace("--by", "by")) from None
        labels = labels_of(str(self.by))
        if labels is None:
            raise FieldError(("by",), "for a team give level: team and subgroup: TEAM instead")
        if self.level != "organisation":
            raise FieldError(("level",), "a target by subgroup is at level organisation")
        if self.subgroup not in labels:
            raise FieldError(("subgroup",), f"with by: {self.by}, one of {', '.join(labels)}")
        if self.baseline is not None:
            if kind == "targeted":
                raise FieldError(("baseline",), "a baseline window is for baseline quantiles")
            try:
                explicit_window(self.baseline)
            except ScenarioError as exc:
                raise FieldError(("baseline",), exc.message) from None
            if explicit_window(self.baseline) is None:
                raise FieldError(("baseline",), "give months FIRST-LAST (e.g. 1-12)")

    @property
    def standard_error(self) -> float:
        """The SE, given or from the 95% CI's half-width / 1.96."""
        if self.se is not None:
            return self.se
        assert self.ci is not None
        return (self.ci[1] - self.ci[0]) / (2 * Z95)

    @property
    def shown(self) -> str:
        """Its label, else its name."""
        return self.label or self.name

    def window_of(self, scenario) -> Window:
        """The target's window in ``scenario`` (the policy variant's, for an effect):
        months after warm-up by default; a phase from its policy dates. ValueError when
        the scenario has no such phase or the window passes its horizon."""
        horizon = scenario.horizon_periods
        if self.window is None:
            return Window("after_warmup", scenario.warmup_periods + 1, horizon)
        window = explicit_window(self.window)
        if window is None:
            phases = {w.name: w for w in policy_windows(scenario)}
            if self.window.strip() not in phases:
                raise ValueError(
                    f"no policy phase '{self.window}' in this world (phases: "
                    f"{', '.join(phases) or 'none'}; or give months, as 13-24)"
                )
            window = phases[self.window.strip()]
        if window.last_month > horizon:
            raise ValueError(
                f"ends in month {window.last_month}, after the horizon ({horizon} months)"
            )
        return window

    def variants(self, first: str) -> tuple[str, ...]:
        """The variants it reads: (policy, control[, per]) for an effect, else its one."""
        if self.effect is not None:
            per = (self.effect.per,) if self.effect.per else ()
            return (self.effect.of, self.effect.against, *per)
        return (self.variant or first,)


__all__ = ["LEVELS", "Z95", "Effect", "FieldError", "Target"]
