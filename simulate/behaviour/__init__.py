"""How physicians revise their practice style at period close."""

from simulate.behaviour.fixed import FixedStyle
from simulate.scenario.models import Behaviour


def make_behaviour(config: Behaviour) -> FixedStyle:
    """The behaviour model a scenario's ``behaviour:`` section names."""
    models = {"fixed": FixedStyle}
    return models[config.model]()


__all__ = ["FixedStyle", "make_behaviour"]
