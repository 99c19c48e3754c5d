"""--overwrite replaces only results ValueSim wrote (simulate/output/folders.py), and a
results folder appears whole, with the umask's mode, or is kept beside a target that
appeared meanwhile."""

from __future__ import annotations

import json
import os
import signal
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulate.cli import app
from simulate.output.folders import (
    OWNER,
    ResultsKept,
    current_umask,
    remove_stale_staging,
    results_kind,
    staging_folder,
)
from simulate.output.store import write_directory

TINY = [
    "-r",
    "1",
    "--workers",
    "1",
    "--no-report",
    "-q",
    "--set",
    "horizon_periods=2",
    "--set",
    "warmup_periods=1",
]


def run(out: Path | str, *extra: str):
    return CliRunner().invoke(app, ["run", "baseline_ffs", "--out", str(out), *TINY, *extra])


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    return lines[0]


def test_a_folder_of_someone_elses_files_is_never_replaced(tmp_path):
    thesis = tmp_path / "u" / "thesis.docx"
    thesis.parent.mkdir()
    thesis.write_text("years of work")
    message = one_line_error(run(thesis.parent, "--overwrite"))
    assert "thesis.docx" in message and "no ValueSim manifest" in message
    assert thesis.read_text() == "years of work"


def test_a_results_folder_is_replaced_but_not_with_a_stranger_in_it(tmp_path):
    out = tmp_path / "out"
    assert run(out).exit_code == 0 and results_kind(out) == "run"
    first = json.loads((out / "manifest.json").read_text())["created_utc"]
    assert run(out, "--overwrite").exit_code == 0  # our own run folder: replaced
    assert json.loads((out / "manifest.json").read_text())["created_utc"] >= first
    (out / "notes.txt").write_text("mine")
    message = one_line_error(run(out, "--overwrite"))
    assert "notes.txt" in message and "did not write" in message
    assert (out / "notes.txt").read_text() == "mine"


def test_a_comparison_never_replaces_a_run(tmp_path):
    out = tmp_path / "out"
    assert run(out).exit_code == 0
    done = CliRunner().invoke(
        app,
        ["compare", "baseline_ffs", "capitation", "--out", str(out), "--overwrite", *TINY[:4]],
    )
    assert "holds a ValueSim run, not a comparison" in one_line_error(done)
    assert results_kind(out) == "run"


def test_links_files_devices_and_protected_folders_are_refused(tmp_path, monkeypatch):
    target = tmp_path / "real"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert "symbolic link" in one_line_error(run(link, "--overwrite"))
    assert (target / "keep.txt").exists()
    afile = tmp_path / "a.csv"
    afile.write_text("1,2\n")
    assert "is a file" in one_line_error(run(afile, "--overwrite"))
    assert "is a file, not a folder" in one_line_error(run(afile / "sub"))
    assert "special file" in one_line_error(run("/dev/null", "--overwrite"))
    assert Path("/dev/null").is_char_device()
    monkeypatch.chdir(target)
    assert "the working folder" in one_line_error(run(".", "--overwrite"))
    assert "the root folder" in one_line_error(run("/", "--overwrite"))
    assert (target / "keep.txt").exists()


def test_a_folder_that_appears_during_the_run_is_kept_and_so_are_the_results(tmp_path):
    out = tmp_path / "out"

    def write(folder: Path) -> None:
        (folder / "table.csv").write_text("a\n1\n")
        out.mkdir()  # the user's notes appear at --out while results are being written
        (out / "notes.txt").write_text("mine")

    with pytest.raises(ResultsKept) as kept:
        write_directory(out, write, kind="run")
    assert (out / "notes.txt").read_text() == "mine" and not (out / "table.csv").exists()
    assert kept.value.kept.name.startswith("out.kept-")
    assert (kept.value.kept / "table.csv").read_text() == "a\n1\n"
    assert not (kept.value.kept / OWNER).exists()
    assert not list(tmp_path.glob(".out.new-*"))


def test_results_folders_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        out = write_directory(tmp_path / "out", lambda f: (f / "t.csv").write_text("x"), kind="run")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o750
    assert stat.S_IMODE((out / "t.csv").stat().st_mode) in (0o640, 0o644 & ~0o027)
    assert current_umask() == old


