"""Dependencies from requirements.txt, installed for Lambda's platform when a zip is made (build/dependencies.py).

Compiling installs nothing and gives the same templates with any cache; packaging installs manylinux wheels for
the function's runtime and architecture, byte-identical from two empty caches, and once per requirements content.
The tests that install reach the package index (marked slow); the error cases point pip at a dead one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from specc.build import dependencies
from specc.build.dependencies import DependencyError, installed_dir
from specc.cli.app import main
from specc.compiler import compile_spec
from specc.output.emit import rendered_files

SPEC = """specc: 1
service: deps
environment: dev
regions: [eu-west-1]
code_root: ..
functions:
  api:
    handler: handlers/api/app.py:handler
    runtime: {runtime}
    architecture: {architecture}
"""
# one pure-Python package (attrs) and one with a compiled extension (orjson); neither has dependencies
REQUIREMENTS = "attrs==24.2.0\norjson==3.10.7\n"
HANDLER = ("import attrs\nimport orjson\n\n\ndef handler(event, context):\n"
           "    return orjson.dumps({'ok': True}).decode()\n")


def project(root: Path, requirements: str = REQUIREMENTS, runtime: str = "python3.12",
            architecture: str = "x86_64") -> Path:
    """A git work tree with one function whose code directory has `requirements`; returns the spec."""
    (root / ".git").mkdir(parents=True)
    (root / "specs").mkdir()
    (root / "handlers" / "api").mkdir(parents=True)
    (root / "handlers" / "api" / "app.py").write_text(HANDLER)
    (root / "handlers" / "api" / "requirements.txt").write_text(requirements)
    spec = root / "specs" / "deps.yaml"
    spec.write_text(SPEC.format(runtime=runtime, architecture=architecture))
    return spec


def artifact_of(spec: Path) -> Any:
    return compile_spec(spec).artifacts["api"]


@pytest.fixture
def no_pip(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Records every subprocess specc's dependency builder starts, and starts none."""
    calls: list[list[str]] = []

    def refuse(command: list[str], **_: Any) -> None:
        calls.append(command)
        raise AssertionError(f"pip was run: {command}")

    monkeypatch.setattr(subprocess, "run", refuse)
    return calls


def test_compiling_installs_nothing_and_gives_the_same_templates_with_any_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_pip: list[list[str]]) -> None:
    spec = project(tmp_path / "p")
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path / "cache-a"))
    first = rendered_files(compile_spec(spec))
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path / "cache-b"))
    assert rendered_files(compile_spec(spec)) == first
    assert no_pip == []
    assert not (tmp_path / "cache-a").exists() and not (tmp_path / "p" / ".specc-cache").exists()


def test_the_s3_key_covers_requirements_runtime_and_architecture_and_nothing_else(tmp_path: Path) -> None:
    keys = {
        "base": artifact_of(project(tmp_path / "base")).s3_key,
        "requirements": artifact_of(project(tmp_path / "req", "attrs==24.2.0\n")).s3_key,
        "runtime": artifact_of(project(tmp_path / "rt", runtime="python3.13")).s3_key,
        "architecture": artifact_of(project(tmp_path / "arch", architecture="arm64")).s3_key,
    }
    assert len(set(keys.values())) == len(keys)
    assert artifact_of(project(tmp_path / "again")).s3_key == keys["base"]  # another clone, the same key
    plain = project(tmp_path / "plain")
    (plain.parent.parent / "handlers" / "api" / "requirements.txt").unlink()
    files = {"app.py": HANDLER.encode()}  # without requirements: the hash of the files alone, as before
    digest = hashlib.sha256()
    for rel, content in sorted(files.items()):
        digest.update(rel.encode() + b"\0" + hashlib.sha256(content).digest())
    assert artifact_of(plain).content_hash == digest.hexdigest()


def _zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


