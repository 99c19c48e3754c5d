"""Bad scenarios stop with one clear message: file, line, field, what is allowed; exit 2.

Each case writes a small YAML file (most extend the bundled baseline) whose line numbers
are known, runs the command line on it and checks the single error line. Most cases go
through ``typer``'s test runner (fast, in-process); a few run the real ``python -m
simulate`` to prove the exit status, the absence of a traceback and that ``run`` writes
nothing.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulate.cli import app
from simulate.scenario.loader import bundled_dir

BASELINE = bundled_dir() / "baseline_ffs.yaml"
HEADER = f"extends: {BASELINE}\nname: bad\n"
"""Lines 1-2 of most cases; a case's own lines start at line 3."""

ERROR_LINE = re.compile(r"^error: (?P<where>.+?)(?:: field '(?P<field>[^']*)')?: (?P<message>.+)$")


@dataclass
class Case:
    """A bad scenario: files to write, the command's arguments, the error expected."""

    files: dict[str, str]
    file: str | None  # file the message must name (relative to tmp_path), or a --set source
    line: int | None
    field: str | None
    says: tuple[str, ...]
    args: tuple[str, ...] = ()
    target: str = "main.yaml"
    never_says: tuple[str, ...] = field(default=())


def condition(name: str, rate: float, teams: str) -> str:
    return (
        f"  - {{name: {name}, arrival_rate: {rate}, base_cost: 100, treatment_days: 2, "
        "complication_rate: 0.05, readmission_rate: 0.1, health_gain_qalys: 0.2, "
        f"recovery_days: 10, teams: [{teams}]}}\n"
    )


