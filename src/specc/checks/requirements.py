"""A code directory's requirements.txt pins every package to one version and names nothing but published
packages, so the artifact's key (which covers the file's bytes, not what an index answers) names what ships.

Read only from code directories whose paths the handler and layer checks accept; pure: nothing is installed
here (build/dependencies.py installs when a zip is made)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from specc.build.dependencies import REQUIREMENTS_FILE, requirement_problems
from specc.checks.containment import project_of
from specc.checks.handlers import code_root, locate
from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E370"
DESCRIPTION = "requirements.txt pins each package to one version and names published packages only"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    if not spec.functions and not spec.layers:
        return []
    root = code_root(spec, source)
    project = project_of(source.path)
    places: dict[Path, tuple[Any, ...]] = {}  # code directory -> the first entry field that names it
    for name, function in sorted(spec.functions.items()):
        code_dir = locate(spec, source, function, root)[0]
        places.setdefault(code_dir, ("functions", name, "code" if function.code else "handler"))
    for name, layer in sorted(spec.layers.items()):
        places.setdefault((root / layer.code).resolve(), ("layers", name, "code"))
    found = []
    for code_dir, field in sorted(places.items(), key=lambda item: item[1]):
        requirements = code_dir / REQUIREMENTS_FILE
        if not project.holds(code_dir) or os.path.islink(requirements) or not requirements.is_file():
            continue  # outside the project: the handler and layer checks say so; a link is never read
        try:
            text = requirements.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            found.append(source.diagnostic(ID, field, f"cannot read {_shown(requirements, project.root)}: {exc}",
                                           "save it as UTF-8 text"))
            continue
        for line, problem in requirement_problems(text):
            found.append(source.diagnostic(ID, field, f"{_shown(requirements, project.root)}:{line}: {problem}"))
    return found


def _shown(path: Path, root: str) -> str:
    return Path(os.path.relpath(path, root)).as_posix()
