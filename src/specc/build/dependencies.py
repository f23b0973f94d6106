"""A code directory's `requirements.txt`, installed for Lambda's platform: wheels only, for the function's (or
layer's) architecture and runtime, built once per content and kept in a cache.

Compiling never installs anything: the artifact's S3 key covers the requirements file (its bytes are among the
code directory's files), the runtime, the architecture and BUILDER (artifact_salt), so a fresh clone with an empty
cache compiles byte-identical templates. Installing happens when a zip is made (`specc package`, `specc deploy`),
into `<project>/.specc-cache/dependencies/<key>/` (`$SPECC_CACHE_DIR` moves it, as it moves the lint cache); the
key depends on the requirements, the runtime and the architecture only, so editing handler code never reinstalls.

That the key names what the zip holds rests on two rules: every requirement is pinned to one version (`name==1.2`,
checked at compile time: requirement_problems), and every package pip installs is among them (checked after the
install against pip's report: a transitive dependency that is not pinned could resolve differently tomorrow).
The resolved set (names, versions, wheel files and their sha256) is kept beside the installed tree as
`resolved.json`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from specc.build.packaging import CodeArtifact

REQUIREMENTS_FILE = "requirements.txt"
# Changes whenever what an install produces changes (options, the cleaning below), so old cache entries and old
# S3 keys are not reused for a different layout.
BUILDER = "specc-dependencies-1"
CACHE_DIR_VARIABLE = "SPECC_CACHE_DIR"
SITE = "site"  # the installed tree inside a cache entry
RESOLVED = "resolved.json"
# Lambda's execution environments: python3.10 and 3.11 run on Amazon Linux 2 (glibc 2.26), 3.12 and later on
# Amazon Linux 2023 (glibc 2.34). manylinux2014 (glibc 2.17) wheels run on both; AL2023 also runs manylinux_2_28
# wheels, which some projects publish alone for newer releases. Earlier platforms are preferred.
_MACHINE = {"x86_64": "x86_64", "arm64": "aarch64"}
_AL2023_FROM = (3, 12)
# What a wheel install leaves that varies between machines or installs, and that Lambda never reads: console
# scripts (their shebang names the building interpreter), pip's own bookkeeping, byte code.
_DROPPED_TOP = {"bin"}
_DROPPED_DIST_INFO = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
# What pip prints when it could not reach an index (with --retries 1 or more it logs each connection failure).
_UNREACHABLE = re.compile(r"NewConnectionError|Failed to establish a new connection|Connection refused|"
                          r"connection error|ConnectTimeout|Name or service not known|Temporary failure in name "
                          r"resolution|ProxyError|SSLError|Max retries exceeded|Network is unreachable")
_NOT_FOUND = re.compile(r"No matching distribution found for (\S+)")
_VERSIONS = re.compile(r"Could not find a version that satisfies the requirement \S+ \(from versions: ([^)]*)\)")
_PINNED_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+!_-]*$")


class DependencyError(Exception):
    """Installing a requirements file failed for a reason the user can fix: its message says which package, why,
    and what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class Target:
    """Lambda's platform for one artifact."""

    runtime: str  # python3.12
    architecture: str  # x86_64 | arm64

    @property
    def python_version(self) -> str:
        return self.runtime.removeprefix("python")

    @property
    def platforms(self) -> tuple[str, ...]:
        machine = _MACHINE[self.architecture]
        found: tuple[str, ...] = (f"manylinux2014_{machine}", f"manylinux_2_17_{machine}")
        major, minor = (int(part) for part in self.python_version.split("."))
        if (major, minor) >= _AL2023_FROM:
            found += (f"manylinux_2_28_{machine}",)
        return found

    def describe(self) -> str:
        abi = "cp" + self.python_version.replace(".", "")
        return f"Lambda's {self.runtime} on {self.architecture} ({self.platforms[0]}, {abi})"


@dataclass(frozen=True)
class Requirements:
    """A requirements file as it was read when the artifact was collected: the bytes hashed are the bytes installed."""

    code_dir: Path
    text: bytes
    target: Target
    cache_root: Path  # the project's .specc-cache (or $SPECC_CACHE_DIR)

    @property
    def key(self) -> str:
        digest = hashlib.sha256()
        for part in (BUILDER.encode(), self.target.runtime.encode(), self.target.architecture.encode(),
                     hashlib.sha256(self.text).digest()):
            digest.update(part + b"\0")
        return digest.hexdigest()

    @property
    def entry(self) -> Path:
        return self.cache_root / "dependencies" / self.key

    def describe(self) -> str:
        """The file as the user knows it: relative to the working directory when below it."""
        shown = os.path.relpath(self.code_dir / REQUIREMENTS_FILE)
        return Path(shown if not shown.startswith("..") else self.code_dir / REQUIREMENTS_FILE).as_posix()


