"""`simulate compare`: variants under common random numbers, paired differences, outputs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulate.compare
from simulate.cli import app
from simulate.errors import ScenarioError
from simulate.scenario.loader import bundled_dir

CAPITATION = (
    "{payment: {fee_for_service: null, capitation: "
    "{per_patient_per_period: 15.7, list_size_per_physician: 1950}}}"
)


def base_yaml(variants: str, *, replications: int = 3, behaviour: str = "adaptive") -> str:
    """A 4-period version of the baseline world with the given ``variants:`` body."""
    return (
        "name: tiny\n"
        f"extends: {bundled_dir() / 'baseline_ffs.yaml'}\n"
        "horizon_periods: 4\n"
        "warmup_periods: 1\n"
        f"replications: {replications}\n"
        f"behaviour: {{model: {behaviour}}}\n"
        "variants:\n" + variants
    )


def write(tmp_path, text: str, name: str = "tiny.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def line_of(text: str, marker: str) -> int:
    """1-based number of the first line containing ``marker``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


def rows(comparison, variant: str, metric: str) -> pd.Series:
    table = comparison.comparison
    return table[(table.variant == variant) & (table.metric == metric)].iloc[0]


@pytest.fixture(scope="module")
def tiny_comparison(tmp_path_factory):
    """FFS, an identical copy, capitation and fewer slots; 3 replications, adaptive."""
    variants = (
        "  discount: 0\n"  # undiscounted: the economics equal the window means
        "  list:\n"
        "    - name: ffs\n"
        "    - name: ffs_again\n"
        "      set: {}\n"
        "    - name: capitation\n"
        f"      set: {CAPITATION}\n"
        "    - name: fewer_slots\n"
        "      overrides: ['teams[0].caseload_per_physician=2']\n"
    )
    path = write(tmp_path_factory.mktemp("tiny"), base_yaml(variants))
    return simulate.compare.compare(path, workers=2)


def test_identical_variants_differ_by_exactly_zero(tiny_comparison):
    table = tiny_comparison.comparison
    same = table[(table.variant == "ffs_again") & table.metric.isin(simulate.compare.core.METRICS)]
    defined = same[same["mean"].notna()]
    assert len(defined) > 20
    assert (defined["difference"] == 0).all()
    assert (defined["ci_low"] == 0).all() and (defined["ci_high"] == 0).all()
    assert (defined["replications"] == 3).all()
    ce = tiny_comparison.cost_effectiveness.set_index("variant")
    assert ce.loc["ffs_again", "icer_status"] == "no_difference"
    assert ce.loc["ffs_again", "incremental_nmb_20000"] == 0


def test_known_changes_have_the_right_sign_with_intervals_excluding_zero(tiny_comparison):
    # capitation removes the fee per unit of care: adaptive physicians cut intensity
    intensity = rows(tiny_comparison, "capitation", "intensity")
    assert intensity["difference"] < 0 and intensity["ci_high"] < 0
    assert intensity["mean"] == pytest.approx(intensity["reference_mean"] + intensity["difference"])
    # fewer treatment slots in orthopaedics: patients wait longer
    wait = rows(tiny_comparison, "fewer_slots", "mean_wait_days")
    assert wait["difference"] > 0 and wait["ci_low"] > 0
    # the economics agree with the window values (health-system cost per period)
    window = tiny_comparison.window
    cap = window[window.variant == "capitation"]
    ffs = window[window.variant == "ffs"]
    cost = (cap["cost"] + cap["payment_total"]).mean() - (ffs["cost"] + ffs["payment_total"]).mean()
    ce = tiny_comparison.cost_effectiveness.set_index("variant")
    assert ce.loc["capitation", "incremental_cost"] == pytest.approx(cost)
    ceac = tiny_comparison.ceac
    assert np.allclose(ceac.groupby("threshold")["probability"].sum(), 1.0)
    assert {20_000.0, 30_000.0, 0.0, 100_000.0} <= set(ceac["threshold"])


def test_worker_count_does_not_change_the_numbers(tmp_path):
    variants = f"  list:\n    - name: ffs\n    - name: capitation\n      set: {CAPITATION}\n"
    path = write(tmp_path, base_yaml(variants, replications=2))
    one = simulate.compare.compare(path, workers=1)
    two = simulate.compare.compare(path, workers=2)
    for name in ("comparison", "cost_effectiveness", "ce_replications", "ceac", "window"):
        pd.testing.assert_frame_equal(one.tables()[name], two.tables()[name])


