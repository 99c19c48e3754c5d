"""Effects by phase and subgroup (`simulate.compare.by_phase`): paired and relative
differences with their intervals by hand, subgroups fixed by the reference, and
`simulate compare --window/--by/--level` end to end."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulate.accounts.ledger import PHYSICIAN_FIELDS, TEAM_FIELDS, F
from simulate.accounts.wait_histogram import N_BINS
from simulate.compare.by_phase import COLUMNS, paired_effects, relative_interval, variant_effects
from simulate.compare.window import Window
from simulate.errors import ScenarioError
from simulate.model.result import ReplicationResult
from simulate.report.effects_section import effects_section
from simulate.scenario import load_scenario
from simulate.scenario.loader import bundled_dir

SHORT = ["horizon_periods=4", "warmup_periods=1"]


def ledger(replication: int = 0, periods: int = 4, scale: float = 1.0) -> ReplicationResult:
    """A hand-made record of baseline_ffs's 11 physicians (6 orthopaedics, 5 medicine):
    physician i in period p has 1 + i + p episodes costing 1000 (i + 1)(p + 1) x scale."""
    physician = np.zeros((periods, 11, len(PHYSICIAN_FIELDS)))
    for p in range(periods):
        physician[p, :, F["episodes"]] = 1 + np.arange(11) + p
        physician[p, :, F["cost"]] = 1000.0 * (np.arange(11) + 1) * (p + 1) * scale
    return ReplicationResult(
        replication=replication,
        physician=physician,
        wait_hist=np.zeros((periods, 11, N_BINS), dtype=np.int32),
        team=np.zeros((periods, 2, len(TEAM_FIELDS))),
        physician_team=np.array([0] * 6 + [1] * 5),
        traits={},
        style={},
    )


T975 = {n: stats.t.ppf(0.975, n - 1) for n in range(2, 10)}


def table(values, units=("organisation",), metric="cost") -> pd.DataFrame:
    """A unit_window_values-like table: replication k, each unit, ``metric`` = value."""
    rows = [
        {"replication": k, "unit": u, metric: v[j] if isinstance(v, list | tuple) else v}
        for k, v in enumerate(values)
        for j, u in enumerate(units)
    ]
    return pd.DataFrame(rows)


def test_paired_difference_and_its_interval_by_hand():
    v, r = [12.0, 15.0, 11.0, 14.0], [10.0, 12.0, 10.0, 11.0]
    d = np.subtract(v, r)  # 2, 3, 1, 3
    row = paired_effects(table(v), table(r), ["cost"]).iloc[0]
    half = T975[4] * d.std(ddof=1) / 2
    assert row["difference"] == pytest.approx(2.25)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((2.25 - half, 2.25 + half))
    assert (row["mean"], row["reference_mean"], row["replications"]) == (13.0, 10.75, 4)
    assert row["measure"] == "currency per period"


def test_relative_effect_is_the_ratio_of_means_with_a_delta_method_interval():
    v = np.array([12.0, 15.0, 11.0, 14.0])
    r = np.array([10.0, 12.0, 10.0, 11.0])
    theta, low, high = relative_interval(v, r)
    d = v - r
    assert theta == pytest.approx(d.mean() / r.mean())  # 2.25 / 10.75
    z = [(d[k] - theta * r[k]) / r.mean() for k in range(4)]
    half = T975[4] * np.std(z, ddof=1) / np.sqrt(4)
    assert (low, high) == pytest.approx((theta - half, theta + half))
    row = paired_effects(table(v), table(r), ["cost"]).iloc[0]
    assert row["relative_pct"] == pytest.approx(100 * theta)
    assert row["relative_ci_low"] == pytest.approx(100 * (theta - half))


def test_a_proportional_change_has_an_exact_relative_effect():
    r = np.array([10.0, 20.0, 40.0])
    theta, low, high = relative_interval(0.8 * r, r)
    assert (theta, low, high) == pytest.approx((-0.2, -0.2, -0.2))


def test_the_delta_interval_covers_the_true_ratio_about_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(400):
        r = rng.normal(100, 10, 20)
        v = 1.1 * r + rng.normal(0, 5, 20)  # true relative effect +10%
        _, low, high = relative_interval(v, r)
        hits += low <= 0.1 <= high
    assert 0.91 <= hits / 400 <= 0.99


def test_units_pair_within_replication_and_missing_pairs_are_left_out():
    v = table([(5.0, 1.0), (7.0, 2.0), (6.0, np.nan)], units=("a", "b"))
    r = table([(4.0, 1.0), (5.0, 1.0), (5.0, 1.0)], units=("a", "b"))
    rows = paired_effects(v, r, ["cost"]).set_index("unit")
    assert rows.loc["a", "difference"] == pytest.approx(4 / 3)
    assert rows.loc["b", "replications"] == 2
    assert rows.loc["b", "difference"] == pytest.approx(0.5)
    assert rows.loc["b", "reference_mean"] == pytest.approx(1.0)  # over the pairs only


@pytest.fixture(scope="module")
def scenarios():
    base = load_scenario("baseline_ffs", SHORT)
    return {"ref": base, "cheaper": base.model_copy(update={"name": "cheaper"})}


def test_effects_of_a_known_change_per_window(scenarios):
    results = {
        "ref": [ledger(k) for k in range(3)],
        "cheaper": [ledger(k, scale=0.8) for k in range(3)],
    }
    windows = [Window("early", 1, 2), Window("late", 3, 4)]
    effects = variant_effects(scenarios, results, "ref", windows)
    assert list(effects.columns) == list(COLUMNS)
    cost = effects[effects["metric"] == "cost_per_episode"].set_index("window")
    assert list(cost.index) == ["early", "late"]
    assert cost.loc["late", "relative_pct"] == pytest.approx(-20.0)
    assert cost.loc["late", "relative_ci_low"] == pytest.approx(-20.0)
    late = sum(1000.0 * (i + 1) * (p + 1) for i in range(11) for p in (2, 3))
    late_eps = sum(1 + i + p for i in range(11) for p in (2, 3))
    assert cost.loc["late", "difference"] == pytest.approx(-0.2 * late / late_eps)
    assert (cost.loc["late", "first_month"], cost.loc["late", "last_month"]) == (3, 4)
    episodes = effects[(effects["metric"] == "episodes") & (effects["window"] == "late")]
    assert episodes["difference"].iloc[0] == 0.0


def test_subgroups_come_from_the_reference_in_every_variant(scenarios):
    ref, other = ledger(0), ledger(0)
    ref.physician[0, :, F["cost"]] *= np.arange(1, 12)  # ref: physician 10 dearest
    other.physician[0, :, F["cost"]] *= np.arange(11, 0, -1)  # other: the opposite
    effects = variant_effects(
        scenarios,
        {"ref": [ref], "cheaper": [other]},
        "ref",
        [Window("baseline", 1, 1), Window("later", 2, 4)],
        by="baseline-quartile:cost_per_episode",
    )
    later = effects[(effects["window"] == "later") & (effects["metric"] == "cost")]
    q4 = later.set_index("subgroup").loc["Q4"]
    # the reference's month-1 cost per episode is 1000 (i + 1): its Q4 (ranks 9-10 of
    # 0-10, floor(4 k / 11) = 3) is physicians 9 and 10 in both variants, though the
    # other variant's own ranking is the opposite; later months are the same ledger
    assert q4["difference"] == 0.0
    expected = sum(1000.0 * (i + 1) * (p + 1) for i in (9, 10) for p in (1, 2, 3)) / 3
    assert q4["reference_mean"] == pytest.approx(expected)


def test_by_targeted_without_targeting_raises(scenarios):
    results = {"ref": [ledger(0)], "cheaper": [ledger(0)]}
    with pytest.raises(ScenarioError, match="no rule in the scenario targets physicians"):
        variant_effects(scenarios, results, "ref", by="targeted")


def test_targeted_subgroups_come_from_the_first_variant_that_records_them(scenarios):
    ref, variant = ledger(0), ledger(0, scale=1.1)
    variant.targeted = np.zeros((4, 11), dtype=bool)
    variant.targeted[1:, :3] = True
    effects = variant_effects(
        scenarios, {"ref": [ref], "cheaper": [variant]}, "ref", [Window("w", 2, 4)], "targeted"
    )
    cost = effects[effects["metric"] == "cost"].set_index("subgroup")
    targeted = sum(1000.0 * (i + 1) * (p + 1) for i in range(3) for p in (1, 2, 3)) / 3
    assert cost.loc["targeted", "reference_mean"] == pytest.approx(targeted)
    assert cost.loc["targeted", "relative_pct"] == pytest.approx(10.0)


def test_the_dashboard_section_shows_key_metrics_per_window(scenarios):
    results = {
        "ref": [ledger(k) for k in range(3)],
        "cheaper": [ledger(k, 4, 0.8) for k in range(3)],
    }
    effects = variant_effects(scenarios, results, "ref", [Window("late", 3, 4)])
    html = effects_section(effects)
    assert "<h2>Effects by phase</h2>" in html and "late (3-4)" in html
    assert "(-20%)" in html and "class=sure" in html
    assert effects_section(pd.DataFrame()) == ""


# --- the command -----------------------------------------------------------------------

PENALTY = (
    "{incentives: [{type: readmission_penalty, level: team, max_share_of_base: 0.03, "
    "start_period: 2, end_period: 3}]}"
)


def variants_file(tmp_path) -> str:
    path = tmp_path / "phases.yaml"
    path.write_text(
        "name: phases\n"
        f"extends: {bundled_dir() / 'baseline_ffs.yaml'}\n"
        "horizon_periods: 6\nwarmup_periods: 1\nreplications: 3\n"
        "behaviour: {model: adaptive}\n"
        "variants:\n  list:\n    - name: ffs\n    - name: penalty\n"
        f"      set: {PENALTY}\n"
    )
    return str(path)


def simulate_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "simulate", *args], capture_output=True, text=True, timeout=300
    )


def test_compare_writes_effects_by_phase_and_team(tmp_path):
    out = tmp_path / "out"
    done = simulate_cli(
        "compare", variants_file(tmp_path), "--by", "team", "--level", "team",
        "--workers", "1", "--no-report", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Effects by phase at team level by team: penalty against ffs" in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    effects = pd.read_csv(out / "effects.csv")
    assert effects["by"].eq("team").all() and effects["level"].eq("team").all()
    # phases: before = month 2 (period 1), during = months 3-4, after = months 5-6
    spans = effects[["window", "first_month", "last_month"]].drop_duplicates()
    assert spans.values.tolist() == [["before", 2, 2], ["during", 3, 4], ["after", 5, 6]]
    assert set(zip(effects["unit"], effects["subgroup"], strict=True)) == {
        ("orthopaedics", "orthopaedics"),
        ("medicine", "medicine"),
    }
    assert len(effects) == 3 * 2 * effects["metric"].nunique()
    # the team's cost per period during the policy, from each variant's trajectories
    traj = {
        name: pd.read_csv(out / "variants" / name / "trajectories.csv")
        for name in ("ffs", "penalty")
    }
    means = {
        name: t[(t["unit"] == "medicine") & t["period"].isin([2, 3])]
        .groupby("replication")["cost"]
        .mean()
        for name, t in traj.items()
    }
    row = effects[
        (effects["window"] == "during")
        & (effects["unit"] == "medicine")
        & (effects["metric"] == "cost")
    ].iloc[0]
    assert row["difference"] == pytest.approx((means["penalty"] - means["ffs"]).mean())
    assert row["relative_pct"] == pytest.approx(100 * row["difference"] / means["ffs"].mean())
    manifest = (out / "manifest.json").read_text()
    assert '"level": "team"' in manifest and '"during=3-4"' in manifest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--window", "during"], "NAME=FIRST-LAST"),
        (["--window", "during=3-9"], "ends after the horizon: months run from 1 to 6"),
        (
            ["--by", "ward"],
            "team, targeted, baseline-quartile:METRIC or baseline-quantile:METRIC:K",
        ),
        (["--by", "baseline-quartile:nope"], "allowed: arrivals, episodes"),
        (["--level", "ward"], "not one of: organisation, team, physician"),
        (["--by", "targeted"], "no rule or dashboard in any variant targets physicians"),
    ],
)
def test_bad_effect_options_exit_2_with_one_line(tmp_path, args, message):
    done = simulate_cli(
        "compare", variants_file(tmp_path), *args, "-r", "2", "--workers", "1",
        "--no-report", "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_from_python_the_same_cuts_and_bad_windows_before_any_run(tmp_path):
    import simulate.compare

    path = variants_file(tmp_path)
    with pytest.raises(ScenarioError, match="ends after the horizon"):
        simulate.compare.compare(path, windows=["late=5-7"])
    c = simulate.compare.compare(path, replications=2, windows=["late=5-6"], level="team")
    assert set(c.effects["window"]) == {"late"} and set(c.effects["level"]) == {"team"}
    again = simulate.compare.effects(c, [simulate.compare.Window("late", 5, 6)], level="team")
    pd.testing.assert_frame_equal(again, c.effects)
    phases = simulate.compare.effects(c)  # default: the policy phases, organisation
    assert list(phases["window"].unique()) == ["before", "during", "after"]
    whole = simulate.compare.effects(c, [simulate.compare.Window("all", 2, 6)])
    cost = whole[whole["metric"] == "cost"].iloc[0]
    comparison = c.comparison.set_index(["variant", "metric"]).loc[("penalty", "cost")]
    assert cost["difference"] == pytest.approx(comparison["difference"])  # = comparison.csv
