"""Signals at random moments, with the CPU busy: `run`, `compare` and `sweep` either finish
or stop with their documented status, one line and a consistent results folder, and
leave no process or staging folder behind.

Each trial starts a real ``python -m simulate`` on a tiny world while two busy loops
keep both cores loaded, sends SIGINT, SIGTERM or SIGHUP at a random moment between the
start and a little after the results would be written (the offset is drawn from a
fixed seed, as a share of an uninterrupted run's duration), and then checks:

* the status is 0 (it finished first) or 128 + the signal, with exactly one line on
  stderr and no traceback;
* no staging folder (``.NAME.new-*``, ``.NAME.old-*``) is left;
* the results folder is absent, or complete and readable (manifest and every CSV parse);
  a sweep's folder is resumable: ``--resume`` finishes it with the same ``runs.csv`` as an
  uninterrupted sweep;
* no process started by the trial remains (each carries a marker in its environment,
  which its own children inherit; they get a bounded time to exit).

SIGKILL trials kill at a random moment and then check that the workers die with the
coordinator and that running the command again cleans the staging folder and finishes.

The default suite runs a handful of trials (fixed seeds). For many trials::

    VALUESIM_SIGNAL_TRIALS=50 python3 -m pytest -q tests/test_signal_trials.py

runs 50 trials per command and signal (seeds 1..50; ``VALUESIM_SIGNAL_SEED`` shifts them).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

TRIALS = int(os.environ.get("VALUESIM_SIGNAL_TRIALS", "0"))
"""Trials per (command, signal); 0 runs the default handful."""
SEED_BASE = int(os.environ.get("VALUESIM_SIGNAL_SEED", "0"))
TINY = ["--set", "horizon_periods=4", "--set", "warmup_periods=1", "-q"]
MARKER = "VALUESIM_SIGNAL_TRIAL"
CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
WAIT = 90  # seconds a trial's command may take after the signal


def command_line(kind: str, out: Path, workers: int, *extra: str) -> list[str]:
    base = [sys.executable, "-m", "simulate"]
    if kind == "run":
        args = ["run", "baseline_ffs", "-r", "12", "--no-report"]
    elif kind == "compare":
        args = ["compare", "baseline_ffs", "capitation", "-r", "6"]
    else:
        args = ["sweep", "sweep_bonus_size"]
    return [*base, *args, *TINY, "--workers", str(workers), "--out", str(out), *extra]


def marked_processes(tag: str) -> list[int]:
    """Live processes whose environment carries ``MARKER=tag`` (zombies do not count)."""
    needle = f"{MARKER}={tag}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def no_process_left(tag: str, within: float = 15.0) -> list[int]:
    deadline = time.monotonic() + within
    left = marked_processes(tag)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = marked_processes(tag)
    return left


def launch(command: list[str], tag: str) -> subprocess.Popen:
    env = {**os.environ, MARKER: tag, "PYTHONFAULTHANDLER": "1"}
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def finish(command: list[str], tag: str) -> subprocess.CompletedProcess:
    env = {**os.environ, MARKER: tag}
    return subprocess.run(command, capture_output=True, text=True, timeout=WAIT * 2, env=env)


@pytest.fixture(scope="module")
def busy_cores():
    """Two busy loops beside the trials (both cores of a small machine), killed at the end."""
    # Each loop ends by itself after 15 minutes, so one left by a killed test run cannot
    # load the machine for long.
    code = "import time\nend = time.monotonic() + 900\nwhile time.monotonic() < end: pass"
    loops = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(2)]
    yield loops
    for loop in loops:
        loop.kill()
    for loop in loops:
        loop.wait(timeout=10)


DEFAULT_SECONDS = {"run": 3.0, "compare": 3.0}
"""Offsets of the default trials of `run` and `compare` are drawn up to these (seconds,
about an uninterrupted run on two loaded cores); the many-trial mode measures instead."""


@pytest.fixture(scope="module")
def reference(busy_cores, tmp_path_factory):
    """Per command: seconds an uninterrupted run takes under the load, and (for the
    sweep) its runs.csv, which a resumed sweep must reproduce. The default trials of
    `run` and `compare` skip the measurement (it would double their time)."""
    found: dict[tuple[str, int], tuple[float, pd.DataFrame | None]] = {}

    def get(kind: str, workers: int) -> tuple[float, pd.DataFrame | None]:
        if kind in DEFAULT_SECONDS and not TRIALS:
            return DEFAULT_SECONDS[kind], None
        if (kind, workers) not in found:
            out = tmp_path_factory.mktemp(f"reference-{kind}") / "out"
            started = time.monotonic()
            done = finish(command_line(kind, out, workers), uuid.uuid4().hex)
            seconds = time.monotonic() - started
            assert done.returncode == 0, done.stderr
            runs = pd.read_csv(out / "runs.csv") if kind == "sweep" else None
            found[kind, workers] = (seconds, runs)
        return found[kind, workers]

    return get


def check_folder(kind: str, out: Path, *, finished: bool) -> dict:
    """The results folder is whole and readable; returns its manifest."""
    manifest = json.loads((out / "manifest.json").read_text())
    for table in out.rglob("*.csv"):
        pd.read_csv(table)
    if kind == "run":
        trajectories = pd.read_csv(out / "trajectories.csv")
        done = manifest["replications_finished"]
        assert sorted(trajectories["replication"].unique()) == list(range(done))
        assert manifest["complete"] is (done == 12)
        if finished:
            assert manifest["complete"] is True
    elif kind == "compare":
        assert manifest["kind"] == "comparison"
        assert (out / "comparison.csv").exists()
    else:
        assert manifest["kind"] == "sweep"
        if finished:
            assert manifest["complete"] is True
    return manifest


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name != "out")


def before_valuesim(code: int, stderr: str, signum: int) -> bool:
    """Whether the signal ended Python before ValueSim's first line ran (the interpreter
    starting: its own default handling, a few tens of milliseconds): killed by the
    signal, silently or with Python's KeyboardInterrupt from an import of its start-up,
    never from ValueSim's own code."""
    if code == -signum and not stderr.strip():
        return True
    return (
        signum == signal.SIGINT
        and code in (1, -signal.SIGINT)
        and stderr.rstrip().endswith("KeyboardInterrupt")
        and "simulate/__main__.py" not in stderr
        and "simulate/cli" not in stderr
    )


