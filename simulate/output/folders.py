"""Which folders results may be written to, and which ones ``--overwrite`` may replace.

A results folder is replaced only when it is one the project wrote: a real folder (not
a link) whose ``manifest.json`` names the same kind of results (run, comparison or
sweep), holding nothing but what the project writes there. Never a file or a device,
the root, a home folder, the working folder or one above it, or a folder with anything
else in it. The check runs before any work and again just before the final rename, so
a folder that appears at ``--out`` during a run is not replaced either.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import tempfile
import time
from pathlib import Path

from simulate.errors import ScenarioError
from simulate.scenario.yaml_source import one_line

MANIFEST = "manifest.json"
KINDS = ("run", "comparison", "sweep", "psa", "calibration")
WRITTEN = {
    "run": ("manifest.json", "dashboard.html", "report", "*.csv", "*.parquet"),
    "comparison": ("manifest.json", "dashboard.html", "report", "variants", "*.csv", "*.parquet"),
    "sweep": ("manifest.json", "figures", "*.csv", "*.parquet", "runs.sqlite*"),
    "psa": ("manifest.json", "dashboard.html", "report", "*.csv", "*.parquet", "runs.sqlite*"),
    "calibration": (
        "manifest.json",
        "dashboard.html",
        "report",
        "best.yaml",
        "*.csv",
        "*.parquet",
        "runs.sqlite*",
    ),
}
"""What the project writes in a results folder of each kind (names and patterns)."""
OWNER = ".valuesim-owner"
"""In a staging folder while it is written: the writing process's id."""
STAGING_PID = re.compile(r"\.new-(\d+)-[a-z0-9_]{8}$")
"""A staging folder's name: ``.NAME.new-PID-`` and mkdtemp's eight characters."""


class ResultsKept(Exception):
    """The results were written, but beside ``--out``: the target could not be replaced."""

    def __init__(self, kept: Path, reason: str) -> None:
        super().__init__(f"results kept in '{kept}': {reason}")
        self.kept = kept


def results_kind(directory: Path) -> str | None:
    """The kind of results ``directory`` holds by its manifest, or None if it is not a
    results folder (no readable manifest naming a kind)."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    kind = manifest.get("kind")
    if kind is None and "scenario_sha256" in manifest and "versions" in manifest:
        kind = "run"  # written before manifests named their kind
    return kind if kind in KINDS else None


def _ours(name: str, kind: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in WRITTEN[kind])


def _protected(resolved: Path) -> str | None:
    """Why a folder may never be replaced, or None."""
    if resolved == Path(resolved.anchor):
        return "the root folder"
    home = Path.home().resolve()
    if resolved == home:
        return "your home folder"
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        return "the working folder" if resolved == cwd else "a folder above the working folder"
    return None


def _listing(names: list[str]) -> str:
    shown = ", ".join(sorted(names)[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def check_target(directory: Path, kind: str, *, overwrite: bool) -> None:
    """Raise ScenarioError (one line) unless results of ``kind`` may go to ``directory``:
    it does not exist, is an empty folder, or (with ``overwrite``) is a results folder
    of the same kind that the project wrote."""
    path = Path(directory)
    shown = one_line(str(path))
    entries = _entries(path, shown)
    if not entries:
        return
    if not overwrite:
        raise ScenarioError(
            f"results folder '{shown}' already exists; choose another --out or pass "
            "--overwrite to replace it"
        )
    _check_replaceable(path, shown, kind, entries)


def _entries(path: Path, shown: str) -> list[str]:
    """The names in the folder ``path`` (none when it does not exist); ScenarioError when
    it is a link, a file, or under a file."""
    try:
        if path.is_symlink():
            raise ScenarioError(f"'{shown}' is a symbolic link; give the folder it points to")
        for parent in path.parents:
            if parent.exists() and not parent.is_dir():
                raise ScenarioError(f"'{one_line(str(parent))}' is a file, not a folder")
        if not path.exists():
            return []
        if not path.is_dir():
            what = "file" if path.is_file() else "special file (a device or pipe)"
            raise ScenarioError(f"'{shown}' is a {what}, not a results folder")
        return [entry.name for entry in path.iterdir()]
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ScenarioError(f"cannot use '{shown}' as the results folder: {reason}") from None


def _check_replaceable(path: Path, shown: str, kind: str, entries: list[str]) -> None:
    """ScenarioError unless ``--overwrite`` may replace the folder: not protected, a
    ValueSim results folder of ``kind`` holding only what ValueSim wrote."""
    resolved = path.resolve()
    protected = _protected(resolved)
    if protected:
        raise ScenarioError(f"'{shown}' is {protected}; --overwrite never replaces it")
    found = results_kind(resolved)
    if found is None:
        raise ScenarioError(
            f"'{shown}' holds {_listing(entries)} and no ValueSim manifest; --overwrite "
            "replaces only results folders ValueSim wrote"
        )
    if found != kind:
        raise ScenarioError(
            f"'{shown}' holds a ValueSim {found}, not a {kind}; choose another --out"
        )
    strangers = [name for name in entries if not _ours(name, kind)]
    if strangers:
        raise ScenarioError(
            f"'{shown}' also holds {_listing(strangers)}, which ValueSim did not write; "
            "move it away or choose another --out"
        )


def staging_folder(directory: Path) -> Path:
    """A fresh hidden folder beside ``directory`` to write results into, named and
    marked with this process's id (``.NAME.new-PID-`` and eight random characters: the
    name is there from the folder's first instant, so a SIGKILL at any moment leaves a
    folder whose writer is known); stale ones that killed processes left behind are
    removed."""
    remove_stale_staging(directory)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{directory.name}.new-{os.getpid()}-", dir=directory.parent)
    )
    os.chmod(staging, 0o777 & ~current_umask())
    (staging / OWNER).write_text(str(os.getpid()), encoding="utf-8")
    return staging


def release_staging(staging: Path) -> None:
    """Drop the owner mark before the staging folder becomes the results folder."""
    (staging / OWNER).unlink(missing_ok=True)


def remove_stale_staging(directory: Path) -> list[Path]:
    """Remove staging folders of ``directory`` whose writing process is gone (a SIGKILL
    leaves them); a folder still being written by a live process is left alone."""
    import shutil

    removed = []
    try:
        siblings = list(directory.parent.glob(f".{directory.name}.new-*"))
    except OSError:
        return removed
    for folder in siblings:
        named = STAGING_PID.search(folder.name)
        owner = folder / OWNER
        try:
            pid = int(named.group(1)) if named else int(owner.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            # no owner mark: an interrupted write of an older version, or one being set up
            try:
                if time.time() - folder.stat().st_mtime < 3600:
                    continue
            except OSError:
                continue
            pid = None
        if pid is not None and _alive(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def kept_folder(directory: Path) -> Path:
    """A new name beside ``directory`` for results that could not be put in its place."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = directory.with_name(f"{directory.name}.kept-{stamp}")
    number = 1
    while candidate.exists():
        number += 1
        candidate = directory.with_name(f"{directory.name}.kept-{stamp}-{number}")
    return candidate


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def current_umask() -> int:
    """The process's file-mode creation mask (read without changing it for long)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
