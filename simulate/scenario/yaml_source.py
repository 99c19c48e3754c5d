"""Safe YAML reading that remembers where every value came from.

Only plain YAML types are built (mappings, sequences, strings, numbers, booleans,
null); tags that would build Python objects are refused by PyYAML's safe loader.
Duplicate keys are errors (plain PyYAML silently keeps the last one). Alias expansion,
nesting depth and input size are bounded so hostile files fail fast.
"""

from __future__ import annotations

import stat
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
MAX_DIGITS = 1_000
"""Longest integer accepted, in decimal digits (Python itself stops at 4,300)."""
_TOO_MANY_DIGITS = 10**MAX_DIGITS

_STANDARD_PREFIX = "tag:yaml.org,2002:"
PLAIN_TAGS = frozenset(
    _STANDARD_PREFIX + name
    for name in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp", "merge")
)
"""Tags of the values a scenario may hold; any other tag (``!!python/...``) is refused."""


@dataclass
class Located:
    """A YAML document as plain Python data plus the source line of every value path."""

    data: Any
    lines: dict[Path_, tuple[str, int]] = field(default_factory=dict)


def one_line(text: str) -> str:
    """``text`` with line breaks and other unprintable characters written as escapes.

    Messages quote what the user wrote (keys, names, paths); a key such as ``"a\nb"``
    must not break the one-line error apart. Printable text, accents included, is kept.
    """
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


def format_path(path: Path_) -> str:
    """``('teams', 0, 'nurses')`` -> ``teams[0].nurses``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _line(mark: yaml.Mark | None) -> int | None:
    return mark.line + 1 if mark is not None else None


def explain_yaml_error(exc: yaml.MarkedYAMLError) -> tuple[int | None, str]:
    """The line to blame for a YAML syntax error and a plain-words description of it.

    PyYAML reports where it noticed the problem; for an unclosed bracket or quote the
    fix belongs where it was opened, so that line is given instead.
    """
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    line = _line(exc.problem_mark) or _line(exc.context_mark)
    opened = _line(exc.context_mark)
    for explain in (_unclosed, _misplaced):
        found = explain(problem, context, line, opened)
        if found is not None:
            return found
    text = problem or "not valid YAML"
    if context and not context.startswith("while"):
        text = f"{context}, {text}"
    return line, text


_Explained = tuple[int | None, str] | None


def _unclosed(problem: str, context: str, line: int | None, opened: int | None) -> _Explained:
    """A bracket, brace or quote opened and not closed: blamed where it was opened."""
    if context.startswith("while parsing a flow") and problem.startswith("expected ','"):
        pair = ("[", "]") if "sequence" in context else ("{", "}")
        found = problem.rsplit("but got ", 1)[-1]
        found = "the end of the file" if found == "'<stream end>'" else found
        return opened or line, (
            f"the '{pair[0]}' opened on line {opened} is not closed "
            f"(expected ',' or '{pair[1]}' but found {found} on line {line})"
        )
    if "quoted scalar" in context and "end of stream" in problem:
        return opened or line, f"the quoted text opened on line {opened} is not closed"
    return None


def _misplaced(problem: str, context: str, line: int | None, opened: int | None) -> _Explained:
    """Tabs, bad indentation, a stray ':', a missing ':' or a second document."""
    if "found character '\\t'" in problem:
        return line, "a tab is used for indentation; YAML indents with spaces only"
    if problem.startswith("expected <block end>") and "<block" in problem.split("found", 1)[-1]:
        return line, (
            "bad indentation: this line is not lined up with the keys or list items above it"
        )
    if problem == "mapping values are not allowed here":
        return line, (
            "unexpected ':' (is this line indented too far, or does a value containing "
            "': ' need quotes?)"
        )
    if problem == "could not find expected ':'" and context.startswith("while scanning a simple"):
        return opened or line, "expected 'key: value' but this line has no ':'"
    if problem == "but found another document":
        return line, "a second YAML document ('---'); a scenario file holds one document"
    return None


def _too_deep_line(text: str) -> int | None:
    """Line where nesting first goes deeper than MAX_DEPTH (the parser is not recursive)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return event.start_mark.line + 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass
    return None


