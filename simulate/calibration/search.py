"""The calibration's stages: the worlds as written, Latin hypercube screening of the
priors, an Optuna optimiser (TPE or CMA-ES) in batches, and further prior draws.

Deterministic: the draws come from one seeded Latin hypercube engine, the optimiser is
seeded and told every result in trial order, and a batch's size is a setting (never the
number of workers), so the same file asks the same questions on any executor, and a
resumed calibration replays its stored evaluations into the same trials.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from simulate.calibration.evaluations import Evaluation
from simulate.calibration.plan import CalibrationPlan
from simulate.calibration.priors import prior_draws

Evaluate = Callable[[Sequence[Sequence[float] | None], str], list[Evaluation]]
"""Evaluates parameter vectors (None: the worlds as written) as one stage's batch."""


def _sampler(plan: CalibrationPlan, screening: list[Evaluation]):
    import optuna

    method, seed = plan.spec.method, plan.spec.seed
    if method.optimiser == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, len(screening)))
    best = min(screening, key=lambda e: e.distance)
    x0 = dict(zip(plan.paths, best.values, strict=True))
    return optuna.samplers.CmaEsSampler(
        x0=x0, seed=seed, n_startup_trials=0, warn_independent_sampling=False
    )


def optimise(plan: CalibrationPlan, evaluate: Evaluate, screening: list[Evaluation]) -> None:
    """Optuna's trials in batches of ``method.batch``: ask, evaluate together, tell in
    order. The screening is told first (the optimiser starts from what it found)."""
    import optuna
    from optuna.distributions import FloatDistribution
    from optuna.trial import TrialState, create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = {
        p.path: FloatDistribution(p.low, p.high, log=p.log_scale) for p in plan.spec.parameters
    }
    study = optuna.create_study(direction="minimize", sampler=_sampler(plan, screening))
    for e in screening:
        ok = math.isfinite(e.distance)
        study.add_trial(
            create_trial(
                state=TrialState.COMPLETE if ok else TrialState.FAIL,
                value=e.distance if ok else None,
                params=dict(zip(plan.paths, e.values, strict=True)),
                distributions=space,
            )
        )
    left = plan.spec.method.trials
    while left > 0:
        asked = [study.ask(space) for _ in range(min(plan.spec.method.batch, left))]
        results = evaluate([[t.params[p] for p in plan.paths] for t in asked], "optimiser")
        for trial, e in zip(asked, results, strict=True):
            if math.isfinite(e.distance):
                study.tell(trial, e.distance)
            else:
                study.tell(trial, state=TrialState.FAIL)
        left -= len(asked)


def run_calibration(plan: CalibrationPlan, evaluate: Evaluate) -> None:
    """Every stage in order; ``evaluate`` keeps the evaluations."""
    method = plan.spec.method
    screening_values, extra_values = prior_draws(
        plan.spec.parameters, (method.screening, method.prior_draws), plan.spec.seed
    )
    evaluate([None], "defaults")
    screening = evaluate([tuple(row) for row in screening_values], "screening")
    if method.trials:
        optimise(plan, evaluate, screening)
    if method.prior_draws:
        evaluate([tuple(row) for row in extra_values], "prior")
