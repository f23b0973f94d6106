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


def test_repeated_compiles_do_not_keep_earlier_ones_alive(tmp_path):
    """The collector is paused while compiling. A process that compiles again and again (the tests, an editor)
    must still get each compile's cyclic garbage back: freezing the results out of the collector once kept
    every split compile's objects (48,000 per 100 functions)."""
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return {}\n")
    functions = "".join(f"  fn{i}:\n    handler: app.py:handler\n" for i in range(12))
    spec = tmp_path / "split.yaml"
    spec.write_text("specc: 1\nservice: shop\nenvironment: dev\nregions: [us-east-1]\n"
                    f"limits: {{margin: 0.9}}\nfunctions:\n{functions}")
    out = run(
        "import gc, sys\nfrom specc.compiler import compile_spec\nblocks = []\n"
        f"for _ in range(5):\n    compiled = compile_spec({str(spec)!r})\n    stacks = len(compiled.layout.stacks)\n"
        "    del compiled\n    gc.collect()\n    blocks.append(sys.getallocatedblocks())\n"
        "print(stacks, blocks)")
    stacks, blocks = out.split(" ", 1)
    counts = [int(n) for n in blocks.strip().strip("[]").split(",")]
    assert int(stacks) > 1  # split: the case whose objects hold cycles
    assert counts[-1] - counts[1] < 0.1 * counts[1], counts  # the third to fifth compiles add nothing
