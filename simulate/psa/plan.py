"""A PSA ready to run: the file's variants, its ``uncertainty:`` section, the parameter
draws, and one sweep design point per (draw, variant).

Seeds: the draws come from the section's ``seed``; replication k of every draw and every
variant runs with the scenario's seed and k (common random numbers), so variants of one
draw differ only by the scheme, and draws only by their parameter values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulate.compare.discounting import DISCOUNTED_METRICS, Discount, discounted_flows
from simulate.compare.variants import VariantSet, load_variants
from simulate.errors import ScenarioError
from simulate.psa.calibration_sets import AcceptedSets, read_accepted
from simulate.psa.distributions import Dirichlet
from simulate.psa.sampling import correlate, correlation_matrix, unit_draws
from simulate.psa.spec import UncertaintySpec, parse_uncertainty, spec_error
from simulate.psa.tornado import tornado_settings
from simulate.scenario.loader import resolve_scenario
from simulate.scenario.yaml_source import Path_
from simulate.sweep.design import Design
from simulate.sweep.evaluate import organisation_metrics
from simulate.sweep.points import PointError, build_scenario, check_path

PSA_METRICS = ("cost", "payment_total", "qalys", "episodes", "value", "readmission_rate")
"""Organisation window metrics stored per run (means per period, undiscounted)."""
DISCOUNTED = tuple(f"discounted_{m}" for m in DISCOUNTED_METRICS)
"""The discounted cost, payments and QALYs per run (``compare.discounting``): the economics."""


def draw_table(spec: UncertaintySpec) -> pd.DataFrame:
    """[draw, path] the parameter values of every draw (a Dirichlet fills one column per
    share), from the section's method, seed and correlations."""
    dimension = sum(p.distribution.dimension for p in spec.parameters)
    if dimension == 0:
        return pd.DataFrame(index=pd.RangeIndex(spec.draws, name="draw"))
    u = unit_draws(spec.draws, dimension, spec.method, spec.seed)
    if spec.correlation:
        starts = np.cumsum([0] + [p.distribution.dimension for p in spec.parameters])[:-1]
        scalar = [
            (p, int(start))
            for p, start in zip(spec.parameters, starts, strict=True)
            if not isinstance(p.distribution, Dirichlet)
        ]
        names = [p.paths[0] for p, _ in scalar]
        by_label = {p.label: p.paths[0] for p, _ in scalar if p.label}
        pairs = [
            (
                by_label.get(c.between[0], c.between[0]),
                by_label.get(c.between[1], c.between[1]),
                c.rho,
            )
            for c in spec.correlation
        ]
        columns = [start for _, start in scalar]
        u[:, columns] = correlate(u[:, columns], correlation_matrix(names, pairs))
    values: dict[str, np.ndarray] = {}
    offset = 0
    for p in spec.parameters:
        k = p.distribution.dimension
        if isinstance(p.distribution, Dirichlet):
            shares = p.distribution.ppf(u[:, offset : offset + k])
            for j, path in enumerate(p.paths):
                values[path] = shares[:, j]
        else:
            values[p.paths[0]] = p.distribution.ppf(u[:, offset])
        offset += k
    return pd.DataFrame(values).rename_axis("draw")


@dataclass(frozen=True)
class PSAEvaluator:
    """Runs replication k of one variant's scenario with one draw's parameter values."""

    variants: tuple[dict[str, Any], ...]
    """Each variant's scenario as plain data with every default filled in."""
    paths: tuple[Path_, ...]
    draws: tuple[tuple[float, ...], ...]
    discount: Discount = field(default_factory=Discount)
    metrics: tuple[str, ...] = PSA_METRICS + DISCOUNTED

    def prepare(self, values: Sequence[Any]):
        draw, variant = int(values[0]), int(values[1])
        data = self.variants[variant]
        return build_scenario(data, data, self.paths, self.draws[draw])

    def evaluate(self, payload: Any, replication: int) -> dict[str, float]:
        from simulate.model.world import run_replication

        result = run_replication(payload, replication)
        row = organisation_metrics(payload, result, PSA_METRICS)
        flows = discounted_flows(payload, result, self.discount)
        return row | {f"discounted_{m}": value for m, value in flows.items()}


@dataclass(frozen=True)
class PSAPlan:
    """The validated PSA of a scenario file."""

    variant_set: VariantSet
    spec: UncertaintySpec
    draws: pd.DataFrame
    design: Design
    evaluator: PSAEvaluator
    replications: int
    tornado: pd.DataFrame
    """The one-way settings (``tornado.tornado_settings``); setting i is draw n_draws + i."""
    groups: dict[str, list[str]]
    """EVPPI groups: each parameter's name -> its draw columns (a calibrated set: one)."""

    @property
    def n_draws(self) -> int:
        """The PSA's parameter draws (the tornado's settings come after them)."""
        return len(self.draws)

    @property
    def n_runs(self) -> int:
        return self.design.n_points * self.replications

    def fingerprint(self) -> dict[str, Any]:
        """What must match for ``--resume`` to continue a stored PSA."""
        from simulate.output.store import scenario_hash

        return {
            "kind": "psa",
            "variants": [scenario_hash(v.scenario) for v in self.variant_set.variants],
            "design": self.design.sha256(),
            "draws": pd.util.hash_pandas_object(self.draws, index=True).sum().item(),
            "replications": self.replications,
            "metrics": list(self.evaluator.metrics),
            "discount": self.evaluator.discount.as_dict(),
        }


