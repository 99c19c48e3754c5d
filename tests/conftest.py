"""Shared fixtures for the verification tests: short versions of the bundled scenarios."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import simulate

SHORT = ("horizon_periods=6", "warmup_periods=1")
"""Overrides that turn a bundled 36-month scenario into a quick 6-month one."""


def _load_short(name: str, *extra: str) -> simulate.Scenario:
    return simulate.load_scenario(name, overrides=[*SHORT, *extra])


@pytest.fixture(scope="session")
def short_scenario() -> Callable[..., simulate.Scenario]:
    """``short_scenario(name, *overrides)``: a bundled scenario cut to 6 periods (1 warm-up)."""
    return _load_short


@pytest.fixture(scope="session")
def baseline_short_run() -> simulate.RunResult:
    """The bundled baseline (two teams, readmissions on), 6 periods, 3 replications."""
    return simulate.run(_load_short("baseline_ffs", "replications=3"), workers=1)


@pytest.fixture(scope="session")
def response_floor() -> float:
    """A change of style that is a response, not noise: 0.02 at an adjustment cost of
    7,500, smaller in proportion as the default cost of moving style is higher (a
    first-order step is inversely proportional to it)."""
    return 0.02 * 7500 / simulate.load_scenario("baseline_ffs").behaviour.adjustment_cost