def artifact_salt(target: Target) -> bytes:
    """What an artifact with dependencies adds to its content hash besides its files (the requirements file is
    one of them): the platform the dependencies are installed for, and how they are installed."""
    return f"\0dependencies\0{BUILDER}\0{target.runtime}\0{target.architecture}".encode()


def cache_root(project_root: Path) -> Path:
    configured = os.environ.get(CACHE_DIR_VARIABLE)
    return Path(configured) if configured else project_root / ".specc-cache"


def installed_dir(artifact: CodeArtifact) -> Path | None:
    """The directory holding the artifact's installed dependencies (built now if the cache lacks it), which a
    local run puts on sys.path after the code directory (Lambda's /var/task holds both); None without a
    requirements file. Raises DependencyError."""
    if artifact.requirements is None:
        return None
    return install(artifact.requirements)


def install(requirements: Requirements) -> Path:
    """The installed tree of `requirements`, from the cache or installed into it now."""
    site = requirements.entry / SITE
    if (requirements.entry / RESOLVED).is_file() and site.is_dir():
        return site
    if requirements.entry.exists():  # an entry without its resolved.json is not one specc finished: rebuilt
        shutil.rmtree(requirements.entry)
    requirements.entry.parent.mkdir(parents=True, exist_ok=True)
    _ignore_in_git(requirements.cache_root)
    with tempfile.TemporaryDirectory(prefix=f".{requirements.key[:12]}-", dir=requirements.entry.parent) as work:
        staging = Path(work) / "entry"
        (staging / SITE).mkdir(parents=True)
        resolved = _run_pip(requirements, Path(work), staging / SITE)
        _clean(staging / SITE)
        (staging / RESOLVED).write_text(json.dumps(resolved, indent=2, sort_keys=True) + "\n")
        try:
            os.replace(staging, requirements.entry)  # atomic: a concurrent build of the same key is identical
        except OSError:
            if not (requirements.entry / RESOLVED).is_file():
                raise
    return site


def _ignore_in_git(root: Path) -> None:
    """The cache is git-ignored even in a project whose .gitignore does not name it (as pytest does)."""
    marker = root / ".gitignore"
    if not marker.exists():
        root.mkdir(parents=True, exist_ok=True)
        marker.write_text("# created by specc: installed dependencies and lint results, rebuilt on demand\n*\n")


def pip_command(requirements_file: Path, target: Target, site: Path, report: Path) -> list[str]:
    platforms = [option for platform in target.platforms for option in ("--platform", platform)]
    return [sys.executable, "-m", "pip", "install", "--target", str(site), *platforms, "--only-binary=:all:",
            "--implementation", "cp", "--python-version", target.python_version, "--no-compile",
            "--no-input", "--disable-pip-version-check", "--progress-bar", "off",
            # at least one retry: pip names a connection failure only when it retries
            "--retries", str(max(1, _int(os.environ.get("PIP_RETRIES"), 5))),
            "--report", str(report), "-r", str(requirements_file)]


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _run_pip(requirements: Requirements, work: Path, site: Path) -> dict[str, object]:
    requirements_file = work / REQUIREMENTS_FILE
    requirements_file.write_bytes(requirements.text)
    report = work / "report.json"
    command = pip_command(requirements_file, requirements.target, site, report)
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=work)
    if done.returncode != 0:
        raise _failure(requirements, done.stdout + done.stderr)
    return _resolved(requirements, json.loads(report.read_text()))


def _failure(requirements: Requirements, output: str) -> DependencyError:
    target = requirements.target
    missing = _NOT_FOUND.search(output)
    unreachable = _UNREACHABLE.search(output)
    if unreachable:
        package = missing.group(1) if missing else "its packages"
        indexes = re.search(r"Looking in indexes: (\S+)", output)
        where = f" ({indexes.group(1).rstrip(',')})" if indexes else ""
        return DependencyError("E372", f"could not reach the package index{where} to install {package} from "
                               f"{requirements.describe()}: {unreachable.group(0)}; check the network, or point pip at "
                               "a reachable index (PIP_INDEX_URL, pip.conf)")
    if missing:
        versions = _VERSIONS.search(output)
        found = versions.group(1).strip() if versions else ""
        other = (f"; versions with a wheel for this platform: {found}" if found and found != "none"
                 else "; the index has no wheel of it for this platform at all")
        return DependencyError("E371", f"no wheel of {missing.group(1)} (in {requirements.describe()}) for "
                               f"{target.describe()}{other}: pin a version that publishes one (Lambda cannot "
                               "build source distributions), or replace the package")
    last = [line for line in output.splitlines() if line.startswith("ERROR:")] or output.strip().splitlines()[-1:]
    return DependencyError("E373", f"pip could not install {requirements.describe()} for {target.describe()}: "
                           f"{' '.join(last)[:500]}")


