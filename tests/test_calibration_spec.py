"""Bad ``calibration:`` sections stop with one message naming file, line and field
(exit 2 on the command line), found before any run."""

from __future__ import annotations

import subprocess
import sys

import pytest

from simulate.calibration.plan import plan_calibration
from simulate.errors import ScenarioError
from simulate.scenario.loader import bundled_dir

HEADER = (
    f"extends: {bundled_dir() / 'baseline_ffs.yaml'}\n"  # line 1
    "name: cal\n"
    "horizon_periods: 4\n"
    "warmup_periods: 1\n"
    "calibration:\n"  # line 5
    "  parameters:\n"
)
PARAMETER = "    - {path: 'conditions[0].base_cost', low: 10000, high: 40000}\n"  # line 7
TARGETS = (
    "  targets:\n"  # line 8
    "    - {name: cpe, metric: cost_per_episode, value: 20000, se: 500}\n"  # line 9
)


def error_of(tmp_path, text: str) -> ScenarioError:
    path = tmp_path / "cal.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        plan_calibration(path)
    assert caught.value.file == str(path)
    return caught.value


CASES = {
    "unknown path": (
        HEADER + "    - {path: 'conditions[0].base_cots', low: 1, high: 2}\n" + TARGETS,
        7,
        "calibration.parameters[0].path",
        "did you mean 'conditions[0].base_cost'",
    ),
    "unknown metric": (
        HEADER
        + PARAMETER
        + "  targets:\n    - {name: x, metric: cost_per_episod, value: 1, se: 1}\n",
        9,
        "calibration.targets[0].metric",
        "did you mean 'cost_per_episode'",
    ),
    "bad window": (
        HEADER + PARAMETER + TARGETS.replace("se: 500}", "se: 500, window: 3-2}"),
        9,
        "calibration.targets[0].window",
        "the last is not before the first",
    ),
    "window past the horizon": (
        HEADER + PARAMETER + TARGETS.replace("se: 500}", "se: 500, window: 2-9}"),
        9,
        "calibration.targets[0].window",
        "after the horizon (4 months)",
    ),
    "low above high": (
        HEADER + "    - {path: 'conditions[0].base_cost', low: 4, high: 2}\n" + TARGETS,
        7,
        "calibration.parameters[0].high",
        "low (4) must be below high (2)",
    ),
    "prior outside the bounds": (
        HEADER
        + "    - {path: 'conditions[0].base_cost', low: 1000, high: 2000,\n"
        + "       prior: {type: normal, mean: 9000, se: 100}}\n"
        + TARGETS.replace("\n", "\n", 1),
        8,
        "calibration.parameters[0].prior",
        "outside the bounds",
    ),
    "bound that breaks the world": (
        HEADER + "    - {path: 'conditions[0].readmission_rate', low: 0.1, high: 1.5}\n" + TARGETS,
        7,
        "calibration.parameters[0].high",
        "makes world",
    ),
    "unknown key with a hint": (
        HEADER + PARAMETER + TARGETS + "  method: {screning: 8}\n",
        10,
        "calibration.method.screning",
        "unknown key 'screning'; did you mean 'screening'? (allowed here: batch, optimiser,",
    ),
    "unknown variant": (
        HEADER
        + PARAMETER
        + "  targets:\n"
        + "    - {name: e, metric: cost, value: 1, se: 1, effect: {of: p4p, against: x}}\n",
        9,
        "calibration.targets[0].effect.of",
        "has no variant 'p4p'",
    ),
    "se and ci missing": (
        HEADER + PARAMETER + "  targets:\n    - {name: x, metric: cost, value: 1}\n",
        9,
        "calibration.targets[0].se",
        "se or as ci",
    ),
    "value outside its ci": (
        HEADER + PARAMETER + "  targets:\n    - {name: x, metric: cost, value: 5, ci: [1, 2]}\n",
        9,
        "calibration.targets[0].value",
        "outside its ci",
    ),
    "unknown prior": (
        HEADER
        + "    - {path: 'conditions[0].base_cost', low: 1, high: 2, prior: {type: cauchy}}\n"
        + TARGETS,
        7,
        "calibration.parameters[0].prior",
        "allowed: uniform, loguniform, normal, beta",
    ),
    "team metric at physician level": (
        HEADER
        + PARAMETER
        + "  targets:\n    - {name: x, metric: arrivals, level: physician, value: 1, se: 1}\n",
        9,
        "calibration.targets[0].level",
        "defined at team, organisation only",
    ),
    "unknown subgroup": (
        HEADER
        + PARAMETER
        + "  targets:\n    - {name: x, metric: cost, level: team, subgroup: cardio, "
        + "value: 1, se: 1}\n",
        9,
        "calibration.targets[0].subgroup",
        "no team 'cardio'",
    ),
    "cmaes with one parameter": (
        HEADER + PARAMETER + TARGETS + "  method:\n    optimiser: cmaes\n",
        11,
        "calibration.method.optimiser",
        "at least 2 parameters",
    ),
    "unknown subgroups": (
        HEADER + PARAMETER + TARGETS.replace("se: 500}", "se: 500, by: quintile, subgroup: Q1}"),
        9,
        "calibration.targets[0].by",
        "baseline-quantile:METRIC:K",
    ),
    "a group the subgroups do not have": (
        HEADER + PARAMETER + TARGETS.replace("se: 500}", "se: 500, by: targeted, subgroup: Q1}"),
        9,
        "calibration.targets[0].subgroup",
        "one of targeted, untargeted",
    ),
    "subgroups at team level": (
        HEADER
        + PARAMETER
        + TARGETS.replace("se: 500}", "se: 500, by: targeted, subgroup: targeted, level: team}"),
        9,
        "calibration.targets[0].level",
        "at level organisation",
    ),
    "targeted without targeting": (
        HEADER
        + PARAMETER
        + TARGETS.replace("se: 500}", "se: 500, by: targeted, subgroup: targeted}"),
        9,
        "calibration.targets[0].by",
        "targets nobody",
    ),
    "baseline quartiles without a policy": (
        HEADER
        + PARAMETER
        + TARGETS.replace("se: 500}", "se: 500, by: 'baseline-quartile:intensity', subgroup: Q4}"),
        9,
        "calibration.targets[0].baseline",
        "no months before a policy",
    ),
    "a baseline without quantiles": (
        HEADER + PARAMETER + TARGETS.replace("se: 500}", "se: 500, baseline: 1-2}"),
        9,
        "calibration.targets[0].baseline",
        "needs by: baseline-quartile",
    ),
    "a gap without subgroups": (
        HEADER + PARAMETER + TARGETS.replace("se: 500}", "se: 500, versus: organisation}"),
        9,
        "calibration.targets[0].versus",
        "needs by:",
    ),
    "a baseline that is not months": (
        HEADER
        + PARAMETER
        + TARGETS.replace(
            "se: 500}",
            "se: 500, by: 'baseline-quartile:intensity', subgroup: Q1, baseline: during}",
        ),
        9,
        "calibration.targets[0].baseline",
        "give months FIRST-LAST",
    ),
    "per names of or against": (
        HEADER
        + PARAMETER
        + "  targets:\n    - {name: e, metric: cost, value: 1, se: 1, "
        + "effect: {of: a, against: b, per: a}}\n",
        9,
        "calibration.targets[0].effect.per",
        "a third variant",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_names_file_line_and_field(tmp_path, case):
    text, line, field, says = CASES[case]
    error = error_of(tmp_path, text)
    assert (error.line, error.field) == (line, field), error
    assert says in error.message, error.message


def test_a_good_section_plans_its_evaluations(tmp_path):
    path = tmp_path / "cal.yaml"
    path.write_text(HEADER + PARAMETER + TARGETS + "  method: {screening: 4, trials: 2}\n")
    plan = plan_calibration(path)
    assert plan.n_evaluations == 1 + 4 + 2 + 64
    assert plan.kinds == (("cal", "cal"),) and plan.defaults == (23000.0,)
    assert plan.n_runs == plan.n_evaluations * 1 * 4


def test_the_command_exits_2_with_one_line(tmp_path):
    path = tmp_path / "cal.yaml"
    path.write_text(HEADER + "    - {path: nowhere.at_all, low: 1, high: 2}\n" + TARGETS)
    done = subprocess.run(
        [sys.executable, "-m", "simulate", "calibrate", str(path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{path}:7" in lines[0] and "Traceback" not in done.stderr
    assert "calibration.parameters[0].path" in lines[0]
    assert not (tmp_path / "o").exists()
