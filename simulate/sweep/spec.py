"""The ``sweep:`` section of a scenario file, validated, with errors at file:line:field."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulate.accounts.catalogue import key_metrics
from simulate.accounts.metrics import METRICS
from simulate.errors import ScenarioError
from simulate.scenario.schema import suggest, unknown_key_message
from simulate.scenario.yaml_source import Path_, format_path

DESIGNS = ("grid", "random", "lhs", "sobol", "morris")
"""Design names: full grid, uniform random, Latin hypercube, Sobol (Saltelli), Morris."""

DEFAULT_METRICS: tuple[str, ...] = key_metrics(
    "cost", "payment_total", "payment_incentives", "intensity", "quality_effort"
)
"""Organisation-level metrics recorded per run unless ``sweep.metrics`` says otherwise."""

DEFAULT_PLOT_METRICS: tuple[str, ...] = ("value", "cost_per_episode", "quality_effort")
DEFAULT_SAMPLES = {"random": 20, "lhs": 20, "sobol": 64, "morris": 10}
"""Default ``samples``: points (random, lhs), base sample N (sobol), trajectories (morris)."""

Scalar = bool | int | float | str


class ParameterSpec(BaseModel):
    """One swept value: a dotted path with a range (low/high) or a list of values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1, description="Dotted path, e.g. incentives[0].bonus.")
    low: float | None = Field(None, description="Lower end of the range (the value's unit).")
    high: float | None = Field(None, description="Upper end of the range (the value's unit).")
    values: tuple[Scalar, ...] | None = Field(None, description="The values to take, in order.")
    steps: int = Field(3, ge=2, le=1000, description="Grid: evenly spaced values low..high.")
    integer: bool = Field(False, description="Round values to whole numbers.")
    label: str | None = Field(None, description="Axis label in figures (default: the path).")

    @model_validator(mode="after")
    def _range_or_values(self) -> ParameterSpec:
        has_range = self.low is not None or self.high is not None
        if self.values is not None and has_range:
            raise _FieldError(("values",), "give either low/high or values, not both")
        if self.values is None:
            if self.low is None or self.high is None:
                missing = "low" if self.low is None else "high"
                raise _FieldError(
                    (), f"needs low and high (a range) or values (a list); '{missing}' is missing"
                )
            if not (math.isfinite(self.low) and math.isfinite(self.high)):
                raise _FieldError(("low",), "low and high must be finite numbers")
            if self.low >= self.high:
                raise _FieldError(
                    ("high",),
                    f"empty range: low ({self.low:g}) must be below high ({self.high:g})",
                )
        elif not self.values:
            raise _FieldError(("values",), "empty list of values: give at least one")
        return self

    @property
    def numeric(self) -> bool:
        """Whether every value is a number (ranges always are)."""
        if self.values is None:
            return True
        return all(isinstance(v, int | float) and not isinstance(v, bool) for v in self.values)


class SweepSpec(BaseModel):
    """A sweep: design, parameters, replications per point and the design's seed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    design: Literal["grid", "random", "lhs", "sobol", "morris"] = "grid"
    parameters: tuple[ParameterSpec, ...] = Field(min_length=1)
    replications: int | None = Field(
        None, ge=1, le=100_000, description="Per point (default: the scenario's replications)."
    )
    seed: int = Field(0, ge=0, lt=2**32, description="Seed of the design (not of the runs).")
    samples: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="random/lhs: points; sobol: base sample N (a power of 2); "
        "morris: trajectories. Not used by grid.",
    )
    levels: int = Field(4, ge=2, le=100, description="Morris: grid levels of each parameter.")
    second_order: bool = Field(False, description="Sobol: also second-order indices.")
    metrics: tuple[Literal[METRICS], ...] = Field(  # type: ignore[valid-type]
        DEFAULT_METRICS, min_length=1, description="Organisation-level metrics per run."
    )
    plot_metrics: tuple[Literal[METRICS], ...] = Field(  # type: ignore[valid-type]
        DEFAULT_PLOT_METRICS, description="Metrics drawn in the figures (subset of metrics)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        paths = [p.path for p in self.parameters]
        for index, path in enumerate(paths):
            if path in paths[:index]:
                raise _FieldError(("parameters", index, "path"), f"'{path}' is swept twice")
        if self.design in ("sobol", "morris"):
            for index, parameter in enumerate(self.parameters):
                if not parameter.numeric:
                    raise _FieldError(
                        ("parameters", index, "values"),
                        f"a {self.design} design needs numbers (a low/high range or a list of "
                        f"numbers); got {list(parameter.values or ())!r}",
                    )
        if self.design == "sobol":
            n = self.n_samples
            if n & (n - 1):
                lower = 1 << (n.bit_length() - 1)
                raise _FieldError(
                    ("samples",),
                    f"sobol needs a power of 2 (got {n}; try {lower} or {lower * 2})",
                )
        missing = [m for m in self.plot_metrics if m not in self.metrics]
        if missing:
            raise _FieldError(("plot_metrics",), f"not among metrics: {', '.join(missing)}")
        return self

    @property
    def n_samples(self) -> int:
        """``samples``, or the design's default."""
        return self.samples if self.samples is not None else DEFAULT_SAMPLES.get(self.design, 0)


