"""Start-up (issue 2 measures a whole `specc compile` process): modules our dependencies import but a compile
never uses are registered lazily by specc._startup, and must still work in full when something does use them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "specs" / "prod.yaml"


def run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=REPO).stdout


def test_a_compile_leaves_the_deferred_modules_unloaded():
    loaded = json.loads(run(
        "import json, sys\nfrom specc._startup import DEFERRED\nfrom specc.compiler import compile_spec\n"
        f"compile_spec({str(SPEC)!r})\n"
        "print(json.dumps({name: '__getattr__' not in vars(sys.modules[name]) for name in DEFERRED}))"))
    assert loaded == {"importlib.metadata": False, "cfn_flip": False}


def test_deferred_modules_load_on_first_use():
    out = run(
        "import specc.compiler\n"
        "from importlib.metadata import version\nimport importlib.metadata as metadata\nimport cfn_flip\n"
        "from troposphere import Template\n"
        "print(version('troposphere') == metadata.distribution('troposphere').version)\n"
        "print(cfn_flip.to_json('a: 1').replace(chr(10), '').replace(' ', ''))\n"
        "print(Template().to_yaml().strip())")
    assert out.split("\n")[:3] == ["True", '{"a":1}', "Resources: {}"]
