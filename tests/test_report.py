"""The report: figures, the HTML value dashboard, `simulate report`, comparisons, animation."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

import simulate
from simulate.cli import app
from simulate.output.store import write_run
from simulate.report import build_report
from simulate.report import economics_figures as ef
from simulate.report import figures as fg
from simulate.report.data import load_comparison, load_run
from simulate.report.stats import Z95, Z998, funnel_limits, funnel_points

SHORT = ["horizon_periods=16", "warmup_periods=2"]
"""value_dashboard's policies start at period 12, inside this horizon."""
COMPARISON_COLUMNS = ["variant", "reference", "metric", "unit", "mean", "reference_mean"]
COMPARISON_COLUMNS += ["difference", "ci_low", "ci_high", "replications"]
CE_COLUMNS = ["variant", "replication", "cost", "qalys", "incremental_cost", "incremental_qalys"]
HOSTILE = "<script>alert(1)</script> & <b>bold</b>"
RUN_FIGURES = [f"trajectory_{m}" for m in fg.KEY_METRICS] + [
    "value_quadrant",
    "style_distribution",
    "income_components",
    "funnel_readmissions",
]


def _write(result: simulate.RunResult, folder: Path) -> Path:
    write_run(result.tables(), result.scenario, folder)
    return folder


@pytest.fixture(scope="module")
def vd_result() -> simulate.RunResult:
    """value_dashboard, 16 periods, 2 replications, with a hostile description."""
    return simulate.run(
        "value_dashboard", replications=2, overrides=[*SHORT, f"description={HOSTILE!r}"]
    )


@pytest.fixture(scope="module")
def run_dir(vd_result, tmp_path_factory) -> Path:
    """A run folder with its report built."""
    folder = _write(vd_result, tmp_path_factory.mktemp("vd") / "run")
    build_report(folder)
    return folder


@pytest.fixture(scope="module")
def run_data(run_dir) -> simulate.report.data.RunData:
    return load_run(run_dir)


@pytest.fixture(scope="module")
def comparison_dir(vd_result, tmp_path_factory) -> Path:
    """A comparison folder as `simulate compare` writes it, built from two real runs."""
    root = tmp_path_factory.mktemp("cmp") / "comparison"
    base = simulate.run("baseline_ffs", replications=2, overrides=SHORT)
    runs = {"baseline_ffs": base, "value_dashboard": vd_result}
    for name, result in runs.items():
        _write(result, root / "variants" / name)
    rows, ce = [], []
    for name, result in runs.items():
        org = result.summary[result.summary["level"] == "organisation"].set_index("metric")
        ref = base.summary[base.summary["level"] == "organisation"].set_index("metric")
        for metric in ("value", "cost_per_episode"):
            diff = org.loc[metric, "mean"] - ref.loc[metric, "mean"]
            rows.append([name, "baseline_ffs", metric, "u", org.loc[metric, "mean"]])
            rows[-1] += [ref.loc[metric, "mean"], diff, diff - 1, diff + 1, 2, "extra"]
        for k in range(2):
            ce.append([name, k, 1e6 + 1000 * k, 50.0 + k, 1000.0 * k - 500, 0.1 * k - 0.05])
    pd.DataFrame(
        rows,
        columns=[*COMPARISON_COLUMNS, "extra_column"],
    ).to_csv(root / "comparison.csv", index=False)
    pd.DataFrame(
        ce,
        columns=CE_COLUMNS,
    ).to_csv(root / "ce_replications.csv", index=False)
    pd.DataFrame(
        [[t, v, p] for t in (0, 20000, 30000) for v, p in (("value_dashboard", t / 60000),)],
        columns=["threshold", "variant", "probability"],
    ).to_csv(root / "ceac.csv", index=False)
    manifest = (
        '{"kind": "comparison", "variants": [{"name": "baseline_ffs", "folder": '
        '"variants/baseline_ffs"}, {"name": "value_dashboard"}], '
        '"reference": "baseline_ffs", "thresholds": [20000, 30000], "unknown": 1}'
    )
    (root / "manifest.json").write_text(manifest, encoding="utf-8")
    build_report(root)
    return root


def test_every_figure_file_is_written_and_non_empty(run_dir):
    for stem in RUN_FIGURES:
        for ext in ("png", "svg"):
            path = run_dir / "report" / f"{stem}.{ext}"
            assert path.is_file() and path.stat().st_size > 1000, path
    with Image.open(run_dir / "report" / "trajectory_value.png") as image:
        assert image.size[0] > 300
    assert (run_dir / "report" / "trajectory_value.svg").read_text().lstrip().startswith("<?xml")


