"""`make mutation`: mutation testing of the compiler's core with mutmut, one group of modules at a time.

The groups live in pyproject.toml (`[tool.specc.mutation.<group>]`: `mutate`, globs of the modules to mutate, and
`tests`, the test files that exercise them); that table is the only list of mutated modules. Each group runs in its
own directory, build/mutation/<group>/ (`pytest_args`, optional, adds pytest options such as a `-k` that leaves
out a test too slow to run against every mutant), holding links to the sources and a pyproject.toml that adds the
group's `[tool.mutmut]` section, so mutmut only runs the group's tests (and, per mutant, only those that call the
mutated function): a group takes minutes, not the hours of the whole suite against every mutant.

    .venv/bin/python scripts/mutation.py              # every group
    .venv/bin/python scripts/mutation.py iam naming   # some groups
    .venv/bin/python scripts/mutation.py --summary    # print the last results again, without running

Prints, per group, mutants, killed, survived and the kill rate, then each survivor's name; `mutmut show <name>`
in the group's directory shows its diff. Exits 1 when a group kills less than `--minimum` (90%) of its mutants.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from glob import glob
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutation"
# What the selected tests read besides src/ and tests/ (the `repo` fixture is the copy mutmut runs in).
DATA = ["handlers", "specs", "schema", "examples", "docs"]
# mutmut's exit codes (mutmut/__main__.py, status_by_exit_code) that mean the tests caught the mutant.
KILLED = {1, 3, -24, 24, 152, 255, 36}  # failed, pytest internal error, or timed out (CPU or wall clock)
SURVIVED = {0}
NO_TESTS = {5, 33}


def groups() -> dict[str, dict[str, list[str]]]:
    """The groups of pyproject.toml's `[tool.specc.mutation]`, by name."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["specc"]["mutation"]


def modules(group: dict[str, list[str]]) -> list[str]:
    """The files a group mutates, relative to the repository root."""
    return sorted({str(Path(p).relative_to(ROOT)) for pattern in group["mutate"] for p in glob(str(ROOT / pattern))})


def mutmut_section(group: dict[str, list[str]]) -> str:
    """The `[tool.mutmut]` table for one group. `--hypothesis-seed`: property tests draw the same examples for
    every mutant, so a verdict never depends on luck."""
    lines = ["", "[tool.mutmut]", 'source_paths = ["src"]', f"only_mutate = {json.dumps(group['mutate'])}",
             f"also_copy = {json.dumps(DATA)}",
             f"pytest_add_cli_args_test_selection = {json.dumps(group['tests'])}",
             "pytest_add_cli_args = " + json.dumps(["-m", "not slow", "-p", "no:cacheprovider", "--hypothesis-seed=0",
                                                    *group.get("pytest_args", [])])]
    return "\n".join(lines) + "\n"


def prepare(name: str, group: dict[str, list[str]]) -> Path:
    """A fresh directory for the group: links to the sources, and pyproject.toml with the group's mutmut config."""
    work = WORK / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for entry in ["src", "tests", *DATA]:
        (work / entry).symlink_to(ROOT / entry, target_is_directory=True)
    (work / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text() + mutmut_section(group))
    return work


def run(work: Path, children: int) -> int:
    mutmut = Path(sys.executable).parent / "mutmut"
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    command = ["nice", "-n", "10", str(mutmut), "run", "--max-children", str(children)]
    return subprocess.run(command, cwd=work, env=env).returncode


def results(work: Path, files: list[str]) -> dict[str, Any]:
    """Counts and survivors per mutated file, from mutmut's result files (mutants/<file>.meta)."""
    found: dict[str, Any] = {}
    for file in files:
        meta = work / "mutants" / (file + ".meta")
        if not meta.exists():
            continue
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        status = Counter("killed" if c in KILLED else "survived" if c in SURVIVED else "no tests" if c in NO_TESTS
                         else "not run" if c is None else f"other ({c})" for c in codes.values())
        found[file] = {"mutants": len(codes), **status,
                       "survivors": sorted(k for k, c in codes.items() if c in SURVIVED or c in NO_TESTS)}
    return found


def report(name: str, found: dict[str, Any], minimum: float) -> bool:
    total = sum(f["mutants"] for f in found.values())
    killed = sum(f.get("killed", 0) for f in found.values())
    rate = killed / total if total else 0.0
    print(f"\n== {name}: {total} mutants, {killed} killed, {total - killed} not killed: {rate:.1%}")
    for file, counts in sorted(found.items()):
        others = {k: v for k, v in counts.items() if k not in ("mutants", "killed", "survivors")}
        print(f"   {file}: {counts['mutants']} mutants, {counts.get('killed', 0)} killed"
              + "".join(f", {v} {k}" for k, v in sorted(others.items())))
        for survivor in counts["survivors"]:
            print(f"      {survivor}")
    return total > 0 and rate >= minimum


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("groups", nargs="*", help="groups of [tool.specc.mutation] (default: all)")
    parser.add_argument("--children", type=int, default=1, help="mutants tested at once (a shared machine: 1)")
    parser.add_argument("--minimum", type=float, default=0.9, help="the kill rate each group must reach")
    parser.add_argument("--summary", action="store_true", help="report the last run's results without running")
    args = parser.parse_args()
    config = groups()
    unknown = sorted(set(args.groups) - set(config))
    if unknown:
        parser.error(f"unknown groups {unknown}; known: {sorted(config)}")
    ok = True
    for name in args.groups or sorted(config):
        work = WORK / name
        if not args.summary:
            work = prepare(name, config[name])
            if run(work, args.children) != 0:
                print(f"mutmut failed for {name} (read its output above)")
                ok = False
                continue
        found = results(work, modules(config[name]))
        if found:
            (work / "summary.json").write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
        ok = report(name, found, args.minimum) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