def record(outcome: str, where: str) -> str:
    """Append the trial's outcome to $VALUESIM_SIGNAL_LOG (for counting), return it."""
    log = os.environ.get("VALUESIM_SIGNAL_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{where}\t{outcome}\n")
    return outcome


def one_trial(kind: str, workers: int, signum: int, seed: int, tmp: Path, reference) -> str:
    """One trial; returns what happened ("finished", "stopped", ...) for the counts."""
    seconds, runs = reference(kind, workers)
    rng = random.Random(f"{kind}-{workers}-{int(signum)}-{seed}")
    offset = rng.uniform(0.0, 1.15 * seconds)
    out, tag = tmp / "out", uuid.uuid4().hex
    command = command_line(kind, out, workers)
    process = launch(command, tag)
    time.sleep(offset)
    process.send_signal(signum)
    try:
        stdout, stderr = process.communicate(timeout=WAIT)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        pytest.fail(f"hung after {signum!r} at {offset:.2f} s: {stderr[-3000:]}")
    where = f"{kind} --workers {workers}, {signal.Signals(signum).name} at {offset:.2f} s"
    left = no_process_left(tag)
    assert not left, f"{where}: processes left behind: {left}"
    code = process.returncode
    if before_valuesim(code, stderr, signum):
        assert not out.exists() and leftovers(tmp) == [], where
        return record("before ValueSim started", where)
    assert "Traceback" not in stderr and "Traceback" not in stdout, f"{where}: {stderr}"
    assert leftovers(tmp) == [], f"{where}: left {leftovers(tmp)}"
    assert code in (0, CODES[signum]), f"{where}: status {code}: {stderr}"
    if code == 0:
        check_folder(kind, out, finished=True)
        if runs is not None:
            pd.testing.assert_frame_equal(pd.read_csv(out / "runs.csv"), runs)
        return record("finished", where)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0], f"{where}: {stderr!r}"
    if out.exists():
        check_folder(kind, out, finished=False)
    if kind == "sweep" and out.exists():
        resumed = finish(command_line(kind, out, workers, "--resume"), tag)
        assert resumed.returncode == 0, f"{where}: resume: {resumed.stderr}"
        pd.testing.assert_frame_equal(pd.read_csv(out / "runs.csv"), runs)
        assert not no_process_left(tag)
        return record("stopped, resumed", where)
    return record("stopped, written" if out.exists() else "stopped, nothing written", where)