def test_cli_writes_the_comparison_folder_and_prints_tables(tmp_path):
    variants = (
        "  reference: capitation\n"
        "  thresholds: [25000]\n"
        "  perspective: payer\n"
        "  discount: 0\n"  # undiscounted: the economics equal the window means
        "  list:\n"
        "    - name: ffs\n"
        "      description: fee-for-service\n"
        "    - name: capitation\n"
        f"      set: {CAPITATION}\n"
    )
    path = write(tmp_path, base_yaml(variants, replications=2, behaviour="fixed"))
    out = tmp_path / "cmp"
    args = ["compare", str(path), "--out", str(out), "--workers", "2", "--threshold", "20000"]
    done = CliRunner().invoke(app, [*args, "--threshold", "30000"], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    assert "paired difference" in done.output and "Cost-effectiveness" in done.output
    assert "intensity" in done.output and "comparison written to" in done.output
    comparison = pd.read_csv(out / "comparison.csv")
    assert list(comparison.columns[:10]) == [
        "variant",
        "reference",
        "metric",
        "unit",
        "mean",
        "reference_mean",
        "difference",
        "ci_low",
        "ci_high",
        "replications",
    ]
    assert set(comparison["reference"]) == {"capitation"}
    assert {"incremental_cost", "icer", "nmb_20000", "p_cost_effective_30000"} <= set(
        comparison["metric"]
    )
    # fixed styles: the same patients get the same care, only the payments differ
    ffs_qalys = comparison[(comparison.variant == "ffs") & (comparison.metric == "qalys")]
    assert ffs_qalys["difference"].iloc[0] == 0
    payment = comparison[(comparison.variant == "ffs") & (comparison.metric == "payment_total")]
    icer = comparison[(comparison.variant == "ffs") & (comparison.metric == "icer")].iloc[0]
    assert icer["status"] == ("dominated" if payment["difference"].iloc[0] > 0 else "dominant")
    per_rep = pd.read_csv(out / "ce_replications.csv")
    assert list(per_rep.columns) == [
        "variant",
        "replication",
        "cost",
        "qalys",
        "incremental_cost",
        "incremental_qalys",
    ]
    assert len(per_rep) == 4
    ffs = per_rep[per_rep.variant == "ffs"]
    trajectories = pd.read_csv(out / "variants" / "ffs" / "trajectories.csv")
    org = trajectories[(trajectories.level == "organisation") & (trajectories.period >= 1)]
    assert ffs["cost"].to_numpy() == pytest.approx(  # payer perspective: payment_total
        org.groupby("replication")["payment_total"].mean().to_numpy()
    )
    ceac = pd.read_csv(out / "ceac.csv")
    assert list(ceac.columns) == ["threshold", "variant", "probability", "optimal"]
    assert len(ceac) == 2 * 101  # dominance: no ICER to reach, the grid is as asked
    assert ceac.groupby("threshold")["optimal"].sum().eq(1).all()  # one frontier variant
    decision = pd.read_csv(out / "cost_effectiveness.csv").set_index("variant")
    assert decision.loc["ffs", "same_care_as"] == "capitation"  # fixed styles: only pay differs
    assert "same care as capitation: differs only in payments" in decision.loc["ffs", "verdict"]
    assert "Decision" in done.output and decision.loc["ffs", "verdict"][:40] in done.output
    assert (out / "dashboard.html").is_file() and (out / "report" / "ceac.png").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "comparison" and manifest["reference"] == "capitation"
    assert manifest["thresholds"] == [20000, 30000] and manifest["perspective"] == "payer"
    assert [v["name"] for v in manifest["variants"]] == ["ffs", "capitation"]
    assert json.loads((out / "variants" / "capitation" / "manifest.json").read_text())["name"] == (
        "capitation"
    )
    again = CliRunner().invoke(app, ["compare", str(path), "--out", str(out)])
    assert again.exit_code == 2 and "already exists" in again.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp", "tiny.yaml"]


def test_cli_compares_two_files_seed_and_replications_from_the_first(tmp_path):
    out = tmp_path / "cmp"
    args = ["compare", "baseline_ffs", "capitation", "-r", "2", "--workers", "1", "-q"]
    args += ["--set", "horizon_periods=3", "--set", "warmup_periods=1", "--out", str(out)]
    args += ["--no-report"]  # tables only: the report has its own tests
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert [v["name"] for v in manifest["variants"]] == ["baseline_ffs", "capitation"]
    assert manifest["replications"] == 2 and manifest["reference"] == "baseline_ffs"
    window = pd.read_csv(out / "window.csv")
    a, b = (window[window.variant == v].reset_index() for v in ("baseline_ffs", "capitation"))
    assert (a["qalys"] == b["qalys"]).all()  # fixed styles, common random numbers


BAD_VARIANTS = {
    "duplicate name": (
        "  list:\n    - name: a\n    - name: A  # HERE\n",
        "variants.list[1].name",
        "duplicate variant name",
    ),
    "unknown reference": (
        "  reference: nope  # HERE\n  list:\n    - name: a\n    - name: b\n",
        "variants.reference",
        "unknown variant 'nope'",
    ),
    "bad key in set": (
        "  list:\n    - name: a\n    - name: b\n      set:\n        payment:\n"
        "          fee_for_servise: {per_intensity_unit: 3}  # HERE\n",
        "payment.fee_for_servise",
        "unknown key 'fee_for_servise'",
    ),
    "bad key in overrides": (
        "  list:\n    - name: a\n    - name: b\n      overrides:\n"
        "        - teams[0].nurse=3  # HERE\n",
        "teams[0].nurse",
        "unknown key 'nurse'",
    ),
    "one variant": (
        "  list:  # HERE\n    - name: a\n",
        "variants.list",
        "at least 2 variants",
    ),
    "variant changes the seed": (
        "  list:\n    - name: a\n    - name: b\n      set: {seed: 5}  # HERE\n",
        "seed",
        "cannot change 'seed'",
    ),
    "bad variant name": (
        "  list:\n    - name: a\n    - name: ../up  # HERE\n",
        "variants.list[1].name",
        "a variant needs a 'name'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_VARIANTS))
def test_bad_variants_exit_2_with_file_line_and_field(tmp_path, case):
    body, field, message = BAD_VARIANTS[case]
    text = base_yaml(body, replications=1)
    path = write(tmp_path, text)
    done = CliRunner().invoke(app, ["compare", str(path), "--out", str(tmp_path / "o")])
    assert done.exit_code == 2, done.output
    output = " ".join(done.output.split())  # rich may wrap the line on the terminal
    assert f"{path}:{line_of(text, '# HERE')}: field '{field}'" in output, output
    assert message in output and "Traceback" not in output
    assert not (tmp_path / "o").exists()


def test_other_bad_input_exits_2(tmp_path):
    runner = CliRunner()
    alone = runner.invoke(app, ["compare", "baseline_ffs", "--out", str(tmp_path / "o")])
    assert alone.exit_code == 2 and "no 'variants:' section" in alone.output
    same = runner.invoke(app, ["compare", "baseline_ffs", "baseline_ffs"])
    assert same.exit_code == 2 and "named 'baseline_ffs'" in same.output
    ref = runner.invoke(app, ["compare", "baseline_ffs", "capitation", "--reference", "x"])
    assert ref.exit_code == 2 and "unknown variant 'x'" in ref.output
    with pytest.raises(ScenarioError, match="perspective"):
        simulate.compare.compare(["baseline_ffs", "capitation"], perspective="societal")


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_comparison_and_leaves_nothing_behind(tmp_path, signum, code):
    variants = f"  list:\n    - name: ffs\n    - name: capitation\n      set: {CAPITATION}\n"
    path = write(tmp_path, base_yaml(variants, replications=2000, behaviour="fixed"))
    out = tmp_path / "cmp"
    command = [sys.executable, "-m", "simulate", "compare", str(path), "--workers", "2"]
    process = subprocess.Popen(
        [*command, "--out", str(out), "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(8)  # start-up and some replications
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    assert "interrupted" in stderr and "nothing written" in stderr
    assert "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]


def test_the_terminal_tables_never_cut_a_number_at_80_columns(tiny_comparison):
    from rich.console import Console

    from simulate.compare.table import print_comparison
    from simulate.formatting import number

    console = Console(width=80, record=True, color_system=None)
    print_comparison(console, tiny_comparison)
    text = console.export_text()
    assert "…" not in text  # nothing cut with an ellipsis
    assert max(len(line) for line in text.splitlines()) <= 80
    lines = text.splitlines()
    ce = tiny_comparison.cost_effectiveness.set_index("variant")
    for name in ("ffs_again", "capitation", "fewer_slots"):
        shown = number(ce.loc[name, "cost"])
        assert any(shown in line for line in lines), (name, shown)  # whole, on one line
    assert text.index("Decision") < text.index("Cost-effectiveness") < text.index("Key metrics")
    assert "same care as ffs" in " ".join(text.split())  # the identical copy is flagged
