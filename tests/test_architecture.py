"""The layout itself: imports point one way, the CLI uses only the public API, modules stay small."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import audioguide

PACKAGE = Path(audioguide.__file__).parent
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path) -> set[str]:
    """Every audioguide module ``name`` imports, at the top or inside functions."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "audioguide"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "audioguide":
                continue
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names}
    modules = _modules()
    return {m for m in found if m in modules and m != name}


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(name, path) for name, path in modules.items()}
    # A package's __init__ importing its own submodules is how packages work; a
    # submodule importing its package's __init__ back would make a cycle.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state and name != "audioguide":
            visit(name)


def test_the_cli_imports_only_the_public_api_and_click():
    tree = ast.parse((PACKAGE / "cli.py").read_text())
    third_party = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            third_party |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "cli.py imports a submodule: use the public API"
            third_party.add((node.module or "").split(".")[0])
            assert node.module != "audioguide" or all(a.name in audioguide.__all__ for a in node.names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ag":
            assert node.attr in audioguide.__all__, f"cli.py uses ag.{node.attr}, which is not in __all__"
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    assert third_party - stdlib == {"audioguide", "click"}


def test_every_public_name_exists_and_has_a_docstring():
    for name in audioguide.__all__:
        value = getattr(audioguide, name)
        if callable(value) and not isinstance(value, type(audioguide.Settings.__init__)) or isinstance(value, type):
            assert (value.__doc__ or "").strip(), f"audioguide.{name} has no docstring"


def test_no_module_is_over_600_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_sample_rate_is_defined_once():
    defining = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                if any(isinstance(n, (ast.Assign, ast.AnnAssign)) and "SAMPLE_RATE" in ast.unparse(n).split("=")[0]
                       for n in ast.parse(p.read_text()).body)]
    assert defining == ["pcm.py"]
