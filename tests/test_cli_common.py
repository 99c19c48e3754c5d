"""What every command shares (simulate/cli/common.py): the app's own options."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

from typer.testing import CliRunner

from simulate.cli import app


def test_version_prints_the_installed_version_and_exits_0():
    done = CliRunner().invoke(app, ["--version"])
    assert done.exit_code == 0, done.output
    assert done.stdout == f"valuesim {importlib.metadata.version('valuesim')}\n"
    assert done.stdout.split()[1].count(".") >= 2  # X.Y.Z


def test_python_dash_m_simulate_has_the_same_version():
    done = subprocess.run(
        [sys.executable, "-m", "simulate", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("valuesim ")
