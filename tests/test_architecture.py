"""The shape of the code: which package may import which, no import cycle, no oversized module.

The import graph is read with `ast` from the sources of config/, responsibility/, accountability/ and
accounts/ (migrations aside): every `import` and `from … import`, relative ones resolved. Imports at
the top level of a module make the module-level graph, which must be acyclic; imports inside
functions (lazy imports) are allowed and listed for information.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "responsibility", "accountability", "accounts")
MAX_LINES = 400
# Modules allowed past MAX_LINES, each with its reason (keep this list short).
LARGE_MODULES = {
    "responsibility/chain.py": "one cohesive rule set: the chain resolution, one small function per rule",
    "responsibility/models.py": "the responsibility system's models, one cohesive schema",
    "responsibility/workbook.py": "one cohesive spreadsheet import/export format",
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(module: str, path: Path, node: ast.AST) -> list[str]:
    """The project modules one import statement loads (a `from package import name` may name a submodule)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = _resolve(module, path, node)
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names
        ]
    found = set()
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)
    return sorted(found)


def _run_at_import(node: ast.AST):
    """Ids of the import statements executed when the module is imported: everything but function bodies
    (an `if`, a `try` or a class body at the top level runs at import time)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield id(child)
        yield from _run_at_import(child)


def _graphs() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(top-level imports, imports inside functions or classes) per module."""
    top: dict[str, set[str]] = {m: set() for m in MODULES}
    lazy: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = set(_run_at_import(tree))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                (top if id(node) in top_level else lazy)[module].update(_targets(module, path, node))
    return top, lazy


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each as a cycle found in it."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return components


def _a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One concrete cycle inside a strongly connected component, for the failure message."""
    members = set(component)
    start = component[0]
    path, seen = [start], {start}
    while True:
        nxt = sorted(graph[path[-1]] & members)
        back = [w for w in nxt if w == start]
        if back and len(path) > 1:
            return path + [start]
        step = next((w for w in nxt if w not in seen), None)
        if step is None:
            return path + ["…"]
        path.append(step)
        seen.add(step)


def test_responsibility_never_imports_accountability():
    top, lazy = _graphs()
    offenders = sorted(
        f"{m} → {t}"
        for m in MODULES
        if m.startswith("responsibility")
        for t in top[m] | lazy[m]
        if t.startswith("accountability")
    )
    assert not offenders, "responsibility must not depend on accountability:\n" + "\n".join(offenders)


def test_no_import_cycle_at_module_level():
    top, lazy = _graphs()
    cycles = [_a_cycle(top, c) for c in _cycles(top)]
    lazy_edges = sorted(f"{m} → {t}" for m in MODULES for t in lazy[m] - top[m])
    with_lazy = {m: top[m] | lazy[m] for m in MODULES}
    print(f"\nimport graph: {len(MODULES)} modules, {sum(map(len, top.values()))} module-level imports")
    print(f"function-level (lazy) imports: {len(lazy_edges)}")
    for edge in lazy_edges:
        print(f"  {edge}")
    lazy_cycles = _cycles(with_lazy)
    print(f"cycles when lazy imports are counted too (informative): {len(lazy_cycles)}")
    for component in lazy_cycles:
        print("  " + " → ".join(_a_cycle(with_lazy, component)))
    assert not cycles, "import cycles at module level:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_no_module_over_the_size_limit_unless_listed():
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in MODULES.values()
    }
    too_big = sorted(
        f"{name}: {n} lines" for name, n in sizes.items() if n > MAX_LINES and name not in LARGE_MODULES
    )
    assert not too_big, (
        f"modules over {MAX_LINES} lines (split them, or list them with a reason):\n" + "\n".join(too_big)
    )
    stale = sorted(name for name in LARGE_MODULES if sizes.get(name, 0) <= MAX_LINES)
    assert not stale, "listed as large but no longer are (drop them from LARGE_MODULES): " + ", ".join(stale)
