"""Results folders are never half-written or silently replaced; signals stop runs cleanly;
a manifest is enough to rerun a run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

SHORT = ["--set", "horizon_periods=4", "--set", "warmup_periods=1", "--no-report"]


def simulate_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "simulate", *args], capture_output=True, text=True, timeout=300
    )


def test_existing_results_are_kept_unless_overwrite_is_given(tmp_path):
    out = tmp_path / "run"
    first = simulate_cli("run", "baseline_ffs", "-r", "2", "--out", str(out), "-q", *SHORT)
    assert first.returncode == 0, first.stderr
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    again = simulate_cli("run", "baseline_ffs", "-r", "3", "--out", str(out), "-q", *SHORT)
    assert again.returncode == 2
    assert "already exists" in again.stderr and "--overwrite" in again.stderr
    assert "Traceback" not in again.stderr
    assert {
        p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()
    } == before
    replaced = simulate_cli(
        "run", "baseline_ffs", "-r", "3", "--out", str(out), "-q", "--overwrite", *SHORT
    )
    assert replaced.returncode == 0, replaced.stderr
    assert json.loads((out / "manifest.json").read_text())["replications"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no staging folders left
    assert not (out / "dashboard.html").exists() and not (out / "report").exists()  # --no-report
    both = simulate_cli("run", "baseline_ffs", "--out", str(tmp_path / "x"), "--animate", *SHORT)
    assert both.returncode == 2 and "--animate" in both.stderr and not (tmp_path / "x").exists()


def test_a_manifest_reruns_the_same_numbers(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    done = simulate_cli("run", "tournament", "-r", "2", "--out", str(first), "-q", *SHORT)
    assert done.returncode == 0, done.stderr
    again = simulate_cli(
        "run", "--from-manifest", str(first / "manifest.json"), "--out", str(second), "-q"
    )
    assert again.returncode == 0, again.stderr
    for name in ("trajectories.csv", "payments.csv", "physicians.csv", "summary.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    broken = tmp_path / "broken.json"
    broken.write_text('{"scenario": {"name": 3}}')
    bad = simulate_cli("run", "--from-manifest", str(broken), "--out", str(tmp_path / "c"))
    assert bad.returncode == 2
    assert "broken.json" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(
    "signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)]
)
def test_a_signal_stops_the_run_and_keeps_complete_files_of_what_finished(tmp_path, signum, code):
    out = tmp_path / "run"
    # 4,000 short replications take about 80 s, far longer than the 6 s before the signal
    command = [sys.executable, "-m", "simulate", "run", "baseline_ffs", "-r", "4000"]
    command += ["--workers", "1", "--out", str(out), "-q", *SHORT]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(6)  # start-up and a few replications (each well under a second)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    if not out.exists():  # nothing had finished: nothing written
        assert "nothing was written" in stderr or "nothing finished" in stderr
        return
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is False
    finished = manifest["replications_finished"]
    assert 0 < finished < 4000
    trajectories = pd.read_csv(out / "trajectories.csv")
    assert trajectories["replication"].nunique() == finished
    assert sorted(trajectories["replication"].unique()) == list(range(finished))
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def children_of(pid: int) -> dict[int, str]:
    """Processes whose parent is ``pid``, with their state letter (Linux /proc)."""
    from pathlib import Path

    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found[int(stat.parent.name)] = fields[0]
    return found


def alive(pid: int) -> bool:
    from pathlib import Path

    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_pool_workers_die_with_a_coordinator_killed_by_sigkill(tmp_path):
    command = [sys.executable, "-m", "simulate", "run", "baseline_ffs", "-r", "400"]
    command += ["--workers", "2", "--out", str(tmp_path / "run"), "-q", *SHORT]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    workers: dict[int, str] = {}
    while time.monotonic() < deadline and len(workers) < 2:
        time.sleep(0.2)
        workers = children_of(process.pid)
    assert len(workers) >= 2, "the pool never started"
    time.sleep(1)  # the workers are busy with replications
    process.kill()
    process.wait(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if alive(pid)], "orphaned workers"
    assert not (tmp_path / "run").exists()


def test_a_stuck_pool_thread_does_not_hold_the_exit(tmp_path):
    """An aborted pool whose manager thread stays blocked (a worker killed mid-result)
    must not keep the command alive at exit: it leaves with the command's status."""
    script = (
        "import threading, sys\n"
        "from simulate.experiment import executors\n"
        "blocked = threading.Thread(target=threading.Event().wait)  # never set\n"
        "blocked.start()\n"
        "executors._STUCK_THREADS.append(blocked)\n"
        "sys.argv = ['simulate', 'validate', 'baseline_ffs']\n"
        "from simulate.cli import main\n"
        "main()\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout  # the command's output was flushed before leaving
    assert time.monotonic() - started < 30


def test_an_aborted_pool_closes_the_result_pipe_and_stops_its_manager():
    """shutdown() drops the pool's references to its result queue and manager thread, so
    the abort must take them first: after it, our copy of the pipe's write end is closed
    and the manager thread has ended (a half-sent result can no longer block it)."""
    from simulate.experiment.executors import PoolExecutor

    pool = PoolExecutor(2)
    inner = pool._pool
    list(pool.imap_unordered(abs, [-1, -2, -3]))  # the workers and the manager are up
    result_queue, manager = inner._result_queue, inner._executor_manager_thread
    assert manager is not None and manager.is_alive()
    pool.close(abort=True)
    assert result_queue._writer.closed
    manager.join(timeout=10)
    assert not manager.is_alive()
