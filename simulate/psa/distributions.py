"""Parameter distributions of the ``uncertainty:`` section: each a frozen pydantic model
that is its schema and its behaviour (``ppf``: a uniform draw in (0, 1) to a value).

Beta for probabilities and shares of one, gamma and lognormal for costs and positive
quantities, normal, uniform, log-uniform and triangular where bounds or a symmetric
error are what is known, Dirichlet for a set of shares that sum to one (Briggs, Claxton
& Sculpher 2006, *Decision Modelling for Health Economic Evaluation*, ch. 4). ``mean`` with ``se``
(method of moments) may replace the shape parameters of beta, gamma and lognormal.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import stats


class _Distribution(BaseModel, ABC):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at the probabilities ``u`` in (0, 1) (inverse CDF)."""
        return self.frozen().ppf(np.asarray(u, dtype=float))

    @abstractmethod
    def frozen(self):
        """The scipy.stats frozen distribution."""

    @property
    def mean(self) -> float:
        """The distribution's mean."""
        return float(self.frozen().mean())

    @property
    def dimension(self) -> int:
        """Uniform draws one value takes (1; a Dirichlet takes one per share)."""
        return 1


class Beta(_Distribution):
    """Beta(alpha, beta) on (0, 1), or from ``mean`` and ``se`` (method of moments:
    alpha + beta = mean (1 - mean) / se^2 - 1)."""

    type: Literal["beta"]
    alpha: float | None = Field(None, gt=0, description="Shape alpha (> 0).")
    beta: float | None = Field(None, gt=0, description="Shape beta (> 0).")
    mean_: float | None = Field(None, alias="mean", gt=0, lt=1, description="Mean, in (0, 1).")
    se: float | None = Field(None, gt=0, description="Standard error (standard deviation).")

    @model_validator(mode="after")
    def _shape(self) -> Beta:
        _one_way(self.alpha, self.beta, self.mean_, self.se, ("alpha", "beta"))
        moments = self.mean_ is not None and self.se is not None
        if moments and self.se**2 >= self.mean_ * (1 - self.mean_):
            raise ValueError("se must be below sqrt(mean (1 - mean)) for a beta")
        return self

    def shapes(self) -> tuple[float, float]:
        """(alpha, beta), given or from the mean and SE."""
        if self.alpha is not None and self.beta is not None:
            return self.alpha, self.beta
        m, s = float(self.mean_), float(self.se)
        total = m * (1 - m) / s**2 - 1
        return m * total, (1 - m) * total

    def frozen(self):
        a, b = self.shapes()
        return stats.beta(a, b)


class Gamma(_Distribution):
    """Gamma(shape, scale) on (0, inf), or from ``mean`` and ``se`` (shape = mean^2 /
    se^2, scale = se^2 / mean)."""

    type: Literal["gamma"]
    shape: float | None = Field(None, gt=0, description="Shape k (> 0).")
    scale: float | None = Field(None, gt=0, description="Scale theta (> 0), the value's unit.")
    mean_: float | None = Field(None, alias="mean", gt=0, description="Mean (> 0).")
    se: float | None = Field(None, gt=0, description="Standard error (standard deviation).")

    @model_validator(mode="after")
    def _shape(self) -> Gamma:
        _one_way(self.shape, self.scale, self.mean_, self.se, ("shape", "scale"))
        return self

    def shapes(self) -> tuple[float, float]:
        """(shape, scale), given or from the mean and SE."""
        if self.shape is not None and self.scale is not None:
            return self.shape, self.scale
        m, s = float(self.mean_), float(self.se)
        return m**2 / s**2, s**2 / m

    def frozen(self):
        k, theta = self.shapes()
        return stats.gamma(k, scale=theta)


