"""ValueSim: a discrete-event simulation of physician payment, incentives and peer pressure.

The Python API mirrors the command line::

    import simulate
    scenario = simulate.load_scenario("baseline_ffs")      # a file path or a bundled name
    result = simulate.run(scenario, replications=5)
    result.summary                                         # pandas DataFrame

Names load on first use, so ``import simulate.incentives`` does not start the world.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulate.lazy import lazy_exports

if TYPE_CHECKING:
    from simulate.errors import ScenarioError
    from simulate.experiment.replications import RunResult, run
    from simulate.scenario.loader import load_scenario
    from simulate.scenario.models import Scenario

__version__ = "0.1.0"

_HOMES = {
    "ScenarioError": "simulate.errors",
    "RunResult": "simulate.experiment.replications",
    "run": "simulate.experiment.replications",
    "load_scenario": "simulate.scenario.loader",
    "Scenario": "simulate.scenario.models",
}


__getattr__ = lazy_exports(__name__, _HOMES)

__all__ = ["RunResult", "Scenario", "ScenarioError", "__version__", "load_scenario", "run"]
