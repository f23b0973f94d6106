"""specc as a user gets it: the sdist and wheel `python -m build` makes, the wheel installed alone (not
editable) in a clean virtualenv, then `specc init`, compile, lint, check and the generated handler tests.

The wheel is built from the sdist (what `python -m build` does by default), so a file the sdist leaves out
is missing from the wheel too. The virtualenv sees nothing of this checkout: the commands run in a project
directory elsewhere, with PYTHONPATH unset. Dependencies come from the package index at the versions of
constraints.txt (the ranges in pyproject.toml are tested at their lower end by `make test-lower-bounds`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from specc import DISTRIBUTION, __version__

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def run(*command: str | Path, cwd: Path | None = None, timeout: int = 600) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, command))}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, REPO)
    name = DISTRIBUTION.replace("-", "_")
    return {"wheel": out / f"{name}-{__version__}-py3-none-any.whl", "sdist": out / f"{name}-{__version__}.tar.gz"}


def test_the_wheel_carries_the_package_its_typing_marker_license_and_metadata(dists: dict[str, Path]) -> None:
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = set(wheel.namelist())
        info = f"{DISTRIBUTION.replace('-', '_')}-{__version__}.dist-info"
        metadata = Parser().parsestr(wheel.read(f"{info}/METADATA").decode())
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    assert {"specc/py.typed", "specc/cli/init_templates/pci.py", "specc/model/schema.py", "specc/kinds/routes.py",
            f"{info}/licenses/LICENSE"} <= names
    assert {name.split("/")[0] for name in names} == {"specc", info}  # no tests, handlers or specs
    assert metadata["Name"] == DISTRIBUTION and metadata["Version"] == __version__
    assert metadata["License-Expression"] == "Apache-2.0"
    assert {url.split(",")[0] for url in metadata.get_all("Project-URL")} >= {"Homepage", "Source", "Issues"}
    assert "Typing :: Typed" in metadata.get_all("Classifier")
    assert metadata["Description-Content-Type"] == "text/markdown"
    requires = [r for r in metadata.get_all("Requires-Dist") if "extra ==" not in r]
    assert len(requires) == 10 and all(">=" in r and "<" in r and "==" not in r for r in requires), requires
    assert "specc = specc.cli:main" in entry_points


def test_the_sdist_carries_what_the_wheel_is_built_from(dists: dict[str, Path]) -> None:
    with tarfile.open(dists["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "src/specc/py.typed", "src/specc/cli/init_templates/api.py",
            "src/specc/__init__.py"} <= names


def test_the_wheel_alone_in_a_clean_virtualenv_inits_compiles_lints_checks_and_tests(
        dists: dict[str, Path], tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python, specc = venv / "bin" / "python", venv / "bin" / "specc"
    run(python, "-m", "pip", "install", "--quiet", dists["wheel"], "-c", REPO / "constraints.txt")
    assert run(specc, "--version").strip() == f"specc, version {__version__}"
    where = run(python, "-c", "import specc; print(specc.__file__)", cwd=tmp_path)
    assert where.startswith(str(venv)), where  # the installed wheel, not this checkout

    project = tmp_path / "shop"
    run(specc, "init", "--template", "api", project, cwd=tmp_path)
    # What the Next lines of `specc init` say first: pytest, and this very specc (already satisfied by the wheel).
    run(python, "-m", "pip", "install", "--quiet", "-r", project / "requirements-dev.txt", dists["wheel"],
        "-c", REPO / "constraints.txt", cwd=project)
    compiled = run(specc, "compile", "specs/shop.yaml", cwd=project)
    assert "templates_out/shop/service.json" in compiled
    assert "clean under cfn-lint" in run(specc, "lint", "specs/shop.yaml", cwd=project)
    assert "passes the baseline profile" in run(specc, "check", "specs/shop.yaml", cwd=project)
    tests = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "handlers", cwd=project)
    assert " passed" in tests and "failed" not in tests
