"""The house as built: every package says what it holds, imports run one way, no circles.

The imports are read from each module's syntax tree, function bodies included (an import
inside a function is still a dependency); only imports under ``if TYPE_CHECKING:`` are left
out, since they exist for annotations alone.  Layers, bottom to top (README, Layout):

``priors`` → ``sme.runtime`` and ``sme.engine`` → ``sme.scenario`` → ``sme.files`` →
``sme.figures`` → ``sme.analysis`` (the facade) → ``sme.studies`` → ``search`` → ``tui`` →
the faces (``sme.commands``, ``sme.cli``, ``sme.api``, ``sme.experiments``,
``sme.benchmarks``, the ``sme`` package itself).

A module may import its own layer and the layers below it; ``sme.engine`` imports nothing of
ours but ``priors`` and itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("priors", "sme", "search", "tui")

#: (module name prefix, layer); the longest matching prefix decides
LAYERS: dict[str, int] = {
    "priors": 0,
    "sme.runtime": 1,
    "sme.engine": 1,
    "sme.scenario": 2,
    "sme.files": 3,
    "sme.figures": 4,
    "sme.analysis": 5,
    "sme.studies": 6,
    "search": 7,
    "tui": 8,
    "sme.commands": 9,
    "sme.cli": 9,
    "sme.__main__": 9,
    "sme.api": 9,
    "sme.experiments": 9,
    "sme.benchmarks": 9,
    "sme.examples": 9,
    "sme": 9,
}
#: packages that may import nothing of ours but these prefixes
ISOLATED: dict[str, tuple[str, ...]] = {
    "sme.engine": ("priors", "sme.engine"),
    "priors": ("priors",),
}


def _module_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            files[".".join(parts)] = path
    for path in sorted((ROOT / "examples").glob("*.py")):
        files[f"sme.examples.{path.stem}"] = path
    return files


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append(child)
            visit(child)

    visit(tree)
    return found


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """The module of ours that ``name`` (a module or a name inside one) refers to."""
    while name not in modules and "." in name:
        name = name.rsplit(".", 1)[0]
    return name if name in modules else None


def import_graph() -> nx.DiGraph:
    """Module → the modules of ours it imports (an edge per pair)."""
    modules = _module_files()
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        if name.startswith("sme.examples"):
            package = "sme.examples"
        for node in _runtime_imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                targets = [f"{source}.{alias.name}" for alias in node.names]
            else:
                targets = [alias.name for alias in node.names]
            for target in targets:
                owner = _owner(target, modules)
                if owner is not None and owner != name:
                    graph.add_edge(name, owner, line=node.lineno)
    return graph


def _prefix(name: str, table: dict[str, object]) -> str | None:
    matches = [p for p in table if name == p or name.startswith(p + ".")]
    return max(matches, key=len) if matches else None


def layer_of(name: str) -> int:
    prefix = _prefix(name, LAYERS)
    if prefix is None:
        raise AssertionError(f"module {name} is in no layer: add it to LAYERS and README")
    return LAYERS[prefix]


def layer_violations(graph: nx.DiGraph) -> list[str]:
    """``module:line imports other`` for every import of a higher layer or out of bounds."""
    problems = []
    for source, target, data in graph.edges(data=True):
        where = f"{source}:{data['line']} imports {target}"
        if layer_of(target) > layer_of(source):
            problems.append(f"{where} (layer {layer_of(target)} above {layer_of(source)})")
        isolated = _prefix(source, ISOLATED)
        if isolated is not None and _prefix(target, dict.fromkeys(ISOLATED[isolated])) is None:
            problems.append(f"{where} ({isolated} imports only {', '.join(ISOLATED[isolated])})")
    return sorted(problems)


def circles(graph: nx.DiGraph) -> list[list[str]]:
    """The import circles: strongly connected sets of two or more modules."""
    return [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]


def test_every_module_is_in_a_layer() -> None:
    for name in import_graph():
        layer_of(name)


def test_lower_layers_never_import_higher_ones() -> None:
    assert layer_violations(import_graph()) == []


def test_no_import_circles_counting_imports_inside_functions() -> None:
    assert circles(import_graph()) == []


def test_every_package_says_in_one_line_what_it_holds() -> None:
    for package in PACKAGES:
        for init in sorted((ROOT / package).rglob("__init__.py")):
            doc = ast.get_docstring(ast.parse(init.read_text()))
            assert doc, f"{init.relative_to(ROOT)} has no docstring"
            first = doc.strip().splitlines()[0]
            assert first.endswith((".", ":")) and len(first) > 20, \
                f"{init.relative_to(ROOT)}: the first line must say what the folder holds"


def test_readme_layout_names_every_folder() -> None:
    layout = (ROOT / "README.md").read_text().split("## Layout", 1)[1]
    for package in PACKAGES:
        for init in sorted((ROOT / package).rglob("__init__.py")):
            folder = f"{init.parent.relative_to(ROOT).as_posix()}/"
            assert folder in layout, f"README's Layout section does not name {folder}"


# the checks themselves must be able to fail: a circle and an upward import made on purpose
def _graph_of(edges: list[tuple[str, str]]) -> nx.DiGraph:
    graph = nx.DiGraph()
    for source, target in edges:
        graph.add_edge(source, target, line=1)
    return graph


@pytest.mark.parametrize(("edges", "expected"), [
    ([("sme.engine.phases", "sme.analysis")], "layer 5 above 1"),
    ([("sme.engine.envelope_faces", "sme.runtime.errors")], "sme.engine imports only"),
    ([("sme.files.export", "sme.studies.check")], "layer 6 above 3"),
    ([("priors.params", "sme.runtime.errors")], "priors imports only"),
])
def test_an_upward_import_is_reported(edges: list[tuple[str, str]], expected: str) -> None:
    problems = layer_violations(_graph_of(edges))
    assert any(expected in line for line in problems)


def test_an_import_inside_a_function_is_seen_and_type_checking_is_not() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from sme.analysis import Analysis\n"
        "def f():\n    from sme.engine.phases import Phase\n")
    names = [n.module for n in _runtime_imports(tree) if isinstance(n, ast.ImportFrom)]
    assert names == ["typing", "sme.engine.phases"]


def test_a_circle_is_found() -> None:
    graph = _graph_of([("sme.engine.equilibria", "sme.engine.wide_equilibria"),
                       ("sme.engine.wide_equilibria", "sme.engine.equilibria")])
    assert circles(graph) == [["sme.engine.equilibria", "sme.engine.wide_equilibria"]]
