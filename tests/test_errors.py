"""Error cases: each tests/errors/<case>.yaml gives exactly the diagnostics in <case>.expected.

The spec is run through `specc validate` as a user would, from the repository root. To accept a
deliberate wording change: `SPECC_REGEN_ERRORS=1 .venv/bin/python -m pytest tests/test_errors.py`,
then read `git diff tests/errors`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from specc.cli.app import main

ERRORS = Path(__file__).parent / "errors"
CASES = sorted(p.stem for p in ERRORS.glob("*.yaml"))


@pytest.mark.parametrize("case", CASES)
def test_exact_diagnostics(case: str, runner, repo, monkeypatch) -> None:
    monkeypatch.chdir(repo)
    result = runner.invoke(main, ["validate", f"tests/errors/{case}.yaml"])
    expected_file = ERRORS / f"{case}.expected"
    if os.environ.get("SPECC_REGEN_ERRORS"):
        expected_file.write_text(result.output)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output == expected_file.read_text()


@pytest.mark.parametrize("case", CASES)
def test_every_diagnostic_is_located(case: str, runner, repo, monkeypatch) -> None:
    monkeypatch.chdir(repo)
    lines = runner.invoke(main, ["validate", f"tests/errors/{case}.yaml"]).output.splitlines()
    diagnostics = lines[:-1]
    assert diagnostics, "an error case must produce at least one diagnostic"
    for line in diagnostics:
        location, code = line.split(" ")[:2]
        path, row, column = location.rsplit(":", 2)
        assert path == f"tests/errors/{case}.yaml" or path.startswith("tests/errors/extends/")  # or its base
        assert int(row) >= 1 and int(column) >= 1
        assert (code[0] == "E" and code[1:].isdigit()) or (code[:3] == "SEC" and code[3:].isdigit())
    assert lines[-1].endswith("nothing was written.")


@pytest.mark.parametrize("case", CASES)
def test_validate_and_compile_agree(case: str, runner, repo, monkeypatch, tmp_path) -> None:
    """`validate` runs every check `compile` runs: the same diagnostics for every error case, and neither writes."""
    monkeypatch.chdir(repo)
    validated = runner.invoke(main, ["validate", f"tests/errors/{case}.yaml"])
    compiled = runner.invoke(main, ["compile", f"tests/errors/{case}.yaml", "--out", str(tmp_path / "out")])
    assert (validated.exit_code, compiled.exit_code) == (1, 1)
    assert validated.output == compiled.output
    assert not (tmp_path / "out").exists()
