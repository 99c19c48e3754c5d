"""How physicians revise their practice style at period close."""

from __future__ import annotations

import numpy as np

from simulate.behaviour.adaptive import AdaptiveStyle, BehaviourContext
from simulate.behaviour.fixed import FixedStyle


def make_behaviour(scenario, population, rng: np.random.Generator) -> FixedStyle | AdaptiveStyle:
    """The behaviour model a scenario's ``behaviour:`` section names."""
    if scenario.behaviour.model == "adaptive":
        return AdaptiveStyle(scenario, population, rng)
    return FixedStyle()


__all__ = ["AdaptiveStyle", "BehaviourContext", "FixedStyle", "make_behaviour"]
