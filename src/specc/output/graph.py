"""`specc graph`: the service as Mermaid text, its entries and references, inside the stacks the split put them in.

Mermaid is text that GitHub, GitLab and most wikis render, so the graph needs no renderer to be useful. When
mermaid-cli (`mmdc`) is installed (on PATH or in node_modules/.bin), `--out FILE.svg|.png` also draws it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

PARENT = ""
SHAPES = {"tables": ("[(", ")]"), "keys": ("{{", "}}"), "topics": (">", "]"), "functions": ("([", "])"),
          "routes": ("[/", "/]")}
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def node_id(section: str, name: str) -> str:
    return _UNSAFE.sub("_", f"{section}__{name}")


def _label(section: str, name: str) -> str:
    if section == name:  # a single object such as `api` or `monitoring`
        return section
    text = name if section == "routes" else f"{section[:-1] if section.endswith('s') else section} {name}"
    return text.replace('"', "'")


def homes(compiled: Any) -> dict[tuple[str, str], str]:
    """Where each spec entry lives: the nested stack of its group, else the parent."""
    layout = compiled.layout
    found: dict[tuple[str, str], str] = {}
    if layout is None or not layout.split:
        return found
    for stack in layout.stacks.values():
        for entry in stack.entries:
            section, name = entry.split(".", 1)
            if section == "functions":  # tables stay in the parent (only their alarms move); paths are no entries
                found[(section, name)] = stack.logical_id
    for key, route in compiled.spec.routes.items():
        home = found.get(("functions", route.function))
        if home:
            found[("routes", key)] = home
    for edge in compiled.plan.edges:  # alarms go with what they watch
        if edge.source.section == "alarms" and edge.relation in ("watches", "reads"):
            home = found.get((edge.target.section, edge.target.name))
            if home and edge.target.section == "functions":
                found[("alarms", edge.source.name)] = home
    return found


def mermaid(compiled: Any) -> str:
    """Flowchart: a subgraph per template, a node per spec entry, an edge per reference, and stack dependencies."""
    layout = compiled.layout
    placed = homes(compiled)
    members: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for node in compiled.plan.nodes:
        members[placed.get((node.section, node.name), PARENT)].append((node.section, node.name))
    lines = ["flowchart LR"]
    stacks = sorted(layout.stacks.values(), key=lambda s: s.logical_id) if layout and layout.split else []
    files = {stack.logical_id: stack.file for stack in stacks}
    for home in [PARENT] + [stack.logical_id for stack in stacks]:
        title = "service.json" + (" (parent)" if stacks else "") if home == PARENT else f"{home}: {files[home]}"
        extra = [e for e in (stacks[[s.logical_id for s in stacks].index(home)].entries if home else [])
                 if e.split(".", 1)[0] in ("paths", "tables")]
        lines.append(f'  subgraph {_UNSAFE.sub("_", home or "parent")}["{title}"]')
        for section, name in members.get(home, []):
            left, right = SHAPES.get(section, ("[", "]"))
            lines.append(f'    {node_id(section, name)}{left}"{_label(section, name)}"{right}')
        if extra:
            named = [f"/{e.split('.', 1)[1]} paths" if e.startswith("paths.") else f"{e.split('.', 1)[1]} table alarms"
                     for e in extra]
            shown = ", ".join(named[:6]) + (f" and {len(named) - 6} more" if len(named) > 6 else "")
            lines.append(f'    {_UNSAFE.sub("_", home)}_shared["{shown}"]')
        lines.append("  end")
    known = {node_id(n.section, n.name) for n in compiled.plan.nodes}
    for edge in compiled.plan.edges:
        source, target = node_id(edge.source.section, edge.source.name), node_id(edge.target.section, edge.target.name)
        if source in known and target in known:
            label = f"{edge.relation} {edge.access}".strip()
            lines.append(f"  {source} -->|{label}| {target}")
    for stack in stacks:
        for other in stack.depends_on:
            lines.append(f"  {stack.logical_id} -.->|reads outputs| {other}")
    return "\n".join(lines) + "\n"


def renderer() -> str | None:
    """mermaid-cli, if installed: on PATH or in the project's node_modules."""
    found = shutil.which("mmdc")
    if found:
        return found
    local = Path("node_modules/.bin/mmdc")
    return str(local) if local.exists() else None


def draw(text: str, out: Path, mmdc: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "graph.mmd"
        source.write_text(text)
        subprocess.run([mmdc, "-i", str(source), "-o", str(out)], check=True, capture_output=True, timeout=120)
