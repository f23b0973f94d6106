"""Deterministic code artifacts: the same handler files always give the same hash and zip bytes.

The S3 key is derived from a hash of the files' paths and contents (not of the zip bytes, which
depend on the zlib build), so templates are byte-identical on every machine.

Nothing from outside the code directory is ever read into a zip: a symlink whose target stays inside the
directory is stored as the file it points to (a symlinked directory is not descended: its target is zipped
under its own path already); a symlink that leads out of it stops packaging (checks/containment.py reports it,
located, before a compile gets here; the checks here hold even if the tree changes in between).
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

EXCLUDED_DIRS = {"tests", "__pycache__", ".pytest_cache", ".hypothesis", ".git", ".venv", "node_modules"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class CodeArtifact:
    code_dir: Path
    files: tuple[str, ...]  # posix paths relative to code_dir, sorted
    content_hash: str  # sha256 hex over paths and contents
    handler: str  # Lambda handler string, e.g. `create.handler`

    @property
    def s3_key(self) -> str:
        return f"code/{self.content_hash}.zip"

    def zip_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for rel in self.files:
                info = zipfile.ZipInfo(rel, date_time=_FIXED_TIME)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, read_inside(self.code_dir, rel))
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


def collect(code_dir: Path, handler_file: Path, function: str) -> CodeArtifact:
    files, escaping = scan(code_dir)
    if escaping:
        raise OutsideCode(code_dir, escaping[0])
    digest = hashlib.sha256()
    for rel in files:
        digest.update(rel.encode() + b"\0" + hashlib.sha256(read_inside(code_dir, rel)).digest())
    module = handler_file.relative_to(code_dir).with_suffix("").as_posix().replace("/", ".")
    return CodeArtifact(code_dir=code_dir, files=tuple(files), content_hash=digest.hexdigest(),
                        handler=f"{module}.{function}")
