"""Functions that invoke each other (through `uses` or an on-failure destination) in a cycle.

Each function's policy and environment name the functions it invokes, and a function is created after
its policy, so `a` invoking `b` makes `a` depend on `b`. A cycle (`a` → `b` → `a`, or `a` invoking
itself) is a template CloudFormation refuses (cfn-lint E3004): reported at the reference that closes it.
"""

from __future__ import annotations

from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E232"
DESCRIPTION = "functions do not invoke each other in a cycle"


def _edges(spec: Any) -> dict[str, list[tuple[str, tuple[Any, ...]]]]:
    """function -> [(function it invokes, spec path of the reference)], in spec order."""
    edges: dict[str, list[tuple[str, tuple[Any, ...]]]] = {}
    for name, function in spec.functions.items():
        found = [(target, ("functions", name, "uses", "functions", target))
                 for target in (function.uses.get("functions") or {})]
        destination = function.async_invocation.destination
        if destination and destination.startswith("functions."):
            found.append((destination.split(".", 1)[1], ("functions", name, "async_invocation", "destination")))
        edges[name] = [(t, p) for t, p in found if t in spec.functions]  # unknown names are E201's
    return edges


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    edges = _edges(spec)
    found: list[Diagnostic] = []
    reported: set[frozenset[str]] = set()
    for start in sorted(edges):
        stack: list[tuple[str, tuple[Any, ...]]] = []

        def visit(node: str) -> None:
            for target, path in edges.get(node, []):
                if target == start:
                    cycle = [start] + [n for n, _ in stack] + [start]
                    members = frozenset(cycle)
                    if members not in reported:
                        reported.add(members)
                        found.append(source.diagnostic(
                            ID, path, f"functions invoke each other in a cycle ({' → '.join(cycle)}): each one's "
                            "policy and environment name the next, a dependency cycle CloudFormation refuses",
                            "break it: let one of them publish to a topic or queue the other consumes"))
                    continue
                if target > start and target not in {n for n, _ in stack}:
                    stack.append((target, path))
                    visit(target)
                    stack.pop()

        visit(start)
    return found
