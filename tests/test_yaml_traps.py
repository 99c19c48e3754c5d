"""YAML traps: hostile files are refused quickly, in bounded memory, with one clear line.

Covered elsewhere and not repeated here (tests/test_bad_input.py): a plain duplicated key
(both line numbers), 2,000 nested flow brackets, ``!!python/object/apply`` through the
loader and the real command line, a ``!!python/name`` tag given with ``--set``, a
custom ``!env`` tag, merge keys, a Latin-1 byte and a control character.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulate.cli import app
from simulate.errors import ScenarioError
from simulate.scenario import yaml_source
from simulate.scenario.loader import bundled_dir, resolve_scenario
from simulate.scenario.yaml_source import MAX_BYTES, MAX_DEPTH, MAX_DIGITS, MAX_NODES

BASELINE = bundled_dir() / "baseline_ffs.yaml"
HEADER = f"extends: {BASELINE}\nname: trap\n"
"""Lines 1-2 of most files here; a case's own lines start at line 3."""

runner = CliRunner()


def refusal(path: Path, overrides: tuple[str, ...] = ()) -> ScenarioError:
    """The ScenarioError refusing ``path``; checks it is one line starting with the file."""
    with pytest.raises(ScenarioError) as caught:
        resolve_scenario(path, overrides)
    error = caught.value
    text = str(error)
    assert text.splitlines() == [text], repr(text)
    assert error.file is not None and text.startswith(error.file)
    return error


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------
# Alias bombs


def billion_laughs(levels: int = 9) -> str:
    """The classic: each level a list of ten aliases of the level below (10**9 values)."""
    lines = ['lol0: &l0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_within_2_seconds(tmp_path):
    path = write(tmp_path / "bomb.yaml", billion_laughs())
    started = time.perf_counter()
    error = refusal(path)
    assert time.perf_counter() - started < 2
    assert (error.file, error.line) == (str(path), 1)
    assert f"expands to more than {MAX_NODES:,} values (alias bomb?)" in error.message


def test_billion_laughs_is_refused_in_bounded_memory(tmp_path):
    path = write(tmp_path / "bomb.yaml", billion_laughs())
    tracemalloc.start()
    try:
        refusal(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000, f"peak {peak / 1e6:.1f} MB"


def test_alias_bomb_of_mappings_under_a_real_key_is_refused(tmp_path):
    # Wide rather than deep: a 1,000-key mapping aliased 1,000 times (a million values).
    keys = ", ".join(f"k{i}: v" for i in range(1000))
    text = HEADER + f"x: &m {{{keys}}}\ndescription: [" + ", ".join(["*m"] * 1000) + "]\n"
    path = write(tmp_path / "wide.yaml", text)
    started = time.perf_counter()
    error = refusal(path)
    assert time.perf_counter() - started < 2
    assert "alias bomb" in error.message
    assert error.field.startswith("description[")


def test_alias_bomb_given_with_set_is_refused():
    levels = ['&l0 "lol"'] + [
        f"&l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)
    ]
    assignment = "description=[" + ", ".join(levels) + "]"
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as caught:
        resolve_scenario("baseline_ffs", [assignment])
    assert time.perf_counter() - started < 2
    assert caught.value.file == f"--set {assignment}"
    assert caught.value.field == "description"
    assert "alias bomb" in caught.value.message


def test_alias_inside_its_own_anchor_is_refused(tmp_path):
    # PyYAML builds a cycle for this; expanded, it would never end.
    path = write(tmp_path / "cycle.yaml", HEADER + "description: &a [1, *a]\n")
    error = refusal(path)
    assert error.line == 3
    assert f"nesting deeper than {MAX_DEPTH} levels" in error.message


# ---------------------------------------------------------------------------------------
# Deep nesting


def test_block_nesting_one_level_too_deep_is_refused_at_its_line(tmp_path):
    # The value at depth MAX_DEPTH + 1 (the root mapping is depth 0) is on the last line.
    levels = MAX_DEPTH + 1
    text = "name: trap\n" + "".join("  " * i + f"k{i}:\n" for i in range(levels))
    text = text.rstrip("\n") + " 1\n"
    error = refusal(write(tmp_path / "deep.yaml", text))
    assert f"nesting deeper than {MAX_DEPTH} levels" in error.message
    assert error.line == levels + 1


def test_nesting_at_the_limit_passes_the_yaml_checks(tmp_path):
    text = HEADER + "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH))
    text = text.rstrip("\n") + " 1\n"
    error = refusal(write(tmp_path / "deep.yaml", text))
    assert "nesting" not in error.message  # refused by the schema instead
    assert error.field == "k0"


def test_nesting_made_by_aliases_is_refused(tmp_path):
    half = MAX_DEPTH // 2 + 1
    text = HEADER + "x: &a " + "[" * half + "1" + "]" * half + "\n"
    text += "description: " + "[" * half + "*a" + "]" * half + "\n"
    error = refusal(write(tmp_path / "aliased.yaml", text))
    assert f"nesting deeper than {MAX_DEPTH} levels" in error.message
    assert error.field.startswith("description[0]")


@pytest.mark.parametrize("opening", ["[", "{a: ", "- "])
def test_a_megabyte_of_nesting_is_refused_quickly(tmp_path, opening):
    closing = {"[": "]", "{a: ": "}", "- ": ""}[opening]
    count = 1_000_000 // (len(opening) + len(closing))
    path = write(tmp_path / "deep.yaml", opening * count + "1" + closing * count + "\n")
    started = time.perf_counter()
    error = refusal(path)
    assert time.perf_counter() - started < 2
    assert error.line == 1
    assert f"nesting deeper than {MAX_DEPTH} levels" in error.message


# ---------------------------------------------------------------------------------------
# Size


def test_a_file_over_the_limit_is_refused_before_parsing(tmp_path, monkeypatch):
    def no_parsing(*args, **kwargs):
        raise AssertionError("the YAML parser was started")

    monkeypatch.setattr(yaml_source, "_DepthLimitedLoader", no_parsing)
    monkeypatch.setattr(yaml_source, "MAX_BYTES", 1_000)
    path = tmp_path / "big.yaml"
    path.write_bytes(b"[" * 1_001)
    error = refusal(path)
    assert (error.file, error.line, error.field) == (str(path), None, None)
    assert error.message == "file is larger than the 1,000-byte limit"


def test_a_file_at_the_limit_is_read(tmp_path, monkeypatch):
    text = BASELINE.read_text(encoding="utf-8")
    monkeypatch.setattr(yaml_source, "MAX_BYTES", len(text.encode("utf-8")))
    assert resolve_scenario(write(tmp_path / "exact.yaml", text)).scenario.name == "baseline_ffs"
    monkeypatch.setattr(yaml_source, "MAX_BYTES", len(text.encode("utf-8")) - 1)
    assert "larger than" in refusal(tmp_path / "exact.yaml").message


def test_a_huge_sparse_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(10 * 2**30)  # 10 GiB, no disk used
    started = time.perf_counter()
    error = refusal(path)
    assert time.perf_counter() - started < 1
    assert error.message == f"file is larger than the {MAX_BYTES:,}-byte limit"


READ_IN_A_SMALL_PROCESS = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2_000_000_000, 2_000_000_000))
from simulate.errors import ScenarioError
from simulate.scenario.loader import resolve_scenario
try:
    resolve_scenario(sys.argv[1])
