"""`simulate psa` end to end: tables, dashboard, executors, resume, bad input."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from simulate.scenario.loader import bundled_dir

FILE = (
    "name: tiny_psa\n"
    f"extends: {bundled_dir() / 'baseline_ffs.yaml'}\n"
    "horizon_periods: 3\n"
    "warmup_periods: 1\n"
    "behaviour: {model: adaptive}\n"
    "variants:\n"
    "  thresholds: [20000]\n"
    "  list:\n"
    "    - name: ffs\n"
    "    - name: salary\n"
    "      set: {payment: {fee_for_service: null, salary: {annual: 150000}}}\n"
    "uncertainty:\n"
    "  draws: 8\n"
    "  replications: 2\n"
    "  population: 5000\n"
    "  years: 5\n"
    "  parameters:\n"
    "    - path: conditions[0].base_cost\n"
    "      distribution: {type: gamma, mean: 1500, se: 300}\n"
    "    - path: physician_traits.altruism.a\n"
    "      distribution: {type: uniform, low: 1.0, high: 3.0}\n"
)


def psa(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "simulate", "psa", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    folder = tmp_path_factory.mktemp("psa_cli")
    (folder / "psa.yaml").write_text(FILE)
    done = psa(str(folder / "psa.yaml"), "--out", str(folder / "serial"), "--workers", "1")
    assert done.returncode == 0, done.stderr
    return folder, done


def test_writes_tables_figures_and_a_decision_first_dashboard(serial):
    folder, done = serial
    out = folder / "serial"
    assert "Decision under parameter uncertainty" in done.stdout and "EVPI" in done.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "psa" and manifest["complete"]
    # 8 draws and 5 tornado settings (base, 2 parameters x low/high) x 2 variants x 2 reps
    assert manifest["runs_finished"] == (8 + 5) * 2 * 2 and manifest["draws_complete"] == 8
    decision = pd.read_csv(out / "decision.csv")
    assert decision["p_best_20000"].sum() == pytest.approx(1.0)
    page = (out / "dashboard.html").read_text(encoding="utf-8")
    assert page.index('id="decision"') < page.index('id="figures"')
    assert "http://" not in page and "https://" not in page
    for stem in ("ce_plane", "ceac", "expected_loss", "tornado"):
        assert (out / "report" / f"{stem}.png").stat().st_size > 1000
    assert "for the population over the decision's years" in " ".join(done.stdout.split())
    assert "for the population" in page and "3.5% a year for costs and QALYs" in page
    assert manifest["population"]["years"] == 5 and manifest["discount"]["costs"] == 0.035
    tornado = pd.read_csv(out / "tornado.csv")
    assert len(tornado) == 2 and set(tornado["variant"]) == {"salary"}
    # 8 draws are too few for the EVPPI metamodel: no evppi.csv, and the terminal says so
    assert not (out / "evppi.csv").exists() and "evppi" in manifest["skipped"]
    assert "warning: no evppi.csv: 8 complete draws; EVPPI needs 50" in done.stderr


def test_the_same_numbers_on_a_pool(serial):
    folder, _ = serial
    done = psa(str(folder / "psa.yaml"), "--out", str(folder / "pool"), "--workers", "2", "-q")
    assert done.returncode == 0, done.stderr
    for stem in ("runs", "psa", "decision", "ceac", "variance", "tornado"):
        assert (folder / "serial" / f"{stem}.csv").read_bytes() == (
            folder / "pool" / f"{stem}.csv"
        ).read_bytes(), stem


def test_the_same_bytes_on_a_dask_local_cluster(serial):
    folder, _ = serial
    out = folder / "dask"
    done = psa(str(folder / "psa.yaml"), "--out", str(out), "--dask-local", "2", "-q")
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "manifest.json").read_text())["executor"]["executor"] == "dask"
    for stem in ("runs", "psa", "decision", "tornado"):
        assert (folder / "serial" / f"{stem}.csv").read_bytes() == (
            out / f"{stem}.csv"
        ).read_bytes(), stem


def test_sigkill_then_resume_gives_the_same_tables(serial):
    folder, _ = serial
    out = folder / "killed"
    command = [sys.executable, "-m", "simulate", "psa", str(folder / "psa.yaml")]
    process = subprocess.Popen(
        [*command, "--out", str(out), "--workers", "1", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    store = out / "runs.sqlite"
    while time.monotonic() < deadline and process.poll() is None:
        if store.exists() and store.stat().st_size > 0:
            time.sleep(1.0)  # some runs committed
            break
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    done = psa(str(folder / "psa.yaml"), "--out", str(out), "--resume", "--workers", "1", "-q")
    assert done.returncode == 0, done.stderr
    for stem in ("runs", "psa", "decision", "tornado"):
        assert (folder / "serial" / f"{stem}.csv").read_bytes() == (
            out / f"{stem}.csv"
        ).read_bytes()


def test_bad_input_gives_one_line_with_file_line_and_field(tmp_path):
    path = tmp_path / "psa.yaml"
    path.write_text(FILE.replace("type: gamma", "type: gama"))
    done = psa(str(path), "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{path}:" in lines[0]
    assert "uncertainty.parameters[0].distribution" in lines[0] and "Traceback" not in done.stderr
    assert not (tmp_path / "o").exists()
    dry = psa(str(path.with_name("ok.yaml")), "--dry-run")
    assert dry.returncode == 2  # a missing file is bad input too


def test_report_on_a_psa_folder_says_how_to_rebuild_it(serial):
    folder, _ = serial
    done = subprocess.run(
        [sys.executable, "-m", "simulate", "report", str(folder / "serial")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "is a psa folder" in done.stderr and "simulate psa FILE --resume" in done.stderr
