"""Where the page's scenario comes from, how edits apply to it, and its YAML download.

A source is a bundled scenario name, a YAML file, or a results folder written by
``simulate run`` or ``simulate compare`` (its manifest's resolved scenario; for a
comparison, the reference variant's). Bad input raises :class:`ScenarioError` with the
same one-line message the command line prints.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulate.errors import ScenarioError
from simulate.scenario.consistency import inconsistencies
from simulate.scenario.loader import (
    apply_override,
    bundled_dir,
    resolve_scenario,
    validation_error,
)
from simulate.scenario.models import Scenario
from simulate.scenario.yaml_source import Path_, format_path

SOURCE_ENV = "VALUESIM_APP_SOURCE"
"""Environment variable ``simulate app`` passes the source to the page in (JSON)."""
WORKERS_ENV = "VALUESIM_APP_WORKERS"
"""Environment variable with the worker processes a run uses (default 2)."""
DEFAULT_SOURCE = "value_dashboard"
"""The flagship, shown when no scenario is given."""
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Source:
    """What ``simulate app`` was asked to show."""

    source: str = DEFAULT_SOURCE
    overrides: tuple[str, ...] = ()

    def to_env(self) -> str:
        """The source as the JSON text of :data:`SOURCE_ENV`."""
        return json.dumps({"source": self.source, "overrides": list(self.overrides)})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Source:
        """The source passed in :data:`SOURCE_ENV` (the flagship when unset)."""
        text = (os.environ if environ is None else environ).get(SOURCE_ENV)
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls(str(data["source"]), tuple(str(o) for o in data.get("overrides", ())))
        except (ValueError, KeyError, TypeError):
            raise ScenarioError(f"{SOURCE_ENV} is not valid: {text[:80]!r}") from None


@dataclass(frozen=True)
class Loaded:
    """A scenario ready for the page, and where it came from (for messages and files)."""

    scenario: Scenario
    label: str
    """The file, bundled name or results folder it was read from."""
    notes: tuple[str, ...] = ()


def workers_from_env(environ: Mapping[str, str] | None = None) -> int:
    """Worker processes for a run: :data:`WORKERS_ENV`, default 2."""
    text = (os.environ if environ is None else environ).get(WORKERS_ENV, "2")
    try:
        return max(1, min(int(text), 64))
    except ValueError:
        return 2


def load_source(source: str | Path, overrides: Sequence[str] = ()) -> Loaded:
    """The scenario of a bundled name, a YAML file or a results folder, with ``overrides``
    (``dotted.path=value``) applied; :class:`ScenarioError` on bad input."""
    path = Path(source)
    folder = path if _is_dir(path) else None
    if folder is None and path.name == MANIFEST and _is_file(path):
        folder = path.parent
    if folder is not None:
        return _from_results(folder, overrides)
    resolved = resolve_scenario(source, overrides)
    notes = tuple(
        f"the file has a {section}: section; the app uses its base scenario"
        for section in ("variants", "sweep")
        if section in resolved.extras
    )
    main = Path(resolved.files[-1])
    label = str(main)
    with contextlib.suppress(OSError, ValueError):
        if main.resolve().parent == bundled_dir().resolve():
            label = f"bundled scenario {main.stem}"
    return Loaded(resolved.scenario, label, notes)


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise ScenarioError(
            f"'{folder}' is a folder but not a results folder (no readable {MANIFEST}); "
            "give a scenario file, a bundled name or a folder written by simulate run",
            file=str(folder),
        ) from None
    except (ValueError, RecursionError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(f"not valid JSON: {first}", file=str(path)) from None
    if not isinstance(manifest, dict):
        raise ScenarioError("not a ValueSim manifest (not a JSON object)", file=str(path))
    return manifest


def _from_results(folder: Path, overrides: Sequence[str]) -> Loaded:
    """The resolved scenario in a run folder's manifest (a comparison: its reference)."""
    manifest = _read_manifest(folder)
    notes: tuple[str, ...] = ()
    if manifest.get("kind") == "comparison":
        reference = str(manifest.get("reference", ""))
        listed = manifest.get("variants") if isinstance(manifest.get("variants"), list) else []
        sub = next(
            (
                str(v.get("folder") or f"variants/{reference}")
                for v in listed
                if isinstance(v, dict) and v.get("name") == reference
            ),
            f"variants/{reference}",
        )
        target = (folder / sub).resolve()
        if folder.resolve() not in target.parents:
            raise ScenarioError(
                f"reference folder '{sub}' is outside the comparison", file=str(folder)
            )
        notes = (f"comparison folder: showing its reference variant '{reference}'",)
        folder, manifest = target, _read_manifest(target)
    path = str(folder / MANIFEST)
    data = manifest.get("scenario")
    if not isinstance(data, dict):
        raise ScenarioError(
            "has no resolved scenario: not a ValueSim results folder", file=path, field="scenario"
        )
    data = copy.deepcopy(data)
    lines: dict = {}
    for assignment in overrides:
        apply_override(data, assignment, lines)
    return Loaded(validate(data, path), str(folder), notes)


def validate(data: dict[str, Any], label: str) -> Scenario:
    """``data`` as a Scenario, checked as a scenario file is (schema, then consistency);
    errors name ``label`` and the field."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, data, {}, label) from None
    problems = inconsistencies(scenario)
    if problems:
        field, message = problems[0]
        more = len(problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ScenarioError(message + suffix, file=label, field=format_path(field) or None)
    return scenario


def scenario_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data (what a manifest stores; YAML-ready)."""
    return scenario.model_dump(mode="json", by_alias=True)


def set_path(data: Any, path: Path_, value: Any) -> None:
    """``data[path] = value`` in place (mappings and lists; missing mapping keys are made)."""
    node = data
    for part in path[:-1]:
        if isinstance(node, dict) and part not in node:
            node[part] = {}
        node = node[part]
    node[path[-1]] = value


def get_path(data: Any, path: Path_) -> Any:
    """``data[path]``, or None when it is not there."""
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def with_edits(
    scenario: Scenario,
    edits: Mapping[Path_, Any],
    *,
    name: str | None = None,
    label: str = "edited scenario",
) -> Scenario:
    """``scenario`` with each ``path -> value`` set (``name`` renames it), validated as a
    file would be; :class:`ScenarioError` names ``label`` and the field at fault."""
    data = scenario_data(scenario)
    for path, value in edits.items():
        set_path(data, path, copy.deepcopy(value))
    if name is not None:
        data["name"] = name
    return validate(data, label)


def edited_name(name: str, suffix: str = "-edited") -> str:
    """A name for the edited scenario (within the 100 characters names may have)."""
    return name[: 100 - len(suffix)] + suffix


def scenario_yaml(scenario: Scenario, comments: Sequence[str] = ()) -> str:
    """The whole resolved scenario as YAML (``simulate run FILE`` runs it, same numbers),
    after ``comments`` as ``#`` lines."""
    header = "".join(f"# {line}\n" for text in comments for line in str(text).splitlines())
    body = yaml.safe_dump(scenario_data(scenario), sort_keys=False, allow_unicode=True, width=100)
    return header + body
