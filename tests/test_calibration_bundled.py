"""The bundled calibrations load and validate, and ``evidence`` encodes every row of
EVIDENCE.md's "Effect sizes" table and "Behavioural sizes" (or says why it cannot)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from simulate.calibration.plan import find_calibration_file, plan_calibration
from simulate.scenario.behaviour_models import Behaviour, PeerPressure
from simulate.scenario.models import PhysicianTraits

EFFECT_SIZES = (
    "Patel 2018",
    "Navathe 2020",
    "QOF England 2004",
    "QOF removal, Scotland 2016",
    "Kaiser Permanente",
    "Premier HQID",
    "CJR bundled payment",
    "Social norm letters, England",
    "Global budget + quality bonus",
)
"""The first column of EVIDENCE.md's "Effect sizes" table (../shared/EVIDENCE.md)."""
BEHAVIOURAL_ENCODED = ("Loss aversion", "Conformity (Molitor 2018)")
BEHAVIOURAL_LEFT_OUT = ("Kolstad 2013",)
"""Behavioural sizes the model cannot express; the file's header says why."""


@pytest.mark.parametrize("name", ["evidence", "evidence_income", "social_norm_letter"])
def test_the_bundled_calibrations_validate(name):
    done = subprocess.run(
        [sys.executable, "-m", "simulate", "calibrate", name, "--dry-run"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"ok: {name}:")


def test_every_evidence_row_is_a_target_with_its_source():
    plan = plan_calibration("evidence")
    sources = [t.source or "" for t in plan.targets]
    for row in (*EFFECT_SIZES, *BEHAVIOURAL_ENCODED):
        assert any(s.startswith(row) for s in sources), f"no target encodes '{row}'"
    assert all(any(s.startswith(r) for r in (*EFFECT_SIZES, *BEHAVIOURAL_ENCODED)) for s in sources)
    header = find_calibration_file("evidence").read_text()
    for row in BEHAVIOURAL_LEFT_OUT:
        assert row in header.split("calibration:")[0], f"'{row}' is neither encoded nor explained"


def test_every_world_is_used_and_every_target_has_an_uncertainty():
    plan = plan_calibration("evidence")
    used = {plan.spec.world_of(t) for t in plan.targets}
    assert used == {w.name for w in plan.worlds}
    assert all(t.standard_error > 0 for t in plan.targets)
    # the worlds keep the model's defaults: the calibration's "before" is the defaults
    models = {
        "behaviour": Behaviour,
        "peer_pressure": PeerPressure,
        "physician_traits": PhysicianTraits,
    }
    for path, value in zip(plan.paths, plan.defaults, strict=True):
        section, *keys = path.split(".")
        node = models[section]().model_dump()
        for key in keys:
            node = node[key]
        assert value == node, path


def test_set_on_the_command_line_reaches_every_world_but_calibration_keys_do_not():
    plan = plan_calibration(
        "evidence", ["peer_pressure.stake=income", "calibration.method.trials=8"]
    )
    assert plan.spec.method.trials == 8
    stakes = {plan.evaluator.datas[k]["peer_pressure"]["stake"] for k in range(len(plan.kinds))}
    assert stakes == {"income"}
    assert {d["peer_pressure"]["stake"] for d in plan_calibration("evidence").evaluator.datas} == {
        "value"
    }