@pytest.mark.slow
def test_the_zip_holds_the_wheels_for_the_functions_platform(tmp_path: Path) -> None:
    archive = _zip(artifact_of(project(tmp_path / "x86")).zip_bytes())
    names = archive.namelist()
    assert names == sorted(names)
    assert {"app.py", "requirements.txt", "attr/__init__.py", "attrs/__init__.py", "orjson/__init__.py"} <= set(names)
    compiled = [n for n in names if n.endswith(".so")]
    assert compiled == ["orjson/orjson.cpython-312-x86_64-linux-gnu.so"]
    wheel = archive.read("orjson-3.10.7.dist-info/WHEEL").decode()
    assert "Tag: cp312-cp312-manylinux_2_17_x86_64" in wheel
    assert archive.read(compiled[0])[:4] == b"\x7fELF" and archive.read(compiled[0])[18] == 62  # EM_X86_64

    arm = _zip(artifact_of(project(tmp_path / "arm", architecture="arm64")).zip_bytes())
    assert [n for n in arm.namelist() if n.endswith(".so")] == ["orjson/orjson.cpython-312-aarch64-linux-gnu.so"]
    assert "Tag: cp312-cp312-manylinux_2_17_aarch64" in arm.read("orjson-3.10.7.dist-info/WHEEL").decode()


@pytest.mark.slow
def test_two_clean_builds_give_byte_identical_zips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = project(tmp_path / "p")
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path / "first"))
    first = artifact_of(spec).zip_bytes()
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path / "second"))
    second = artifact_of(spec).zip_bytes()
    assert first == second
    entries = _zip(first).infolist()
    assert {e.date_time for e in entries} == {(1980, 1, 1, 0, 0, 0)}
    modes = {e.filename: e.external_attr >> 16 for e in entries}
    # the wheel's executable bit, kept (umask-independent): 0o755 for the extension module, 0o644 for the rest
    assert {name for name, mode in modes.items() if mode == 0o755} == {"orjson/orjson.cpython-312-x86_64-linux-gnu.so"}
    assert set(modes.values()) == {0o644, 0o755}
    names = [e.filename for e in entries]
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", "/RECORD", "/INSTALLER")) or
                n.startswith("bin/")]


@pytest.mark.slow
def test_the_cache_makes_the_second_build_skip_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = project(tmp_path / "p")
    built = artifact_of(spec).zip_bytes()
    entry = artifact_of(spec).requirements.entry
    resolved = json.loads((entry / "resolved.json").read_text())
    assert [(p["name"], p["version"]) for p in resolved["packages"]] == [("attrs", "24.2.0"), ("orjson", "3.10.7")]
    assert resolved["packages"][1]["wheel"].startswith("orjson-3.10.7-cp312-cp312-manylinux")
    assert all(len(p["sha256"]) == 64 for p in resolved["packages"])
    assert (tmp_path / "p" / ".specc-cache" / ".gitignore").read_text().endswith("*\n")

    (tmp_path / "p" / "handlers" / "api" / "app.py").write_text(HANDLER + "# edited\n")  # code only: no reinstall
    calls: list[Any] = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    edited = artifact_of(spec)
    assert edited.requirements.entry == entry
    again = edited.zip_bytes()
    assert calls == []
    assert again != built and _zip(again).read("orjson/__init__.py") == _zip(built).read("orjson/__init__.py")
    assert installed_dir(edited) == entry / "site"


def _pip_failure(tmp_path: Path, requirements: str, monkeypatch: pytest.MonkeyPatch) -> str:
    spec = project(tmp_path / "p", requirements)
    with pytest.raises(DependencyError) as failed:
        artifact_of(spec).zip_bytes()
    assert not list((tmp_path / "p" / ".specc-cache" / "dependencies").iterdir())  # no half-built entry
    return str(failed.value)


@pytest.mark.slow
def test_a_package_with_no_wheel_at_all_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    message = _pip_failure(tmp_path, "specc-no-such-package-7c1e==1.0\n", monkeypatch)
    assert message == (
        "E371: no wheel of specc-no-such-package-7c1e==1.0 (in p/handlers/api/requirements.txt) for Lambda's "
        "python3.12 on x86_64 (manylinux2014_x86_64, cp312); the index has no wheel of it for this platform at all: "
        "pin a version that publishes one (Lambda cannot build source distributions), or replace the package")


