"""The sweep's run store: one SQLite row per finished run, committed as it arrives.

Only the coordinating process writes. Each run is its own transaction (WAL journal), so
a sweep killed at any moment keeps every run committed before it; ``--resume`` reads
which (point, replication) pairs are done. The store remembers the sweep's fingerprint
(scenario, design, metrics) and refuses to mix runs of a different sweep.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from simulate.errors import ScenarioError

STORE_NAME = "runs.sqlite"


class RunStore:
    """Finished runs of one sweep, in ``folder/runs.sqlite``."""

    def __init__(self, path: Path, fingerprint: dict[str, Any], metrics: Sequence[str]) -> None:
        self.path = path
        self.metrics = tuple(metrics)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        columns = ", ".join(f'"{m}" REAL' for m in self.metrics)
        with self._db:
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS runs (point INTEGER NOT NULL, "
                "replication INTEGER NOT NULL, seconds REAL, "
                f"{columns}, PRIMARY KEY (point, replication))"
            )
        self._check(fingerprint)

    def _check(self, fingerprint: dict[str, Any]) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key='fingerprint'").fetchone()
        if row is None:
            with self._db:
                self._db.execute(
                    "INSERT INTO meta VALUES ('fingerprint', ?)",
                    (json.dumps(fingerprint, sort_keys=True),),
                )
            return
        stored = json.loads(row[0])
        changed = [
            k for k in sorted(set(stored) | set(fingerprint)) if stored.get(k) != fingerprint.get(k)
        ]
        if changed:
            self.close()
            raise ScenarioError(
                f"the results folder holds a different sweep ({', '.join(changed)} changed "
                "since it was started); cannot resume it: use --overwrite to start again, or "
                "another --out",
                file=str(self.path),
            )

    def done(self) -> set[tuple[int, int]]:
        """The (point, replication) pairs already stored."""
        return {(p, r) for p, r in self._db.execute("SELECT point, replication FROM runs")}

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def add(self, point: int, replication: int, row: dict[str, float], seconds: float) -> None:
        """Commit one run (a run already stored is left as it is)."""
        values = [row.get(m) for m in self.metrics]
        marks = ", ".join("?" for _ in range(len(values) + 3))
        with self._db:
            self._db.execute(
                f"INSERT OR IGNORE INTO runs VALUES ({marks})",
                (int(point), int(replication), float(seconds), *values),
            )

    def table(self) -> pd.DataFrame:
        """Every stored run, ordered by point then replication (NaN where a metric was)."""
        columns = ", ".join(f'"{m}"' for m in self.metrics)
        frame = pd.read_sql_query(
            f"SELECT point, replication, {columns} FROM runs ORDER BY point, replication",
            self._db,
        )
        for metric in self.metrics:
            frame[metric] = frame[metric].astype(float)
        return frame

    def seconds(self) -> float:
        """Total compute time of the stored runs, seconds."""
        return float(self._db.execute("SELECT COALESCE(SUM(seconds), 0) FROM runs").fetchone()[0])

    def close(self) -> None:
        self._db.close()
