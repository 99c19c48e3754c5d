"""Reading a results folder written by ``simulate run`` or ``simulate compare``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simulate.errors import ScenarioError

MANIFEST = "manifest.json"
RUN_TABLES = ("trajectories", "summary", "physicians", "payments")
COMPARISON_TABLES = ("comparison", "cost_effectiveness", "ce_replications", "ceac", "effects")


@dataclass
class RunData:
    """One run folder: its manifest, resolved scenario (a dict) and tables."""

    directory: Path
    manifest: dict[str, Any]
    trajectories: pd.DataFrame
    summary: pd.DataFrame
    physicians: pd.DataFrame
    payments: pd.DataFrame

    @property
    def scenario(self) -> dict[str, Any]:
        """The resolved scenario as stored in the manifest."""
        return self.manifest["scenario"]

    @property
    def name(self) -> str:
        """The scenario's name."""
        return str(self.scenario.get("name", self.directory.name))

    @property
    def warmup(self) -> int:
        """Warm-up periods (dropped from window figures)."""
        return int(self.scenario.get("warmup_periods", 0))

    @property
    def horizon(self) -> int:
        """Periods simulated."""
        return int(self.scenario.get("horizon_periods", self.trajectories["period"].max() + 1))

    @property
    def physician_names(self) -> list[str]:
        """Physician labels in team order, as in the tables."""
        rows = self.trajectories[self.trajectories["level"] == "physician"]
        return list(dict.fromkeys(rows["unit"]))


@dataclass
class ComparisonData:
    """A comparison folder: the comparison tables and each variant's run."""

    directory: Path
    manifest: dict[str, Any]
    comparison: pd.DataFrame
    cost_effectiveness: pd.DataFrame
    """One row per variant: increments, ICER, NMB, probabilities and the verdict."""
    ce_replications: pd.DataFrame
    ceac: pd.DataFrame
    variants: dict[str, RunData] = field(default_factory=dict)
    effects: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Each variant against the reference by window (and unit or subgroup): effects.csv."""

    @property
    def reference(self) -> str:
        """Name of the reference variant."""
        return str(self.manifest.get("reference", next(iter(self.variants), "")))

    @property
    def thresholds(self) -> list[float]:
        """Willingness-to-pay thresholds (currency per QALY)."""
        return [float(t) for t in self.manifest.get("thresholds", [])]


def read_manifest(directory: Path) -> dict[str, Any]:
    """The folder's manifest.json as a dict; ScenarioError when missing or invalid."""
    path = directory / MANIFEST
    if not directory.is_dir():
        raise ScenarioError(f"results folder '{directory}' does not exist or is not a folder")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise ScenarioError(
            f"'{directory}' is not a results folder: no readable {MANIFEST}"
        ) from None
    except (ValueError, RecursionError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(f"{MANIFEST} is not valid JSON: {first}", file=str(path)) from None
    if not isinstance(manifest, dict):
        raise ScenarioError(f"{MANIFEST} is not a JSON object", file=str(path))
    return manifest


def is_comparison(manifest: dict[str, Any]) -> bool:
    """Whether a manifest describes a comparison folder."""
    return manifest.get("kind") == "comparison"


def read_table(directory: Path, stem: str, *, required: bool = True) -> pd.DataFrame:
    """``stem.csv`` (or ``stem.parquet``) from ``directory``; empty when optional and absent."""
    csv, parquet = directory / f"{stem}.csv", directory / f"{stem}.parquet"
    try:
        if csv.is_file():
            return pd.read_csv(csv, keep_default_na=stem != "payments")
        if parquet.is_file():
            return pd.read_parquet(parquet)
    except (OSError, ValueError, ImportError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(f"cannot read {stem} table: {first}", file=str(csv)) from None
    if required:
        raise ScenarioError(f"'{directory}' has no {stem}.csv or {stem}.parquet")
    return pd.DataFrame()


def load_run(directory: Path, manifest: dict[str, Any] | None = None) -> RunData:
    """Read a run folder written by ``simulate run``."""
    directory = Path(directory)
    manifest = read_manifest(directory) if manifest is None else manifest
    if not isinstance(manifest.get("scenario"), dict):
        raise ScenarioError(
            f"{MANIFEST} has no resolved scenario: not a ValueSim results folder",
            file=str(directory / MANIFEST),
        )
    tables = {stem: read_table(directory, stem) for stem in RUN_TABLES}
    _check_columns(tables["trajectories"], ("replication", "period", "level", "unit"), directory)
    payments = tables["payments"]
    if payments.empty:
        payments = pd.DataFrame(columns=["replication", "period", "physician", "component"])
    for column in ("rule", "reason"):
        if column in payments:
            payments[column] = payments[column].fillna("").astype(str)
    if "amount" in payments:
        payments["amount"] = pd.to_numeric(payments["amount"], errors="coerce")
    return RunData(directory, manifest, **{**tables, "payments": payments})


def load_comparison(directory: Path, manifest: dict[str, Any] | None = None) -> ComparisonData:
    """Read a comparison folder: its tables and ``variants/<name>/`` run folders."""
    directory = Path(directory)
    manifest = read_manifest(directory) if manifest is None else manifest
    folders = variant_folders(directory, manifest.get("variants"))
    if not folders:
        raise ScenarioError(f"comparison folder '{directory}' lists no variants")
    variants = {name: load_run(folder) for name, folder in folders.items()}
    tables = {stem: read_table(directory, stem, required=False) for stem in COMPARISON_TABLES}
    return ComparisonData(directory, manifest, variants=variants, **tables)


def variant_folders(directory: Path, listed: Any) -> dict[str, Path]:
    """Variant name -> run folder, from the manifest's ``variants`` (names or objects with
    ``name`` and ``folder``), else every folder under ``variants/``."""
    folders: dict[str, Path] = {}
    for item in listed if isinstance(listed, list) else []:
        if isinstance(item, dict) and "name" in item:
            name = str(item["name"])
            folder = directory / str(item.get("folder") or f"variants/{name}")
        else:
            name, folder = str(item), directory / "variants" / str(item)
        if directory.resolve() not in folder.resolve().parents:
            raise ScenarioError(f"variant folder '{folder}' is outside the comparison folder")
        folders[name] = folder
    if not folders:
        for folder in sorted(p for p in (directory / "variants").glob("*") if p.is_dir()):
            folders[folder.name] = folder
    return folders


def _check_columns(table: pd.DataFrame, columns: tuple[str, ...], directory: Path) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ScenarioError(
            f"trajectories table in '{directory}' lacks column(s) {', '.join(missing)}"
        )
