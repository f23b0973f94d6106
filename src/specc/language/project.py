"""The project a spec belongs to: nothing from outside it is read, neither code nor a base spec (`extends`).

The project is the git work tree that holds the spec (the nearest directory above it with a `.git`); outside git,
the directory that holds the `specs/` folder the spec is in (the layout `specc init` makes, and where output goes:
emit.default_out_dir); else the spec's own directory. Paths are compared after resolving symlinks, so `..`, an
absolute path and a symlink that points out are all caught the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Project:
    root: str  # real path
    what: str  # how it was found, as the diagnostics say it

    def holds(self, resolved: Path | str) -> bool:
        """Whether a path already resolved (symlinks and `..` gone) is the project's root or below it."""
        path = str(resolved)
        return path == self.root or path.startswith(self.root.rstrip(os.sep) + os.sep)


def project_of(spec_file: Path) -> Project:
    start = Path(os.path.realpath(spec_file.parent))
    for folder in (start, *start.parents):
        if os.path.lexists(folder / ".git"):
            return Project(str(folder), "the git work tree that holds the spec")
    for folder in (start, *start.parents):
        if folder.name == "specs":
            return Project(str(folder.parent), "the directory that holds specs/")
    return Project(str(start), "the spec's directory: it is in no git work tree")