def test_trajectory_figure_has_labels_band_and_policy_markers(run_data):
    fig = fg.trajectory_figure({run_data.name: run_data}, "value")
    (ax,) = fig.axes
    assert ax.get_title().startswith("Value (QALYs per 1,000 currency)")
    assert "95% CI" in ax.get_title()
    assert ax.get_xlabel() == "Month (from 1)"  # months counted from 1, as on the page
    assert ax.get_ylabel() == "value (QALYs per 1,000 currency)"
    variants = [line for line in ax.lines if line.get_gid() == "variant"]
    assert len(variants) == 1
    assert list(variants[0].get_xdata()) == list(range(1, 17))
    starts = [line for line in ax.lines if line.get_gid() == "policy-start"]
    # tournament, penalty: start_period 12 (0-based) is month 13; the dashboard, first
    # published at the close of month 13, shapes practice from month 14
    assert [line.get_xdata()[0] for line in starts] == [13, 14]
    phases = [p for p in ax.patches + ax.collections if p.get_gid() == "policy-phase"]
    assert phases  # the months in force are shaded
    assert not [line for line in ax.lines if line.get_gid() == "policy-end"]
    assert len(ax.collections) >= 1  # the CI band (two replications)


def test_trajectory_band_is_the_bootstrap_interval_of_the_replications(run_data):
    x, mean, low, high = fg.metric_band(run_data.trajectories, "cost_per_episode")
    org = run_data.trajectories[run_data.trajectories["unit"] == "organisation"]
    values = org[org["period"] == 5]["cost_per_episode"].to_numpy()
    assert x[5] == 6 and mean[5] == pytest.approx(values.mean())
    # two replications: resampled means are a, (a+b)/2 or b, so the 95% percentile
    # interval is the data's range (a t interval would reach far below zero)
    assert (low[5], high[5]) == pytest.approx((values.min(), values.max()))
    for metric in ("readmission_rate", "mean_wait_days"):
        _x, _m, low, _h = fg.metric_band(run_data.trajectories, metric)
        assert np.nanmin(low) >= 0


def test_policy_end_is_marked(run_data):
    scenario = dict(run_data.scenario)
    scenario["incentives"] = [{**scenario["incentives"][0], "start_period": 4, "end_period": 9}]
    scenario["peer_pressure"] = {**scenario["peer_pressure"], "transparency": "none"}
    run = load_run(run_data.directory)
    run.manifest = {**run.manifest, "scenario": scenario}
    (ax,) = fg.trajectory_figure({"x": run}, "qalys").axes
    marks = {line.get_gid(): line.get_xdata()[0] for line in ax.lines if line.get_gid()}
    assert marks["policy-start"] == 5 and marks["policy-end"] == 10  # months from 1


def test_style_fan_chart(run_data):
    fig = fg.style_fan_figure(run_data)
    assert len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == [
        "Practice intensity across physicians",
        "Quality effort across physicians",
    ]
    for ax in fig.axes:
        medians = [line for line in ax.lines if line.get_gid() == "median"]
        assert len(medians) == 1 and len(medians[0].get_xdata()) == 16
        assert ax.get_xlabel().startswith("Month")
        assert ax.get_ylabel()


def test_income_figure_stacks_components_and_shows_incentives_at_their_own_scale(run_data):
    fig = fg.income_figure(run_data)
    top, bottom = fig.axes
    assert top.get_ylabel() == "Income (currency per period)"
    assert bottom.get_xlabel() == "Physician"
    labels = [t.get_text() for t in bottom.get_xticklabels()]
    assert labels == run_data.physician_names
    assert "fee-for-service" in [t.get_text() for t in top.get_legend().get_texts()]
    table = fg.income_components(run_data)
    pay = run_data.payments
    post = pay[(pay["component"] == "incentives") & (pay["period"] >= 2)]
    # mean per period after warm-up: 2 replications x 14 periods
    assert table["penalties"].sum() == pytest.approx(post["amount"].clip(upper=0).sum() / 28)
    penalties = [p for p in bottom.patches if p.get_gid() == "penalties"]
    assert [p.get_height() for p in penalties] == pytest.approx(list(table["penalties"]))
    if (table["penalties"] < 0).any():  # visible: the lower panel is scaled to incentives
        low, high = bottom.get_ylim()
        assert low <= table["penalties"].min() and high - low < 0.2 * top.get_ylim()[1]


