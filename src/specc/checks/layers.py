"""A layer's code directory exists inside the project with no symlink leading out, and the functions that use a
layer run on the runtime and architecture it is built for (Lambda refuses a layer whose CompatibleRuntimes or
CompatibleArchitectures leave the function out)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from specc.build.packaging import scan
from specc.checks.containment import KEEP_INSIDE, project_of
from specc.checks.handlers import code_root
from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E375"
DESCRIPTION = ("layer code directories exist inside the project, and functions use layers built for their runtime "
               "and architecture")
MISMATCH_ID = "E376"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    if not spec.layers:
        return []
    from specc.kinds.layers import runtime_of

    found = []
    root = code_root(spec, source)
    project = project_of(source.path)
    for name, layer in sorted(spec.layers.items()):
        code_dir = (root / layer.code).resolve()
        where = ("layers", name, "code")
        if not project.holds(code_dir):
            found.append(source.diagnostic(ID, where, f"layer directory '{layer.code}' resolves outside the project "
                                           f"({project.what})", KEEP_INSIDE))
        elif not code_dir.is_dir():
            found.append(source.diagnostic(ID, where, f"layer directory '{layer.code}' does not exist",
                                           f"paths are relative to code_root '{spec.code_root}', which is relative "
                                           "to the spec file"))
        else:
            escaping = scan(code_dir)[1]
            if escaping:
                shown = Path(os.path.relpath(code_dir, project.root)).as_posix()
                found.append(source.diagnostic(ID, where, f"layer directory '{shown}' holds symlinks that lead "
                                               f"outside it: '{escaping[0]}'; packaging never follows them",
                                               "copy what the layer needs into its directory, or remove the links"))
    for name, function in sorted(spec.functions.items()):
        runtime = function.runtime or spec.defaults.runtime
        for index, used in enumerate(function.layers):
            layer = spec.layers.get(used)
            if layer is None:
                continue  # the reference check names it
            built = (runtime_of(spec, layer), layer.architecture)
            if built != (runtime, function.architecture):
                found.append(source.diagnostic(
                    MISMATCH_ID, ("functions", name, "layers", index),
                    f"layer '{used}' is built for {built[0]} on {built[1]}, but function '{name}' runs {runtime} on "
                    f"{function.architecture}",
                    "give the layer the function's `runtime` and `architecture` (its dependencies are installed for "
                    "one Python version and one platform), or use another layer"))
        if len(set(function.layers)) != len(function.layers):
            found.append(source.diagnostic(MISMATCH_ID, ("functions", name, "layers"),
                                           f"function '{name}' names a layer twice", "name each layer once"))
    return found
