"""Physicians: team membership, traits and starting practice style, drawn per replication."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulate.behaviour.mechanisms import BASE_DIMENSIONS, STYLE_DIMENSIONS
from simulate.model.streams import Streams
from simulate.scenario.models import PhysicianTraits, Scenario

TRAIT_NAMES: tuple[str, ...] = tuple(PhysicianTraits.model_fields)
MIN_INTENSITY = 0.05
"""Intensity is floored here: an episode always uses some resources."""


@dataclass
class Population:
    """The physicians of one replication, in team order (index = physician id)."""

    team: np.ndarray
    """Team index of each physician."""
    traits: dict[str, np.ndarray]
    """Each trait's value per physician (``TRAIT_NAMES``)."""
    style: dict[str, np.ndarray]
    """Each style dimension's value per physician (``STYLE``): intensity (resources per
    episode relative to guideline), quality effort (protocol adherence, 0-1), and the
    dimensions mechanisms add: focus (effort shifted toward readmission prevention,
    -1 to 1; 0: even) and selection (the share 0-1 of high-risk patients declined)."""

    STYLE = STYLE_DIMENSIONS
    """Style dimensions, in order (declared in ``behaviour.mechanisms``)."""

    def __getattr__(self, name: str) -> np.ndarray:
        style = self.__dict__.get("style", {})
        if name in style:
            return style[name]
        raise AttributeError(name)

    def set_style(self, style: dict[str, np.ndarray]) -> None:
        """Replace the dimensions given."""
        for name, values in style.items():
            self.style[name] = np.asarray(values, dtype=float)

    @property
    def size(self) -> int:
        """Number of physicians."""
        return len(self.team)


def draw_population(scenario: Scenario, streams: Streams) -> Population:
    """Draw every physician's traits and style, each from its own named stream."""
    team = np.concatenate(
        [np.full(t.physicians, index, dtype=np.int64) for index, t in enumerate(scenario.teams)]
    )
    n = len(team)
    traits = {
        name: getattr(scenario.physician_traits, name).sample(streams.get(f"traits.{name}"), n)
        for name in TRAIT_NAMES
    }
    style = scenario.practice_style
    intensity = style.intensity.sample(streams.get("style.intensity"), n)
    effort = style.quality_effort.sample(streams.get("style.quality_effort"), n)
    return Population(
        team=team,
        traits=traits,
        style={
            "intensity": np.maximum(intensity, MIN_INTENSITY),
            "quality_effort": np.clip(effort, 0.0, 1.0),
            **{name: np.zeros(n) for name in STYLE_DIMENSIONS[len(BASE_DIMENSIONS) :]},
        },
    )
