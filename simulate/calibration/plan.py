"""A calibration ready to run: the file's ``calibration:`` section, its worlds, the point
kinds the targets read, checked paths and bounds, and the evaluator.

Everything that can be wrong with the input is found here, before any run, and named by
file, line and field: the section itself, worlds that cannot be read, targets naming a
variant, window or subgroup a world does not have, parameter paths a world does not
have, and bounds that make a world invalid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulate.calibration.spec import CalibrationSpec, parse_calibration, spec_error
from simulate.calibration.target_spec import Target, explicit_window
from simulate.calibration.targets import subgroup_units
from simulate.calibration.worlds import CalibrationEvaluator, World, column, flatten, load_world
from simulate.compare.subgroups import baseline_window
from simulate.compare.window import Window
from simulate.errors import ScenarioError
from simulate.scenario.overrides import parse_dotted_path
from simulate.scenario.yaml_source import Path_
from simulate.sweep.points import PointError, build_scenario, check_path

STAGES = ("defaults", "screening", "optimiser", "prior")
"""Evaluation stages in order: the worlds as written, Latin hypercube prior draws, the
optimiser's trials, further prior draws for the accepted set."""


def find_calibration_file(source: str | Path) -> Path:
    """A path as given, a bundled calibration by name (``scenarios/calibration/``), or
    a bundled scenario (ScenarioError when none exists)."""
    from simulate.scenario.files import bundled_dir, find_scenario_file

    path = Path(source)
    if not path.exists() and path.parent == Path("."):
        name = path.name if path.suffix else path.name + ".yaml"
        bundled = bundled_dir() / "calibration" / name
        if bundled.is_file():
            return bundled
    return find_scenario_file(source)


@dataclass(frozen=True)
class CalibrationPlan:
    """The validated calibration of a file."""

    name: str
    spec: CalibrationSpec
    worlds: tuple[World, ...]
    kinds: tuple[tuple[str, str], ...]
    """Each point kind's (world, variant)."""
    evaluator: CalibrationEvaluator
    defaults: tuple[float, ...]
    """The parameters' values in the first world as written (the *defaults* evaluation)."""
    files: tuple[str, ...]
    overrides: tuple[str, ...]

    @property
    def replications(self) -> int:
        return self.spec.replications

    @property
    def targets(self) -> tuple[Target, ...]:
        return self.spec.targets

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(p.path for p in self.spec.parameters)

    @property
    def n_evaluations(self) -> int:
        """Evaluations of a whole calibration (defaults, screening, trials, prior draws)."""
        m = self.spec.method
        return 1 + m.screening + m.trials + m.prior_draws

    @property
    def n_runs(self) -> int:
        return self.n_evaluations * len(self.kinds) * self.replications

    def world(self, target: Target) -> World:
        """The world a target is measured in."""
        name = self.spec.world_of(target)
        return self.worlds[0] if name is None else next(w for w in self.worlds if w.name == name)

    def fingerprint(self) -> dict[str, Any]:
        """What must match for ``--resume`` to replay a stored calibration."""
        import optuna

        from simulate.output.store import scenario_hash

        return {
            "kind": "calibration",
            "spec": self.spec.model_dump(mode="json", by_alias=True),
            "worlds": [
                [w.name, [scenario_hash(v.scenario) for v in w.variant_set.variants]]
                for w in self.worlds
            ],
            "kinds": [list(k) for k in self.kinds],
            "optuna": optuna.__version__,
        }


def _load_worlds(spec: CalibrationSpec, source, overrides, lines, main_file) -> tuple[World, ...]:
    """The worlds: the file itself, or each listed world with its ``set`` and then every
    ``--set`` of the command line that is not under ``calibration.`` (so ``--set
    peer_pressure.stake=income`` reaches every world)."""
    if spec.worlds is None:
        return (load_world(source, overrides),)
    here = Path(main_file).parent
    shared = [
        o for o in overrides if parse_dotted_path(o.partition("=")[0].strip())[0] != "calibration"
    ]
    worlds = []
    for index, world in enumerate(spec.worlds):
        path = here / world.scenario
        where = path if path.exists() else world.scenario
        try:
            worlds.append(load_world(where, [*flatten(world.set), *shared], world.name))
        except ScenarioError as exc:
            raise spec_error(
                ("worlds", index, "scenario"), f"world '{world.name}': {exc}", lines, main_file
            ) from None
    return tuple(worlds)


def _check_target(
    plan_worlds, spec, index: int, target: Target, lines, main_file
) -> tuple[World, Window]:
    """The target's world and window, after checking its variants, window and subgroup."""
    name = spec.world_of(target)
    world = plan_worlds[0] if name is None else next(w for w in plan_worlds if w.name == name)
    names = world.variant_set.names

    def fail(key: Path_, message: str) -> ScenarioError:
        return spec_error(("targets", index, *key), message, lines, main_file)

    keys = (("effect", "of"), ("effect", "against"), ("effect", "per"))
    keys = keys if target.effect else (("variant",),)
    read = target.variants(world.first)
    for key, variant in zip(keys[: len(read)], read, strict=True):
        if variant not in names:
            raise fail(key, f"world '{world.name}' has no variant '{variant}' ({', '.join(names)})")
    if target.effect is not None and target.effect.of == target.effect.against:
        raise fail(("effect", "against"), "an effect needs two different variants")
    policy = target.variants(world.first)[0]
    scenario = next(v for v in world.variant_set.variants if v.name == policy).scenario
    try:
        window = target.window_of(scenario)
    except ValueError as exc:
        raise fail(("window",), f"world '{world.name}': {exc}") from None
    if target.by is None:
        try:
            subgroup_units(target, scenario)
        except ValueError as exc:
            raise fail(("subgroup",), str(exc)) from None
    return world, window


