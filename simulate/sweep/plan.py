"""A sweep ready to run: scenario file -> validated spec, checked paths, design, evaluator.

Everything that can be wrong with the input is found here, before any run: the
``sweep:`` section itself, parameter paths that are not in the scenario (with the
nearest valid path), and values that make the scenario invalid (each parameter at the
ends of its range or at each of its values, then every point of the design).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulate.model.capacity import TeamLoad, team_loads
from simulate.scenario.loader import ResolvedScenario, resolve_scenario
from simulate.scenario.models import Scenario
from simulate.sweep.design import Design, grid_values, make_design
from simulate.sweep.evaluate import ScenarioEvaluator
from simulate.sweep.points import PointError, base_full, build_scenario, check_path
from simulate.sweep.runner import BadPoint, check_points
from simulate.sweep.spec import SweepSpec, parse_sweep, spec_error


@dataclass(frozen=True)
class SweepPlan:
    """The validated sweep of a scenario file."""

    resolved: ResolvedScenario
    spec: SweepSpec
    design: Design
    evaluator: ScenarioEvaluator
    replications: int
    point_loads: tuple[tuple[TeamLoad, ...], ...] = ()
    """Each design point's expected team loads (``simulate validate``'s numbers)."""

    @property
    def scenario(self) -> Scenario:
        return self.resolved.scenario

    @property
    def n_runs(self) -> int:
        return self.design.n_points * self.replications

    def labels(self) -> dict[str, str]:
        """Axis label per parameter path (its ``label``, else the path)."""
        return {p.path: p.label or p.path for p in self.spec.parameters}

    def fingerprint(self) -> dict[str, Any]:
        """What must match for ``--resume`` to continue a stored sweep."""
        from simulate.output.store import scenario_hash

        return {
            "scenario": scenario_hash(self.scenario),
            "design": self.design.sha256(),
            "replications": self.replications,
            "metrics": list(self.spec.metrics),
        }


def _ends(parameter) -> tuple[Any, ...]:
    """Values to try alone: the range's ends and grid steps, or every listed value."""
    if parameter.values is not None:
        return tuple(parameter.values)
    return grid_values(parameter)


def plan_sweep(source: str | Path, overrides: Sequence[str] = ()) -> SweepPlan:
    """Resolve the file and check its sweep; ScenarioError (file, line, field) if unusable."""
    resolved = resolve_scenario(source, overrides)
    main_file = resolved.files[-1] if resolved.files else str(source)
    lines = resolved.lines
    spec = parse_sweep(resolved.extras.get("sweep"), lines, main_file)
    full = base_full(resolved.data)
    paths = []
    for index, parameter in enumerate(spec.parameters):
        try:
            paths.append(check_path(parameter.path, full))
        except ValueError as exc:
            raise spec_error(("parameters", index, "path"), str(exc), lines, main_file) from None
    for index, (parameter, path) in enumerate(zip(spec.parameters, paths, strict=True)):
        for value in _ends(parameter):
            try:
                build_scenario(resolved.data, full, [path], [value])
            except PointError as exc:
                key = "values" if parameter.values is not None else _which_end(parameter, value)
                raise spec_error(
                    ("parameters", index, key),
                    f"'{parameter.path}' = {value!r} makes the scenario invalid: {exc}",
                    lines,
                    main_file,
                ) from None
    design = make_design(spec)
    evaluator = ScenarioEvaluator(resolved.data, full, tuple(paths), tuple(spec.metrics))
    loads: list[tuple[TeamLoad, ...]] = []

    def note_loads(point: int, scenario: Scenario) -> None:
        loads.append(tuple(team_loads(scenario)))

    try:
        check_points(design, evaluator, note_loads)
    except BadPoint as bad:
        shown = ", ".join(f"{n}={v!r}" for n, v in zip(design.names, bad.values, strict=True))
        raise spec_error(
            ("parameters",),
            f"design point {bad.point} ({shown}) makes the scenario invalid: {bad.message}",
            lines,
            main_file,
        ) from None
    replications = spec.replications or resolved.scenario.replications
    return SweepPlan(resolved, spec, design, evaluator, replications, tuple(loads))


def _which_end(parameter, value: Any) -> str:
    if parameter.low is not None and abs(value - parameter.low) <= abs(value - parameter.high):
        return "low"
    return "high"
