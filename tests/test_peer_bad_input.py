"""Bad values of the peer-pressure forms' keys (stake, income_share, internalisation)
stop with one message naming file, line, field and what is allowed; exit 2."""

from __future__ import annotations

import pytest
from test_bad_input import HEADER, Case, check_error, runner, write_files

from simulate.cli import app

CASES: dict[str, Case] = {
    "peer_stake_unknown": Case(
        {"main.yaml": HEADER + "peer_pressure:\n  stake: salary\n"},
        "main.yaml",
        4,
        "peer_pressure.stake",
        ("'value' or 'income'", "got 'salary'"),
    ),
    "peer_income_share_negative": Case(
        {"main.yaml": HEADER + "peer_pressure:\n  income_share: -1\n"},
        "main.yaml",
        4,
        "peer_pressure.income_share",
        ("greater than or equal to 0", "got -1"),
    ),
    "internalisation_rate_above_one": Case(
        {"main.yaml": HEADER + "peer_pressure:\n  internalisation:\n    rate: 1.5\n"},
        "main.yaml",
        5,
        "peer_pressure.internalisation.rate",
        ("less than or equal to 1", "got 1.5"),
    ),
    "internalisation_share_zero": Case(
        {"main.yaml": HEADER + "peer_pressure:\n  internalisation: {share: 0}\n"},
        "main.yaml",
        4,
        "peer_pressure.internalisation.share",
        ("greater than 0", "got 0"),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_peer_form_gives_one_clear_message(name, tmp_path):
    case = CASES[name]
    write_files(tmp_path, case.files)
    result = runner.invoke(app, ["validate", str(tmp_path / case.target)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    check_error(result.stdout, result.stderr, case, tmp_path)
