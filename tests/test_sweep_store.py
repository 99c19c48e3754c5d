"""The sweep's run store: runs committed one by one, and a store that was tampered with
or damaged is refused before anything is resumed or written (simulate/sweep/store.py)."""

from __future__ import annotations

import math
import sqlite3

import pytest

from simulate.errors import ScenarioError
from simulate.sweep.store import RunStore

FINGERPRINT = {"scenario": "abc", "design": "grid"}
METRICS = ("cost", "value")


def filled(path, runs=((0, 0), (0, 1), (1, 0), (1, 1))) -> RunStore:
    store = RunStore(path, FINGERPRINT, METRICS)
    for point, replication in runs:
        store.add(point, replication, {"cost": 100.0 + point, "value": 0.02 * replication}, 1.0)
    return store


def tamper(path, sql: str, *args) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute(sql, args)
    db.close()


def test_an_untouched_store_verifies_and_keeps_its_runs(tmp_path):
    store = filled(tmp_path / "runs.sqlite")
    store.add(1, 1, {"cost": 1e9, "value": float("nan")}, 1.0)  # already stored: ignored
    store.verify(n_points=2, replications=2)
    table = store.table()
    assert table[["point", "replication"]].values.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert table["cost"].tolist() == [100.0, 100.0, 101.0, 101.0]
    store.close()
    again = RunStore(tmp_path / "runs.sqlite", FINGERPRINT, METRICS)
    again.verify(2, 2)  # reopened: the same checksums
    assert again.count() == 4
    nan = RunStore(tmp_path / "nan.sqlite", FINGERPRINT, METRICS)
    nan.add(0, 0, {"cost": 1.0, "value": math.nan}, 1.0)
    nan.verify(1, 1)
    assert math.isnan(nan.table()["value"][0])


@pytest.mark.parametrize(
    "sql, args, why",
    [
        ("UPDATE runs SET cost = ? WHERE point = 1 AND replication = 0", (999.0,), "changed"),
        ("UPDATE runs SET value = NULL WHERE point = 0 AND replication = 1", (), "changed"),
        ("UPDATE runs SET cost = ? WHERE point = 0 AND replication = 0", ("lots",), "number"),
        (
            "INSERT INTO runs VALUES (99, 0, 1.0, 1.0, 1.0, ?)",
            ("0" * 64,),
            "not in the sweep's design",
        ),
    ],
)
def test_changed_extra_or_odd_rows_are_named_and_refused(tmp_path, sql, args, why):
    path = tmp_path / "runs.sqlite"
    filled(path).close()
    tamper(path, sql, *args)
    store = RunStore(path, FINGERPRINT, METRICS)
    with pytest.raises(ScenarioError, match="cannot be trusted") as refused:
        store.verify(n_points=2, replications=2)
    assert why in refused.value.message and "--overwrite" in refused.value.message


def test_a_damaged_file_is_refused_in_one_message(tmp_path):
    path = tmp_path / "runs.sqlite"
    filled(path).close()
    for extra in path.parent.glob("runs.sqlite-*"):
        extra.unlink()
    data = bytearray(path.read_bytes())
    data[:16] = b"not a database!!"
    path.write_bytes(bytes(data))
    with pytest.raises(ScenarioError, match="not a readable run store"):
        RunStore(path, FINGERPRINT, METRICS)
