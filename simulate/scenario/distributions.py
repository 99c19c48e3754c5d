"""Named probability distributions for physician traits and practice styles.

In YAML a distribution is a mapping with ``dist:`` naming it, or a plain number,
which means that fixed value for every physician.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


class _Dist(BaseModel, ABC):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @abstractmethod
    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Raw draws (before clipping)."""

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values from this distribution with ``rng``."""
        return np.asarray(self._draw(rng, n), dtype=float)

    @abstractmethod
    def mean(self) -> float:
        """The distribution's mean (before any clipping bounds)."""


class Fixed(_Dist):
    """Every physician gets ``value``."""

    dist: Literal["fixed"] = "fixed"
    value: float

    def _draw(self, rng, n):
        return np.full(n, self.value)

    def mean(self) -> float:
        return self.value


class _Bounded(_Dist):
    low: float | None = Field(None, description="Draws below are clipped up to this bound.")
    high: float | None = Field(None, description="Draws above are clipped down to this bound.")

    @model_validator(mode="after")
    def _bounds_ordered(self):
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low ({self.low}) must not exceed high ({self.high})")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        values = super().sample(rng, n)
        if self.low is not None or self.high is not None:
            values = np.clip(values, self.low, self.high)
        return values


class Normal(_Bounded):
    """Normal with ``mean`` and standard deviation ``sd``, clipped to [low, high]."""

    dist: Literal["normal"]
    mean_: float = Field(alias="mean")
    sd: float = Field(ge=0)

    def _draw(self, rng, n):
        return rng.normal(self.mean_, self.sd, n)

    def mean(self) -> float:
        return self.mean_


class LogNormal(_Bounded):
    """Log-normal with arithmetic ``mean`` and log-scale ``sigma``, clipped to [low, high]."""

    dist: Literal["lognormal"]
    mean_: float = Field(alias="mean", gt=0)
    sigma: float = Field(ge=0)

    def _draw(self, rng, n):
        mu = np.log(self.mean_) - 0.5 * self.sigma**2
        return rng.lognormal(mu, self.sigma, n)

    def mean(self) -> float:
        return self.mean_


class Beta(_Dist):
    """Beta(a, b) on [0, 1], optionally rescaled to [low, high]."""

    dist: Literal["beta"]
    a: float = Field(gt=0)
    b: float = Field(gt=0)
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _bounds_ordered(self):
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self

    def _draw(self, rng, n):
        return self.low + (self.high - self.low) * rng.beta(self.a, self.b, n)

    def mean(self) -> float:
        return self.low + (self.high - self.low) * self.a / (self.a + self.b)


class Uniform(_Dist):
    """Uniform on [low, high]."""

    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _bounds_ordered(self):
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must not exceed high ({self.high})")
        return self

    def _draw(self, rng, n):
        return rng.uniform(self.low, self.high, n)

    def mean(self) -> float:
        return 0.5 * (self.low + self.high)


def _number_means_fixed(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


Distribution = Annotated[
    Fixed | Normal | LogNormal | Beta | Uniform,
    Field(discriminator="dist"),
    BeforeValidator(_number_means_fixed),
]
"""A distribution by name (``dist: normal|lognormal|beta|uniform|fixed``) or a number."""

DISTRIBUTION_NAMES = ("normal", "lognormal", "beta", "uniform", "fixed")
