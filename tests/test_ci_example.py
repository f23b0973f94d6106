"""examples/ci/github-actions.yml: a valid GitHub workflow that compiles, fails on stale output, lints,
runs the checks and uploads SARIF to code scanning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from specc import DISTRIBUTION, __version__

WORKFLOW = Path(__file__).resolve().parent.parent / "examples" / "ci" / "github-actions.yml"


def steps() -> list[dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    (job,) = workflow["jobs"].values()
    return job["steps"]


def step_running(text: str) -> dict:
    found = [s for s in steps() if text in s.get("run", "")]
    assert found, f"no step runs `{text}`"
    return found[0]


def test_it_is_a_valid_github_workflow() -> None:
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                             str(WORKFLOW)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert workflow["permissions"]["security-events"] == "write"  # what upload-sarif needs


def test_it_sets_up_python_and_installs_specc() -> None:
    setup = next(s for s in steps() if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["python-version"] == "3.11"
    assert f"pip install {DISTRIBUTION}=={__version__}" in step_running("pip install")["run"]
    order = [s.get("uses", s.get("run", "")) for s in steps()]
    assert order.index(setup["uses"]) < order.index(step_running("pip install")["run"])


def test_it_compiles_every_spec_and_fails_on_stale_output() -> None:
    names = [s.get("name", "") for s in steps()]
    compile_step, stale = step_running("specc compile"), step_running("git diff --exit-code")
    assert "find specs -name '*.yaml'" in compile_step["run"]
    assert "templates_out" in stale["run"] and "exit 1" in stale["run"]
    assert names.index(compile_step["name"]) < names.index(stale["name"])


def test_it_lints_runs_the_checks_and_uploads_both_as_sarif() -> None:
    lint, check = step_running("specc lint --format sarif"), step_running("specc check --format sarif")
    uploads = [s for s in steps() if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    uploaded = {u["with"]["sarif_file"] for u in uploads}
    assert "> sarif/lint.sarif" in lint["run"] and "> sarif/check.sarif" in check["run"]
    assert uploaded == {"sarif/lint.sarif", "sarif/check.sarif"}
    assert len({u["with"]["category"] for u in uploads}) == 2  # one category per upload, as code scanning wants
    for step in (lint, check, *uploads):  # findings are uploaded even when an earlier step failed
        assert step["if"] == "success() || failure()"
