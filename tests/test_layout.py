"""The house rules a reader relies on: modules short enough to hold in mind, no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGES = ("generators", "benchmarks")
MAX_LINES = 420  # "under ~400 lines": a little room before a file must be split


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def top_level_imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` (module ``name``) imports at its top level, for type checking
    too (``if TYPE_CHECKING``), but not inside functions, and not its own parent packages
    (importing a module always imports them first: that is no cycle)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = [*tree.body, *(n for node in tree.body if isinstance(node, ast.If) for n in node.body)]
    names: set[str] = set()
    for node in top:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                names.add(submodule if submodule in known else node.module)
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    parents = {name.rsplit(".", k)[0] for k in range(1, name.count(".") + 1)}
    return (names & known) - parents - {name}


def test_no_module_is_longer_than_a_reader_holds_in_mind():
    test_files = sorted((ROOT / "tests").rglob("*.py"))  # tests are read too
    long = {
        str(p.relative_to(ROOT)): n
        for p in [*modules().values(), *test_files]
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_import_graph_has_no_cycle():
    found = modules()
    graph = {name: top_level_imports(name, path, set(found)) for name, path in found.items()}
    cycles = []

    def visit(node: str, path: list[str], done: set[str]) -> None:
        for target in sorted(graph[node]):
            if target in path:
                cycles.append([*path[path.index(target) :], target])
            elif target not in done:
                visit(target, [*path, target], done)
        done.add(node)

    done: set[str] = set()
    for name in sorted(graph):
        if name not in done:
            visit(name, [name], done)
    assert cycles == []
