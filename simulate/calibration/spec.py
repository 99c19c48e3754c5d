"""The ``calibration:`` section of a scenario file, validated, with errors at file:line:field.

```yaml
calibration:
  replications: 4                     # per evaluation, world and variant (>= 2: the noise)
  seed: 7                             # places screening and prior draws, seeds the optimiser
  parameters:
    - path: behaviour.adjustment_cost
      low: 1000
      high: 30000
      prior: loguniform               # or a distribution: {type: normal, mean: 7500, se: 2500}
  worlds:                             # default: this file (its scenario and variants)
    - {name: feedback, scenario: peer_world.yaml, set: {horizon_periods: 24}}
  targets:
    - name: intensity_effect
      world: feedback
      metric: intensity
      effect: {of: feedback, against: control, scale: relative}
      window: 13-24
      value: -0.05
      ci: [-0.08, -0.02]
  method: {screening: 32, optimiser: tpe, trials: 32, batch: 4, prior_draws: 64}
```
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulate.accounts.metrics import METRICS
from simulate.calibration.target_spec import NAME, FieldError, Target
from simulate.errors import ScenarioError
from simulate.psa.distributions import Dirichlet, Distribution
from simulate.scenario.schema import allowed_keys, suggest, unknown_key_message
from simulate.scenario.yaml_source import Path_, format_path
from simulate.sweep.spec import first_error, line_of

SECTION = "calibration"
PRIORS = ("uniform", "loguniform", "normal", "beta", "gamma", "lognormal", "triangular")
"""Prior ``type`` names (the scalar distributions of ``psa.distributions``)."""
MIN_PRIOR_MASS = 1e-9
"""A prior with less probability than this inside the bounds is refused."""


class CalibrationParameter(BaseModel):
    """One value to fit: a dotted path, its bounds, and its prior (truncated to them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1, description="Dotted path, e.g. behaviour.adjustment_cost.")
    low: float = Field(allow_inf_nan=False, description="Lower bound (the value's unit).")
    high: float = Field(allow_inf_nan=False, description="Upper bound (the value's unit).")
    prior: Distribution | None = Field(
        None,
        description="uniform (default) or loguniform on the bounds, or a distribution "
        "(normal, beta, gamma, lognormal, triangular) truncated to them.",
    )
    label: str | None = Field(None, description="Name in figures (default: the path).")

    @model_validator(mode="before")
    @classmethod
    def _prior_on_bounds(cls, data: Any) -> Any:
        """``prior: uniform`` / ``loguniform`` (or without low/high) takes the bounds."""
        if not isinstance(data, dict):
            return data
        prior = data.get("prior")
        if isinstance(prior, str) and prior in ("uniform", "loguniform"):
            prior = {"type": prior}
        if isinstance(prior, dict) and prior.get("type") in ("uniform", "loguniform"):
            prior = {"low": data.get("low"), "high": data.get("high"), **prior}
        return {**data, "prior": prior} if "prior" in data else data

    @model_validator(mode="after")
    def _bounds(self) -> CalibrationParameter:
        if self.low >= self.high:
            raise FieldError(
                ("high",), f"empty range: low ({self.low:g}) must be below high ({self.high:g})"
            )
        if isinstance(self.prior, Dirichlet):
            raise FieldError(("prior",), f"a prior is one of {', '.join(PRIORS)}")
        if self.prior is not None:
            mean = self.prior.mean
            frozen = self.prior.frozen()
            mass = float(frozen.cdf(self.high) - frozen.cdf(self.low))
            if not self.low <= mean <= self.high or mass < MIN_PRIOR_MASS:
                raise FieldError(
                    ("prior",),
                    f"the prior (mean {mean:g}) lies outside the bounds [{self.low:g}, "
                    f"{self.high:g}]; centre it inside them or widen them",
                )
        return self

    @property
    def shown(self) -> str:
        return self.label or self.path

    @property
    def log_scale(self) -> bool:
        """Whether the optimiser searches it on a log scale (a log-uniform prior)."""
        return self.prior is not None and self.prior.type == "loguniform"


class WorldSpec(BaseModel):
    """A small scenario with its variants, in which targets are measured."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME, description="How targets name it.")
    scenario: str = Field(
        min_length=1, description="Scenario file (relative to this file) or a bundled name."
    )
    set: dict[str, Any] = Field(
        default_factory=dict, description="Values merged over it (a scenario fragment)."
    )


class Method(BaseModel):
    """How the parameter space is searched."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    screening: int = Field(32, ge=2, le=100_000, description="Latin hypercube prior draws.")
    optimiser: Literal["tpe", "cmaes"] = Field("tpe", description="Optuna's sampler.")
    trials: int = Field(32, ge=0, le=100_000, description="Optimiser trials after screening.")
    batch: int = Field(4, ge=1, le=1024, description="Trials asked at once, run in parallel.")
    prior_draws: int = Field(
        64, ge=0, le=100_000, description="Further prior draws for the accepted set."
    )
    tolerance: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="Accept prior draws within this distance of the best (-2 log-likelihood "
        "units); default the chi-square 95% quantile with one degree per parameter.",
    )


