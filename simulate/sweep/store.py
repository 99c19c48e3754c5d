"""The sweep's run store: one SQLite row per finished run, committed as it arrives.

Only the coordinating process writes. Each run is its own transaction (WAL journal), so
a sweep killed at any moment keeps every run committed before it; ``--resume`` reads
which (point, replication) pairs are done. The store remembers the sweep's fingerprint
(scenario, design, metrics) and refuses to mix runs of a different sweep. Each row
carries a checksum of its values and the fingerprint: a row changed, added or unreadable
since it was committed is found by :meth:`RunStore.verify`, and no table is written from
a store that cannot be trusted.
"""

from __future__ import annotations

import hashlib
import json
import math
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
        self.key = hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()
        path.parent.mkdir(parents=True, exist_ok=True)
        columns = ", ".join(f'"{m}" REAL' for m in self.metrics)
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            with self._db:
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)"
                )
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS runs (point INTEGER NOT NULL, "
                    "replication INTEGER NOT NULL, seconds REAL, "
                    f"{columns}, checksum TEXT, PRIMARY KEY (point, replication))"
                )
            self._check(fingerprint)
        except sqlite3.DatabaseError as exc:
            raise self._untrusted(f"not a readable run store ({exc})") from None

    def _untrusted(self, why: str) -> ScenarioError:
        return ScenarioError(
            f"{why}; nothing was written from it: start the sweep again with --overwrite, "
            "or choose another --out",
            file=str(self.path),
        )

    def _checksum(self, point: int, replication: int, values: Sequence[Any]) -> str:
        """SHA-256 of a run's values (exact float text; NaN as null) and the sweep's key."""
        exact = [
            None if v is None or (isinstance(v, float) and math.isnan(v)) else repr(float(v))
            for v in values
        ]
        text = json.dumps([self.key, int(point), int(replication), exact])
        return hashlib.sha256(text.encode()).hexdigest()

    def verify(self, n_points: int, replications: int) -> None:
        """Raise ScenarioError (naming the rows) if any stored run was changed, added or
        cannot be read since it was committed, or lies outside the design."""
        columns = ", ".join(f'"{m}"' for m in self.metrics)
        bad: list[str] = []
        try:
            rows = self._db.execute(
                f"SELECT point, replication, {columns}, checksum FROM runs "
                "ORDER BY point, replication"
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._untrusted(f"the run store cannot be read ({exc})") from None
        for point, replication, *values, checksum in rows:
            where = f"point {point}, replication {replication}"
            if not (isinstance(point, int) and isinstance(replication, int)):
                bad.append(f"{where}: not a run")
            elif not (0 <= point < n_points and 0 <= replication < replications):
                bad.append(f"{where}: not in the sweep's design")
            elif any(v is not None and not isinstance(v, int | float) for v in values):
                bad.append(f"{where}: a value is not a number")
            elif checksum != self._checksum(point, replication, values):
                bad.append(f"{where}: changed since it was stored")
        if bad:
            more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
            raise self._untrusted(
                f"{len(bad)} stored runs cannot be trusted ({'; '.join(bad[:3])}{more})"
            )

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
        values = [None if v is None or math.isnan(v) else float(v) for v in values]
        marks = ", ".join("?" for _ in range(len(values) + 4))
        checksum = self._checksum(point, replication, values)
        with self._db:
            self._db.execute(
                f"INSERT OR IGNORE INTO runs VALUES ({marks})",
                (int(point), int(replication), float(seconds), *values, checksum),
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
