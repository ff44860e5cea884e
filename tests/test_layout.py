"""The package layout stays layered: no import cycle between the packages of ``ivr/``.

The graph is built from the source with ``ast`` (every ``import`` and ``from ... import``,
also inside functions and under ``TYPE_CHECKING``): a package that imports another one, for any
reason, depends on it. A top-level module (``ivr/cli.py``, ``ivr/app.py``) is a node of its own.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

IVR = Path(__file__).resolve().parent.parent / "ivr"


def unit(module: str) -> str:
    """``ivr.voice.call`` -> ``voice``; ``ivr.cli`` -> ``cli``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "ivr"


def module_name(path: Path) -> str:
    parts = path.relative_to(IVR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """The ``ivr.*`` modules (or packages) a file imports."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("ivr.")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if base == "ivr":
                found |= {f"ivr.{alias.name}" for alias in node.names}
            elif base.startswith("ivr."):
                found.add(base)
    return found


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in IVR.rglob("*.py"):
        source = unit(module_name(path))
        for target in imported(path):
            if unit(target) != source:
                graph[source].add(unit(target))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of two or more packages (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            members = []
            while True:
                member = stack.pop()
                members.append(member)
                if member == node:
                    break
            if len(members) > 1:
                found.append(sorted(members))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_packages() -> None:
    graph = package_graph()
    assert "voice" in graph and "core" in graph["voice"], "the graph reads the real imports"
    found = cycles(graph)
    shown = [" <-> ".join(c) + f" ({_edges(graph, c)})" for c in found]
    assert not found, "import cycles between packages:\n" + "\n".join(shown)


def _edges(graph: dict[str, set[str]], members: list[str]) -> str:
    return ", ".join(f"{a}->{b}" for a in members for b in sorted(graph[a]) if b in members)
