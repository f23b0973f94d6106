"""checkov and cfripper, as users run them, over every committed template (from .venv-scan: their pins clash
with ours). `python tests/scan_harness.py` prints the figures quoted in docs/security.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SCAN_VENV = REPO / ".venv-scan"
SCAN_PYTHON = SCAN_VENV / "bin" / "python"
REQUIREMENTS = REPO / "requirements-scan.txt"
MISSING = (f"{SCAN_VENV.relative_to(REPO)} is missing or incomplete: run `make test` (it creates it from "
           f"{REQUIREMENTS.name}); the scanner tests never skip")


def require_scan_venv(venv: Path = SCAN_VENV) -> Path:
    """The scanners' virtualenv, or a test failure that says how to make it (never a skip)."""
    import pytest

    if not ((venv / "bin" / "python").exists() and (venv / "bin" / "checkov").exists()):
        pytest.fail(MISSING)
    return venv


def committed_templates() -> list[Path]:
    """Every template of every spec under specs/, as listed by its committed manifest (nested ones included)."""
    sys.path.insert(0, str(REPO / "src"))
    from specc.output.emit import default_out_dir

    found = []
    for spec in sorted(p for p in (REPO / "specs").rglob("*.yaml") if not p.name.endswith(".base.yaml")):
        out_dir = default_out_dir(spec)
        assert (out_dir / "manifest.json").is_file(), f"{out_dir} has no manifest.json: run `make templates`"
        manifest = json.loads((out_dir / "manifest.json").read_text())
        found += [out_dir / name for name in sorted(manifest["templates"])]
    return found


def golden_templates() -> list[Path]:
    """The expected templates of every golden case: each kind with its options, opt-outs included."""
    return sorted(p for p in (REPO / "tests" / "golden").glob("*/expected/**/*.json") if p.name != "manifest.json")


def pinned(package: str) -> str:
    for line in REQUIREMENTS.read_text().splitlines():
        name, _, version = line.partition("==")
        if name.strip().lower() == package:
            return version.strip()
    raise AssertionError(f"{package} is not pinned in {REQUIREMENTS.name}")


def scan_environment() -> dict[str, str]:
    """Offline: no Bridgecrew/Prisma API key, no download of the check-to-guideline mapping."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BC_API_KEY", "PRISMA_", "CKV_API"))}
    env.update(BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false", LOG_LEVEL="ERROR")
    return env


@dataclass
class CheckovResult:
    passed: int
    failed: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    parsing_errors: int
    resources: int


def checkov(templates: list[Path], cwd: Path) -> CheckovResult:
    args = [str(SCAN_VENV / "bin" / "checkov"), "--framework", "cloudformation", "--skip-download", "--output", "json"]
    for template in templates:
        args += ["--file", str(template)]
    run = subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=scan_environment(), timeout=600)
    assert run.returncode in (0, 1), f"checkov failed to run ({run.returncode}):\n{run.stderr[-3000:]}"
    reports = json.loads(run.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    result = CheckovResult(0, [], [], 0, 0)
    for report in reports:
        result.passed += report["summary"]["passed"]
        result.parsing_errors += report["summary"]["parsing_errors"]
        result.resources += report["summary"]["resource_count"]
        result.failed += report["results"]["failed_checks"]
        result.skipped += report["results"]["skipped_checks"]
    return result


@dataclass
class CfripperResult:
    rules: int
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)

    def blocking(self) -> list[tuple[str, dict[str, Any]]]:
        return [(path, f) for path, r in self.templates.items() for f in r["failed"] if f["mode"] == "BLOCKING"]

    def monitored(self) -> list[tuple[str, dict[str, Any]]]:
        return [(path, f) for path, r in self.templates.items() for f in r["failed"] if f["mode"] != "BLOCKING"]


def cfripper(templates: list[Path]) -> CfripperResult:
    run = subprocess.run([str(SCAN_PYTHON), str(REPO / "tests" / "cfripper_scan.py"), *map(str, templates)],
                         capture_output=True, text=True, env=scan_environment(), timeout=600)
    assert run.returncode == 0, f"cfripper failed to run:\n{run.stderr[-3000:]}"
    report = json.loads(run.stdout)
    return CfripperResult(rules=report["rules"], templates=report["templates"])


def summary(templates: list[Path], cwd: Path) -> dict[str, Any]:
    ck, cf = checkov(templates, cwd), cfripper(templates)
    return {
        "templates": len(templates),
        "checkov": {"resources": ck.resources, "passed": ck.passed, "failed": len(ck.failed),
                    "skipped": len(ck.skipped), "parsing_errors": ck.parsing_errors},
        "cfripper": {"rules": cf.rules, "evaluations": cf.rules * len(templates), "failed": len(cf.blocking()),
                     "monitor_or_debug": len(cf.monitored()),
                     "skipped": sum(len(r["skipped"]) for r in cf.templates.values()),
                     "errors": sum(len(r["errors"]) for r in cf.templates.values())},
    }


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(summary(committed_templates(), Path(tmp)), indent=2))