class _FieldError(ValueError):
    """A problem with one field of the section (path relative to ``sweep``)."""

    def __init__(self, path: Path_, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def line_of(path: Path_, lines: dict, default_file: str) -> tuple[str, int | None]:
    """File and line of the nearest enclosing value that has one."""
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            file, line = lines[path[:cut]]
            return (file, None) if file.startswith("--set") else (file, line)
    return default_file, None


def first_error(exc: ValidationError) -> tuple[dict[str, Any], str]:
    """The error to report and `` (and N more problems)`` when there are others: "too
    short" on a list whose items failed is left out (noise beside the item's own error)."""
    errors = exc.errors()
    locs = [tuple(e["loc"]) for e in errors]
    meaningful = [
        e
        for e in errors
        if not (
            e["type"] == "too_short"
            and any(len(o) > len(e["loc"]) and o[: len(e["loc"])] == e["loc"] for o in locs)
        )
    ]
    errors = meaningful or errors
    more = len(errors) - 1
    return errors[0], (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def spec_error(path: Path_, message: str, lines: dict, main_file: str) -> ScenarioError:
    """A ScenarioError at ``sweep.<path>`` with the file and line it was written on."""
    full = ("sweep", *path)
    file, line = line_of(full, lines, main_file)
    return ScenarioError(message, file=file, line=line, field=format_path(full))


def _pydantic_message(error: dict[str, Any], raw: Any) -> tuple[Path_, str]:
    loc = tuple(error["loc"])
    kind = error["type"]
    got = f" (got {error.get('input')!r})" if "input" in error else ""
    if kind == "extra_forbidden":
        model = ParameterSpec if "parameters" in loc else SweepSpec
        return loc, unknown_key_message(str(loc[-1]), list(model.model_fields))
    if kind == "missing":
        return loc, f"required key '{loc[-1]}' is missing"
    if kind == "literal_error" and loc == ("design",):
        hint = suggest(str(error.get("input")), list(DESIGNS))
        text = f"unknown design {error.get('input')!r}"
        text += f"; did you mean '{hint}'?" if hint else ""
        return loc, f"{text} (allowed: {', '.join(DESIGNS)})"
    if kind == "literal_error" and loc[0] in ("metrics", "plot_metrics"):
        hint = suggest(str(error.get("input")), list(METRICS))
        text = f"unknown metric {error.get('input')!r}"
        return loc, text + (f"; did you mean '{hint}'?" if hint else "") + " (see docs/outputs.md)"
    text = str(error["msg"]).removeprefix("Value error, ")
    if kind == "value_error":
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, _FieldError):
            return (*loc, *cause.path), cause.message
        return loc, text
    return loc, text + got


def parse_sweep(raw: Any, lines: dict, main_file: str) -> SweepSpec:
    """The validated ``sweep:`` section, or a ScenarioError naming file, line and field."""
    if raw is None:
        raise ScenarioError(
            "this scenario has no 'sweep:' section (see docs/sweeps.md)", file=main_file
        )
    if not isinstance(raw, dict):
        file, line = line_of(("sweep",), lines, main_file)
        raise ScenarioError(
            "must be a mapping with design, parameters, ...", file=file, line=line, field="sweep"
        )
    try:
        return SweepSpec.model_validate(raw)
    except ValidationError as exc:
        error, more = first_error(exc)
        path, message = _pydantic_message(error, raw)
        raise spec_error(path, message + more, lines, main_file) from None
