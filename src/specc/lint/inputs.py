"""Which templates a spec compiles to, remembered by everything the compile read, so an unchanged service is
re-linted without compiling it.

The findings cache (lint_cache.py) is keyed by template bytes, so a re-lint still has to compile to know them:
for a large service that compile (and importing the compiler) is most of the time. This records, after each
compile that `specc lint` does, every input the compile depended on, and the template cache keys it produced:

- the bytes of every file it opened (the spec, handler files, anything a kind reads), seen through a Python
  audit hook while compiling; files of the Python installation and of specc itself are covered by the next two;
- specc's own source (a digest of its package's files) and the versions of the libraries that shape the output;
- each function's code directory, as packaging.py hashes it (paths and contents of the files it would zip), so
  a file added or removed there counts too.

A later `specc lint` of the same spec path recomputes those; only when every one matches does it take the
recorded template keys (and their cached findings) instead of compiling. Anything else compiles as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

LIBRARIES = ("troposphere", "awacs", "pydantic", "PyYAML", "cfn-lint", "orjson")
_SOURCE = Path(__file__).resolve().parent
_recording: list[set[str]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and _recording and args and isinstance(args[0], (str, os.PathLike)):
        mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
        if "r" in mode and "+" not in mode:
            _recording[-1].add(os.path.abspath(os.fspath(args[0])))


_hooked = False


@contextmanager
def recording() -> Iterator[set[str]]:
    """The files opened for reading inside the block (an audit hook, installed once, idle outside it)."""
    global _hooked
    if not _hooked:
        sys.addaudithook(_audit)
        _hooked = True
    opened: set[str] = set()
    _recording.append(opened)
    try:
        yield opened
    finally:
        _recording.pop()


@lru_cache(maxsize=1)
def environment() -> str:
    """specc's source and the versions of what shapes its output: any change means recompiling."""
    from importlib.metadata import version

    digest = hashlib.sha256(sys.version.encode())
    for name in LIBRARIES:
        digest.update(f"{name}=={version(name)}\0".encode())
    for path in sorted(_SOURCE.rglob("*")):  # its code and any data files it ships
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(str(path.relative_to(_SOURCE)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _ignored(path: str) -> bool:
    """Files covered by `environment()` (the installation, specc's source) or that are not inputs."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(_SOURCE)}
    return any(path.startswith(root.rstrip("/") + "/") for root in roots) or path.startswith(("/proc/", "/dev/"))


def _file_digest(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _dir_digest(directory: str) -> str | None:
    """What packaging.py's content hash covers: the included files' paths and contents."""
    from specc.build.packaging import included

    root = Path(directory)
    if not root.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and included(p.relative_to(root))):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@dataclass
class Known:
    """What a recorded compile produced: template name -> findings-cache key, the regions, where output goes."""

    templates: dict[str, str]
    regions: list[str]
    shown: str


class InputCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _entry(self, spec: Path) -> Path:
        return self.directory / f"{hashlib.sha256(str(spec.resolve()).encode()).hexdigest()}.json"

    def lookup(self, spec: Path) -> Known | None:
        try:
            entry = json.loads(self._entry(spec).read_bytes())
            if entry["environment"] != environment() or entry["spec"] != str(spec.resolve()):
                return None
            for path, digest in entry["files"].items():
                if _file_digest(path) != digest:
                    return None
            for directory, digest in entry["directories"].items():
                if _dir_digest(directory) != digest:
                    return None
            return Known(dict(entry["templates"]), list(entry["regions"]), str(entry["shown"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def record(self, spec: Path, opened: set[str], directories: set[str], known: Known) -> None:
        files = {path: _file_digest(path) for path in sorted(opened | {str(spec.resolve())}) if not _ignored(path)}
        entry = {"spec": str(spec.resolve()), "environment": environment(),
                 "files": {p: d for p, d in files.items() if d is not None},
                 "directories": {d: _dir_digest(d) for d in sorted(directories)},
                 "templates": known.templates, "regions": known.regions, "shown": known.shown}
        if any(v is None for v in entry["directories"].values()):
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".entry.", dir=self.directory)
        except OSError:
            return
        try:
            with os.fdopen(handle, "w") as stream:
                json.dump(entry, stream)
            os.replace(temporary, self._entry(spec))
        except OSError:
            Path(temporary).unlink(missing_ok=True)
