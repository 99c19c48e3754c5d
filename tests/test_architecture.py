"""The house rules of ../shared/DESIGN.md that code can check: the accounting core,
the payer and physicians' behaviour are pure (no SimPy, no world)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PURE = ("simulate.accounts", "simulate.incentives", "simulate.behaviour", "simulate.clinical")


@pytest.mark.parametrize("package", PURE)
def test_pure_packages_load_neither_simpy_nor_the_world(package):
    code = (
        f"import sys, {package}\n"
        "import simulate.incentives.payer, simulate.behaviour.adaptive\n"
        "loaded = [m for m in sys.modules if m == 'simpy' or m.startswith('simpy.')\n"
        "          or m in ('simulate.model.world', 'simulate.experiment.replications')]\n"
        "print(','.join(loaded))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
