"""The house rules of ../shared/DESIGN.md that code can check: the accounting core,
the payer and physicians' behaviour are pure (no SimPy, no world)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PURE = ("simulate.accounts", "simulate.incentives", "simulate.behaviour", "simulate.clinical")


@pytest.mark.parametrize("package", PURE)
def test_pure_packages_load_neither_simpy_nor_the_world(package):
    code = (
        f"import sys, {package}\n"
        "import simulate.incentives.payer, simulate.behaviour.adaptive\n"
        "loaded = [m for m in sys.modules if m == 'simpy' or m.startswith('simpy.')\n"
        "          or m in ('simulate.model.world', 'simulate.experiment.replications')]\n"
        "print(','.join(loaded))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def imports_between_packages() -> dict[str, set[str]]:
    """Subpackage -> subpackages it imports at run time (``TYPE_CHECKING`` blocks aside)."""
    import ast
    from pathlib import Path

    import simulate

    root = Path(simulate.__file__).parent
    edges: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        package = parts[0] if len(parts) > 1 else "<root>"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                node.body = []
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                bits = name.split(".")
                if bits[0] == "simulate" and len(bits) > 1 and bits[1] != package:
                    edges.setdefault(package, set()).add(bits[1])
    return edges


def test_no_import_cycles_between_subpackages():
    edges = imports_between_packages()
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                cycle = [*path[path.index(target) :], target] if target in path else [node, target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, [*path, target])
        state[node] = "done"

    for package in sorted(edges):
        if package not in state:
            visit(package, [package])
    # the rules of DESIGN.md: the world never imports what runs experiments or writes
    assert not edges.get("model", set()) & {"experiment", "output", "report", "cli"}
    for pure in ("accounts", "incentives", "behaviour", "clinical"):
        assert "model" not in edges.get(pure, set()), pure


def test_every_package_and_bundled_file_is_in_the_distribution():
    """A plain (non-editable) install ships only the packages and data pyproject lists."""
    import fnmatch
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    listed = set(config["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(root).parts)
        for init in (root / "simulate").rglob("__init__.py")
    }
    assert on_disk - listed == set()
    patterns = config["setuptools"]["package-data"]["simulate.scenarios"]
    bundled = root / config["setuptools"]["package-dir"]["simulate.scenarios"]
    for path in bundled.rglob("*.yaml"):
        name = path.relative_to(bundled).as_posix()
        assert any(fnmatch.fnmatch(name, p) and name.count("/") == p.count("/") for p in patterns)
