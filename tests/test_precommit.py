"""The pre-commit hooks of .pre-commit-hooks.yaml, run by the real `pre-commit` in a temporary repository.

The hook repository is a git repository made from this working tree (pyproject.toml, README.md, src/
and the hooks file) and used by path, as users use it by URL: pre-commit installs specc into its own
virtualenv from it (`language: python`), which is what makes this test slow (about 25 s).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
GOOD = """\
specc: 1
service: hello
environment: dev
regions: [eu-west-1]
code_root: ..
functions:
  greet:
    handler: handlers/app.py:handler
"""
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV, "GIT_CONFIG_GLOBAL": os.devnull}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def hook_repository(target: Path) -> str:
    """This working tree's package and hooks file, committed; returns the commit to pin as `rev`."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(REPO / name, target / name)
    shutil.copytree(REPO / "src", target / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "hooks")
    return git(target, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("precommit")
    rev = hook_repository(root / "hooks")
    project = root / "project"
    (project / "specs").mkdir(parents=True)
    (project / "handlers").mkdir()
    (project / "handlers" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    (project / "specs" / "good.yaml").write_text(GOOD)
    (project / "specs" / "bad.yaml").write_text(GOOD.replace("    handler:", "    memroy: 512\n    handler:"))
    (project / "notes.yaml").write_text("not: a spec\n")
    config = {"repos": [{"repo": str(root / "hooks"), "rev": rev,
                         "hooks": [{"id": "specc-validate"}, {"id": "specc-lint"}]}]}
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(project, "init", "-q")
    git(project, "add", "-A")
    return project


def pre_commit(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "GIT_CONFIG_GLOBAL": os.devnull,
           "PRE_COMMIT_HOME": str(project.parent / "pre-commit-home"), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--color", "never", *args], cwd=project,
                          env=env, capture_output=True, text=True, timeout=600)


def test_the_hooks_file_declares_both_hooks_for_specs() -> None:
    hooks = {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"specc-validate", "specc-lint"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["files"] == r"^specs/.*\.ya?ml$"
        assert hook["exclude"] == r"\.base\.ya?ml$"  # a base is checked through its environments (E014 alone)
        assert hook["entry"].startswith("specc ")


@pytest.mark.slow
def test_a_good_spec_passes_both_hooks_and_other_yaml_is_left_alone(project: Path) -> None:
    (project / "specs" / "good.base.yaml").write_text("specc: 1\n")  # a base: left to its environments
    result = pre_commit(project, "--files", "specs/good.yaml", "notes.yaml", "specs/good.base.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "specc validate" in result.stdout and "specc lint" in result.stdout
    assert result.stdout.count("Passed") == 2
    skipped = pre_commit(project, "--files", "notes.yaml")
    assert skipped.returncode == 0 and skipped.stdout.count("(no files to check)Skipped") == 2


@pytest.mark.slow
def test_a_broken_spec_fails_each_hook_with_the_located_error(project: Path) -> None:
    for hook in ("specc-validate", "specc-lint"):
        result = pre_commit(project, hook, "--files", "specs/bad.yaml")
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Failed" in result.stdout
        assert "specs/bad.yaml:8:5 E101 functions.greet.memroy: unknown field 'memroy'" in result.stdout, result.stdout
        assert "1 error; nothing was written." in result.stdout