def _resolved(requirements: Requirements, report: dict[str, object]) -> dict[str, object]:
    """The resolved set from pip's installation report, refused when pip installed anything the file does not pin."""
    from packaging.utils import canonicalize_name

    pinned = pins(requirements.text.decode())
    packages = []
    unpinned = []
    for item in report.get("install", []):  # type: ignore[attr-defined]
        metadata, download = item["metadata"], item.get("download_info", {})
        name, version = canonicalize_name(metadata["name"]), metadata["version"]
        if pinned.get(name) != version:
            unpinned.append(f"{metadata['name']}=={version}")
        url = str(download.get("url", ""))
        hashes = download.get("archive_info", {}).get("hashes", {})
        packages.append({"name": str(name), "version": str(version), "wheel": url.rsplit("/", 1)[-1],
                         "sha256": str(hashes.get("sha256", ""))})
    if unpinned:
        listed = ", ".join(f"`{item}`" for item in sorted(unpinned))
        raise DependencyError("E374", f"pip also installed {listed}, which {requirements.describe()} does not pin "
                              "(dependencies of the packages it names): add them to it (`pip freeze` or pip-compile "
                              "writes the whole set), so that the artifact's key names everything it ships")
    return {"builder": BUILDER, "runtime": requirements.target.runtime,
            "architecture": requirements.target.architecture, "platforms": list(requirements.target.platforms),
            "requirements_sha256": hashlib.sha256(requirements.text).hexdigest(),
            "packages": sorted(packages, key=lambda p: p["name"])}


def _clean(site: Path) -> None:
    """Drop what varies between installs and what Lambda never reads (see _DROPPED_*)."""
    for top in _DROPPED_TOP:
        if (site / top).is_dir():
            shutil.rmtree(site / top)
    for folder, dirs, names in os.walk(site):
        for name in [d for d in dirs if d == "__pycache__"]:
            shutil.rmtree(Path(folder) / name)
            dirs.remove(name)
        if folder.endswith(".dist-info"):
            for name in names:
                if name in _DROPPED_DIST_INFO:
                    os.remove(Path(folder) / name)


def site_files(site: Path) -> Iterator[str]:
    """The files of an installed tree, as sorted posix paths, without byte code (a local run may have written
    some into the cache)."""
    found = []
    for folder, dirs, names in os.walk(site):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in names:
            if not name.endswith((".pyc", ".pyo")):
                found.append((Path(folder) / name).relative_to(site).as_posix())
    yield from sorted(found)


# --- the requirements file's own rules, checked at compile time (checks/requirements.py) ----------------------

def pins(text: str) -> dict[str, str]:
    """Canonical package name -> pinned version, of the lines requirement_problems accepts."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    found: dict[str, str] = {}
    for _, line in logical_lines(text):
        try:
            requirement = Requirement(_without_hashes(line))
        except InvalidRequirement:
            continue
        versions = [s.version for s in requirement.specifier if s.operator in ("==", "===")]
        if versions:
            found[canonicalize_name(requirement.name)] = versions[0]
    return found


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each requirement line: comments dropped, `\\` continuations joined."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined = (pending + line).strip()
        pending = ""
        if joined:
            yield start, joined
    if pending.strip():
        yield start, pending.strip()


def _without_hashes(line: str) -> str:
    return re.sub(r"\s--hash[=\s]\S+", "", " " + line).strip()


def requirement_problems(text: str) -> list[tuple[int, str]]:
    """(line, what is wrong) for each line that would make the installed set depend on more than the file's text:
    options (another file, an index, an editable path), URLs and paths (code from outside the project), markers
    (pip evaluates them on the building machine, not on Lambda), and versions not pinned to exactly one."""
    from packaging.requirements import InvalidRequirement, Requirement

    problems = []
    for number, line in logical_lines(text):
        if line.startswith("-"):
            problems.append((number, f"the option `{line.split()[0]}` is not supported: a requirements file lists "
                             "packages only (put index settings in pip's configuration: PIP_INDEX_URL, pip.conf)"))
            continue
        try:
            requirement = Requirement(_without_hashes(line))
        except InvalidRequirement:
            problems.append((number, f"`{line[:80]}` is not a requirement (name==version) or names a path or URL: "
                             "specc installs published wheels only, and packages code only from inside the project"))
            continue
        if requirement.url:
            problems.append((number, f"`{requirement.name}` comes from a URL: specc installs published wheels only "
                             "(put shared code in a layer)"))
        elif requirement.marker is not None:
            problems.append((number, f"`{requirement.name}` has an environment marker: pip would evaluate it on "
                             "this machine, not on Lambda; list only the packages the function needs"))
        else:
            exact = [s for s in requirement.specifier if s.operator in ("==", "===") and "*" not in s.version
                     and _PINNED_VERSION.match(s.version)]
            if len(exact) != 1 or len(requirement.specifier) != 1:
                problems.append((number, f"`{line[:80]}` does not pin one version: write "
                                 f"`{requirement.name}==<version>` (pip freeze or pip-compile writes the whole "
                                 "set), so the same spec always ships the same packages"))
    return problems
