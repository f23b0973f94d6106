"""Compile-speed benchmark (not a test): a generated service of about 500 resources.

Measures, as medians over repeated runs on this machine:
  - whole process: `specc compile SPEC --out DIR` as a user runs it (imports included);
  - in process: load, validate, check, plan, build and render, with modules already imported;
  - the floor: parsing the spec with CSafeLoader plus `json.dumps` of the compiled template.
Targets (issue 2): whole process <= 0.25 s; in process <= 5x the floor.

Usage: .venv/bin/python bench/run.py [--functions N] [--runs R] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from measure import compile_bytecode, median_seconds

REPO = Path(__file__).resolve().parent.parent
SPECC = Path(sys.executable).parent / "specc"


def generate(directory: Path, functions: int) -> Path:
    """A realistic service: every function has a route; one table per ten functions; one topic."""
    handler = directory / "handlers" / "app.py"
    handler.parent.mkdir(parents=True, exist_ok=True)
    handler.write_text("def handler(event, context):\n    return {'statusCode': 200}\n")
    tables = {f"table{t}": {"partition_key": {"name": "id", "type": "S"}} for t in range((functions + 9) // 10)}
    spec = {
        "specc": 1, "service": "bench", "environment": "dev", "regions": ["us-east-1"],
        "tables": tables,
        "topics": {"alerts": {}},
        "monitoring": {"notify": "alerts"},
        "functions": {
            f"fn{i}": {"handler": "handlers/app.py:handler",
                       "uses": {"tables": {f"table{i // 10}": "read_write"}, "topics": {"alerts": "publish"}}}
            for i in range(functions)
        },
        "routes": {f"POST /items{i}/{{id}}": f"fn{i}" for i in range(functions)},
        "limits": {"margin": 0.0},  # one template up to the full 500 (the default margin would split it)
    }
    path = directory / "bench.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--functions", type=int, default=31, help="31 functions give about 490 resources (each has ~15: role, policy, logs, DLQ, alarms, route)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    compile_bytecode()

    from specc.compiler import compile_spec
    from specc.output.emit import rendered_files

    with tempfile.TemporaryDirectory() as tmp:
        spec = generate(Path(tmp), args.functions)
        out = Path(tmp) / "out"
        compiled = compile_spec(spec)  # warm-up, and the resource count
        template = compiled.templates["service.json"]
        resources = len(template["Resources"])

        def whole_process() -> None:
            subprocess.run([str(SPECC), "compile", str(spec), "--out", str(out)], check=True,
                           stdout=subprocess.DEVNULL)

        def in_process() -> None:
            rendered_files(compile_spec(spec))

        def floor() -> None:
            yaml.load(spec.read_text(), Loader=yaml.CSafeLoader)
            json.dumps(template, indent=2, sort_keys=True)

        results = {
            "functions": args.functions,
            "resources": resources,
            "runs": args.runs,
            "whole_process_s": median_seconds(whole_process, args.runs),
            "in_process_s": median_seconds(in_process, args.runs),
            "floor_s": median_seconds(floor, args.runs),
        }
    results["in_process_over_floor"] = results["in_process_s"] / results["floor_s"]
    results["targets"] = {
        "whole_process_le_0.25s": results["whole_process_s"] <= 0.25,
        "in_process_le_5x_floor": results["in_process_over_floor"] <= 5,
    }
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
