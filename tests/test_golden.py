"""Golden cases: tests/golden/<case>/spec.yaml compiles to exactly tests/golden/<case>/expected/.

To accept a deliberate change: `SPECC_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py`,
then read `git diff tests/golden` before committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from specc.compiler import compile_spec
from specc.lint.cfn import lint_templates
from specc.output.emit import rendered_files

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "spec.yaml").is_file())


@pytest.mark.parametrize("case", CASES)
def test_compiles_to_expected(case: str) -> None:
    files = rendered_files(compile_spec(GOLDEN / case / "spec.yaml"))
    expected_dir = GOLDEN / case / "expected"
    if os.environ.get("SPECC_REGEN_GOLDEN"):
        expected_dir.mkdir(exist_ok=True)
        for stale in expected_dir.iterdir():
            stale.unlink()
        for name, body in files.items():
            (expected_dir / name).write_bytes(body)
    expected = {p.name: p.read_bytes() for p in expected_dir.iterdir()}
    assert sorted(files) == sorted(expected)
    for name, body in files.items():
        assert body.decode() == expected[name].decode(), f"{case}/{name} differs from the golden file"


@pytest.mark.parametrize("case", CASES)
def test_expected_output_is_lint_clean_in_every_region(case: str) -> None:
    expected_dir = GOLDEN / case / "expected"
    manifest = json.loads((expected_dir / "manifest.json").read_text())
    templates = {name: json.loads((expected_dir / name).read_text()) for name in manifest["templates"]}
    assert templates, "a golden case without templates proves nothing"
    findings = lint_templates(templates, manifest["regions"])
    assert [f.render(case) for f in findings] == []


def test_test_files_in_a_code_directory_stay_out_of_the_artifact() -> None:
    """The api case's code directory holds src/web/test_home.py: the zip Lambda gets has only the handlers."""
    compiled = compile_spec(GOLDEN / "api" / "spec.yaml")
    assert (GOLDEN / "api" / "src" / "web" / "test_home.py").is_file()
    code = (GOLDEN / "api" / "src").resolve()
    files = {artifact.files for artifact in compiled.artifacts.values() if artifact.code_dir.resolve() == code}
    assert files == {("web/home.py", "web/items.py")}
