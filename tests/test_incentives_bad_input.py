"""Bad incentive rules stop with one clear message naming file, line and field; exit 2.

Each case writes a scenario extending the bundled baseline with two rules: a valid one
(``incentives[0]``) and the bad one (``incentives[1]``), so the message must point at the
right rule. Lines are counted from the text written. Most cases go through ``typer``'s
test runner; one runs the real ``python -m simulate validate``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulate.accounts.catalogue import CATALOGUE
from simulate.cli import app
from simulate.incentives.rules import RULE_TYPES
from simulate.scenario.loader import bundled_dir

BASELINE = bundled_dir() / "baseline_ffs.yaml"
GOOD_RULE = "  - type: per_unit\n    name: per_episode\n    metric: episodes\n    rate: 10\n"
HEADER = f"extends: {BASELINE}\nname: bad_rule\nincentives:\n{GOOD_RULE}"
"""Lines 1-7: the valid rule is incentives[0]; the bad rule starts on line 8."""
BAD_RULE_LINE = HEADER.count("\n") + 1

ERROR_LINE = re.compile(
    r"^error: (?P<file>.+?):(?P<line>\d+): field '(?P<field>[^']*)': (?P<msg>.+)$"
)
KNOWN_TYPES = ", ".join(RULE_TYPES)
CATALOGUE_LIST = ", ".join(CATALOGUE)
ADJUSTABLE = ", ".join(name for name, spec in CATALOGUE.items() if spec.risk_adjustable)


@dataclass(frozen=True)
class Case:
    """The bad rule's YAML lines, the line the error points at (within the rule, 0 = its
    first line), the field path and what the message must say."""

    rule: str
    offset: int
    field: str
    says: tuple[str, ...]


CASES: dict[str, Case] = {
    "unknown_rule_type": Case(
        "  - type: tournement\n    metric: value\n    top_share: 0.2\n",
        0,
        "incentives[1].type",
        ("unknown rule type 'tournement'", "did you mean 'tournament'?", KNOWN_TYPES),
    ),
    "unknown_metric": Case(
        "  - type: target\n    metric: complication_rat\n    threshold: 0.05\n    bonus: 10\n",
        1,
        "incentives[1].metric",
        ("unknown metric 'complication_rat'", "did you mean 'complication_rate'?", CATALOGUE_LIST),
    ),
    "team_metric_at_physician_level": Case(
        "  - type: target\n    metric: mean_queue_length\n    level: physician\n"
        "    threshold: 3\n    bonus: 10\n",
        0,
        "incentives[1]",
        ("'mean_queue_length'", "teams and the organisation, not physicians"),
    ),
    "risk_adjusted_not_adjustable": Case(
        "  - type: target\n    metric: value\n    risk_adjusted: true\n    threshold: 0.02\n"
        "    bonus: 10\n",
        0,
        "incentives[1]",
        ("'value' cannot be risk-adjusted", f"only {ADJUSTABLE}"),
    ),
    "end_before_start": Case(
        "  - type: per_unit\n    metric: episodes\n    rate: 1\n    start_period: 6\n"
        "    end_period: 4\n",
        0,
        "incentives[1]",
        ("end_period (4) is before start_period (6)",),
    ),
    "improvement_without_baseline_room": Case(
        "  - type: improvement\n    metric: value\n    start_period: 2\n"
        "    baseline_length: 3\n    per_unit_improvement: 100\n",
        0,
        "incentives[1]",
        ("baseline_length (3)", "start_period >= 3", "start_period is 2"),
    ),
    "target_without_threshold_or_tiers": Case(
        "  - type: target\n    metric: value\n    bonus: 500\n",
        0,
        "incentives[1]",
        ("give either 'threshold'", "'worst' and 'best'"),
    ),
    "tournament_shares_above_one": Case(
        "  - type: tournament\n    metric: value\n    top_share: 0.7\n    bottom_share: 0.4\n",
        0,
        "incentives[1]",
        ("top_share + bottom_share must be at most 1", "1.1"),
    ),
}


def write_case(tmp_path: Path, case: Case) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(HEADER + case.rule, encoding="utf-8")
    return path


def check_message(stdout: str, stderr: str, path: Path, case: Case) -> None:
    """Exactly one error line: file:line, field path and the expected words; no traceback."""
    assert "Traceback" not in stdout + stderr
    assert stdout.strip() == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    match = ERROR_LINE.match(lines[0])
    assert match, lines[0]
    assert match["file"] == str(path)
    assert int(match["line"]) == BAD_RULE_LINE + case.offset, lines[0]
    assert match["field"] == case.field
    for text in case.says:
        assert text in match["msg"], lines[0]


runner = CliRunner()


def test_the_valid_rule_alone_is_accepted(tmp_path):
    """The control: the shared header (with its valid rule) validates, so every error below
    comes from the bad rule."""
    path = tmp_path / "rules.yaml"
    path.write_text(HEADER, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: bad_rule")


@pytest.mark.parametrize("name", list(CASES))
def test_bad_rule_gives_one_clear_message(name, tmp_path):
    case = CASES[name]
    path = write_case(tmp_path, case)
    lines = path.read_text().splitlines()
    assert lines[BAD_RULE_LINE - 1].startswith("  - type: ")  # the line count is right
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    check_message(result.stdout, result.stderr, path, case)


def test_real_command_line_exits_2_without_traceback(tmp_path):
    case = CASES["tournament_shares_above_one"]
    path = write_case(tmp_path, case)
    done = subprocess.run(
        [sys.executable, "-m", "simulate", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    check_message(done.stdout, done.stderr, path, case)


def test_duplicate_rule_names_and_bad_quality_gates_are_refused(tmp_path):
    """Two rules with one name cannot be told apart in payments.csv; a gate on a metric
    that cannot be risk-adjusted would be silently crude."""
    from simulate.errors import ScenarioError
    from simulate.scenario import load_scenario

    base = f"name: x\nextends: {BASELINE}\nincentives:\n"
    rule = "  - {type: per_unit, name: same, metric: episodes, rate: 1}\n"
    path = tmp_path / "dup.yaml"
    path.write_text(base + rule + rule)
    with pytest.raises(ScenarioError, match="already used by incentives\\[0\\]") as error:
        load_scenario(path)
    assert error.value.line == 5 and error.value.field == "incentives[1].name"
    gate = (
        "  - {type: shared_savings, benchmark: 20000,\n"
        "     quality_gate: {metric: value, threshold: 0.02, risk_adjusted: true}}\n"
    )
    path.write_text(base + gate)
    with pytest.raises(ScenarioError, match="cannot be risk-adjusted"):
        load_scenario(path)