CASES: dict[str, Case] = {
    "unclosed_bracket": Case(
        {"main.yaml": HEADER + "seed: 1\nteams: [orthopaedics, medicine\nreplications: 2\n"},
        "main.yaml",
        4,
        None,
        ("not valid YAML", "'[' opened on line 4 is not closed"),
    ),
    "bad_indentation": Case(
        {
            "main.yaml": HEADER
            + "severity:\n  classes:\n    - name: low\n   share: 1\n    - name: high\n"
        },
        "main.yaml",
        6,
        None,
        ("not valid YAML", "indentation"),
    ),
    "tab_indentation": Case(
        {"main.yaml": HEADER + "output:\n\tepisode_log: true\n"},
        "main.yaml",
        4,
        None,
        ("not valid YAML", "tab", "spaces"),
    ),
    "unclosed_quote": Case(
        {"main.yaml": HEADER + "description: 'a long\nseed: 2\nreplications: 3\n"},
        "main.yaml",
        3,
        None,
        ("not valid YAML", "quoted text opened on line 3 is not closed"),
    ),
    "line_without_colon": Case(
        {"main.yaml": HEADER + "seed: 1\nreplications\nhorizon_periods: 12\n"},
        "main.yaml",
        4,
        None,
        ("not valid YAML", "no ':'"),
    ),
    "undefined_alias": Case(
        {"main.yaml": HEADER + "seed: 1\nreplications: *count\n"},
        "main.yaml",
        4,
        None,
        ("not valid YAML", "undefined alias 'count'"),
    ),
    "control_character": Case(
        {"main.yaml": HEADER + "seed: 1\ndescription: 'a\x07b'\n"},
        "main.yaml",
        4,
        None,
        ("not valid YAML", "#x0007 is not allowed"),
    ),
    "nesting_too_deep": Case(
        {"main.yaml": HEADER + "description: " + "[" * 2000 + "]" * 2000 + "\n"},
        "main.yaml",
        3,
        None,
        ("nesting deeper than 40 levels",),
    ),
    "unknown_top_level_key": Case(
        {"main.yaml": HEADER + "seed: 5\nreplicatons: 3\n"},
        "main.yaml",
        4,
        "replicatons",
        ("unknown key 'replicatons'", "did you mean 'replications'?", "allowed here:"),
    ),
    "unknown_nested_key": Case(
        {
            "main.yaml": HEADER + "teams:\n  - name: orthopaedics\n    physicians: 3\n"
            "    nursess: 4\n  - name: medicine\n    physicians: 2\n"
        },
        "main.yaml",
        6,
        "teams[0].nursess",
        ("unknown key 'nursess'", "did you mean 'nurses'?", "caseload_per_physician"),
    ),
    "string_for_number": Case(
        {"main.yaml": HEADER + "replications: ten\n"},
        "main.yaml",
        3,
        "replications",
        ("valid integer", "'ten'"),
    ),
    "negative_arrival_rate": Case(
        {
            "main.yaml": HEADER + "conditions:\n  - name: hip_knee_replacement\n"
            "    arrival_rate: -2.5\n    base_cost: 100\n    treatment_days: 2\n"
            "    complication_rate: 0.05\n    readmission_rate: 0.1\n"
            "    health_gain_qalys: 0.2\n    recovery_days: 10\n"
        },
        "main.yaml",
        5,
        "conditions[0].arrival_rate",
        ("greater than 0", "-2.5"),
    ),
    "severity_shares": Case(
        {
            "main.yaml": HEADER + "severity:\n  classes:\n    - {name: low, share: 0.5}\n"
            "    - {name: high, share: 0.4}\n"
        },
        "main.yaml",
        4,
        "severity.classes",
        ("shares must sum to 1", "0.9", "0.5 + 0.4"),
    ),
    "missing_extends_file": Case(
        {"main.yaml": "name: bad\nseed: 3\nextends: nowhere.yaml\n"},
        "main.yaml",
        3,
        "extends",
        ("'nowhere.yaml' not found", "relative to this file"),
    ),
    "extends_near_miss": Case(
        {"main.yaml": "name: bad\nextends: baseline.yaml\n"},
        "main.yaml",
        2,
        "extends",
        ("not found", "did you mean 'baseline_ffs.yaml'?"),
    ),
    "extends_cycle": Case(
        {"a.yaml": "name: a\nextends: b.yaml\n", "b.yaml": "# b\nname: b\nextends: a.yaml\n"},
        "b.yaml",
        3,
        "extends",
        ("cycle", "a.yaml -> b.yaml -> a.yaml"),
        target="a.yaml",
    ),
    "extends_itself": Case(
        {"main.yaml": "name: a\n\nextends: main.yaml\n"},
        "main.yaml",
        3,
        "extends",
        ("cycle", "main.yaml -> main.yaml"),
    ),
    "extends_not_text": Case(
        {"main.yaml": "name: a\nextends: [baseline_ffs.yaml]\n"},
        "main.yaml",
        2,
        "extends",
        ("path of another scenario file",),
    ),
    "duplicate_key": Case(
        {"main.yaml": HEADER + "seed: 1\nreplications: 2\nseed: 3\n"},
        "main.yaml",
        5,
        "seed",
        ("duplicate key 'seed'", "first given on line 3"),
    ),
    "duplicate_nested_key": Case(
        {"main.yaml": HEADER + "output:\n  episode_log: true\n  episode_log: false\n"},
        "main.yaml",
        5,
        "output.episode_log",
        ("duplicate key 'episode_log'", "line 4"),
    ),
    "custom_tag": Case(
        {"main.yaml": HEADER + "seed: !env SEED\n"},
        "main.yaml",
        3,
        "seed",
        ("tag '!env' is not allowed", "plain values"),
    ),
    "merge_key": Case(
        {"main.yaml": HEADER + "anchor: &a {episode_log: true}\noutput:\n  <<: *a\n"},
        "main.yaml",
        5,
        "output",
        ("merge keys",),
    ),
    "unknown_distribution": Case(
        {
            "main.yaml": HEADER
            + "physician_traits:\n  altruism:\n    dist: gama\n    a: 2\n    b: 3\n"
        },
        "main.yaml",
        5,
        "physician_traits.altruism.dist",
        ("unknown distribution 'gama'", "normal, lognormal, beta, uniform, fixed"),
        never_says=("did you mean",),
    ),
    "near_miss_distribution": Case(
        {"main.yaml": HEADER + "practice_style:\n  quality_effort: {dist: betta, a: 2, b: 2}\n"},
        "main.yaml",
        4,
        "practice_style.quality_effort.dist",
        ("unknown distribution 'betta'", "did you mean 'beta'?"),
    ),
    "distribution_without_dist": Case(
        {"main.yaml": HEADER + "practice_style:\n  quality_effort:\n    a: 2\n"},
        "main.yaml",
        4,
        "practice_style.quality_effort",
        ("'dist:'", "plain number"),
    ),
    "distribution_as_text": Case(
        {"main.yaml": HEADER + "physician_traits:\n  inertia: high\n"},
        "main.yaml",
        4,
        "physician_traits.inertia",
        ("plain number", "'dist:'", "got 'high'"),
    ),
    "distribution_number_nan": Case(
        {"main.yaml": HEADER + "physician_traits:\n  inertia: .nan\n"},
        "main.yaml",
        4,
        "physician_traits.inertia",
        ("finite number",),
    ),
    "bad_distribution_parameter": Case(
        {
            "main.yaml": HEADER
            + "physician_traits:\n  altruism:\n    dist: beta\n    a: 0\n    b: 3\n"
        },
        "main.yaml",
        6,
        "physician_traits.altruism.a",
        ("greater than 0", "got 0"),
    ),
    "set_bad_index": Case(
        {},
        "--set teams[9].nurses=3",
        None,
        "teams[9]",
        ("out of range", "2 items"),
        args=("--set", "teams[9].nurses=3"),
        target=str(BASELINE),
    ),
    "set_unknown_key": Case(
        {},
        "--set teams[0].nursess=3",
        None,
        "teams[0].nursess",
        ("unknown key 'nursess'", "did you mean 'nurses'?"),
        args=("--set", "teams[0].nursess=3"),
        target=str(BASELINE),
    ),
    "set_new_section": Case(
        {},
        "--set clinicl.benefit_curvature=3",
        None,
        "clinicl",
        ("unknown key 'clinicl'", "did you mean 'clinical'?"),
        args=("--set", "clinicl.benefit_curvature=3"),
        target=str(BASELINE),
    ),
    "set_key_of_list": Case(
        {},
        "--set teams.nurses=3",
        None,
        "teams.nurses",
        ("'teams' is a list", "teams[0].nurses"),
        args=("--set", "teams.nurses=3"),
        target=str(BASELINE),
    ),
    "set_empty_path_part": Case(
        {},
        "--set teams..nurses=3",
        None,
        None,
        ("empty part",),
        args=("--set", "teams..nurses=3"),
        target=str(BASELINE),
    ),
    "set_no_equals": Case(
        {},
        "--set replications",
        None,
        None,
        ("dotted.path=value",),
        args=("--set", "replications"),
        target=str(BASELINE),
    ),
    "set_bad_value": Case(
        {},
        "--set teams[0].nurses=lots",
        None,
        "teams[0].nurses",
        ("valid integer", "'lots'"),
        args=("--set", "teams[0].nurses=lots"),
        target=str(BASELINE),
    ),
    "set_value_not_yaml": Case(
        {},
        "--set teams[0].nurses=[1, 2",
        None,
        "teams[0].nurses",
        ("bad value", "not valid YAML", "not closed"),
        args=("--set", "teams[0].nurses=[1, 2"),
        target=str(BASELINE),
    ),
    "set_python_tag": Case(
        {},
        "--set seed=!!python/name:os.system",
        None,
        "seed",
        ("tag '!!python/name:os.system' is not allowed",),
        args=("--set", "seed=!!python/name:os.system"),
        target=str(BASELINE),
    ),
    "set_extends": Case(
        {},
        "--set extends=other.yaml",
        None,
        "extends",
        ("cannot be changed with --set",),
        args=("--set", "extends=other.yaml"),
        target=str(BASELINE),
    ),
    "set_on_top_of_file": Case(
        {"main.yaml": HEADER + "horizon_periods: 12\n"},
        "--set warmup_periods=12",
        None,
        "warmup_periods",
        ("warm-up (12 periods) must be shorter than the horizon (12 periods)",),
        args=("--set", "warmup_periods=12"),
    ),
    "warmup_not_shorter_than_horizon": Case(
        {"main.yaml": HEADER + "horizon_periods: 12\nwarmup_periods: 12\n"},
        "main.yaml",
        4,
        "warmup_periods",
        ("must be shorter than the horizon",),
    ),
    "condition_names_unknown_team": Case(
        {
            "main.yaml": HEADER
            + "conditions:\n"
            + condition("hip_knee_replacement", 2, "orthopaedics")
            + condition("medical_admission", 2, "surgery")
        },
        "main.yaml",
        5,
        "conditions[1].teams[0]",
        ("no team named 'surgery'", "teams are: orthopaedics, medicine"),
    ),
    "team_renamed_in_child_breaks_parent": Case(
        {
            "main.yaml": HEADER
            + "teams:\n  - {name: ortho, physicians: 6}\n  - {name: medicine, physicians: 5}\n"
        },
        str(BASELINE),
        BASELINE.read_text().splitlines().index("    teams: [orthopaedics]") + 1,
        "conditions[0].teams[0]",
        ("no team named 'orthopaedics'", "teams are: ortho, medicine"),
    ),
    "duplicate_condition_name": Case(
        {
            "main.yaml": HEADER
            + "conditions:\n"
            + condition("medical_admission", 2, "medicine")
            + condition("medical_admission", 1, "medicine")
        },
        "main.yaml",
        5,
        "conditions[1].name",
        ("name 'medical_admission' is already used by conditions[0]",),
    ),
    "bad_name": Case(
        {"main.yaml": f"extends: {BASELINE}\nname: my scenario\n"},
        "main.yaml",
        2,
        "name",
        ("letters, digits", "no spaces", "'my scenario'"),
    ),
    "mapping_expected": Case(
        {"main.yaml": HEADER + "severity: 3\n"},
        "main.yaml",
        3,
        "severity",
        ("must be a mapping", "classes", "got 3"),
    ),
    "list_expected": Case(
        {"main.yaml": HEADER + "teams: {name: orthopaedics}\n"},
        "main.yaml",
        3,
        "teams",
        ("must be a list",),
    ),
    "missing_required_key": Case(
        {
            "main.yaml": HEADER + "conditions:\n  - name: hip_knee_replacement\n"
            "    arrival_rate: 2\n"
        },
        "main.yaml",
        4,
        "conditions[0].base_cost",
        ("required key 'base_cost' is missing",),
    ),
    "no_payment": Case(
        {"main.yaml": HEADER + "payment:\n  fee_for_service: null\n"},
        "main.yaml",
        3,
        "payment",
        ("at least one base payment", "fee_for_service, capitation, salary or bundled"),
    ),
    "empty_file": Case(
        {"main.yaml": ""},
        "main.yaml",
        None,
        None,
        ("file is empty", "name, conditions, teams and payment"),
    ),
    "only_comments": Case(
        {"main.yaml": "# nothing here yet\n"},
        "main.yaml",
        None,
        None,
        ("file is empty",),
    ),
    "top_level_list": Case(
        {"main.yaml": "- name: a\n- name: b\n"},
        "main.yaml",
        1,
        None,
        ("must be a mapping of keys to values", "got a list"),
    ),
    "top_level_text": Case(
        {"main.yaml": "# a comment\nhello\n"},
        "main.yaml",
        2,
        None,
        ("must be a mapping of keys to values", "got text"),
    ),
    "two_documents": Case(
        {"main.yaml": HEADER + "---\nseed: 2\n"},
        "main.yaml",
        3,
        None,
        ("one document",),
    ),
    "nan": Case(
        {"main.yaml": HEADER + "seed: 4\nperiod_days: .nan\n"},
        "main.yaml",
        4,
        "period_days",
        ("finite number", "nan"),
    ),
    "inf": Case(
        {"main.yaml": HEADER + "clinical:\n  benefit_curvature: .inf\n"},
        "main.yaml",
        4,
        "clinical.benefit_curvature",
        ("finite number", "inf"),
    ),
    "minus_inf": Case(
        {"main.yaml": HEADER + "severity:\n  classes:\n    - {name: all, share: -.inf}\n"},
        "main.yaml",
        5,
        "severity.classes[0].share",
        ("finite number",),
    ),
    "not_utf8": Case(
        {"main.yaml": "name: caf\udce9\n"},
        "main.yaml",
        None,
        None,
        ("not UTF-8",),
    ),
}


