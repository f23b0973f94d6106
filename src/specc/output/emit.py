"""Deterministic rendering and atomic writing of compiled output.

The whole output directory is written next to its destination and swapped in atomically, so a failed or
interrupted compile leaves the previous output untouched and readers never see half a directory, nor none.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import yaml

from specc import __version__

if TYPE_CHECKING:
    from specc.output.compiled import Compiled

try:
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]


def render(template: dict[str, Any], fmt: str) -> bytes:
    if fmt == "yaml":
        return yaml.dump(template, Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=120,
                         allow_unicode=True).encode()
    return render_json(template)


COMPACT_ABOVE = 512 * 1024  # bytes of indented JSON past which a template is written one entry per line


def render_json(value: Any) -> bytes:
    """Sorted, two-space indented JSON: the same bytes as `json.dumps(indent=2, sort_keys=True)`, but
    orjson keeps its native speed with indentation, where the standard library drops to pure Python.

    Indentation is a third of a large template's bytes, and CloudFormation counts them against its 1 MB quota:
    a template over 512 KiB indented is written one entry (resource, output, parameter...) per line instead,
    still sorted and diffable line by line. The choice depends on the template alone, so output stays
    deterministic, and every reader (lint's line numbers, uploads, TemplateURL hashes) uses this one function."""
    body = orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    if len(body) <= COMPACT_ABOVE or not isinstance(value, dict):
        return body
    return _entry_per_line(value)


def _entry_per_line(template: dict[str, Any]) -> bytes:
    lines = [b"{"]
    sections = sorted(template.items())
    for index, (section, content) in enumerate(sections):
        comma = b"," if index < len(sections) - 1 else b""
        if not isinstance(content, dict) or not content:
            lines.append(orjson.dumps(section) + b": " + orjson.dumps(content, option=orjson.OPT_SORT_KEYS) + comma)
            continue
        lines.append(orjson.dumps(section) + b": {")
        entries = sorted(content.items())
        lines += [orjson.dumps(name) + b": " + orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)
                  + (b"," if position < len(entries) - 1 else b"") for position, (name, entry) in enumerate(entries)]
        lines.append(b"}" + comma)
    lines.append(b"}\n")
    return b"\n".join(lines)


def rendered_files(compiled: Compiled, fmt: str = "json") -> dict[str, bytes]:
    """Every output file, by name: the templates and a manifest describing them."""
    files: dict[str, bytes] = {}
    summary: dict[str, Any] = {}
    for name, template in sorted(compiled.templates.items()):
        file_name = name if fmt == "json" else name.rsplit(".", 1)[0] + ".yaml"
        layout = compiled.layout
        if fmt == "json" and layout and name in layout.rendered:  # the bytes TemplateURLs hashed, and their hash
            body, digest = layout.rendered[name], layout.digests[name]
        else:
            body = render(template, fmt)
            digest = hashlib.sha256(body).hexdigest()
        files[file_name] = body
        types = Counter(resource["Type"] for resource in template.get("Resources", {}).values())
        summary[file_name] = {
            "bytes": len(body),
            "sha256": digest,
            "resources": sum(types.values()),
            "outputs": len(template.get("Outputs", {})),
            "parameters": len(template.get("Parameters", {})),
            "resource_types": dict(sorted(types.items())),
        }
    spec = compiled.spec
    manifest = {
        "service": spec.service,
        "environment": spec.environment,
        "regions": list(spec.regions),
        "spec": compiled.source.path.name,
        "compiler": f"specc {__version__}",
        "templates": summary,
        "artifacts": {
            function: {
                "bucket": f"{spec.artifacts.bucket_prefix}-<account>-<region>",
                "key": f"{spec.service}/{artifact.s3_key}",
                "content_sha256": artifact.content_hash,
                "handler": artifact.handler,
                "files": list(artifact.files),
            }
            for function, artifact in sorted(compiled.artifacts.items())
        },
    }
    if compiled.layer_artifacts:
        manifest["layers"] = {
            layer: {"key": f"{spec.service}/{artifact.s3_key}", "content_sha256": artifact.content_hash,
                    "files": list(artifact.files)}
            for layer, artifact in sorted(compiled.layer_artifacts.items())
        }
    if compiled.layout is not None and compiled.layout.split:  # the nested stacks and the entries each holds
        manifest["split"] = compiled.layout.manifest()
    files["manifest.json"] = render_json(manifest)
    return files


class OutputInterrupted(KeyboardInterrupt):
    """An interrupt while the output was written, once the output directory was made consistent again; its
    message says, in one line, which output the directory now holds."""