def test_funnel_limits_match_a_hand_computation():
    low, high = funnel_limits(0.1, [100, 400], Z95)
    assert low == pytest.approx([0.1 - 1.959964 * 0.03, 0.1 - 1.959964 * 0.015], abs=1e-6)
    assert high == pytest.approx([0.1 + 1.959964 * 0.03, 0.1 + 1.959964 * 0.015], abs=1e-6)
    low, high = funnel_limits(0.2, 25, Z998)
    assert float(high) == pytest.approx(0.2 + 3.090232 * 0.08, abs=1e-6)
    low, _ = funnel_limits(0.05, 4, Z998)
    assert float(low) == 0.0  # clipped


def test_funnel_points_and_figure(run_data):
    points = funnel_points(run_data, 0)
    traj = run_data.trajectories
    rows = traj[(traj["unit"] == "medicine.01") & (traj["replication"] == 0)]
    rows = rows[rows["period"] >= 2]
    episodes = rows["episodes"].sum()
    readmissions = (rows["readmission_rate"].fillna(0) * rows["episodes"]).sum()
    row = points.set_index("unit").loc["medicine.01"]
    assert row["episodes"] == pytest.approx(episodes)
    assert row["rate"] == pytest.approx(readmissions / episodes)
    assert len(points) == len(run_data.physician_names)
    fig = fg.funnel_figure(run_data)
    teams = list(dict.fromkeys(points["team"]))
    assert [ax.get_title() for ax in fig.axes] == teams  # one funnel per peer group
    assert "within each team" in fig.get_suptitle()
    assert fig.axes[0].get_ylabel().startswith("Readmission rate")
    for ax, team in zip(fig.axes, teams, strict=True):
        assert ax.get_xlabel().startswith("Index episodes")
        assert len([line for line in ax.lines if line.get_gid() == "limit"]) == 4
        (centre,) = [line for line in ax.lines if line.get_gid() == "centre"]
        group = points[points["team"] == team]
        p0 = group["readmissions"].sum() / group["episodes"].sum()  # the team's own rate
        assert centre.get_ydata()[0] == pytest.approx(p0)
        upper = next(line for line in ax.lines if line.get_gid() == "limit")
        n, y = upper.get_xdata(), upper.get_ydata()
        assert y[0] == pytest.approx(p0 + Z95 * math.sqrt(p0 * (1 - p0) / n[0]))


def test_value_quadrant_arrows_go_from_before_to_with_the_policy(run_data):
    from simulate.report.scorecard import trend_windows

    points = fg.quadrant_points(run_data).set_index("unit")
    trend = trend_windows(run_data)
    traj = run_data.trajectories
    rows = traj[(traj["unit"] == "medicine.01") & traj["period"].isin(trend.before)]
    assert points.loc["medicine.01", "cost_before"] == pytest.approx(
        rows["cost"].sum() / rows["episodes"].sum()
    )
    fig = fg.value_quadrant_figure(run_data)
    arrows = [a for ax in fig.axes for a in ax.texts if a.get_gid() == "move"]
    assert len(arrows) == len(run_data.physician_names)
    first = arrows[0]
    unit = run_data.physician_names[0]
    assert first.xy == pytest.approx(
        (points.loc[unit, "cost_after"], points.loc[unit, "qalys_after"])
    )


def test_dashboard_is_self_contained_and_lists_every_physician(run_dir, run_data):
    text = (run_dir / "dashboard.html").read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#|variants/)""", text)
    for name in run_data.physician_names:
        assert f">{name}<" in text
    assert text.count('<img src="data:image/png;base64,') == len(RUN_FIGURES)
    assert 'id="physicians"' in text and 'id="teams"' in text
    assert "value_tournament" in text and "readmission penalty" in text
    assert "top 20% earn 4,000 each" in text


