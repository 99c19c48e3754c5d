"""The ``uncertainty:`` section of a scenario file, validated, with errors at file:line:field.

```yaml
uncertainty:
  draws: 100                  # parameter draws (the outer loop)
  method: lhs                 # lhs, sobol or random
  seed: 2024                  # places the draws (the scenario's seed drives the patients)
  replications: 4             # replications per draw and variant (default: the file's)
  parameters:
    - path: physician_traits.peer_sensitivity.a
      distribution: {type: gamma, mean: 2.0, se: 0.5}
    - path: conditions[0].base_cost
      distribution: {type: lognormal, mean: 1500, se: 150}
  correlation:
    - {between: [conditions[0].base_cost, conditions[1].base_cost], rho: 0.5}
```
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulate.errors import ScenarioError
from simulate.psa.distributions import Dirichlet, Distribution
from simulate.scenario.schema import allowed_keys, unknown_key_message
from simulate.scenario.yaml_source import Path_, format_path
from simulate.sweep.spec import line_of

SECTION = "uncertainty"


class UncertainParameter(BaseModel):
    """One uncertain value (or, for a Dirichlet, a list of shares) and its distribution."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str | tuple[str, ...] = Field(
        description="Dotted path of the value; a list of paths for a Dirichlet's shares."
    )
    distribution: Distribution
    label: str | None = Field(None, description="Name in tables and figures (default: path).")

    @model_validator(mode="after")
    def _paths_match(self) -> UncertainParameter:
        many = isinstance(self.path, tuple)
        if isinstance(self.distribution, Dirichlet):
            if not many or len(self.path) != self.distribution.dimension:
                raise ValueError(
                    f"a dirichlet needs a list of {self.distribution.dimension} paths, "
                    "one per share"
                )
        elif many:
            raise ValueError("a list of paths goes with a dirichlet distribution only")
        return self

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path this parameter sets."""
        return self.path if isinstance(self.path, tuple) else (self.path,)

    @property
    def name(self) -> str:
        """Its label, else its path (the paths joined for a Dirichlet)."""
        return self.label or " + ".join(self.paths)


class Correlation(BaseModel):
    """A rank-style correlation between two scalar parameters (Gaussian copula)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    between: tuple[str, str] = Field(description="The two parameters' paths (or labels).")
    rho: float = Field(gt=-1, lt=1, description="Correlation of the copula's normals.")


class UncertaintySpec(BaseModel):
    """The validated ``uncertainty:`` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    draws: int = Field(100, ge=2, le=100_000, description="Parameter draws (outer loop).")
    method: Literal["lhs", "sobol", "random"] = Field("lhs", description="Placing the draws.")
    seed: int = Field(2024, ge=0, description="Seed of the draws (not of the patients).")
    replications: int | None = Field(
        None, ge=1, le=10_000, description="Replications per draw and variant (inner loop)."
    )
    parameters: tuple[UncertainParameter, ...] = ()
    correlation: tuple[Correlation, ...] = ()
    from_calibration: str | None = Field(
        None,
        description="accepted.csv of a calibration (relative to the scenario file): its "
        "sets are drawn whole, by weight, as one joint distribution.",
    )
    tornado: bool = Field(
        True, description="Run the one-way settings (each parameter at 2.5%/97.5%)."
    )
    population: float | None = Field(
        None, gt=0, description="People (index episodes) affected by the decision per year."
    )
    years: int | None = Field(
        None, ge=1, le=200, description="Years the decision holds (population EVPI)."
    )

    @model_validator(mode="after")
    def _names(self) -> UncertaintySpec:
        if not self.parameters and self.from_calibration is None:
            raise ValueError("give parameters, from_calibration, or both")
        if (self.population is None) != (self.years is None):
            raise ValueError("population and years go together (people a year, for how long)")
        seen: set[str] = set()
        for parameter in self.parameters:
            for path in parameter.paths:
                if path in seen:
                    raise ValueError(f"'{path}' is given more than once")
                seen.add(path)
        return self


def spec_error(path: Path_, message: str, lines: dict, main_file: str) -> ScenarioError:
    """A ScenarioError at ``uncertainty.<path>`` with the file and line it was written on."""
    full = (SECTION, *path)
    file, line = line_of(full, lines, main_file)
    return ScenarioError(message, file=file, line=line, field=format_path(full))


def parse_uncertainty(raw: Any, lines: dict, main_file: str) -> UncertaintySpec:
    """The validated section, or a ScenarioError naming file, line and field."""
    if raw is None:
        raise ScenarioError(
            "this scenario has no 'uncertainty:' section (see docs/psa.md)", file=main_file
        )
    if not isinstance(raw, dict):
        raise spec_error((), "must be a mapping with draws, parameters, ...", lines, main_file)
    try:
        return UncertaintySpec.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(p for p in error["loc"] if not _is_union_tag(p))
        if error["type"] == "extra_forbidden":
            schema = UncertaintySpec.model_json_schema()
            message = unknown_key_message(str(loc[-1]), allowed_keys(loc[:-1], schema))
        elif error["type"] == "missing":
            message = f"required key '{loc[-1]}' is missing"
        elif error["type"] == "union_tag_invalid":
            message = f"unknown distribution type (allowed: {', '.join(DISTRIBUTIONS)})"
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            if "input" in error and error["type"] != "value_error":
                message += f" (got {error['input']!r})"
        more = len(exc.errors()) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise spec_error(loc, message, lines, main_file) from None


DISTRIBUTIONS = (
    "beta",
    "gamma",
    "lognormal",
    "normal",
    "uniform",
    "loguniform",
    "triangular",
    "dirichlet",
)
"""The distribution ``type`` names."""


def _is_union_tag(part: Any) -> bool:
    """Pydantic puts the chosen tag (e.g. 'gamma') or a type name into the error's path."""
    return isinstance(part, str) and (part in DISTRIBUTIONS or part.startswith(("str", "tuple")))