def _baseline(world: World, target: Target, fail) -> Window | None:
    """A target by baseline quantile: its baseline window (given, or the months before
    the policy of its variants, as simulate compare); a target by targeted: checks that
    its policy variant targets anyone. None for the rest."""
    if target.by is None:
        return None
    variants = {v.name: v.scenario for v in world.variant_set.variants}
    chosen = [variants[v] for v in target.variants(world.first)]
    if target.by == "targeted":
        data = chosen[0].model_dump(mode="json")
        rules = [r.get("targeting") for r in data.get("incentives") or []]
        if not any(rules) and not (data.get("peer_pressure") or {}).get("targeting"):
            raise fail(("by",), f"variant '{target.variants(world.first)[0]}' targets nobody")
        return None
    if target.baseline is not None:
        window = explicit_window(target.baseline)
        assert window is not None
        window = Window("baseline", window.first_month, window.last_month)
    else:
        try:
            window = baseline_window(chosen)
        except ScenarioError:
            raise fail(
                ("baseline",),
                "no months before a policy comes into force in this target's variants; "
                "give them as baseline: FIRST-LAST",
            ) from None
    if window.last_month > chosen[0].horizon_periods:
        raise fail(("baseline",), f"ends after the horizon ({chosen[0].horizon_periods} months)")
    return window


def plan_calibration(source: str | Path, overrides: Sequence[str] = ()) -> CalibrationPlan:
    """Resolve the file and check its calibration; ScenarioError (file, line, field)."""
    from simulate.scenario.loader import resolve_scenario

    path = find_calibration_file(source)
    resolved = resolve_scenario(path, overrides)
    main_file = resolved.files[-1] if resolved.files else str(path)
    lines = resolved.lines
    spec = parse_calibration(resolved.extras.get("calibration"), lines, main_file)
    worlds = _load_worlds(spec, path, overrides, lines, main_file)
    kinds: dict[tuple[str, str], list[int]] = {}
    windows, baselines, sources = [], [], []
    for index, target in enumerate(spec.targets):
        world, window = _check_target(worlds, spec, index, target, lines, main_file)
        windows.append(window)
        baselines.append(
            _baseline(world, target, lambda k, m, i=index: _fail(i, k, m, lines, main_file))
        )
        for variant in target.variants(world.first):
            kinds.setdefault((world.name, variant), []).append(index)
        sources.append((world.name, target.variants(world.first)[0]))
    membership = tuple(
        list(kinds).index(source) if t.by == "targeted" else None
        for t, source in zip(spec.targets, sources, strict=True)
    )
    by_name = {w.name: w for w in worlds}
    datas = tuple(by_name[w].data(v) for w, v in kinds)
    paths = _check_parameters(spec, datas, tuple(kinds), lines, main_file)
    evaluator = CalibrationEvaluator(
        datas,
        tuple(tuple(sorted(set(t))) for t in kinds.values()),
        spec.targets,
        paths,
        tuple(column(t) for t in spec.targets),
        tuple(windows),
        tuple(baselines),
        membership,
    )
    defaults = tuple(_value_at(worlds[0].data(worlds[0].first), p) for p in paths)
    return CalibrationPlan(
        resolved.scenario.name,
        spec,
        worlds,
        tuple(kinds),
        evaluator,
        defaults,
        resolved.files,
        tuple(overrides),
    )


def _fail(index: int, key: Path_, message: str, lines, main_file) -> ScenarioError:
    return spec_error(("targets", index, *key), message, lines, main_file)


def _check_parameters(spec, datas, kinds, lines, main_file) -> tuple[Path_, ...]:
    """Each parameter's parsed path, after checking it exists in every point kind and
    that its bounds keep every one valid."""
    paths: list[Path_] = []
    for index, parameter in enumerate(spec.parameters):
        for (world, variant), data in zip(kinds, datas, strict=True):
            try:
                parsed = check_path(parameter.path, data)
            except ValueError as exc:
                where = f"world '{world}', variant '{variant}'"
                raise spec_error(
                    ("parameters", index, "path"), f"{where}: {exc}", lines, main_file
                ) from None
            for key in ("low", "high"):
                value = getattr(parameter, key)
                try:
                    build_scenario(data, data, [parsed], [value])
                except PointError as exc:
                    raise spec_error(
                        ("parameters", index, key),
                        f"'{parameter.path}' = {value:g} makes world '{world}' invalid: {exc}",
                        lines,
                        main_file,
                    ) from None
        paths.append(parsed)
    return tuple(paths)


def _value_at(data: dict[str, Any], path: Path_) -> float:
    node: Any = data
    for part in path:
        node = node[part]
    try:
        return float(node)
    except (TypeError, ValueError):
        return math.nan