def test_dashboard_escapes_the_scenario_description(run_dir):
    text = (run_dir / "dashboard.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in text
    assert "<b>bold</b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in text
    assert text.count("<script>") == 1  # the dashboard's own sorting script


def test_physician_table_numbers_come_from_the_summary(run_dir, run_data):
    from simulate.report.scorecard import unit_table

    table = unit_table(run_data, "physician").set_index("unit")
    summary = run_data.summary
    row = summary[(summary["unit"] == "orthopaedics.02") & (summary["metric"] == "value")]
    assert table.loc["orthopaedics.02", "value"] == pytest.approx(row["mean"].iloc[0])
    for _team, group in table.groupby("team"):
        assert sorted(group["rank"]) == list(range(1, len(group) + 1))
        assert group.sort_values("rank")["value"].is_monotonic_decreasing


def test_report_command_rebuilds_the_files(run_dir):
    shutil.rmtree(run_dir / "report")
    (run_dir / "dashboard.html").unlink()
    result = CliRunner().invoke(app, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert (run_dir / "dashboard.html").stat().st_size > 10_000
    assert (run_dir / "report" / "funnel_readmissions.svg").is_file()
    assert not list(run_dir.rglob("*.tmp*"))


@pytest.mark.parametrize("kind", ["missing", "not_results", "bad_json"])
def test_report_command_bad_folder_gives_one_line_and_exit_2(tmp_path, kind):
    folder = tmp_path / "x"
    if kind != "missing":
        folder.mkdir()
    if kind == "bad_json":
        (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(app, ["report", str(folder)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "Traceback" not in result.output


def test_comparison_folder_gets_plane_ceac_table_and_variant_dashboards(comparison_dir):
    report = comparison_dir / "report"
    for stem in ("ce_plane", "ceac", "trajectory_value"):
        assert (report / f"{stem}.png").stat().st_size > 1000
    for name in ("baseline_ffs", "value_dashboard"):
        assert (comparison_dir / "variants" / name / "dashboard.html").is_file()
    text = (comparison_dir / "dashboard.html").read_text(encoding="utf-8")
    assert 'id="comparison"' in text and "http" not in text
    assert 'href="variants/value_dashboard/dashboard.html"' in text
    comparison = load_comparison(comparison_dir)
    (ax,) = ef.ce_plane_figure(comparison).axes
    assert ax.get_xlabel() == "Incremental QALYs (QALYs per period)"
    assert ax.get_ylabel() == "Incremental cost (currency per period)"
    thresholds = [line for line in ax.lines if line.get_gid() == "threshold"]
    assert len(thresholds) == 2
    x, y = thresholds[1].get_xdata(), thresholds[1].get_ydata()
    assert y[1] / x[1] == pytest.approx(30000)
    (ax,) = ef.ceac_figure(comparison).axes
    assert ax.get_ylabel().startswith("Probability best of all")
    assert len([line for line in ax.lines if line.get_gid() == "ceac"]) == 1
    figure = fg.trajectory_figure(comparison.variants, "value")
    (ax,) = figure.axes
    assert len([line for line in ax.lines if line.get_gid() == "variant"]) == 2
    (legend,) = figure.legends  # one legend, below the chart
    assert {"baseline_ffs", "value_dashboard"} <= {t.get_text() for t in legend.get_texts()}


def test_run_writes_dashboard_and_animation(tmp_path):
    out_dir = tmp_path / "run"
    args = ["run", "value_dashboard", "-r", "1", "--out", str(out_dir), "-q", "--animate"]
    args += ["--set", "horizon_periods=14", "--set", "warmup_periods=1", "--workers", "1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (out_dir / "dashboard.html").is_file()
    assert (out_dir / "report" / "trajectory_value.png").is_file()
    with Image.open(out_dir / "report" / "animation.gif") as gif:
        assert gif.n_frames == 14
        assert gif.size[0] <= 800
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_animation_frames_are_capped():
    from simulate.report.animate import frame_periods

    assert frame_periods(10) == list(range(10))
    periods = frame_periods(240)
    assert len(periods) <= 60 and periods[0] == 0 and periods[-1] == 239
    assert np.all(np.diff(periods) > 0)


def test_variant_folders_accept_names_or_objects_and_stay_inside(tmp_path):
    from simulate.errors import ScenarioError
    from simulate.report.data import variant_folders

    assert variant_folders(tmp_path, ["a", {"name": "b", "folder": "variants/b"}]) == {
        "a": tmp_path / "variants" / "a",
        "b": tmp_path / "variants" / "b",
    }
    with pytest.raises(ScenarioError, match="outside"):
        variant_folders(tmp_path, [{"name": "x", "folder": "../../etc"}])


def test_run_warnings_are_shown_at_the_top_of_the_dashboard(run_dir, tmp_path):
    import json

    folder = tmp_path / "warned"
    shutil.copytree(run_dir, folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["warnings"] = ["team medicine: utilisation 2.50 <b>"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    build_report(folder)
    text = (folder / "dashboard.html").read_text(encoding="utf-8")
    alert = text.index('role="alert"')
    assert alert < text.index('id="headline"')  # above everything else
    assert "utilisation 2.50 &lt;b&gt;" in text
