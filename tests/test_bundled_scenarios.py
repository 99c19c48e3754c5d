"""Every bundled scenario runs end to end (short horizon) and writes readable tables."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulate.cli import app
from simulate.scenario.loader import bundled_scenarios


@pytest.mark.parametrize("path", bundled_scenarios(), ids=lambda p: p.stem)
def test_bundled_scenario_runs(path, tmp_path):
    out = tmp_path / path.stem
    args = ["run", str(path), "-r", "1", "--workers", "1", "--quiet", "--out", str(out)]
    args += ["--set", "horizon_periods=3", "--set", "warmup_periods=0"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    trajectories = pd.read_csv(out / "trajectories.csv")
    org = trajectories[trajectories["level"] == "organisation"]
    assert len(org) == 3
    assert (org["episodes"] > 0).all()
    assert (out / "manifest.json").exists()