class CalibrationSpec(BaseModel):
    """The validated ``calibration:`` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    parameters: tuple[CalibrationParameter, ...] = Field(min_length=1)
    targets: tuple[Target, ...] = Field(min_length=1)
    worlds: tuple[WorldSpec, ...] | None = Field(None, min_length=1)
    method: Method = Field(default_factory=Method)
    replications: int = Field(4, ge=2, le=10_000, description="Per evaluation and variant.")
    seed: int = Field(0, ge=0, lt=2**32, description="Seed of the draws and the optimiser.")

    @model_validator(mode="after")
    def _consistent(self) -> CalibrationSpec:
        _unique([p.path for p in self.parameters], "parameters", "path")
        _unique([t.name for t in self.targets], "targets", "name")
        names = [w.name for w in self.worlds] if self.worlds else None
        if names:
            _unique(names, "worlds", "name")
        for index, target in enumerate(self.targets):
            if names is None and target.world is not None:
                raise FieldError(
                    ("targets", index, "world"),
                    "there is no worlds: list (this file is the world); remove world:",
                )
            if names and target.world is None and len(names) > 1:
                raise FieldError(
                    ("targets", index, "world"), f"say which world: one of {', '.join(names)}"
                )
            if names and target.world is not None and target.world not in names:
                hint = suggest(target.world, names)
                raise FieldError(
                    ("targets", index, "world"),
                    f"unknown world '{target.world}'"
                    + (f"; did you mean '{hint}'?" if hint else f" (worlds: {', '.join(names)})"),
                )
        if self.method.optimiser == "cmaes" and len(self.parameters) < 2:
            raise FieldError(
                ("method", "optimiser"), "cmaes needs at least 2 parameters; use tpe for one"
            )
        return self

    def world_of(self, target: Target) -> str | None:
        """The world a target is measured in (None: the file itself)."""
        if self.worlds is None:
            return None
        return target.world or self.worlds[0].name


def _unique(values: list[str], section: str, key: str) -> None:
    for index, value in enumerate(values):
        if value in values[:index]:
            raise FieldError((section, index, key), f"'{value}' is given more than once")


def spec_error(path: Path_, message: str, lines: dict, main_file: str) -> ScenarioError:
    """A ScenarioError at ``calibration.<path>`` with the file and line it was written on."""
    full = (SECTION, *path)
    file, line = line_of(full, lines, main_file)
    return ScenarioError(message, file=file, line=line, field=format_path(full))


def _message(error: dict[str, Any]) -> tuple[Path_, str]:
    """Where (relative to the section) and what, in plain words."""
    loc = tuple(p for p in error["loc"] if not _is_union_tag(p))
    kind = error["type"]
    if kind == "extra_forbidden":
        schema = CalibrationSpec.model_json_schema()
        return loc, unknown_key_message(str(loc[-1]), allowed_keys(loc[:-1], schema))
    if kind == "missing":
        return loc, f"required key '{loc[-1]}' is missing"
    if kind == "union_tag_invalid":
        return loc, f"unknown prior type (allowed: {', '.join(PRIORS)})"
    if kind == "literal_error" and loc and loc[-1] == "metric":
        got = str(error.get("input"))
        hint = suggest(got, list(METRICS))
        return loc, f"unknown metric {got!r}" + (
            f"; did you mean '{hint}'?" if hint else " (see docs/outputs.md)"
        )
    cause = error.get("ctx", {}).get("error")
    if kind == "value_error" and isinstance(cause, FieldError):
        return (*loc, *cause.path), cause.message
    text = str(error["msg"]).removeprefix("Value error, ")
    if "input" in error and kind != "value_error":
        text += f" (got {error['input']!r})"
    return loc, text


def _is_union_tag(part: Any) -> bool:
    """Pydantic puts the chosen tag (e.g. 'normal') into the error's path."""
    return isinstance(part, str) and part in (*PRIORS, "dirichlet")


def parse_calibration(raw: Any, lines: dict, main_file: str) -> CalibrationSpec:
    """The validated section, or a ScenarioError naming file, line and field."""
    if raw is None:
        raise ScenarioError(
            "this scenario has no 'calibration:' section (see docs/calibration.md)",
            file=main_file,
        )
    if not isinstance(raw, dict):
        raise spec_error((), "must be a mapping with parameters, targets, ...", lines, main_file)
    try:
        return CalibrationSpec.model_validate(raw)
    except ValidationError as exc:
        error, more = first_error(exc)
        path, message = _message(error)
        raise spec_error(path, message + more, lines, main_file) from None
