"""Named random-number streams: keyed by name, stable, and giving common random numbers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

import simulate
from simulate.model.streams import Streams
from simulate.scenario.models import Scenario


def test_a_stream_does_not_depend_on_which_streams_were_created_before():
    first = Streams(7, 0)
    first.get("other")
    first.get("another")
    a = first.get("patients.x.arrival").random(5)
    b = Streams(7, 0).get("patients.x.arrival").random(5)
    assert np.array_equal(a, b)


def test_streams_differ_by_name_replication_and_seed():
    draw = lambda seed, rep, name: Streams(seed, rep).get(name).random(3)  # noqa: E731
    reference = draw(7, 0, "a")
    assert not np.array_equal(reference, draw(7, 0, "b"))
    assert not np.array_equal(reference, draw(7, 1, "a"))
    assert not np.array_equal(reference, draw(8, 0, "a"))


def test_streams_are_the_same_under_any_hash_seed():
    code = "from simulate.model.streams import Streams; print(Streams(3, 1).get('x').random())"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": hash_seed, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hash_seed in ("0", "1", "12345")
    }
    assert len(outputs) == 1


def _two_team_world(with_second_condition: bool) -> Scenario:
    conditions = [
        {
            "name": "alpha",
            "arrival_rate": 2.0,
            "base_cost": 1000,
            "treatment_days": 1.0,
            "complication_rate": 0.1,
            "readmission_rate": 0.1,
            "health_gain_qalys": 0.1,
            "recovery_days": 5,
            "teams": ["a"],
        }
    ]
    if with_second_condition:
        conditions.append({**conditions[0], "name": "beta", "arrival_rate": 1.0, "teams": ["b"]})
    return Scenario.model_validate(
        {
            "name": "crn",
            "seed": 11,
            "replications": 2,
            "horizon_periods": 4,
            "conditions": conditions,
            "teams": [{"name": "a", "physicians": 3}, {"name": "b", "physicians": 2}],
            "payment": {"salary": {"annual": 100000}},
        }
    )


def test_adding_a_condition_does_not_change_another_conditions_patients():
    """Common random numbers: team a sees the same patients whether or not beta exists."""
    alone = simulate.run(_two_team_world(False)).trajectories
    both = simulate.run(_two_team_world(True)).trajectories
    pick = lambda t: t[t["team"] == "a"].reset_index(drop=True)  # noqa: E731
    assert len(pick(both)) > 0
    assert pick(alone).equals(pick(both))
    org = lambda t: t[t["level"] == "organisation"]["episodes"].sum()  # noqa: E731
    assert org(both) > org(alone)
