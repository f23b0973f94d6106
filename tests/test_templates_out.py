"""templates_out/ is committed: it must be exactly what the specs compile to, and lint clean.

When this fails after a deliberate change: `make templates`, read `git diff templates_out`, commit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specc.compiler import compile_spec
from specc.language.extends import is_base
from specc.lint.cfn import lint_templates
from specc.output.emit import default_out_dir, rendered_files

REPO = Path(__file__).resolve().parent.parent
SPECS = sorted(p for p in (REPO / "specs").rglob("*.yaml") if not is_base(p))  # bases compile through their specs


def test_there_are_specs_to_check() -> None:
    assert REPO / "specs" / "prod.yaml" in SPECS


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: str(p.relative_to(REPO)))
def test_committed_output_is_fresh(spec: Path) -> None:
    out_dir = default_out_dir(spec)
    assert out_dir.is_dir(), f"{out_dir.relative_to(REPO)} is missing: run `make templates`"
    files = rendered_files(compile_spec(spec))
    committed = {p.name: p.read_bytes() for p in out_dir.iterdir() if p.is_file()}
    assert sorted(committed) == sorted(files), "stale file list: run `make templates`"
    stale = [name for name, body in files.items() if committed[name] != body]
    assert stale == [], f"stale: {stale}; run `make templates` and read the diff"


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: str(p.relative_to(REPO)))
def test_committed_templates_are_lint_clean_in_every_target_region(spec: Path) -> None:
    out_dir = default_out_dir(spec)
    manifest = json.loads((out_dir / "manifest.json").read_text())
    templates = {name: json.loads((out_dir / name).read_text()) for name in manifest["templates"]}
    assert templates
    assert [f.render() for f in lint_templates(templates, manifest["regions"])] == []
