"""Deterministic rendering and atomic writing of compiled output.

The whole output directory is written next to its destination and swapped in with renames, so a
failed compile leaves the previous output untouched and readers never see half a directory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import yaml

from specc import __version__
from specc.compiler import Compiled

try:
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]


def render(template: dict[str, Any], fmt: str) -> bytes:
    if fmt == "yaml":
        return yaml.dump(template, Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=120,
                         allow_unicode=True).encode()
    return render_json(template)


def render_json(value: Any) -> bytes:
    """Sorted, two-space indented JSON: the same bytes as `json.dumps(indent=2, sort_keys=True)`, but
    orjson keeps its native speed with indentation, where the standard library drops to pure Python."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)


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
    if compiled.layout is not None and compiled.layout.split:  # the nested stacks and the entries each holds
        manifest["split"] = compiled.layout.manifest()
    files["manifest.json"] = render_json(manifest)
    return files


def write_atomically(files: dict[str, bytes], out_dir: Path) -> None:
    """Replace `out_dir` with exactly `files`, or leave it as it was."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))

    def write(item: tuple[str, bytes]) -> None:
        target = staging / item[0]
        with open(target, "wb") as handle:
            handle.write(item[1])
            handle.flush()
            os.fsync(handle.fileno())

    try:
        for name in files:
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
        if len(files) <= 8:
            for item in files.items():
                write(item)
        else:  # fsync releases the GIL: a split service writes a hundred files or more, durably, in a few threads
            with ThreadPoolExecutor(max_workers=16) as pool:
                list(pool.map(write, files.items()))
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    backup = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.rmdir(backup)
    os.rename(out_dir, backup)
    try:
        os.rename(staging, out_dir)
    except BaseException:
        os.rename(backup, out_dir)
        raise
    shutil.rmtree(backup, ignore_errors=True)


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
