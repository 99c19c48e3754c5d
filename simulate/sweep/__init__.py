"""Parameter sweeps and sensitivity analysis (``simulate sweep``; see docs/sweeps.md).

spec (the ``sweep:`` section) -> design (points) -> points (a point's scenario) ->
evaluate (one run, in a worker) -> runner + store (runs committed one by one) ->
analysis, figures, output (the results folder). ``plan.plan_sweep`` ties the first
steps together; ``command`` is the CLI.
"""