def test_staging_left_by_a_killed_process_is_removed_and_a_live_ones_kept(tmp_path):
    out = tmp_path / "out"
    dead, live = tmp_path / ".out.new-dead", tmp_path / ".out.new-live"
    for folder, pid in ((dead, 2**22 + 12345), (live, os.getpid())):
        folder.mkdir()
        (folder / OWNER).write_text(str(pid))
    assert remove_stale_staging(out) == [dead]
    assert live.exists() and not dead.exists()
    # The writer's id is in the name from the folder's first instant: a SIGKILL before
    # the owner mark was written leaves a folder known to be stale all the same.
    mine = staging_folder(out)
    assert mine.name.startswith(f".out.new-{os.getpid()}-")
    unmarked = tmp_path / f".out.new-{2**22 + 12345}-abc_1234"
    unmarked.mkdir()
    assert remove_stale_staging(out) == [unmarked]
    assert mine.exists()


def test_a_manifest_reruns_only_what_it_recorded_and_checks_it_as_a_file(tmp_path):
    out = tmp_path / "out"
    assert run(out).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())

    def rerun(edit, *extra):
        changed = json.loads(json.dumps(manifest))
        edit(changed["scenario"])
        path = tmp_path / "edited.json"
        path.write_text(json.dumps(changed))
        args = ["run", "--from-manifest", str(path), "--out", str(tmp_path / "again"), "-q"]
        return CliRunner().invoke(app, [*args, "--overwrite", "--no-report", *extra])

    def faster(s):
        s["conditions"][0]["arrival_rate"] = 5.5

    assert "changed after the run" in one_line_error(rerun(faster))
    forced = rerun(faster, "--force")
    assert forced.exit_code == 0 and "warning" in forced.output
    flood = rerun(lambda s: s["conditions"][0].update(arrival_rate=1e7))
    assert "patients would arrive" in one_line_error(flood)  # run FILE's workload check
    negative = one_line_error(rerun(lambda s: s.update(horizon_periods=-1)))
    assert "horizon_periods" in negative and "validation error" not in negative


def test_csv_cells_that_spreadsheets_would_run_are_quoted(tmp_path):
    import pandas as pd

    out = tmp_path / "out"
    rules = '[{type: per_unit, name: "=HYPERLINK(\\"http://x\\")", metric: episodes, rate: 10}]'
    assert run(out, "--set", f"incentives={rules}").exit_code == 0
    rule = pd.read_csv(out / "payments.csv")["rule"].dropna().unique()
    assert '\'=HYPERLINK("http://x")' in rule
    raw = pd.read_parquet(out / "payments.parquet")["rule"].dropna().unique()
    assert '=HYPERLINK("http://x")' in raw  # Parquet keeps the text as written


def test_text_that_is_not_unicode_is_refused_at_load(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "extends: baseline_ffs.yaml\nname: bad\nincentives:\n"
        '  - {type: per_unit, name: "bad\\ud800rule", metric: episodes, rate: 1}\n'
    )
    done = CliRunner().invoke(app, ["validate", str(path)])
    message = one_line_error(done)
    assert "bad.yaml:4" in message and "incentives[0].name" in message
    assert "surrogate" in message


def test_dollar_signs_in_rule_names_are_drawn_as_written(tmp_path):
    """Matplotlib would read "$4,000 ... $2,000" as mathtext (and fail on the %); the figures
    that name the rule (the policy marked on trajectories) show it as text."""
    out = tmp_path / "out"
    name = "$4,000 to the top 20%, $2,000 from the bottom 20%"
    rules = f'[{{type: per_unit, name: "{name}", metric: episodes, rate: 10, start_period: 1}}]'
    args = ["run", "baseline_ffs", "--out", str(out), "-r", "1", "--workers", "1", "-q"]
    done = CliRunner().invoke(
        app, [*args, "--set", "horizon_periods=2", "--set", "warmup_periods=1",
              "--set", f"incentives={rules}"],
    )  # fmt: skip
    assert done.exit_code == 0 and "warning" not in done.output, done.output
    assert name in (out / "dashboard.html").read_text(encoding="utf-8")
    assert list((out / "report").glob("*.png"))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_while_results_are_written_waits_for_them(tmp_path, signum):
    """Results are finished whole, then the command stops with the signal's status."""
    import typer

    from simulate.cli.common import write_results
    from simulate.cli.signals import EXIT_INTERRUPTED

    out = tmp_path / "out"

    def write(folder: Path) -> None:
        (folder / "first.csv").write_text("a\n1\n")
        os.kill(os.getpid(), signum)  # arrives halfway through writing
        (folder / "second.csv").write_text("b\n2\n")

    before = signal.getsignal(signum)
    with pytest.raises(typer.Exit) as stopped:
        write_results(out, write, kind="run", overwrite=False)
    assert stopped.value.exit_code == EXIT_INTERRUPTED[signum]
    assert sorted(p.name for p in out.iterdir()) == ["first.csv", "second.csv"]
    assert not list(tmp_path.glob(".out.new-*"))
    assert signal.getsignal(signum) == before  # handlers restored