def write_files(tmp_path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (tmp_path / name).write_bytes(text.encode("utf-8", errors="surrogateescape"))


def check_error(stdout: str, stderr: str, case: Case, tmp_path: Path) -> str:
    """The message, after checking there is exactly one, naming file, line and field."""
    assert "Traceback" not in stdout + stderr
    assert stdout.strip() == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    match = ERROR_LINE.match(lines[0])
    assert match, lines[0]
    expected_file = case.file
    if expected_file and not expected_file.startswith(("--set", "/")):
        expected_file = str(tmp_path / expected_file)
    where = f"{expected_file}:{case.line}" if case.line else expected_file
    assert match["where"] == where, lines[0]
    assert match["field"] == case.field, lines[0]
    message = match["message"]
    for text in case.says:
        assert text in message, lines[0]
    for text in case.never_says:
        assert text not in message, lines[0]
    return message


runner = CliRunner()


@pytest.mark.parametrize("name", list(CASES))
def test_bad_scenario_gives_one_clear_message(name, tmp_path):
    case = CASES[name]
    write_files(tmp_path, case.files)
    target = case.target if case.target.startswith("/") else str(tmp_path / case.target)
    result = runner.invoke(app, ["validate", target, *case.args])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    check_error(result.stdout, result.stderr, case, tmp_path)


def test_python_tag_is_refused_and_nothing_is_executed(tmp_path):
    marker = tmp_path / "executed"
    text = HEADER + f'description: !!python/object/apply:os.system ["touch {marker}"]\n'
    case = Case(
        {"main.yaml": text},
        "main.yaml",
        3,
        "description",
        ("tag '!!python/object/apply:os.system' is not allowed",),
    )
    write_files(tmp_path, case.files)
    result = runner.invoke(app, ["validate", str(tmp_path / "main.yaml")])
    assert result.exit_code == 2
    check_error(result.stdout, result.stderr, case, tmp_path)
    assert not marker.exists()


def test_file_that_does_not_exist(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "nowhere.yaml")])
    assert result.exit_code == 2
    case = Case({}, "nowhere.yaml", None, None, ("no such file",))
    check_error(result.stdout, result.stderr, case, tmp_path)


