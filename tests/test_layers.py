"""The layers in pyproject's import-linter contracts hold, and break when a lower stage imports a higher one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
                          cwd=root, env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def copy_of_repo(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "src" / "specc", tmp_path / "src" / "specc",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_repository_keeps_every_contract():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "broken"), [
    # a build step reaching up to the command line
    ("build/naming.py", "from specc.cli import app", "The pipeline's layers"),
    # the compiler importing AWS code
    ("compiler.py", "import boto3", "Compiling never imports the command line or AWS"),
    # deploying reaching into the compiler's internals
    ("aws/session.py", "from specc.build import iam", "Deploying is apart from compiling"),
    # two modules of one package importing each other
    ("checks/names.py", "from specc.checks import cycles", "No import cycles anywhere"),
])
def test_a_violating_import_breaks_its_contract(copy_of_repo: Path, module: str, line: str, broken: str):
    target = copy_of_repo / "src" / "specc" / module
    if module == "checks/names.py":  # make the cycle: cycles imports names, names imports cycles
        (copy_of_repo / "src" / "specc" / "checks" / "cycles.py").write_text(
            (copy_of_repo / "src" / "specc" / "checks" / "cycles.py").read_text()
            + "\nfrom specc.checks import names\n")
    target.write_text(target.read_text() + f"\n{line}\n")
    result = lint_imports(copy_of_repo)
    assert result.returncode != 0
    broken_section = result.stdout.split("Broken contracts", 1)[1]
    assert broken in broken_section, result.stdout