def plan_psa(source: str | Path, overrides: Sequence[str] = ()) -> PSAPlan:
    """Resolve the file, its variants and uncertainty; ScenarioError (file, line, field)
    for anything unusable, found before any run."""
    resolved = resolve_scenario(source, overrides)
    main_file = resolved.files[-1] if resolved.files else str(source)
    spec = parse_uncertainty(resolved.extras.get("uncertainty"), resolved.lines, main_file)
    variant_set = load_variants(source, overrides)
    datas = tuple(v.scenario.model_dump(mode="json", by_alias=True) for v in variant_set.variants)
    paths = _checked_paths(spec, datas[0], resolved.lines, main_file)
    draws = draw_table(spec)
    groups = {p.name: list(p.paths) for p in spec.parameters}
    sets = None
    if spec.from_calibration is not None:
        sets = _calibration_sets(spec, main_file, resolved.lines)
        for column in sets.paths:
            try:
                paths.append(check_path(column, datas[0]))
            except ValueError as exc:
                raise ScenarioError(str(exc), file=sets.file, line=1, field=column) from None
            if column in draws.columns:
                raise spec_error(
                    ("from_calibration",),
                    f"'{column}' is both a parameter and a column of {sets.file}",
                    resolved.lines,
                    main_file,
                )
        chosen = sets.values[sets.rows(spec.draws, spec.seed)]
        for j, column in enumerate(sets.paths):
            draws[column] = chosen[:, j]
        groups[f"calibrated set ({len(sets.paths)} parameters)"] = list(sets.paths)
    tornado = tornado_settings(spec, sets, list(draws.columns))
    if not spec.tornado:
        tornado = tornado.iloc[:0]
    rows = tuple(
        tuple(float(x) for x in row)
        for table in (draws, tornado[list(draws.columns)])
        for row in table.to_numpy()
    )
    evaluator = PSAEvaluator(datas, tuple(paths), rows, variant_set.settings.discount)
    n_variants = len(variant_set.variants)
    design = Design(
        "psa",
        ("draw", "variant"),
        tuple((d, v) for d in range(len(rows)) for v in range(n_variants)),
    )
    _check_points(design, evaluator, draws, tornado, variant_set, resolved.lines, main_file)
    replications = spec.replications or variant_set.replications
    return PSAPlan(variant_set, spec, draws, design, evaluator, replications, tornado, groups)


def _checked_paths(spec: UncertaintySpec, data: dict, lines: dict, main_file: str) -> list:
    """Each parameter's paths, checked against the scenario (errors at the parameter)."""
    paths: list[Path_] = []
    for index, parameter in enumerate(spec.parameters):
        for k, text in enumerate(parameter.paths):
            try:
                paths.append(check_path(text, data))
            except ValueError as exc:
                where = ("parameters", index, "path") + ((k,) if len(parameter.paths) > 1 else ())
                raise spec_error(where, str(exc), lines, main_file) from None
    return paths


def _calibration_sets(spec: UncertaintySpec, main_file: str, lines: dict) -> AcceptedSets:
    """The accepted sets of ``from_calibration`` (relative to the scenario file)."""
    path = Path(str(spec.from_calibration))
    if not path.is_absolute():
        path = Path(main_file).parent / path
    if not path.is_file():
        raise spec_error(
            ("from_calibration",),
            f"no such file: {path} (accepted.csv of a calibration, relative to this file)",
            lines,
            main_file,
        )
    return read_accepted(path)


def _check_points(design, evaluator, draws, tornado, variant_set, lines, main_file) -> None:
    """Every (draw or tornado setting, variant) builds a valid scenario."""
    for values in design.values:
        try:
            evaluator.prepare(values)
        except PointError as exc:
            d = values[0]
            row = draws.iloc[d] if d < len(draws) else tornado.iloc[d - len(draws)]
            shown = ", ".join(f"{c}={row[c]:.4g}" for c in draws.columns)
            what = f"draw {d}" if d < len(draws) else f"tornado setting {d - len(draws)}"
            raise spec_error(
                ("parameters",),
                f"{what} ({shown}) makes variant "
                f"'{variant_set.variants[values[1]].name}' invalid: {exc}",
                lines,
                main_file,
            ) from None
