"""Bad values of the new keys (targeting, own_baseline, bands, shape, peer_pressure's
feedback and targeting, behaviour.colleagues) stop with one message naming file, line,
field and what is allowed; exit 2, no traceback."""

from __future__ import annotations

import pytest
from test_incentives_bad_input import BASELINE, ERROR_LINE, Case, check_message, runner, write_case

from simulate.cli import app

RULE_CASES: dict[str, Case] = {
    "targeting_without_metric": Case(
        "  - type: per_unit\n    metric: episodes\n    rate: 1\n    start_period: 2\n"
        "    targeting: {select: worst, share: 0.2}\n",
        4,
        "incentives[1].targeting",
        ("'metric' is needed by select: worst or best",),
    ),
    "targeting_unknown_select": Case(
        "  - type: per_unit\n    metric: episodes\n    rate: 1\n"
        "    targeting: {select: everyone, share: 0.2}\n",
        3,
        "incentives[1].targeting.select",
        ("'worst', 'best', 'named' or 'random'",),
    ),
    "targeting_at_team_level": Case(
        "  - type: per_unit\n    metric: episodes\n    rate: 1\n    level: team\n"
        "    targeting: {select: random, share: 0.5}\n",
        0,
        "incentives[1]",
        ("targeting chooses physicians; it needs level: physician",),
    ),
    "targeting_unknown_physician": Case(
        "  - type: per_unit\n    metric: episodes\n    rate: 1\n"
        "    targeting: {select: named, physicians: [orthopaedics.09]}\n",
        3,
        "incentives[1].targeting.physicians",
        ("no physician 'orthopaedics.09'", "orthopaedics.01", "medicine.05"),
    ),
    "targeting_trial_arm_of_a_random_set": Case(
        "  - type: per_unit\n    metric: episodes\n    rate: 1\n"
        "    targeting: {select: random, share: 0.5, trial_arm: 0.5}\n",
        3,
        "incentives[1].targeting",
        ("already a random arm",),
    ),
    "targeting_within_unknown": Case(
        "  - type: per_unit\n    metric: episodes\n    rate: 1\n"
        "    targeting: {select: random, share: 0.5, within: department}\n",
        3,
        "incentives[1].targeting.within",
        ("'organisation' or 'team'",),
    ),
    "targeting_chosen_before_the_run": Case(
        "  - type: per_unit\n    metric: episodes\n    rate: 1\n"
        "    targeting: {select: worst, metric: cost, count: 2, chosen_at: -1}\n",
        3,
        "incentives[1].targeting.chosen_at",
        ("greater than or equal to 0",),
    ),
    "own_baseline_after_start": Case(
        "  - type: target\n    metric: cost_per_episode\n    bonus: 10\n    start_period: 6\n"
        "    own_baseline: {first_period: 0, last_period: 6, change: -0.05}\n",
        0,
        "incentives[1]",
        ("must end before start_period (6)",),
    ),
    "own_baseline_change_too_large": Case(
        "  - type: target\n    metric: cost_per_episode\n    bonus: 10\n    start_period: 6\n"
        "    own_baseline: {first_period: 0, last_period: 5, change: -5}\n",
        4,
        "incentives[1].own_baseline.change",
        ("greater than or equal to -1",),
    ),
    "bands_overlap": Case(
        "  - type: tournament\n    metric: value\n    bands:\n"
        "      - {from: 0, to: 0.5, amount: 100}\n      - {from: 0.4, to: 1, amount: -50}\n",
        0,
        "incentives[1]",
        ("bands overlap: 0-0.5 and 0.4-1",),
    ),
    "band_without_amount": Case(
        "  - type: tournament\n    metric: value\n    bands:\n      - {from: 0, to: 0.25}\n",
        3,
        "incentives[1].bands[0]",
        ("either an 'amount' or a 'share_of_base'",),
    ),
    "shape_unknown": Case(
        "  - type: per_unit\n    metric: episodes\n    rate: 1\n    shape: stepped\n",
        3,
        "incentives[1].shape",
        ("'linear' or 'all_or_nothing'",),
    ),
    "shape_linear_threshold": Case(
        "  - type: target\n    metric: value\n    threshold: 0.02\n    bonus: 10\n"
        "    shape: linear\n",
        0,
        "incentives[1]",
        ("all_or_nothing by nature", "'worst' and 'best'"),
    ),
}


@pytest.mark.parametrize("name", list(RULE_CASES))
def test_bad_new_rule_key_gives_one_clear_message(name, tmp_path):
    case = RULE_CASES[name]
    path = write_case(tmp_path, case)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    check_message(result.stdout, result.stderr, path, case)


SECTION_CASES = {
    "feedback": ("peer_pressure:\n  feedback: both\n", 3, "peer_pressure.feedback",
                 "'one_sided' or 'two_sided'"),
    "peer_targeting": ("peer_pressure:\n  targeting: {select: random}\n", 3,
                       "peer_pressure.targeting", "exactly one of 'share' and 'count'"),
    "colleagues": ("behaviour:\n  colleagues: everyone\n", 3, "behaviour.colleagues",
                   "'as_observed' or 'symmetric'"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(SECTION_CASES))
def test_bad_new_section_key_gives_one_clear_message(name, tmp_path):
    text, line, field, says = SECTION_CASES[name]
    path = tmp_path / "section.yaml"
    path.write_text(f"extends: {BASELINE}\n" + text, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    match = ERROR_LINE.match(lines[0])
    assert match, lines[0]
    assert (match["file"], int(match["line"]), match["field"]) == (str(path), line, field)
    assert says in match["msg"], lines[0]
