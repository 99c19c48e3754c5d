"""Scenarios: YAML -> validated, immutable :class:`Scenario` (pydantic)."""

from simulate.scenario.loader import (
    ResolvedScenario,
    bundled_scenarios,
    load_scenario,
    resolve_scenario,
)
from simulate.scenario.models import Scenario
from simulate.scenario.schema import schema_json

__all__ = [
    "ResolvedScenario",
    "Scenario",
    "bundled_scenarios",
    "load_scenario",
    "resolve_scenario",
    "schema_json",
]
