"""The package's architecture holds: no import cycles, and no room imports a room above it.

Every `import` in guidance/ counts, including those inside functions (the lazy imports
that keep `guide --help` fast): a lazy upward import is still an upward dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "guidance"

# Rooms from the bottom up; a module may import its own room and any room below it.
# core and configs are shared by every room; resolve, api, sweep and cli sit on top.
LEVELS = {
    "core": 0, "configs": 1, "data": 2, "models": 3, "optimize": 4, "training": 5, "diffusion": 6,
    "verdicts": 7, "resolve": 8, "runs": 9, "api": 10, "sweep": 11, "cli": 12, "top": 13,
}
ROOT_MODULES = {"resolve", "api"}  # modules at the package root with a level of their own
TOP = {"__main__", "__init__"}
MAX_ROOT_MODULES = 6  # __main__ counted
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in TOP:
        return "top"  # guidance/__init__.py, __main__.py
    return parts[1]


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The guidance modules a file imports, resolved to the most specific known module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            if name in known:
                found.add(name)
                break
    return {name for name in found if name.startswith("guidance")}


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    known = set(files)
    graph = {}
    for module, path in files.items():
        # `from guidance.runs import figures` names the module guidance.runs.figures: try it first
        graph[module] = {m for m in imports_of(path, known) if m != module}
    return graph


def test_every_module_is_in_a_known_room():
    for module in import_graph():
        assert room(module) in LEVELS, f"{module} is in no room: add its folder to LEVELS"


def test_no_room_imports_a_room_above_it():
    upward = [
        f"{module} ({room(module)}) imports {imported} ({room(imported)})"
        for module, imported_modules in import_graph().items()
        for imported in imported_modules
        if LEVELS[room(imported)] > LEVELS[room(module)]
    ]
    assert not upward, "upward imports:\n" + "\n".join(sorted(upward))


def test_no_import_cycles():
    graph = import_graph()
    state: dict[str, str] = {}
    cycles = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for imported in sorted(graph.get(module, ())):
            if state.get(imported) == "open":
                cycles.append(" -> ".join(trail[trail.index(imported):] + [imported]) if imported in trail
                              else f"{module} -> {imported}")
            elif imported not in state:
                visit(imported, trail + [imported])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("folder", sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()))
def test_each_room_says_what_lives_there(folder):
    docstring = ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text()))
    assert docstring and "import" in docstring.lower(), f"guidance/{folder}/__init__.py must say what lives there and what it may import"


def test_the_package_root_stays_small():
    root = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(root) <= MAX_ROOT_MODULES, f"{len(root)} modules at the package root: {root}"
    assert {p.removesuffix(".py") for p in root} <= ROOT_MODULES | TOP


def test_no_module_is_over_the_size_limit():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_check_catches_an_upward_import(tmp_path):
    """The checker itself can fail: a data module importing runs is flagged."""
    assert LEVELS[room("guidance.runs.folders")] > LEVELS[room("guidance.data.loading")]
    assert room("guidance.resolve") == "resolve" and room("guidance.cli.run") == "cli"
    source = tmp_path / "x.py"
    source.write_text("def f():\n    from guidance.runs.folders import slug\n")
    assert imports_of(source, {"guidance.runs.folders", "guidance.runs"}) == {"guidance.runs.folders"}