def kill_trial(kind: str, workers: int, seed: int, tmp: Path, reference) -> str:
    """SIGKILL at a random moment; workers die with the coordinator; running the command
    again removes the staging folder and finishes."""
    seconds, runs = reference(kind, workers)
    rng = random.Random(f"kill-{kind}-{workers}-{seed}")
    offset = rng.uniform(0.0, 1.15 * seconds)
    out, tag = tmp / "out", uuid.uuid4().hex
    process = launch(command_line(kind, out, workers), tag)
    time.sleep(offset)
    process.kill()
    process.communicate(timeout=WAIT)
    where = f"{kind} --workers {workers}, SIGKILL at {offset:.2f} s"
    left = no_process_left(tag)
    assert not left, f"{where}: processes left behind: {left}"
    staged = [name for name in leftovers(tmp) if ".new-" in name]
    if process.returncode == 0:
        outcome = "finished"
    else:
        outcome = "killed, staging left" if staged else "killed"
    again = ["--resume"] if kind == "sweep" and out.exists() else []
    if out.exists() and kind != "sweep":
        again = ["--overwrite"]
    rerun = finish(command_line(kind, out, workers, *again), tag)
    assert rerun.returncode == 0, f"{where}: rerun: {rerun.stderr}"
    assert leftovers(tmp) == [], f"{where}: after the rerun, left {leftovers(tmp)}"
    check_folder(kind, out, finished=True)
    if runs is not None:
        pd.testing.assert_frame_equal(pd.read_csv(out / "runs.csv"), runs)
    assert not no_process_left(tag)
    return record(outcome, where)


@contextlib.contextmanager
def failures_logged(where: str):
    try:
        yield
    except BaseException as failure:
        record("FAILED: " + " ".join(str(failure).split())[:2000], where)
        raise


SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


def default_cases() -> list[tuple[str, int, signal.Signals, int]]:
    """A handful: each signal once, both worker counts. The sweep's trials (a reference
    sweep, the trial and a resume: over a minute on a loaded machine) run only in the
    many-trial mode; the default suite resumes killed sweeps in tests/test_sweep_cli.py."""
    return [
        ("run", 2, signal.SIGINT, SEED_BASE + 1),
        ("compare", 1, signal.SIGTERM, SEED_BASE + 1),
        ("run", 1, signal.SIGHUP, SEED_BASE + 1),
    ]


def many_cases() -> list[tuple[str, int, signal.Signals, int]]:
    return [
        (kind, 2 if seed % 2 else 1, signum, SEED_BASE + seed)
        for kind in ("run", "compare", "sweep")
        for signum in SIGNALS
        for seed in range(1, TRIALS + 1)
    ]


@pytest.mark.parametrize(
    "kind, workers, signum, seed",
    many_cases() if TRIALS else default_cases(),
    ids=lambda v: v.name if isinstance(v, signal.Signals) else str(v),
)
def test_a_signal_at_a_random_moment_under_load(
    kind, workers, signum, seed, tmp_path, busy_cores, reference
):
    with failures_logged(f"{kind} --workers {workers}, {signal.Signals(signum).name}"):
        one_trial(kind, workers, signum, seed, tmp_path, reference)


@pytest.mark.parametrize(
    "kind, workers, seed",
    [
        (kind, 2 if seed % 2 else 1, SEED_BASE + seed)
        for kind in ("run", "compare", "sweep")
        for seed in range(1, TRIALS + 1)
    ]
    if TRIALS
    else [("run", 2, SEED_BASE + 1)],
)
def test_sigkill_at_a_random_moment_then_a_rerun_cleans_up(
    kind, workers, seed, tmp_path, busy_cores, reference
):
    with failures_logged(f"{kind} --workers {workers}, SIGKILL"):
        kill_trial(kind, workers, seed, tmp_path, reference)
