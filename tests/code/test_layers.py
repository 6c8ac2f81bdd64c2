"""Imports run one way (docs/architecture.md): every import is read, those inside functions included.

The layers, bottom to top: ``core`` → ``features`` → ``models`` → ``fairness`` → ``training`` → ``serving``, with
``synth`` (the simulator) on the product and ``tegenkracht`` (the CLI) on everything. A package may import its own
layer and any layer below; an import that runs upward, however deep in a function, fails this test with its file
and line. Module-level cycles inside a package fail too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: What each layer may import besides itself; everything not named here is off limits.
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "features": frozenset({"core"}),
    "models": frozenset({"core", "features"}),
    "fairness": frozenset({"core", "features", "models"}),
    "training": frozenset({"core", "features", "models", "fairness"}),
    "serving": frozenset({"core", "features", "models", "fairness", "training"}),
    "synth": frozenset({"core", "features"}),
    "tegenkracht": frozenset({"core", "features", "models", "fairness", "training", "serving", "synth"}),
}
PROJECT = frozenset(ALLOWED)


@dataclass(frozen=True)
class Import:
    """One import statement of a project module: where it stands and which project module it names."""

    file: str
    line: int
    source: str  # the importing module, dotted
    target: str  # the imported module, dotted
    top_level: bool

    @property
    def layers(self) -> tuple[str, str]:
        return self.source.split(".")[0], self.target.split(".")[0]


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The dotted module a relative ``from . import x`` names."""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, node.module] if node.module else base)


def imports(root: Path) -> Iterator[Import]:
    """Every import of a project module under ``root``'s layer packages, at any depth of the code."""
    for layer in sorted(PROJECT):
        for path in sorted((root / layer).rglob("*.py")) if (root / layer).is_dir() else ():
            module = _module_name(root, path)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            top = {id(n) for n in tree.body}
            top |= {id(m) for n in tree.body if isinstance(n, ast.If | ast.Try) for m in ast.walk(n)}
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    target = _absolute(node, module, path.name == "__init__.py") if node.level else node.module or ""
                    # `from package import submodule` names the submodule too
                    names = [target, *(f"{target}.{a.name}" for a in node.names)]
                for name in names:
                    if name.split(".")[0] in PROJECT:
                        rel = str(path.relative_to(root))
                        yield Import(rel, node.lineno, module, name, id(node) in top)


def upward(root: Path) -> list[str]:
    """Every import that runs against the allowed direction, as ``file:line: a imports b``."""
    bad = []
    for imp in imports(root):
        here, there = imp.layers
        if here != there and there not in ALLOWED[here]:
            bad.append(f"{imp.file}:{imp.line}: {imp.source} imports {imp.target} ({here} may not import {there})")
    return sorted(set(bad))


def module_cycles(root: Path) -> list[list[str]]:
    """Cycles among modules through their top-level imports (an import inside a function breaks none)."""
    modules = {
        _module_name(root, p) for layer in PROJECT if (root / layer).is_dir() for p in (root / layer).rglob("*.py")
    }
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in imports(root):
        own_package = imp.source.startswith(imp.target + ".")  # a module importing its own package's __init__
        if imp.top_level and imp.target in modules and imp.target != imp.source and not own_package:
            graph[imp.source].add(imp.target)
    return [sorted(c) for c in _strongly_connected(graph) if len(c) > 1]


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the import graph is a few hundred modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
    return found


def test_every_import_runs_down_the_layers() -> None:
    assert upward(ROOT) == []


def test_no_module_level_import_cycle() -> None:
    assert module_cycles(ROOT) == []


def test_the_product_never_imports_the_simulator_or_the_cli() -> None:
    offenders = [
        f"{i.file}:{i.line}: {i.target}"
        for i in imports(ROOT)
        if i.layers[0] in {"core", "features", "models", "fairness", "training", "serving"}
        and i.layers[1] in {"synth", "tegenkracht"}
    ]
    assert offenders == []


def test_an_import_inside_a_function_says_why() -> None:
    """In the product, a project import inside a function is there for start-up time, and its comment says so."""
    unexplained = []
    for imp in imports(ROOT):
        if imp.top_level or imp.layers[0] in {"tegenkracht", "synth"}:
            continue
        lines = (ROOT / imp.file).read_text(encoding="utf-8").splitlines()
        here, above = lines[imp.line - 1], lines[imp.line - 2].strip()
        if "#" not in here and not above.startswith("#"):
            unexplained.append(f"{imp.file}:{imp.line}: {here.strip()}")
    assert sorted(set(unexplained)) == []


def test_the_reader_sees_imports_inside_functions() -> None:
    """The checker reads the real tree: it finds imports at every depth, and more than a handful of them."""
    found = list(imports(ROOT))
    assert any(not i.top_level for i in found), "no import inside a function was read"
    assert sum(i.top_level for i in found) > 300


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for layer in PROJECT:
        (tmp_path / layer).mkdir(exist_ok=True)
        (tmp_path / layer / "__init__.py").touch()
    return tmp_path


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"features/x.py": "from serving.api import app\n"}, "features.x imports serving.api (features may not"),
        (  # deep inside a function, where a hidden import used to dodge a cycle
            {"fairness/run.py": "def f():\n    if True:\n        import training.registry\n"},
            "fairness.run imports training.registry (fairness may not import training)",
        ),
        ({"core/io.py": "from features import schemas\n"}, "core.io imports features (core may not import features)"),
        ({"models/risk.py": "from synth import world\n"}, "models.risk imports synth (models may not import synth)"),
        ({"serving/a.py": "import tegenkracht.cli\n"}, "serving.a imports tegenkracht.cli"),
        ({"synth/w.py": "from training.labels import x\n"}, "synth.w imports training.labels"),
    ],
)
def test_an_upward_import_fails_with_file_and_line(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    bad = upward(_tree(tmp_path, files))
    assert bad and any(expected in b for b in bad), bad
    assert all(":1:" in b or ":3:" in b for b in bad)


def test_a_downward_or_relative_import_passes(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "serving/a.py": "from core import settings\nfrom training import registry\nfrom . import b\n",
            "serving/b.py": "import numpy\n",
            "tegenkracht/cli.py": "from synth import world\nfrom serving import a\n",
        },
    )
    assert upward(root) == []


def test_a_cycle_between_two_modules_is_found(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {"fairness/audit.py": "from fairness import report\n", "fairness/report.py": "import fairness.audit\n"},
    )
    assert module_cycles(root) == [["fairness.audit", "fairness.report"]]
    lazy = _tree(tmp_path, {"fairness/report.py": "def f():\n    import fairness.audit\n"})
    assert module_cycles(lazy) == []
