"""`make mutation` (scripts/mutation.py) reads its groups from pyproject's `[tool.specc.mutation]`: every glob there
names existing modules, every test file exists, and the compiler's core modules are all mutated. Runs in no time:
when a module moves, this fails until its path in pyproject.toml is updated."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import specc.build.iam
import specc.build.naming
import specc.checks.references
import specc.output.split
import specc.policy

REPO = Path(__file__).resolve().parent.parent
GROUPS = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["specc"]["mutation"]


def test_every_group_mutates_existing_modules_with_existing_tests() -> None:
    assert GROUPS
    for name, group in GROUPS.items():
        for pattern in group["mutate"]:
            assert sorted(REPO.glob(pattern)), f"{name}: {pattern} matches no module"
        for test in group["tests"]:
            assert (REPO / test.split("::")[0]).is_file(), f"{name}: {test} does not exist"


def test_the_compilers_core_is_mutated() -> None:
    """IAM, naming, the split, the reference checks and every policy check module."""
    core = [specc.build.iam, specc.build.naming, specc.output.split, specc.checks.references,
            *(c.module for c in specc.policy.CHECKS)]
    patterns = [pattern for group in GROUPS.values() for pattern in group["mutate"]]
    for module in core:
        path = Path(module.__file__).resolve().relative_to(REPO).as_posix()
        assert any(fnmatch(path, pattern) for pattern in patterns), f"{path} is in no [tool.specc.mutation] group"


def test_every_hand_made_mutant_still_applies_to_exactly_one_place() -> None:
    """scripts/hand_mutants.py changes text mutmut cannot reach (module constants, cached functions). When that code
    moves, this fails, rather than the mutant silently changing nothing."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("hand_mutants", REPO / "scripts" / "hand_mutants.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert len(module.MUTANTS) == 11
    for name, file, old, new, tests in module.MUTANTS:
        assert (REPO / file).read_text().count(old) == 1, name
        assert old != new and (REPO / tests).is_file(), name