def write_atomically(files: dict[str, bytes], out_dir: Path) -> None:
    """Replace `out_dir` with exactly `files`, or leave it as it was.

    The directory is never missing: the new output is written beside it and exchanged with it in one system call
    (renameat2 RENAME_EXCHANGE) where the file system has it, else renamed in two steps whose gap a later compile
    repairs. Compiles to one place take turns (a lock on the parent directory), so they never trip over each
    other's work directories, and each removes what an earlier, killed compile left. The directory keeps its mode.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _locked(out_dir.parent):
        _repair(out_dir)
        staging = _workdir(out_dir, "new")
        staged = os.stat(staging).st_ino  # which directory holds the new output, whatever happened in between
        try:
            if out_dir.is_dir():
                os.chmod(staging, os.stat(out_dir).st_mode & 0o7777)
            _fill(staging, files)
            _swap(staging, out_dir)
        except BaseException as exc:
            holds_new = _settle(out_dir, staged)
            if isinstance(exc, KeyboardInterrupt) and not isinstance(exc, OutputInterrupted):
                which = ("holds the new output, complete" if holds_new
                         else "holds the previous output, unchanged; nothing was written")
                raise OutputInterrupted(f"interrupted: {out_dir} {which}") from None
            raise


def _fill(staging: Path, files: dict[str, bytes]) -> None:
    def write(item: tuple[str, bytes]) -> None:
        target = staging / item[0]
        with open(target, "wb") as handle:
            handle.write(item[1])
            handle.flush()
            os.fsync(handle.fileno())

    for name in files:
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
    if len(files) <= 8:
        for item in files.items():
            write(item)
    else:  # fsync releases the GIL: a split service writes a hundred files or more, durably, in a few threads
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(write, files.items()))


def _swap(staging: Path, out_dir: Path) -> None:
    """Put `staging` at `out_dir`; the previous output (if any) is removed afterwards."""
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    if _exchange(staging, out_dir):  # staging now holds the previous output
        shutil.rmtree(staging, ignore_errors=True)
        return
    backup = _workdir(out_dir, "old")
    os.rmdir(backup)
    os.rename(out_dir, backup)
    os.rename(staging, out_dir)  # a kill between the two renames leaves only the backup: _repair puts it back
    shutil.rmtree(backup, ignore_errors=True)


def _settle(out_dir: Path, staged: int) -> bool:
    """After a failure or an interrupt anywhere in write_atomically: leave `out_dir` holding one complete output and
    no work directory; True when that is the new output."""
    _repair(out_dir)
    try:
        holds_new = os.stat(out_dir).st_ino == staged
    except OSError:
        holds_new = False
    _clean(out_dir)
    return holds_new


def _repair(out_dir: Path) -> None:
    """Put back the previous output when an earlier compile was killed between its two renames (the backup is
    then the only complete output), and remove every other work directory a killed compile left."""
    if not os.path.lexists(out_dir):
        backups = sorted(_leftovers(out_dir, "old"), key=lambda p: p.stat().st_mtime)
        if backups:
            os.rename(backups[-1], out_dir)
    _clean(out_dir)


def _clean(out_dir: Path) -> None:
    for leftover in _leftovers(out_dir, "new") + _leftovers(out_dir, "old"):
        shutil.rmtree(leftover, ignore_errors=True)


def _leftovers(out_dir: Path, kind: str) -> list[Path]:
    prefix = f".{out_dir.name}.{kind}-"
    try:
        return [out_dir.parent / name for name in os.listdir(out_dir.parent) if name.startswith(prefix)]
    except OSError:
        return []


def _workdir(out_dir: Path, kind: str) -> Path:
    """A new, empty `.<out>.<kind>-<random>` beside `out_dir`, with the mode a plain mkdir gives (mkdtemp's is
    0700, which every compile then gave the output directory)."""
    while True:
        candidate = out_dir.parent / f".{out_dir.name}.{kind}-{os.urandom(6).hex()}"
        try:
            os.mkdir(candidate)
            return candidate
        except FileExistsError:
            continue


def _exchange(first: Path, second: Path) -> bool:
    """Swap two directories atomically (Linux renameat2 RENAME_EXCHANGE); False where the system or the file
    system cannot, and the caller falls back to two renames."""
    rename_at2 = _renameat2()
    if rename_at2 is None:
        return False
    import ctypes

    if rename_at2(-100, os.fsencode(first), -100, os.fsencode(second), 2) == 0:  # AT_FDCWD, RENAME_EXCHANGE
        return True
    error = ctypes.get_errno()
    if error in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(error, os.strerror(error), str(second))


@functools.cache
def _renameat2() -> Any:
    if sys.platform != "linux":
        return None
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).renameat2  # glibc 2.28+, musl 1.2.2+
    except (AttributeError, OSError):
        return None


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive lock on the output's parent directory while its work directories exist: overlapping compiles
    to one place take turns (they failed with "Directory not empty"), and none removes another's work directory."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover (not POSIX: no lock; the swap stays safe for one compile at a time)
        yield
        return
    handle = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def default_out_dir(spec_path: Path) -> Path:
    """`specs/examples/x.yaml` -> `templates_out/examples/x` beside `specs/`; elsewhere `templates_out/<stem>`."""
    spec_path = Path(spec_path).resolve()
    for parent in spec_path.parents:
        if parent.name == "specs":
            relative = spec_path.relative_to(parent).with_suffix("")
            return parent.parent / "templates_out" / relative
    return Path("templates_out") / spec_path.stem


def write_file_atomically(target: Path, body: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(body)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