class LogNormal(_Distribution):
    """Lognormal: log of the value is normal(mu, sigma), or from ``mean`` and ``se``
    (sigma^2 = log(1 + se^2 / mean^2), mu = log(mean) - sigma^2 / 2)."""

    type: Literal["lognormal"]
    mu: float | None = Field(None, description="Mean of the log.")
    sigma: float | None = Field(None, gt=0, description="Standard deviation of the log.")
    mean_: float | None = Field(None, alias="mean", gt=0, description="Mean (> 0).")
    se: float | None = Field(None, gt=0, description="Standard error (standard deviation).")

    @model_validator(mode="after")
    def _shape(self) -> LogNormal:
        _one_way(self.mu, self.sigma, self.mean_, self.se, ("mu", "sigma"))
        return self

    def shapes(self) -> tuple[float, float]:
        """(mu, sigma) of the log, given or from the mean and SE."""
        if self.mu is not None and self.sigma is not None:
            return self.mu, self.sigma
        m, s = float(self.mean_), float(self.se)
        sigma2 = math.log1p(s**2 / m**2)
        return math.log(m) - sigma2 / 2, math.sqrt(sigma2)

    def frozen(self):
        mu, sigma = self.shapes()
        return stats.lognorm(sigma, scale=math.exp(mu))


class Normal(_Distribution):
    """Normal(mean, se)."""

    type: Literal["normal"]
    mean_: float = Field(alias="mean", description="Mean, the value's unit.")
    se: float = Field(gt=0, description="Standard deviation, the value's unit.")

    def frozen(self):
        return stats.norm(self.mean_, self.se)


class Uniform(_Distribution):
    """Uniform on [low, high]."""

    type: Literal["uniform"]
    low: float = Field(description="Lower bound, the value's unit.")
    high: float = Field(description="Upper bound, the value's unit.")

    @model_validator(mode="after")
    def _order(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError("low must be below high")
        return self

    def frozen(self):
        return stats.uniform(self.low, self.high - self.low)


class LogUniform(_Distribution):
    """Log-uniform (reciprocal) on [low, high], 0 < low < high: the log of the value is
    uniform, so each factor of ten is equally likely (for scales known only to an order
    of magnitude)."""

    type: Literal["loguniform"]
    low: float = Field(gt=0, description="Lower bound (> 0), the value's unit.")
    high: float = Field(gt=0, description="Upper bound, the value's unit.")

    @model_validator(mode="after")
    def _order(self) -> LogUniform:
        if not self.low < self.high:
            raise ValueError("low must be below high")
        return self

    def frozen(self):
        return stats.loguniform(self.low, self.high)


class Triangular(_Distribution):
    """Triangular on [low, high] with its peak at ``mode``."""

    type: Literal["triangular"]
    low: float = Field(description="Lower bound, the value's unit.")
    mode: float = Field(description="Most likely value, the value's unit.")
    high: float = Field(description="Upper bound, the value's unit.")

    @model_validator(mode="after")
    def _order(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError("need low <= mode <= high and low < high")
        return self

    def frozen(self):
        width = self.high - self.low
        return stats.triang((self.mode - self.low) / width, loc=self.low, scale=width)


class Dirichlet(_Distribution):
    """Dirichlet(alpha_1..alpha_k): shares that sum to one (e.g. a case mix), drawn as
    independent Gamma(alpha_i, 1) values divided by their sum."""

    type: Literal["dirichlet"]
    alpha: tuple[float, ...] = Field(
        min_length=2, description="Concentrations (> 0), one per share."
    )

    @model_validator(mode="after")
    def _positive(self) -> Dirichlet:
        if any(a <= 0 for a in self.alpha):
            raise ValueError("every alpha must be > 0")
        return self

    @property
    def dimension(self) -> int:
        return len(self.alpha)

    def frozen(self):
        return stats.dirichlet(self.alpha)

    @property
    def mean(self) -> float:  # the first share; shares() gives all
        return float(self.alpha[0] / sum(self.alpha))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """[draw, share] from [draw, k] uniform draws: gamma quantiles, normalised."""
        u = np.atleast_2d(np.asarray(u, dtype=float))
        g = np.column_stack([stats.gamma(a).ppf(u[:, i]) for i, a in enumerate(self.alpha)])
        return g / g.sum(axis=1, keepdims=True)


Distribution = Annotated[
    Beta | Gamma | LogNormal | Normal | Uniform | LogUniform | Triangular | Dirichlet,
    Field(discriminator="type"),
]
"""Any distribution of the ``uncertainty:`` section, chosen by its ``type``."""


def _one_way(a, b, mean, se, names: tuple[str, str]) -> None:
    """Exactly one of: both shape parameters, or both mean and se."""
    shapes, moments = (a is not None, b is not None), (mean is not None, se is not None)
    if all(shapes) and not any(moments):
        return
    if all(moments) and not any(shapes):
        return
    raise ValueError(f"give either {names[0]} and {names[1]}, or mean and se")
