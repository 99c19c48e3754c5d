"""Results that cannot be written: one line, exit status 1, nothing half-written."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import simulate
from simulate.scenario.workload import MAX_LEDGER_BYTES, Workload

SHORT = ["--set", "horizon_periods=4", "--set", "warmup_periods=1", "-r", "2", "--workers", "1"]
TABLES_ONLY = [*SHORT, "--no-report"]


def simulate_cli(*args: str, cwd: Path, limit_bytes: int | None = None):
    def limit() -> None:  # a file-size limit: writes beyond it fail like a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run(
        [sys.executable, "-m", "simulate", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        preexec_fn=limit if limit_bytes else None,
    )


def test_a_write_that_fails_part_way_leaves_nothing_and_says_so(tmp_path):
    """Writes beyond 20 kB fail (EFBIG, as a full disk fails with ENOSPC) mid-way."""
    done = simulate_cli(
        "run", "baseline_ffs", "--out", "out", *SHORT, cwd=tmp_path, limit_bytes=20_000
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot write results to" in lines[0]
    assert "File too large" in lines[0] and "nothing was written" in lines[0]
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no results folder, no staging folder


def test_a_failed_overwrite_keeps_the_old_results(tmp_path):
    first = simulate_cli("run", "baseline_ffs", "--out", "out", *TABLES_ONLY, "-q", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    out = tmp_path / "out"
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    again = simulate_cli(
        "run", "baseline_ffs", "--out", "out", *SHORT, "--seed", "7", "--overwrite",
        cwd=tmp_path, limit_bytes=20_000,
    )  # fmt: skip
    assert again.returncode == 1 and "nothing was written" in again.stderr
    after = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_results_folder_under_a_file_is_one_clear_line(tmp_path):
    (tmp_path / "blocker").write_text("not a folder")
    done = simulate_cli("run", "baseline_ffs", "--out", "blocker/out", *TABLES_ONLY, cwd=tmp_path)
    assert done.returncode in (1, 2)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "blocker" in lines[0] and "Traceback" not in done.stderr
    assert (tmp_path / "blocker").read_text() == "not a folder"


def test_worlds_too_big_for_any_machine_are_refused_with_the_numbers(tmp_path):
    for override, words in (
        ("conditions[0].arrival_rate=1e9", "patients would arrive in each replication"),
        ("teams[0].physicians=10000", "GiB per replication"),
    ):
        done = simulate_cli(
            "validate", "baseline_ffs", "--set", override, "--set", "horizon_periods=10000",
            cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 2
        assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1
    big = simulate.load_scenario("baseline_ffs", overrides=["teams[0].physicians=2000"])
    assert Workload.of(big).ledger_bytes < MAX_LEDGER_BYTES  # large but fine: accepted


def test_adaptive_worlds_with_too_many_best_responses_are_refused(tmp_path):
    done = simulate_cli(
        "validate", "value_dashboard", "--set", "teams[0].physicians=9000",
        "--set", "horizon_periods=250", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2 and "best responses per replication" in done.stderr
