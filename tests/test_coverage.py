"""Leaving the calibrated evidence (experiment/coverage.py): a top-decile dashboard with
adaptive physicians is flagged, once, in the run's and the comparison's warnings."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import simulate
from simulate.cli import app
from simulate.experiment.coverage import (
    TOP_DECILE_MEANING,
    comparison_extrapolation_warnings,
    extrapolation_warnings,
)

TINY = ["--set", "horizon_periods=3", "--set", "warmup_periods=1", "-r", "1", "--workers", "1"]


@pytest.mark.parametrize(
    "overrides, flagged",
    [
        ([], True),  # the bundled file: adaptive, private feedback against the top decile
        (["peer_pressure.norm=median"], False),  # as the calibration's targets
        (["peer_pressure.transparency=none"], False),  # nothing shown
        (["behaviour.model=fixed"], False),  # nobody responds
    ],
)
def test_only_adaptive_physicians_shown_a_top_decile_norm_are_flagged(overrides, flagged):
    scenario = simulate.load_scenario("peer_comparison", overrides)
    assert extrapolation_warnings(scenario) == ([TOP_DECILE_MEANING] if flagged else [])


def test_a_comparison_names_the_variants_that_extrapolate():
    variants = {
        "usual": simulate.load_scenario("baseline_ffs"),
        "dashboard": simulate.load_scenario("peer_comparison"),
    }
    [line] = comparison_extrapolation_warnings(variants)
    assert line.startswith("1 of 2 variants (dashboard): peer_pressure.norm top_decile")
    assert comparison_extrapolation_warnings({"usual": variants["usual"]}) == []


def test_run_and_compare_print_it_once_and_record_it(tmp_path):
    out = tmp_path / "run"
    done = CliRunner().invoke(
        app, ["run", "peer_comparison", *TINY, "--no-report", "--out", str(out), "-q"]
    )
    assert done.exit_code == 0, done.output
    assert [line for line in done.stderr.splitlines() if "top_decile" in line] == [
        f"warning: {TOP_DECILE_MEANING}"
    ]
    assert json.loads((out / "manifest.json").read_text())["warnings"] == [TOP_DECILE_MEANING]
    cmp = tmp_path / "cmp"
    done = CliRunner().invoke(
        app,
        ["compare", "baseline_ffs", "peer_comparison", *TINY, "--no-report", "--out", str(cmp)],
    )
    assert done.exit_code == 0, done.output
    lines = [line for line in done.stderr.splitlines() if "top_decile" in line]
    assert len(lines) == 1 and "1 of 2 variants (peer_comparison)" in lines[0]
    variant = json.loads((cmp / "variants" / "peer_comparison" / "manifest.json").read_text())
    assert variant["warnings"] == [TOP_DECILE_MEANING]