@pytest.mark.slow
def test_a_version_without_a_wheel_for_the_runtime_is_named_with_those_that_have_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    message = _pip_failure(tmp_path, "PyYAML==5.4.1\n", monkeypatch)  # released before Python 3.12: sdist only
    prefix = ("E371: no wheel of PyYAML==5.4.1 (in p/handlers/api/requirements.txt) for Lambda's python3.12 on "
              "x86_64 (manylinux2014_x86_64, cp312); versions with a wheel for this platform: ")
    assert message.startswith(prefix)
    assert message.endswith(": pin a version that publishes one (Lambda cannot build source distributions), or "
                            "replace the package")
    listed = message[len(prefix):].split(":")[0].split(", ")
    assert "6.0.2" in listed and "5.4.1" not in listed


@pytest.mark.slow
def test_an_unpinned_dependency_of_a_pinned_package_is_refused(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    message = _pip_failure(tmp_path, "python-dateutil==2.9.0.post0\n", monkeypatch)
    assert message == (
        "E374: pip also installed `six==1.17.0`, which p/handlers/api/requirements.txt does not pin (dependencies of "
        "the packages it names): add them to it (`pip freeze` or pip-compile writes the whole set), so that the "
        "artifact's key names everything it ships")


def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed on return: nothing listens there


def test_an_unreachable_index_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: Any) -> None:
    port = _dead_port()
    for variable in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # only the index below: no pip.conf, no local wheels
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{port}/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")  # specc still retries once: pip names a connection failure only then
    spec = project(tmp_path / "p")
    monkeypatch.chdir(tmp_path / "p")
    result = runner.invoke(main, ["package", "specs/deps.yaml", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: E372: could not reach the package index (http://127.0.0.1:{port}/simple) to install "
        "attrs==24.2.0 from handlers/api/requirements.txt: NewConnectionError; check the network, or point pip at "
        "a reachable index (PIP_INDEX_URL, pip.conf)\n")
    assert not (tmp_path / "out").exists()
    assert not list((tmp_path / "p" / ".specc-cache" / "dependencies").iterdir())  # no half-built entry
    assert spec.is_file()


def test_the_pip_command_targets_lambdas_platform(tmp_path: Path) -> None:
    target = dependencies.Target("python3.12", "arm64")
    command = dependencies.pip_command(tmp_path / "requirements.txt", target, tmp_path / "site", tmp_path / "r.json")
    joined = " ".join(command[1:])
    assert (f"-m pip install --target {tmp_path}/site --platform manylinux2014_aarch64 --platform "
            "manylinux_2_17_aarch64 --platform manylinux_2_28_aarch64 --only-binary=:all: --implementation cp "
            "--python-version 3.12 --no-compile") in joined
    older = dependencies.Target("python3.11", "x86_64").platforms
    assert older == ("manylinux2014_x86_64", "manylinux_2_17_x86_64")  # Amazon Linux 2: glibc 2.26


def test_package_reports_a_requirements_problem_before_installing(tmp_path: Path, runner: Any,
                                                                 no_pip: list[list[str]]) -> None:
    spec = project(tmp_path / "p", "attrs>=24\n")
    result = runner.invoke(main, ["package", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "E370 functions.api.handler: handlers/api/requirements.txt:1: `attrs>=24` does not pin one version" in (
        result.stderr)
    assert no_pip == []



@pytest.mark.slow
def test_an_unfinished_cache_entry_is_rebuilt(tmp_path: Path) -> None:
    """An entry without its resolved.json (a build killed before the rename could not leave one; a hand-edited
    cache could) is not trusted: it is built again."""
    spec = project(tmp_path / "p", "attrs==24.2.0\n")
    entry = artifact_of(spec).requirements.entry
    (entry / "site" / "attrs").mkdir(parents=True)
    (entry / "site" / "attrs" / "__init__.py").write_text("raise ImportError('not what pip installed')\n")
    archive = _zip(artifact_of(spec).zip_bytes())
    assert b"not what pip installed" not in archive.read("attrs/__init__.py")
    assert (entry / "resolved.json").is_file()