class _DepthLimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing nesting deeper than MAX_DEPTH as it composes.

    PyYAML composes recursively, and its scanner slows down with the square of the depth
    of flow collections (``[[[[...``); stopping at MAX_DEPTH keeps both cheap.
    """

    def __init__(self, stream: str, file: str) -> None:
        super().__init__(stream)
        self.file = file
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.depth > MAX_DEPTH:
            line = self.peek_event().start_mark.line + 1
            raise ScenarioError(
                f"nesting deeper than {MAX_DEPTH} levels", file=self.file, line=line
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def read_yaml_text(text: str, file: str) -> Located:
    """Parse one YAML document from ``text``; ``file`` is used in messages only."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise ScenarioError(f"file is larger than the {MAX_BYTES:,}-byte limit", file=file)
    try:
        loader = _DepthLimitedLoader(text, file)  # checks for unprintable characters at once
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1 if isinstance(exc.position, int) else None
        raise ScenarioError(
            f"not valid YAML: character #x{exc.character:04X} is not allowed "
            "(a control or other unprintable character)",
            file=file,
            line=line,
        ) from None
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            line, problem = explain_yaml_error(exc)
            raise ScenarioError(f"not valid YAML: {problem}", file=file, line=line) from None
        except RecursionError:
            raise ScenarioError(
                f"nesting deeper than {MAX_DEPTH} levels", file=file, line=_too_deep_line(text)
            ) from None
        except yaml.YAMLError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
            raise ScenarioError(f"not valid YAML: {first}", file=file) from None
        located = Located(data=None)
        if node is None:
            located.data = {}
            return located
        _refuse_expansion(node, file)
        builder = _Builder(loader, file, located.lines)
        located.data = builder.build(node, (), 0)
        return located
    finally:
        loader.dispose()


def read_yaml_file(path: Path) -> Located:
    """Read and parse a scenario file, with messages naming ``path``.

    At most ``MAX_BYTES + 1`` bytes are read, whatever the file claims to be: a device
    such as ``/dev/zero`` or an endless pipe reports size 0 but never ends.
    """
    name = str(path)
    too_large = ScenarioError(f"file is larger than the {MAX_BYTES:,}-byte limit", file=name)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ScenarioError("is a folder, not a scenario file (give a .yaml file)", file=name)
        if info.st_size > MAX_BYTES:
            raise too_large
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror}", file=name) from None
    if len(raw) > MAX_BYTES:
        raise too_large
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            f"file is not UTF-8 text (byte 0x{raw[exc.start]:02X} on line {line} cannot be "
            "read; save the file as UTF-8)",
            file=name,
        ) from None
    # universal newlines, as text-mode reading gives: '\r\n' and '\r' end lines
    return read_yaml_text(text.replace("\r\n", "\n").replace("\r", "\n"), name)


def _value_nodes(node: yaml.Node) -> list[tuple[str | int, yaml.Node]]:
    """The children the builder turns into values, labelled by key or index."""
    if isinstance(node, yaml.MappingNode):
        return [
            (key.value if isinstance(key, yaml.ScalarNode) else "?", value)
            for key, value in node.value
        ]
    if isinstance(node, yaml.SequenceNode):
        return list(enumerate(node.value))
    return []


def _refuse_expansion(root: yaml.Node, file: str) -> None:
    """Refuse a document that expands to more than MAX_NODES values, before building it.

    Aliases make the composed nodes a graph that shares nodes (and, with an alias inside
    its own anchor, a cycle). Sizes are counted once per node, so a 'billion laughs'
    costs time and memory in proportion to the file, not to its expansion. The node
    blamed is the one at which building would pass the limit (or the nesting depth).
    """
    cap = MAX_NODES + 1
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            # a child still without a size is an ancestor: a cycle, endless expansion
            total = 1 + sum(sizes.get(id(child), cap) for _, child in _value_nodes(node))
            sizes[key] = min(total, cap)
        elif key not in sizes and key not in on_path:
            on_path.add(key)
            stack.append((node, True))
            stack.extend((child, False) for _, child in _value_nodes(node))
    if sizes[id(root)] <= MAX_NODES:
        return
    budget, node, path = MAX_NODES, root, ()
    message = f"document expands to more than {MAX_NODES:,} values (alias bomb?)"
    for depth in range(MAX_NODES + 1):
        budget -= 1
        if budget < 0:
            break
        if depth > MAX_DEPTH:
            message = f"nesting deeper than {MAX_DEPTH} levels"
            break
        for label, child in _value_nodes(node):
            size = sizes.get(id(child), cap)
            if size > budget:
                node, path = child, (*path, label)
                break
            budget -= size
        else:  # cannot happen: a node is entered only when its values do not fit
            break
    raise ScenarioError(
        message, file=file, line=node.start_mark.line + 1, field=format_path(path) or None
    )


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
        self._check_tag(node, path)
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

    def _check_tag(self, node: yaml.Node, path: Path_) -> None:
        if node.tag in PLAIN_TAGS:
            return
        tag = node.tag
        if tag.startswith(_STANDARD_PREFIX):
            tag = "!!" + tag[len(_STANDARD_PREFIX) :]
        raise self._fail(
            f"the YAML tag '{tag}' is not allowed; a scenario holds only plain values "
            "(mappings, lists, text, numbers, true/false, null)",
            node,
            path,
        )

    def _scalar(self, node: yaml.Node, path: Path_) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self._fail("mapping keys must be plain strings", node, path)
        self._check_tag(node, path)
        if node.tag == _STANDARD_PREFIX + "timestamp":
            return node.value  # a date is text here; no scenario field holds a date
        too_long = f"a number of more than {MAX_DIGITS:,} digits is not allowed"
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            problem = exc.problem or "value cannot be read"
            raise self._fail(f"not allowed: {problem}", node, path) from None
        except ValueError:  # int() refuses decimal text of more than 4,300 digits
            raise self._fail(too_long, node, path) from None
        if isinstance(value, int) and abs(value) >= _TOO_MANY_DIGITS:
            raise self._fail(too_long, node, path)  # e.g. from hexadecimal, which int() reads
        return value
