"""Guard rails (simulate/experiment/guards.py): a team at utilisation >= 1, or patients
still queued at the horizon, give one warning per command on stderr and in the manifest."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from simulate.cli import app
from simulate.experiment.guards import (
    QUEUED_SHARE,
    comparison_warnings,
    overload_detail,
    patient_totals,
    queue_detail,
    queued_share,
    run_warnings,
    sweep_warnings,
)
from simulate.model.capacity import TeamLoad, team_loads
from simulate.model.result import PatientTally
from simulate.scenario.loader import bundled_dir, resolve_scenario

CALM = [TeamLoad("ortho", 5.0, 15.0, 20), TeamLoad("medicine", 3.0, 9.0, 10)]
"""Utilisations 0.75 and 0.90."""
BUSY = [TeamLoad("ortho", 20.0, 45.0, 18), TeamLoad("medicine", 3.0, 10.0, 10)]
"""Utilisations 2.50 and exactly 1.00 (1 counts: the queue grows without bound)."""


def test_overload_names_each_team_at_or_above_one():
    assert overload_detail(CALM) is None
    assert overload_detail(BUSY) == (
        "team ortho utilisation 2.50 (offered load 45 of 18 slots), "
        "team medicine utilisation 1.00 (offered load 10 of 10 slots)"
    )


def test_queue_share_and_its_threshold():
    assert queued_share({"arrived": 6130, "queued": 2103}) == pytest.approx(2103 / 6130)
    assert queued_share({"arrived": 0, "queued": 0}) == 0.0
    assert queue_detail({"arrived": 1000, "queued": 10}) is None  # exactly 1%: not flagged
    assert QUEUED_SHARE == 0.01
    assert queue_detail({"arrived": 1000, "queued": 11}) == (
        "11 of 1,000 patients who arrived (1%) were still queued at the horizon"
    )
    assert queue_detail({"arrived": 6130, "queued": 2103, "turned_away": 7}) == (
        "2,103 of 6,130 patients who arrived (34%) were still queued at the horizon "
        "and 7 were turned away (queue full)"
    )


def test_run_warnings_are_one_line_saying_what_it_means():
    assert run_warnings(CALM, {"arrived": 100, "queued": 0}) == []
    [line] = run_warnings(BUSY, {"arrived": 6130, "queued": 2103})
    assert line.startswith("team ortho utilisation 2.50")
    assert "; 2,103 of 6,130 patients who arrived (34%)" in line
    assert "grow without bound" in line and "depend on the horizon" in line
    assert "\n" not in line
    [queued_only] = run_warnings(CALM, {"arrived": 100, "queued": 50})
    assert queued_only.startswith("50 of 100 patients") and "depend on the horizon" in queued_only
    [overload_only] = run_warnings(BUSY, None)
    assert "queued" not in overload_only.split(":")[0]


def test_comparison_and_sweep_warnings_are_one_line_naming_what_is_concerned():
    assert comparison_warnings({"a": (CALM, {"arrived": 9, "queued": 0})}) == []
    [line] = comparison_warnings(
        {
            "a": (CALM, {"arrived": 100, "queued": 0}),
            "b": (BUSY[:1], {"arrived": 100, "queued": 40}),
        }
    )
    assert line.startswith(
        "1 of 2 variants: b (team ortho utilisation 2.50; 40 of 100 patients still queued "
        "at the horizon, 40%): demand exceeds capacity"
    )
    assert sweep_warnings([CALM, CALM], [{"arrived": 10, "queued": 0}]) == []
    [line] = sweep_warnings(
        [CALM, BUSY, BUSY[:1]],
        [{"arrived": 100, "queued": 0}, {"arrived": 100, "queued": 30}],
        ["x=1", "x=2", "x=3"],
    )
    assert line.startswith(
        "at 2 of 3 design points a team's utilisation is >= 1 (highest: team ortho 2.50 at "
        "point 1: x=2); in 1 of 2 runs more than 1% of the patients who arrived were still "
        "queued at the horizon (up to 30%: 30 of 100)"
    )


def test_patient_totals_sum_the_tallies():
    tallies = [PatientTally(arrived=10, queued=2), PatientTally(arrived=5, turned_away=1)]
    totals = patient_totals(tallies)
    assert totals["arrived"] == 15 and totals["queued"] == 2 and totals["turned_away"] == 1
    assert set(totals) >= {"finished", "in_treatment", "awaiting_readmission", "declined"}


def test_loads_are_those_validate_prints():
    scenario = resolve_scenario("baseline_ffs", ["conditions[0].arrival_rate=20"]).scenario
    ortho = team_loads(scenario)[0]
    assert ortho.utilisation == pytest.approx(3.35, abs=0.005)
    assert "team orthopaedics utilisation 3.35" in overload_detail(team_loads(scenario))


TINY = ["--set", "horizon_periods=3", "--set", "warmup_periods=1", "-r", "2", "--workers", "1"]
OVERLOAD = ["--set", "conditions[0].arrival_rate=20"]


def warnings_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


def test_an_overloaded_run_warns_once_and_records_it(tmp_path):
    out = tmp_path / "over"
    args = ["run", "baseline_ffs", *TINY, *OVERLOAD, "--no-report", "--out", str(out), "-q"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    [warning] = warnings_in(done.stderr)  # once, not once per replication; even with -q
    assert "team orthopaedics utilisation 3.35" in warning
    manifest = json.loads((out / "manifest.json").read_text())
    [recorded] = manifest["warnings"]
    assert warning == f"warning: {recorded}"
    patients = manifest["patients"]
    assert f"{patients['queued']:,} of {patients['arrived']:,} patients" in recorded
    assert patients["queued"] > QUEUED_SHARE * patients["arrived"]


def test_a_normal_run_warns_of_nothing(tmp_path):
    out = tmp_path / "calm"
    done = CliRunner().invoke(
        app, ["run", "baseline_ffs", *TINY, "--no-report", "--out", str(out), "-q"]
    )
    assert done.exit_code == 0, done.output
    assert warnings_in(done.stderr) == []
    assert json.loads((out / "manifest.json").read_text())["warnings"] == []


def test_an_overloaded_comparison_warns_once_in_every_manifest(tmp_path):
    out = tmp_path / "cmp"
    args = ["compare", "baseline_ffs", "capitation", *TINY, *OVERLOAD, "--out", str(out), "-q"]
    args += ["--no-report"]  # the warnings are in the manifests, written with or without it
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    [warning] = warnings_in(done.stderr)
    assert warning.startswith("warning: 2 of 2 variants: baseline_ffs (team orthopaedics")
    assert "capitation (team orthopaedics utilisation 3.35" in warning
    assert json.loads((out / "manifest.json").read_text())["warnings"] == [
        warning.removeprefix("warning: ")
    ]
    for variant in ("baseline_ffs", "capitation"):
        manifest = json.loads((out / "variants" / variant / "manifest.json").read_text())
        [line] = manifest["warnings"]
        assert line.startswith("team orthopaedics utilisation 3.35")
        assert manifest["kind"] == "run" and "scenario" in manifest


def test_an_overloaded_sweep_warns_once(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(
        f"extends: {bundled_dir() / 'baseline_ffs.yaml'}\nname: load_sweep\n"
        "horizon_periods: 3\nwarmup_periods: 1\n"
        "sweep:\n  design: grid\n  replications: 2\n  parameters:\n"
        "    - path: conditions[0].arrival_rate\n      values: [5, 20]\n"
    )
    out = tmp_path / "out"
    done = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "1"])
    assert done.exit_code == 0, done.output
    [warning] = warnings_in(done.stderr)
    assert warning.startswith(
        "warning: at 1 of 2 design points a team's utilisation is >= 1 (highest: team "
        "orthopaedics 3.35 at point 1: conditions[0].arrival_rate=20); in 2 of 4 runs"
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["warnings"] == [warning.removeprefix("warning: ")]
    assert "1 slot)" in done.stdout  # one worker: "1 slot", not "1 slots"
