"""Deterministic code artifacts: the same handler files always give the same hash and zip bytes.

The S3 key is derived from a hash of the files' paths and contents (not of the zip bytes, which
depend on the zlib build), so templates are byte-identical on every machine.

Nothing from outside the code directory is ever read into a zip: a symlink whose target stays inside the
directory is stored as the file it points to (a symlinked directory is not descended: its target is zipped
under its own path already); a symlink that leads out of it stops packaging (checks/containment.py reports it,
located, before a compile gets here; the checks here hold even if the tree changes in between).

A code directory with a `requirements.txt` also ships its dependencies, installed for Lambda's platform when the
zip is made, never when it is compiled (build/dependencies.py): the zip holds the code files and, beside them,
the installed packages (a code file wins over a package file of the same path). A layer's zip puts both under
`python/`, where Lambda's Python runtimes look in /opt.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from specc.build.dependencies import REQUIREMENTS_FILE, Requirements, Target, artifact_salt, install, site_files

EXCLUDED_DIRS = {"tests", "__pycache__", ".pytest_cache", ".hypothesis", ".git", ".venv", "node_modules"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class CodeArtifact:
    code_dir: Path
    files: tuple[str, ...]  # posix paths relative to code_dir, sorted
    content_hash: str  # sha256 hex over paths and contents (and, with dependencies, their platform)
    handler: str  # Lambda handler string, e.g. `create.handler`; "" for a layer
    requirements: Requirements | None = None  # the code directory's requirements.txt, installed when zipped
    prefix: str = ""  # where the files go in the zip: "python/" for a layer

    @property
    def s3_key(self) -> str:
        return f"code/{self.content_hash}.zip"

    def zip_bytes(self) -> bytes:
        """The zip; with dependencies, they are installed first unless the cache holds them (DependencyError)."""
        sources = {self.prefix + rel: (self.code_dir, rel, 0o644) for rel in self.files}
        if self.requirements is not None:
            site = install(self.requirements)
            for rel in site_files(site):
                mode = 0o755 if os.stat(site / rel).st_mode & 0o111 else 0o644
                sources.setdefault(self.prefix + rel, (site, rel, mode))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for name in sorted(sources):
                folder, rel, mode = sources[name]
                info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
                info.external_attr = mode << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, read_inside(folder, rel))
        return buffer.getvalue()


class OutsideCode(OSError):
    """A file that packaging would read lies outside the code directory (a symlink leads out)."""

    def __init__(self, code_dir: Path, rel: str) -> None:
        super().__init__(f"{rel} in {code_dir} is a symlink that leads outside the code directory; nothing was "
                         "packaged")


def inside(path: str, directory: str) -> bool:
    """Whether the real path `path` is `directory` or below it (both real: symlinks resolved)."""
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def read_inside(code_dir: Path, rel: str) -> bytes:
    real = os.path.realpath(code_dir / rel)
    if not inside(real, os.path.realpath(code_dir)):
        raise OutsideCode(code_dir, rel)
    with open(real, "rb") as stream:
        return stream.read()


def scan(code_dir: Path) -> tuple[list[str], list[str]]:
    """(the files packaging zips, the symlinks that lead out of `code_dir`), as sorted posix paths relative to it.

    Excluded directories are not entered (a virtualenv's or node_modules' links are not the function's code)."""
    top = os.path.realpath(code_dir)
    files: list[str] = []
    escaping: list[str] = []
    for folder, dirs, names in os.walk(code_dir):  # followlinks=False: symlinked directories are listed, not walked
        dirs[:] = [d for d in dirs if d not in EXCLUDED_DIRS and not d.startswith(".")]
        base = Path(folder)
        for name in dirs:
            if os.path.islink(base / name) and not inside(os.path.realpath(base / name), top):
                escaping.append((base / name).relative_to(code_dir).as_posix())
        for name in names:
            path = base / name
            rel = path.relative_to(code_dir)
            if not included(rel):
                continue  # an excluded file (a dotfile, a test) is never read: where it points does not matter
            if os.path.islink(path) and not inside(os.path.realpath(path), top):
                escaping.append(rel.as_posix())
            elif os.path.isfile(path):
                files.append(rel.as_posix())
    return sorted(files), sorted(escaping)


def included(rel: Path) -> bool:
    if any(part in EXCLUDED_DIRS or part.startswith(".") for part in rel.parts[:-1]):
        return False
    name = rel.name
    return not (
        name.startswith(("test_", "."))
        or name.endswith(("_test.py", *EXCLUDED_SUFFIXES))
        or name == "conftest.py"
    )


def collect(code_dir: Path, handler_file: Path | None, function: str, target: Target | None = None,
            cache: Path | None = None, prefix: str = "") -> CodeArtifact:
    """The artifact of `code_dir`; with `target` and `cache` given, a requirements.txt there is installed for
    `target` when the zip is made. `handler_file` None: a layer, whose files go under `prefix`."""
    files, escaping = scan(code_dir)
    if escaping:
        raise OutsideCode(code_dir, escaping[0])
    digest = hashlib.sha256()
    requirements_text = None
    for rel in files:
        content = read_inside(code_dir, rel)
        digest.update(rel.encode() + b"\0" + hashlib.sha256(content).digest())
        if rel == REQUIREMENTS_FILE:
            requirements_text = content  # the bytes hashed are the bytes installed
    requirements = None
    if requirements_text is not None and target is not None and cache is not None:
        requirements = Requirements(code_dir, requirements_text, target, cache)
        digest.update(artifact_salt(target))
    if prefix:
        digest.update(f"\0prefix\0{prefix}".encode())
    handler = ""
    if handler_file is not None:
        module = handler_file.relative_to(code_dir).with_suffix("").as_posix().replace("/", ".")
        handler = f"{module}.{function}"
    return CodeArtifact(code_dir=code_dir, files=tuple(files), content_hash=digest.hexdigest(), handler=handler,
                        requirements=requirements, prefix=prefix)
