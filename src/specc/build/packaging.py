"""Deterministic code artifacts: the same handler files always give the same hash and zip bytes.

The S3 key is derived from a hash of the files' paths and contents (not of the zip bytes, which
depend on the zlib build), so templates are byte-identical on every machine.
"""

from __future__ import annotations

import hashlib
import io
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
                archive.writestr(info, (self.code_dir / rel).read_bytes())
        return buffer.getvalue()


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
    files = sorted(
        p.relative_to(code_dir).as_posix()
        for p in code_dir.rglob("*")
        if p.is_file() and included(p.relative_to(code_dir))
    )
    digest = hashlib.sha256()
    for rel in files:
        digest.update(rel.encode() + b"\0" + hashlib.sha256((code_dir / rel).read_bytes()).digest())
    module = handler_file.relative_to(code_dir).with_suffix("").as_posix().replace("/", ".")
    return CodeArtifact(code_dir=code_dir, files=tuple(files), content_hash=digest.hexdigest(),
                        handler=f"{module}.{function}")
