"""`simulate validate` checks a file's variants: and sweep: sections as well as its world."""

from __future__ import annotations

import subprocess
import sys


def validate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "simulate", "validate", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_variants_and_sweeps_are_summarised():
    compared = validate("compare_schemes")
    assert compared.returncode == 0, compared.stderr
    assert "variants: 5" in compared.stdout and "reference fee_for_service" in compared.stdout
    swept = validate("sweep_bonus_size")
    assert swept.returncode == 0, swept.stderr
    assert "sweep: grid design over 2 parameters" in swept.stdout


def test_bad_experiment_sections_are_refused_by_validate():
    bad_reference = validate("compare_schemes", "--set", "variants.reference=nope")
    assert bad_reference.returncode == 2
    assert "unknown variant 'nope'" in bad_reference.stderr
    bad_path = validate(
        "sweep_bonus_size", "--set", "sweep.parameters[0].path=incentives[0].bonnus"
    )
    assert bad_path.returncode == 2
    assert "bonus" in bad_path.stderr and "Traceback" not in bad_path.stderr
    for done in (bad_reference, bad_path):
        assert len(done.stderr.strip().splitlines()) == 1
