"""The worlds of a calibration and one evaluation's runs in them.

A world is a scenario with its variants (its ``variants:`` section, or the scenario
alone as one variant named after it). Without a ``worlds:`` list the calibration file is
the one world. Each (world, variant) a target reads is a *point kind*; an evaluation of a
parameter vector runs every point kind, each ``replications`` times, and each run yields
the value of every target measured there.

A target by subgroup (``by``) needs the groups of the run: baseline quantiles come from
the run itself (its months before the policy, which under common random numbers are
the same in every variant of the world); ``targeted`` comes from the policy variant's run
of the same replication (who the policy reached in any month up to the end of the
target's window: a letter sent before the window counts), which the control's point
kind runs as well, so that policy and control compare the same physicians.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulate.calibration.target_spec import Target
from simulate.calibration.targets import measure
from simulate.compare.subgroups import Groups, subgroups
from simulate.compare.variant_set import Settings, Variant, VariantSet
from simulate.compare.window import Window
from simulate.scenario.yaml_source import Path_
from simulate.sweep.points import build_scenario


@dataclass(frozen=True)
class World:
    """A named world and its variants."""

    name: str
    variant_set: VariantSet

    @property
    def first(self) -> str:
        """Its first variant (a level target's default)."""
        return self.variant_set.variants[0].name

    def data(self, variant: str) -> dict[str, Any]:
        """A variant's scenario as plain data with every default filled in."""
        chosen = next(v for v in self.variant_set.variants if v.name == variant)
        return chosen.scenario.model_dump(mode="json", by_alias=True)


def flatten(fragment: dict[str, Any], prefix: str = "") -> list[str]:
    """``{a: {b: 1}}`` -> ``["a.b=1"]``: a fragment as ``--set`` assignments (values as
    JSON, which YAML reads back unchanged)."""
    out = []
    for key, value in fragment.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            out += flatten(value, path)
        else:
            out.append(f"{path}={json.dumps(value)}")
    return out


def load_world(source: str | Path, overrides: Sequence[str], name: str | None = None) -> World:
    """The world of a scenario file: its variants, or the scenario alone."""
    from simulate.compare.variants import load_variants
    from simulate.scenario.loader import resolve_scenario

    resolved = resolve_scenario(source, overrides)
    if "variants" in resolved.extras:
        variant_set = load_variants(source, overrides)
    else:
        scenario = resolved.scenario
        variant = Variant(scenario.name, scenario.description, scenario, resolved.files[-1])
        variant_set = VariantSet(
            scenario.name, (variant,), Settings(reference=scenario.name), resolved.files
        )
    return World(name or resolved.scenario.name, variant_set)


@dataclass(frozen=True)
class CalibrationEvaluator:
    """Runs replication k of one point kind's scenario with an evaluation's values.

    A point's values are ``(kind, *theta)``; ``theta`` of ``None`` keeps the world's own
    values (the *defaults* evaluation)."""

    datas: tuple[dict[str, Any], ...]
    """Each point kind's scenario data (defaults filled in)."""
    measured: tuple[tuple[int, ...], ...]
    """Each point kind's targets (indices into ``targets``)."""
    targets: tuple[Target, ...]
    paths: tuple[Path_, ...]
    metrics: tuple[str, ...]
    """One stored column per target."""
    windows: tuple[Window, ...]
    """Each target's window (resolved in its world)."""
    baselines: tuple[Window | None, ...] = ()
    """Each target's baseline window (targets by baseline quantile; else None)."""
    membership: tuple[int | None, ...] = ()
    """Each target's point kind whose run defines its subgroups (None: the run itself)."""

    def scenario(self, kind: int, theta: tuple):
        """Point kind ``kind``'s scenario with ``theta`` (``(None, ...)``: as written)."""
        data = self.datas[kind]
        if theta and theta[0] is None:
            return build_scenario(data, data, (), ())
        return build_scenario(data, data, self.paths, theta)

    def prepare(self, values: Sequence[Any]):
        kind, theta = int(values[0]), tuple(values[1:])
        return kind, theta, self.scenario(kind, theta)

    def evaluate(self, payload: Any, replication: int) -> dict[str, float]:
        from simulate.model.world import run_replication

        kind, theta, scenario = payload
        runs = {kind: (scenario, run_replication(scenario, replication))}
        out = {}
        for i in self.measured[kind]:
            groups = self._groups(i, kind, theta, replication, runs)
            out[self.metrics[i]] = measure(
                self.targets[i], self.windows[i], scenario, runs[kind][1], groups
            )
        return out

    def _groups(self, i: int, kind: int, theta: tuple, replication: int, runs) -> Groups | None:
        """Target ``i``'s subgroups in this replication (running the defining point kind
        when it is another one; ``runs`` caches the runs of this replication)."""
        from simulate.model.world import run_replication

        target = self.targets[i]
        if target.by is None:
            return None
        source = self.membership[i] if self.membership[i] is not None else kind
        if source not in runs:
            scenario = self.scenario(source, theta)
            runs[source] = (scenario, run_replication(scenario, replication))
        scenario, result = runs[source]
        window = self.windows[i]
        if target.by == "targeted":  # reached at any time up to the window's end
            window = Window("reached", 1, window.last_month)
        return subgroups(target.by, scenario, [result], window, self.baselines[i])


def column(target: Target) -> str:
    """The run store's column of a target."""
    return f"target:{target.name}"