except ScenarioError as error:
    print(error)
"""
"""Reads a file in a process limited to 2 GB, so a reader that never stops fails fast."""


def read_in_small_process(path: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", READ_IN_A_SMALL_PROCESS, path],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_device_is_refused_at_the_size_limit():
    # /dev/zero reports size 0 but never ends; it used to be read until memory ran out.
    done = read_in_small_process("/dev/zero")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"/dev/zero: file is larger than the {MAX_BYTES:,}-byte limit"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_an_endless_pipe_is_refused_at_the_size_limit(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)

    def endless_writer():
        try:
            with fifo.open("wb") as pipe:
                while True:
                    pipe.write(b"# " + b"y" * 65_533 + b"\n")
        except (BrokenPipeError, OSError):
            pass

    writer = threading.Thread(target=endless_writer, daemon=True)
    writer.start()
    done = read_in_small_process(str(fifo))
    writer.join(timeout=10)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(f"file is larger than the {MAX_BYTES:,}-byte limit")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_scenario_from_a_pipe_is_read(tmp_path):
    # `simulate validate <(generate-scenario)` gives a pipe: it must still work.
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(BASELINE.read_bytes()), daemon=True)
    writer.start()
    assert resolve_scenario(fifo).scenario.name == "baseline_ffs"
    writer.join(timeout=10)


# ---------------------------------------------------------------------------------------
# Duplicate keys (variants beyond the plain case in test_bad_input.py)


@pytest.mark.parametrize(
    ("text", "line", "first", "field"),
    [
        ('seed: 1\n"seed": 2\n', 4, 3, "seed"),  # quoted and plain spell the same key
        ("output: {episode_log: true, episode_log: false}\n", 3, 3, "output.episode_log"),
        (
            "teams:\n  - name: orthopaedics\n    physicians: 3\n    physicians: 4\n",
            6,
            5,
            "teams[0].physicians",
        ),
    ],
    ids=["quoted_and_plain", "flow_mapping", "inside_a_list_item"],
)
def test_duplicate_key_variants_name_both_lines(tmp_path, text, line, first, field):
    error = refusal(write(tmp_path / "dup.yaml", HEADER + text))
    assert (error.line, error.field) == (line, field)
    assert f"(first given on line {first})" in error.message


# ---------------------------------------------------------------------------------------
# Tags: nothing is ever constructed, let alone executed


def python_tag_cases(marker: Path) -> dict[str, tuple[str, int]]:
    """Files holding tags (own lines start at 3) and the line each must be refused on."""
    touch = f"[touch, {marker}]"
    return {
        "name": ("seed: !!python/name:os.system\n", 3),
        "object_new": (f"description: !!python/object/new:subprocess.Popen [{touch}]\n", 3),
        "object_apply_call": (
            f"description: !!python/object/apply:subprocess.call [{touch}]\n",
            3,
        ),
        "module": ("description: !!python/module:os\n", 3),
        "object_mapping": ("output: !!python/object:simulate.errors.ScenarioError {}\n", 3),
        "tag_directive": (
            "%TAG !p! tag:yaml.org,2002:python/\n---\n"
            f"name: trap\nextends: {BASELINE}\n"
            f"description: !p!object/apply:os.system ['touch {marker}']\n",
            5,
        ),
        "verbatim_tag": (
            f"description: !<tag:yaml.org,2002:python/object/apply:os.system> ['touch {marker}']\n",
            3,
        ),
        "on_a_key": ("? !!python/name:os.system\n: 1\n", 3),
        "in_a_list": (f"description: [a, !!python/object/apply:os.system ['touch {marker}']]\n", 3),
        "behind_an_unused_anchor": (
            f"unused: &x !!python/object/apply:os.system ['touch {marker}']\nseed: 1\n",
            3,
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "name",
        "object_new",
        "object_apply_call",
        "module",
        "object_mapping",
        "tag_directive",
        "verbatim_tag",
        "on_a_key",
        "in_a_list",
        "behind_an_unused_anchor",
    ],
)
def test_python_tags_are_refused_and_nothing_runs(tmp_path, case):
    marker = tmp_path / "executed"
    text, line = python_tag_cases(marker)[case]
    if not text.startswith("%TAG"):
        text = HEADER + text
    error = refusal(write(tmp_path / "tagged.yaml", text))
    assert error.line == line
    assert "the YAML tag '!!python/" in error.message
    assert "is not allowed" in error.message
    assert not marker.exists()


def test_a_python_tag_in_the_parent_file_is_refused_there(tmp_path):
    marker = tmp_path / "executed"
    parent = write(
        tmp_path / "parent.yaml",
        HEADER + f"description: !!python/object/apply:os.system ['touch {marker}']\n",
    )
    child = write(tmp_path / "child.yaml", "extends: parent.yaml\nname: child\n")
    error = refusal(child)
    assert (error.file, error.line, error.field) == (str(parent), 3, "description")
    assert not marker.exists()


@pytest.mark.parametrize("tag", ["!!binary", "!!set", "!!omap", "!!pairs"])
def test_standard_tags_beyond_plain_values_are_refused(tmp_path, tag):
    value = {"!!binary": "aGVsbG8=", "!!set": "{a, b}", "!!omap": "[a: 1]", "!!pairs": "[a: 1]"}
    path = write(tmp_path / "tag.yaml", HEADER + f"description: {tag} {value[tag]}\n")
    error = refusal(path)
    assert (error.line, error.field) == (3, "description")
    assert f"the YAML tag '{tag}' is not allowed" in error.message


def test_a_tag_spelling_a_line_break_stays_on_one_line(tmp_path):
    # '%0A' in a tag is a URI escape for a newline; the message shows it escaped.
    error = refusal(write(tmp_path / "tag.yaml", HEADER + "seed: !a%0Ab 3\n"))
    assert "the YAML tag '!a\\nb' is not allowed" in error.message


# ---------------------------------------------------------------------------------------
# Bytes that are not UTF-8 text (Latin-1 and control characters: test_bad_input.py)


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        (HEADER.encode("utf-16"), 1),  # UTF-16 with its byte-order mark
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", 1),
        (b"\x1f\x8b\x08\x00" + bytes(range(256)), 1),
        (HEADER.encode() + b"description: caf\xe9\n", 3),
    ],
    ids=["utf16", "png", "gzip", "latin1_on_line_3"],
)
def test_binary_files_are_refused_as_not_utf8(tmp_path, raw, line):
    path = tmp_path / "binary.yaml"
    path.write_bytes(raw)
    error = refusal(path)
    assert (error.file, error.line, error.field) == (str(path), None, None)
    assert error.message.startswith("file is not UTF-8 text")
    assert f"on line {line}" in error.message


def test_a_nul_byte_in_utf8_text_is_refused_at_its_line(tmp_path):
    path = tmp_path / "nul.yaml"
    path.write_bytes(HEADER.encode() + b"seed: 1\ndescription: a\x00b\n")
    error = refusal(path)
    assert error.line == 4
    assert "#x0000 is not allowed" in error.message


def test_utf8_byte_order_mark_and_windows_line_ends_are_fine(tmp_path):
    path = tmp_path / "windows.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASELINE.read_bytes().replace(b"\n", b"\r\n"))
    assert resolve_scenario(path).scenario == resolve_scenario(BASELINE).scenario
    path.write_bytes((HEADER + "seed: 1\nreplications: -1\n").replace("\n", "\r\n").encode())
    assert refusal(path).line == 4


# ---------------------------------------------------------------------------------------
# Names and numbers no file system or float can hold (found by tests/test_fuzz.py)


def test_a_file_name_too_long_is_refused_on_the_command_line():
    name = "a" * 300 + ".yaml"
    result = runner.invoke(app, ["validate", name])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {name}: cannot read file: File name too long"


@pytest.mark.parametrize(
    ("extends", "shown"),
    [("a" * 300, "a" * 300), ("a\x00b", "a\\x00b"), ("a\nb", "a\\nb")],
    ids=["too_long", "nul", "newline"],
)
def test_extends_names_that_cannot_be_files_are_refused(tmp_path, extends, shown):
    path = tmp_path / "child.yaml"
    path.write_text(f'name: child\nextends: "{extends.encode("unicode_escape").decode()}"\n')
    error = refusal(path)
    assert (error.line, error.field) == (2, "extends")
    assert f"file '{shown}' not found" in error.message


@pytest.mark.parametrize(
    "text",
    [
        "seed: " + "1" * 5_000 + "\n",  # Python refuses to read decimal text this long
        "seed: 0x" + "f" * 5_000 + "\n",  # reads it, but could not print it
        "? 0x" + "f" * 5_000 + "\n: 1\n",  # as a key
    ],
    ids=["decimal", "hexadecimal", "key"],
)
def test_numbers_with_thousands_of_digits_are_refused(tmp_path, text):
    error = refusal(write(tmp_path / "long.yaml", HEADER + text))
    assert error.line == 3
    assert error.message == f"a number of more than {MAX_DIGITS:,} digits is not allowed"


def test_a_capitation_list_too_large_to_pay_is_refused():
    assignment = "payment.capitation.list_size_per_physician=" + "9" * 400
    with pytest.raises(ScenarioError) as caught:
        resolve_scenario("capitation", [assignment])
    assert caught.value.field == "payment.capitation.list_size_per_physician"
    assert "too large to pay" in caught.value.message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('"a\\nb": 1\n', "unknown key 'a\\nb'"),
        ('"a\\u2028b": 1\n', "unknown key 'a\\u2028b'"),
        (
            'incentives:\n  - {type: target, metric: "x\\ny", threshold: 1, amount: 1}\n',
            "unknown metric 'x\\ny'",
        ),
        (
            "conditions:\n  - {name: c, arrival_rate: 1, base_cost: 1, treatment_days: 1, "
            "complication_rate: 0, readmission_rate: 0, health_gain_qalys: 0, "
            'recovery_days: 0, teams: ["a\\rb"]}\n',
            "no team named 'a\\rb'",
        ),
    ],
    ids=["key", "unicode_line_separator", "metric", "team"],
)
def test_line_breaks_in_what_the_user_wrote_are_shown_escaped(tmp_path, text, says):
    error = refusal(write(tmp_path / "breaks.yaml", HEADER + text))
    assert says in error.message