def test_misspelt_bundled_name_suggests_the_bundled_scenario():
    result = runner.invoke(app, ["validate", "capitaton"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: capitaton: no such file; did you mean the bundled scenario 'capitation'?"
    )


def test_directory_instead_of_file(tmp_path):
    (tmp_path / "folder").mkdir()
    result = runner.invoke(app, ["validate", str(tmp_path / "folder")])
    assert result.exit_code == 2
    case = Case({}, "folder", None, None, ("is a folder, not a scenario file",))
    check_error(result.stdout, result.stderr, case, tmp_path)


def test_extends_a_directory(tmp_path):
    (tmp_path / "parent").mkdir()
    write_files(tmp_path, {"main.yaml": "name: a\nextends: parent\n"})
    result = runner.invoke(app, ["validate", str(tmp_path / "main.yaml")])
    assert result.exit_code == 2
    case = Case({}, "main.yaml", 2, "extends", ("'parent' is a folder",))
    check_error(result.stdout, result.stderr, case, tmp_path)


def test_error_in_parent_file_names_the_parent(tmp_path):
    write_files(
        tmp_path,
        {
            "parent.yaml": BASELINE.read_text() + "replications: [1]\n",
            "child.yaml": "extends: parent.yaml\nname: child\n",
        },
    )
    result = runner.invoke(app, ["validate", str(tmp_path / "child.yaml")])
    assert result.exit_code == 2
    line = len(BASELINE.read_text().splitlines()) + 1
    case = Case({}, "parent.yaml", line, "replications", ("duplicate key 'replications'",))
    check_error(result.stdout, result.stderr, case, tmp_path)


def test_several_problems_are_counted_on_the_same_line(tmp_path):
    text = HEADER + "seed: -1\nreplications: 0\nhorizon_periods: x\n"
    write_files(tmp_path, {"main.yaml": text})
    result = runner.invoke(app, ["validate", str(tmp_path / "main.yaml")])
    assert result.exit_code == 2
    case = Case({}, "main.yaml", 3, "seed", ("greater than or equal to 0", "(and 2 more problems)"))
    check_error(result.stdout, result.stderr, case, tmp_path)


# The real command line, as a user runs it: exit status, no traceback, nothing written.

SUBPROCESS_CASES = [
    ("validate", "unclosed_bracket"),
    ("run", "unknown_nested_key"),
    ("run", "set_bad_value"),
    ("run", "extends_cycle"),
]


@pytest.mark.parametrize(("command", "name"), SUBPROCESS_CASES)
def test_real_command_line_exits_2_and_writes_nothing(command, name, tmp_path):
    case = CASES[name]
    write_files(tmp_path, case.files)
    target = case.target if case.target.startswith("/") else str(tmp_path / case.target)
    out = tmp_path / "results"
    cmd = [sys.executable, "-m", "simulate", command, target, *case.args]
    if command == "run":
        cmd += ["--out", str(out), "--workers", "1"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    check_error(done.stdout, done.stderr, case, tmp_path)
    assert not out.exists()


def test_real_command_line_refuses_python_tag(tmp_path):
    marker = tmp_path / "executed"
    (tmp_path / "main.yaml").write_text(
        HEADER + f"description: !!python/object/apply:os.system ['touch {marker}']\n"
    )
    out = tmp_path / "results"
    cmd = [sys.executable, "-m", "simulate", "run", str(tmp_path / "main.yaml"), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr.count("error:") == 1
    assert "main.yaml:3: field 'description'" in done.stderr
    assert not marker.exists()
    assert not out.exists()


def test_extends_chain_too_long(tmp_path):
    for i in range(25):
        write_files(tmp_path, {f"s{i}.yaml": f"name: s{i}\nextends: s{i + 1}.yaml\n"})
    result = runner.invoke(app, ["validate", str(tmp_path / "s0.yaml")])
    assert result.exit_code == 2
    assert result.stderr.count("error:") == 1
    assert "'extends' chain is longer than 20 files" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
