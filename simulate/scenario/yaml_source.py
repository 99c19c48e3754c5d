"""Safe YAML reading that remembers where every value came from.

Only plain YAML types are built (mappings, sequences, strings, numbers, booleans,
null); tags that would build Python objects are refused by PyYAML's safe loader.
Duplicate keys are errors (plain PyYAML silently keeps the last one). Alias expansion,
nesting depth and input size are bounded so hostile files fail fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from simulate.errors import ScenarioError

Path_ = tuple[str | int, ...]

MAX_BYTES = 2_000_000
"""Largest scenario file read, in bytes."""
MAX_DEPTH = 40
"""Deepest nesting of mappings and sequences accepted."""
MAX_NODES = 200_000
"""Most values built from one document, aliases expanded (stops 'billion laughs')."""


@dataclass
class Located:
    """A YAML document as plain Python data plus the source line of every value path."""

    data: Any
    lines: dict[Path_, tuple[str, int]] = field(default_factory=dict)


def format_path(path: Path_) -> str:
    """``('teams', 0, 'nurses')`` -> ``teams[0].nurses``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def read_yaml_text(text: str, file: str) -> Located:
    """Parse one YAML document from ``text``; ``file`` is used in messages only."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise ScenarioError(f"file is larger than the {MAX_BYTES:,}-byte limit", file=file)
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            problem = exc.problem or "not valid YAML"
            raise ScenarioError(f"not valid YAML: {problem}", file=file, line=line) from None
        except yaml.YAMLError as exc:
            raise ScenarioError(f"not valid YAML: {exc}", file=file) from None
        located = Located(data=None)
        if node is None:
            located.data = {}
            return located
        builder = _Builder(loader, file, located.lines)
        located.data = builder.build(node, (), 0)
        return located
    finally:
        loader.dispose()


def read_yaml_file(path: Path) -> Located:
    """Read and parse a scenario file, with messages naming ``path``."""
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror}", file=name) from None
    if size > MAX_BYTES:
        raise ScenarioError(f"file is larger than the {MAX_BYTES:,}-byte limit", file=name)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError("file is not UTF-8 text", file=name) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror}", file=name) from None
    return read_yaml_text(text, name)


class _Builder:
    """Turns a composed YAML node tree into plain data, recording lines per path."""

    def __init__(self, loader: yaml.SafeLoader, file: str, lines: dict[Path_, tuple[str, int]]):
        self.loader = loader
        self.file = file
        self.lines = lines
        self.count = 0

    def _fail(self, message: str, node: yaml.Node, path: Path_) -> ScenarioError:
        return ScenarioError(
            message,
            file=self.file,
            line=node.start_mark.line + 1,
            field=format_path(path) or None,
        )

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self._fail(
                f"document expands to more than {MAX_NODES:,} values (alias bomb?)", node, path
            )
        if depth > MAX_DEPTH:
            raise self._fail(f"nesting deeper than {MAX_DEPTH} levels", node, path)
        self.lines.setdefault(path, (self.file, node.start_mark.line + 1))
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise self._fail("YAML merge keys ('<<') are not supported", key_node, path)
                key = self._scalar(key_node, path)
                if not isinstance(key, str | int | float | bool) or key is None:
                    raise self._fail("mapping keys must be plain strings", key_node, path)
                key = str(key)
                if key in out:
                    first = self.lines.get((*path, key), (self.file, "?"))[1]
                    raise self._fail(
                        f"duplicate key '{key}' (first given on line {first})",
                        key_node,
                        (*path, key),
                    )
                self.lines[(*path, key)] = (self.file, key_node.start_mark.line + 1)
                out[key] = self.build(value_node, (*path, key), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _scalar(self, node: yaml.Node, path: Path_) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self._fail("mapping keys must be plain strings", node, path)
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            problem = exc.problem or "value cannot be read"
            raise self._fail(f"not allowed: {problem}", node, path) from None
