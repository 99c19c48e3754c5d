"""Bad risk-bearing and organisational-response keys stop with one clear message naming
file, line and field and what is allowed; exit 2, no traceback.

Each case extends the bundled ``bundled`` scenario; its own lines start at line 3.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulate.cli import app
from simulate.scenario.loader import bundled_dir

HEADER = f"extends: {bundled_dir() / 'bundled.yaml'}\nname: bad\n"
ERROR_LINE = re.compile(
    r"^error: (?P<file>.+?):(?P<line>\d+): field '(?P<field>[^']*)': (?P<msg>.+)$"
)
RISK = "payment:\n  risk_bearing:\n"
RESPONSE = "behaviour:\n  organisational_response:\n"

CASES: dict[str, tuple[str, int, str, tuple[str, ...]]] = {
    # name: (the case's lines, line of the error, field, what the message says)
    "cost_share_above_one": (
        RISK + "    cost_share: 1.5\n",
        5,
        "payment.risk_bearing.cost_share",
        ("less than or equal to 1", "got 1.5"),
    ),
    "borne_by_unknown": (
        RISK + "    borne_by: teams\n",
        5,
        "payment.risk_bearing.borne_by",
        ("'physician', 'team' or 'organisation'", "got 'teams'"),
    ),
    "split_unknown": (
        RISK + "    split: workloads\n",
        5,
        "payment.risk_bearing.split",
        ("'equal' or 'workload'", "got 'workloads'"),
    ),
    "cost_share_without_bundle_or_capitation": (
        "payment:\n  bundled: null\n  fee_for_service: {per_intensity_unit: 1500}\n"
        "  risk_bearing:\n    cost_share: 0.1\n",
        7,
        "payment.risk_bearing.cost_share",
        ("bundled payment (the episode) or capitation", "set cost_share: 0"),
    ),
    "risk_bearing_key_misspelt": (
        RISK + "    cost_shares: 0.1\n",
        5,
        "payment.risk_bearing.cost_shares",
        ("unknown key 'cost_shares'", "did you mean 'cost_share'?"),
    ),
    "response_level_unknown": (
        RESPONSE + "    level: department\n",
        5,
        "behaviour.organisational_response.level",
        ("'team' or 'organisation'", "got 'department'"),
    ),
    "response_step_zero": (
        RESPONSE + "    coordination_step: 0\n",
        5,
        "behaviour.organisational_response.coordination_step",
        ("greater than 0",),
    ),
    "response_step_above_one": (
        RESPONSE + "    coordination_step: 1.5\n",
        5,
        "behaviour.organisational_response.coordination_step",
        ("less than or equal to 1",),
    ),
    "response_cost_negative": (
        RESPONSE + "    cost_per_period: -5\n",
        5,
        "behaviour.organisational_response.cost_per_period",
        ("greater than or equal to 0", "got -5"),
    ),
    "response_lag_too_long": (
        RESPONSE + "    lag: 500\n",
        5,
        "behaviour.organisational_response.lag",
        ("less than or equal to 120",),
    ),
    "response_enabled_not_a_boolean": (
        RESPONSE + "    enabled: maybe\n",
        5,
        "behaviour.organisational_response.enabled",
        ("valid boolean",),
    ),
    "response_key_misspelt": (
        RESPONSE + "    cost_per_month: 5\n",
        5,
        "behaviour.organisational_response.cost_per_month",
        ("unknown key 'cost_per_month'", "did you mean 'cost_per_period'?", "lag, level"),
    ),
}

runner = CliRunner()


def check(stdout: str, stderr: str, path: Path, line: int, field: str, says) -> None:
    assert "Traceback" not in stdout + stderr
    assert stdout.strip() == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    match = ERROR_LINE.match(lines[0])
    assert match, lines[0]
    assert (match["file"], int(match["line"]), match["field"]) == (str(path), line, field)
    for text in says:
        assert text in match["msg"], lines[0]


@pytest.mark.parametrize("name", list(CASES))
def test_bad_key_gives_one_clear_message(name, tmp_path):
    body, line, field, says = CASES[name]
    path = tmp_path / "main.yaml"
    path.write_text(HEADER + body, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    check(result.stdout, result.stderr, path, line, field, says)


def test_good_keys_are_accepted_and_the_response_needs_no_adaptive_physicians(tmp_path):
    """The control: valid values of every key validate; the organisational response is
    the organisation's, so it works with fixed physicians too."""
    path = tmp_path / "main.yaml"
    path.write_text(
        HEADER
        + RISK
        + "    cost_share: 0.1\n    borne_by: organisation\n    split: workload\n"
        + RESPONSE
        + "    enabled: true\n    level: organisation\n    coordination_step: 1\n"
        + "    cost_per_period: 0\n    lag: 0\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output


def test_real_command_line_exits_2_for_a_bad_set(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "simulate", "validate", "bundle_risk", "--set",
         "payment.risk_bearing.borne_by=everyone"],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "payment.risk_bearing.borne_by" in done.stderr
    assert "'physician', 'team' or 'organisation'" in done.stderr
