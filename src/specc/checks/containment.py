"""Code never leaves the project: `code_root`, every handler file and every code directory resolve inside it, and
no symlink in a code directory leads out of that directory.

The project is language/project.py's: the git work tree that holds the spec, else the directory that holds its
`specs/` folder, else the spec's own directory. Paths are compared after resolving symlinks, so `..`, an absolute
path and a symlink that points out are all caught the same way. checks/handlers.py calls this before it
looks for the files, so a path outside the project is never even probed for existence.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from specc.build.packaging import inside, scan
from specc.language.diagnostics import Diagnostic
from specc.language.project import Project, project_of
from specc.language.source import SourceFile

__all__ = ["Project", "function_problems", "project_of", "root_problem"]

ROOT_ID, HANDLER_ID, CODE_ID, LINK_ID = "E250", "E251", "E252", "E253"
KEEP_INSIDE = ("keep the code inside the project: paths are relative to code_root, and a symlink may point only "
               "inside the project")


def root_problem(spec: Any, source: SourceFile, project: Project, root: Path) -> Diagnostic | None:
    if project.holds(root):
        return None
    return source.diagnostic(ROOT_ID, ("code_root",), f"code_root '{spec.code_root}' resolves outside the project "
                             f"({project.what}); specc packages code only from inside it",
                             "set code_root to a project directory relative to the spec file, like `..` for a spec "
                             "in specs/")


def function_problems(name: str, function: Any, source: SourceFile, project: Project, code_dir: Path,
                      handler_file: Path, root: Path, scanned: dict[Path, list[str]]) -> list[Diagnostic]:
    """What keeps one function's code from staying in the project; `scanned` caches each code directory's walk."""
    file_part = function.handler.rsplit(":", 1)[0]
    if not project.holds(handler_file):
        through = " through a symlink" if inside(os.path.normpath(root / file_part), project.root) else ""
        return [source.diagnostic(HANDLER_ID, ("functions", name, "handler"),
                                  f"handler file '{file_part}' resolves{through} outside the project ({project.what})",
                                  KEEP_INSIDE)]
    field = ("functions", name, "code" if function.code else "handler")
    if not project.holds(code_dir):
        return [source.diagnostic(CODE_ID, field, f"code directory '{function.code}' resolves outside the project "
                                  f"({project.what})", KEEP_INSIDE)]
    if not code_dir.is_dir():
        return []  # checks/handlers.py says it does not exist
    if code_dir not in scanned:
        scanned[code_dir] = scan(code_dir)[1]
    if not scanned[code_dir]:
        return []
    shown = os.path.relpath(code_dir, project.root)
    links = ", ".join(f"'{link}'" for link in scanned[code_dir][:3]) + (" ..." if len(scanned[code_dir]) > 3 else "")
    return [source.diagnostic(LINK_ID, field, f"code directory '{Path(shown).as_posix()}' holds symlinks that lead "
                              f"outside it: {links}; packaging never follows them",
                              "copy what the function needs into its code directory, or remove the links")]
