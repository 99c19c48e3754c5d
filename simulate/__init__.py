"""ValueSim: a discrete-event simulation of physician payment, incentives and peer pressure.

The Python API mirrors the command line::

    import simulate
    scenario = simulate.load_scenario("baseline_ffs")      # a file path or a bundled name
    result = simulate.run(scenario, replications=5)
    result.summary                                         # pandas DataFrame
"""

from simulate.errors import ScenarioError
from simulate.experiment.replications import RunResult, run
from simulate.scenario.loader import load_scenario
from simulate.scenario.models import Scenario

__version__ = "0.1.0"

__all__ = ["RunResult", "Scenario", "ScenarioError", "__version__", "load_scenario", "run"]
