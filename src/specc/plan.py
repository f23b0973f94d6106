"""The IR: one node per spec entry, one edge per reference, and the code artifact of each function.

Nodes come in registry order and then by name, so everything downstream is deterministic. The
graph is what IAM derivation, splitting and `specc graph` read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specc.build.dependencies import Target, cache_root
from specc.build.packaging import CodeArtifact, collect
from specc.checks.containment import project_of
from specc.checks.handlers import code_root, locate
from specc.checks.references import all_references
from specc.kinds import in_play
from specc.language.source import SourceFile

if TYPE_CHECKING:
    from specc.kinds.base import Kind


@dataclass(frozen=True, order=True)
class Node:
    section: str
    name: str


@dataclass(frozen=True, order=True)
class Edge:
    source: Node
    target: Node
    relation: str
    access: str = ""


@dataclass
class Plan:
    spec: Any
    source: SourceFile
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    artifacts: dict[str, CodeArtifact] = field(default_factory=dict)
    layer_artifacts: dict[str, CodeArtifact] = field(default_factory=dict)

    def entries(self) -> Iterator[tuple[Kind, str, Any]]:
        """(kind, name, entry) in build order: registry order, then name; late kinds last."""
        kinds = in_play(self.spec)
        ordered = [k for k in kinds if not k.late] + [k for k in kinds if k.late]
        for kind in ordered:
            section = getattr(self.spec, kind.section)
            if kind.keyed:
                for name in sorted(section):
                    yield kind, name, section[name]
            else:
                yield kind, kind.section, section


def make_plan(spec: Any, source: SourceFile) -> Plan:
    plan = Plan(spec=spec, source=source)
    for kind in in_play(spec):
        section = getattr(spec, kind.section)
        if kind.keyed:
            plan.nodes += [Node(kind.section, name) for name in sorted(section)]
        elif section is not None:
            plan.nodes.append(Node(kind.section, kind.section))
    for ref in all_references(spec):
        source_node = Node(ref.path[0],
                           ref.path[1] if len(ref.path) > 1 and ref.path[0] != "monitoring" else ref.path[0])
        plan.edges.append(Edge(source_node, Node(ref.section, ref.target), ref.relation, ref.access or ""))
    plan.edges.sort()
    collected: dict[tuple[Any, ...], CodeArtifact] = {}  # functions sharing a code directory hash it once
    places: dict[tuple[str, str | None], tuple[Any, ...]] = {}  # and resolve a handler path once
    root = code_root(spec, source)
    cache = cache_root(Path(project_of(source.path).root)) if spec.functions or spec.layers else None
    for name, function in sorted(spec.functions.items()):
        where = (function.handler, function.code)
        located = places.get(where)
        if located is None:
            located = places[where] = locate(spec, source, function, root)
        target = Target(function.runtime or spec.defaults.runtime, function.architecture)
        if (located, target) not in collected:
            code_dir, handler_file, handler_function = located
            collected[located, target] = collect(code_dir, handler_file, handler_function, target=target, cache=cache)
        plan.artifacts[name] = collected[located, target]
    if not spec.layers:
        return plan
    from specc.kinds.layers import PREFIX, runtime_of

    for name, layer in sorted(spec.layers.items()):
        target = Target(runtime_of(spec, layer), layer.architecture)
        plan.layer_artifacts[name] = collect((root / layer.code).resolve(), None, "", target=target, cache=cache,
                                             prefix=PREFIX)
    return plan
