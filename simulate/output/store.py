"""Writing a run to disk: tidy tables (CSV, and Parquet where pyarrow is installed) and
``manifest.json``. Every file is written under a temporary name and renamed into place,
so a crash never leaves half a file.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from simulate.errors import ScenarioError
from simulate.output.folders import (
    ResultsKept,
    check_target,
    current_umask,
    kept_folder,
    release_staging,
    staging_folder,
)
from simulate.scenario.models import Scenario

MANIFEST = "manifest.json"
VERSIONED_PACKAGES = ("valuesim", "simpy", "numpy", "scipy", "pandas", "pydantic", "pyyaml")


def has_parquet() -> bool:
    """Whether pyarrow is importable (Parquet files are written beside CSV)."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def atomic_write(path: Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


FORMULA_START = r"^[=+\-@\t\r]"
"""Text cells starting like this would run as formulas when a spreadsheet opens the CSV."""


def spreadsheet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with text cells that a spreadsheet would read as a formula (starting with
    = + - @, a tab or a carriage return) quoted as text by a leading apostrophe (OWASP's
    rule against CSV injection). Numbers are untouched; Parquet keeps the text as is."""
    text = table.select_dtypes(include=["object", "string"]).columns
    risky = {}
    for column in text:
        values = table[column]
        mask = values.map(lambda v: isinstance(v, str)).astype(bool)
        mask &= values.astype(str).str.contains(FORMULA_START, regex=True)
        if mask.any():
            risky[column] = values.where(~mask, "'" + values.astype(str))
    return table.assign(**risky) if risky else table


def write_table(table: pd.DataFrame, directory: Path, stem: str) -> list[Path]:
    """Write ``stem.csv`` (and ``stem.parquet`` where possible); returns the paths."""
    csv = spreadsheet_safe(table)
    paths = [atomic_write(directory / f"{stem}.csv", lambda tmp: csv.to_csv(tmp, index=False))]
    if has_parquet():
        paths.append(
            atomic_write(
                directory / f"{stem}.parquet", lambda tmp: table.to_parquet(tmp, index=False)
            )
        )
    return paths


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario's canonical JSON."""
    canonical = json.dumps(scenario.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that shape the numbers."""
    versions = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def write_run(
    tables: dict[str, pd.DataFrame],
    scenario: Scenario,
    directory: Path,
    *,
    extra: dict[str, Any] | None = None,
    command: Sequence[str] | None = None,
) -> list[Path]:
    """Write every table and the manifest into ``directory``; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    table_info = {}
    for stem, table in tables.items():
        paths = write_table(table, directory, stem)
        written += paths
        table_info[stem] = {"rows": len(table), "files": [p.name for p in paths]}
    manifest = {
        "kind": "run",
        "name": scenario.name,
        "description": scenario.description,
        "scenario_sha256": scenario_hash(scenario),
        "seed": scenario.seed,
        "replications": scenario.replications,
        "horizon_periods": scenario.horizon_periods,
        "warmup_periods": scenario.warmup_periods,
        "period_days": scenario.period_days,
        "command": list(sys.argv if command is None else command),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": package_versions(),
        "tables": table_info,
        **(extra or {}),
        "scenario": scenario.model_dump(mode="json", by_alias=True),
    }
    text = json.dumps(manifest, indent=2, allow_nan=False, default=str) + "\n"
    written.append(write_text(directory / MANIFEST, text))
    return written


def is_occupied(directory: Path) -> bool:
    """Whether ``directory`` exists and holds anything."""
    return directory.exists() and (not directory.is_dir() or any(directory.iterdir()))


def write_directory(
    directory: Path, write: Callable[[Path], Any], *, kind: str, overwrite: bool = False
) -> Path:
    """Fill a fresh folder with ``write(folder)``, then put it in place of ``directory``.

    The new results appear whole or not at all: they are written into a hidden sibling
    folder first; an existing ``directory`` is moved aside, the new one renamed into
    place, and only then is the old one deleted. Just before the rename the target is
    checked again (``folders.check_target``): if something appeared there meanwhile, or
    it is not a folder ``--overwrite`` may replace, the results are kept under a new
    name beside it and :class:`ResultsKept` says where. Returns the folder written.
    """
    directory = Path(os.path.abspath(directory))
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_folder(directory)
    try:
        write(staging)
        release_staging(staging)
        if directory.exists() or directory.is_symlink():
            try:
                check_target(directory, kind, overwrite=overwrite)
            except ScenarioError as refused:
                kept = kept_folder(directory)
                os.replace(staging, kept)
                raise ResultsKept(kept, refused.message) from None
        old = None
        if directory.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{directory.name}.old-", dir=directory.parent))
            os.replace(directory, old / directory.name)
        os.replace(staging, directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory
