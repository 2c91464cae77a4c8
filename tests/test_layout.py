"""The package layout: the import graph has no circle, every arrow points toward the core, the
core imports only the standard library, and no underscored name crosses a folder. (Files are
split by concept, never by length, so no line count is checked.)

The graph is read from the source with `ast` (no import is run): an edge ``a -> b`` for every
``import b`` / ``from b import ...`` in module ``a``. Module-level imports are the ones that run
on ``import a``; imports inside functions run later (lazy) and only count for the direction rules.
Imports under ``if TYPE_CHECKING:`` never run and are left out.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "nn", "demos")
ENTRY_POINTS = {"engine.__main__", "engine.cli.__main__"}

# Which layer may import which (lazy imports included). The core may import only itself.
ALLOWED = {
    "core": {"core"},
    "functional": {"core", "functional"},
    "replay": {"core", "functional", "replay"},
    "engine": {"core", "functional", "replay", "engine"},  # engine/__init__ and shared helpers
    "draw": {"core", "functional", "engine", "draw"},
    "step": {"core", "functional", "engine", "draw", "step"},
    "cli": {"core", "functional", "engine", "replay", "draw", "step", "cli"},
    "nn": {"core", "functional", "engine", "replay", "draw", "step", "cli", "nn"},
    "demos": {"core", "functional", "engine", "replay", "draw", "step", "cli", "nn", "demos"},
}
# Optional third-party packages the core may import lazily, inside the function that needs them.
CORE_LAZY_THIRD_PARTY = {"numpy", "torch"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


MODULES = all_modules()


def layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "engine":
        return parts[0]
    if len(parts) > 1 and parts[1] in ("core", "functional", "replay", "draw", "step", "cli"):
        return parts[1]
    return "engine"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(module: str, node: ast.ImportFrom) -> list[str]:
    """The modules a ``from X import a, b`` names: X.a where that is a module, else X."""
    if node.level:
        base = module.split(".")
        is_package = MODULES.get(module, Path()).name == "__init__.py"
        base = base[: len(base) - node.level + (1 if is_package else 0)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    names = [f"{target}.{alias.name}" for alias in node.names]
    subs = [name for name in names if name in MODULES]
    return subs + ([target] if len(subs) < len(names) else [])


def imports(module: str) -> list[tuple[str, bool]]:
    """(imported module, is it imported at module level) for every import in `module`."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: list[tuple[str, bool]] = []
    # An explicit stack of (node, at module level?) instead of recursion.
    stack: list[tuple[ast.AST, bool]] = [(child, True) for child in tree.body]
    while stack:
        node, top = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend((child, top) for child in node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.extend((alias.name, top) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.extend((name, top) for name in _resolve(module, node))
        inner = top and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return found


def first_party(name: str) -> str | None:
    """The project module `name` refers to (its longest known prefix), or None."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def graph(module_level_only: bool) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module in MODULES:
        targets = set()
        for name, top in imports(module):
            target = first_party(name)
            if target and target != module and (top or not module_level_only):
                targets.add(target)
        edges[module] = targets
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A circle of imports, or None (an iterative depth-first search with colours)."""
    colour = dict.fromkeys(edges, 0)  # 0 new, 1 on the current path, 2 done
    for start in edges:
        if colour[start]:
            continue
        path = [start]
        stack = [iter(sorted(edges[start]))]
        colour[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                colour[path.pop()] = 2
                stack.pop()
            elif colour.get(nxt, 2) == 1:
                return path[path.index(nxt) :] + [nxt]
            elif colour.get(nxt, 2) == 0:
                colour[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(edges[nxt])))
    return None


def _parent_packages(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def test_the_import_graph_has_no_circle():
    edges = graph(module_level_only=True)
    # `from engine.x import y` runs engine/__init__ first; that is Python's doing, not an
    # arrow of ours, so an import of one's own parent package is not counted.
    for module, targets in edges.items():
        edges[module] = targets - _parent_packages(module)
    assert find_cycle(edges) is None, f"import circle: {' -> '.join(find_cycle(edges) or [])}"


def test_find_cycle_finds_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_arrow_points_toward_the_core():
    wrong = []
    for module, targets in graph(module_level_only=False).items():
        if module in ENTRY_POINTS:
            continue
        for target in targets:
            if layer(target) not in ALLOWED[layer(module)]:
                wrong.append(f"{module} ({layer(module)}) -> {target} ({layer(target)})")
    assert not wrong, "imports pointing the wrong way:\n" + "\n".join(sorted(wrong))


def test_the_core_imports_only_the_standard_library():
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    wrong = []
    for module in MODULES:
        if layer(module) != "core":
            continue
        for name, top in imports(module):
            root = name.split(".")[0]
            if root in stdlib or root in PACKAGES:
                continue
            if top or root not in CORE_LAZY_THIRD_PARTY:
                wrong.append(f"{module} imports {name}{'' if top else ' (lazily)'}")
    assert not wrong, "\n".join(wrong)


def folder(module: str) -> str:
    """The folder a module lives in (a package's own ``__init__`` counts as inside it)."""
    path = MODULES[module]
    return str(path.parent.relative_to(ROOT))


def test_no_underscored_name_is_imported_from_another_folder():
    wrong = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            source = first_party(node.module)
            if source is None:
                continue
            for alias in node.names:
                if alias.name.startswith("_") and folder(source) != folder(module):
                    wrong.append(f"{module} imports {node.module}.{alias.name}")
    assert not wrong, "make these public or put the two users together:\n" + "\n".join(wrong)


def test_the_core_is_one_folder_that_imports_nothing_of_the_faces():
    core = [m for m in MODULES if layer(m) == "core"]
    assert {folder(m) for m in core} == {"engine/core"}
    assert {"engine.core.value", "engine.core.ops", "engine.core.chain_rule"} <= set(core)


@pytest.mark.parametrize("package", ["engine", "nn"])
def test_importing_the_package_loads_no_drawing_stepping_cli_or_third_party(package):
    code = (
        f"import sys, {package}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('graphviz', 'numpy', 'torch', 'matplotlib', 'tqdm', 'PIL') "
        "or m.startswith(('engine.draw', 'engine.step', 'engine.cli'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
