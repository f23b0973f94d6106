"""Scale benchmark (not a test): generated services of N functions, specc beside the AWS SAM translator.

For N = 10, 100, 400, 2000 and 5000 functions (each with a route; one table per ten functions, which each function
reads and writes), in one session and as medians over repeated runs:
  - specc whole process: `specc compile SPEC --out DIR` as a user runs it (imports, splitting and writing
    included), with the peak resident memory of that process;
  - specc in process: compile and render, modules already imported;
  - the SAM translator (aws-sam-translator, `pip install -e '.[bench]'`), in process, on the equivalent SAM
    template (AWS::Serverless::Function with an Api event and a DynamoDBCrudPolicy, AWS::DynamoDB::Table);
  - the floor: parsing the spec with CSafeLoader plus `json.dumps` of every template specc writes.
Then `specc --version` (start-up) and `specc lint` of the unchanged N=400 service (its findings cached; the
first, uncached run fills the cache and is reported once).

specc's output is not SAM's: per function it adds a dead-letter queue and its policy, an invoke config, four
alarms and explicit deny statements, so it writes about twice the resources for the same service.

Targets (issues 6 and 19), default settings: whole process >= 20x faster than SAM at N=400; N=2000 in <= 3 s
and <= 400 MB; N=5000 compiles; nested stacks at least half full on
average; N=2000 <= 6x N=400; `specc --version` <= 0.15 s; re-lint of N=400 <= 1 s.

Usage: .venv/bin/python bench/scale.py [--sizes 10 100 400 2000 5000] [--runs 5] [--sam-max 400] [--no-lint]
Writes bench/results.md (and prints it).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from measure import compile_bytecode, median_seconds

REPO = Path(__file__).resolve().parent.parent
SPECC = Path(sys.executable).parent / "specc"
RESULTS = REPO / "bench" / "results.md"


def generate(directory: Path, functions: int) -> Path:
    """The spec: every function has a route, reads and writes one table; one table per ten functions."""
    handler = directory / "handlers" / "app.py"
    handler.parent.mkdir(parents=True, exist_ok=True)
    handler.write_text("def handler(event, context):\n    return {'statusCode': 200}\n")
    spec: dict[str, Any] = {
        "specc": 1, "service": "bench", "environment": "dev", "regions": ["us-east-1"],
        "tables": {f"table{t}": {"partition_key": {"name": "id", "type": "S"}} for t in range((functions + 9) // 10)},
        "functions": {f"fn{i}": {"handler": "handlers/app.py:handler",
                                 "uses": {"tables": {f"table{i // 10}": "read_write"}}} for i in range(functions)},
        "routes": {f"POST /items{i}/{{id}}": f"fn{i}" for i in range(functions)},
    }
    path = directory / "bench.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def sam_template(functions: int) -> dict[str, Any]:
    """The same service in SAM: a function per route with a CRUD policy on its table."""
    resources: dict[str, Any] = {}
    for t in range((functions + 9) // 10):
        resources[f"Table{t}"] = {"Type": "AWS::DynamoDB::Table", "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "SSESpecification": {"SSEEnabled": True}}}
    for i in range(functions):
        resources[f"Fn{i}"] = {"Type": "AWS::Serverless::Function", "Properties": {
            "CodeUri": "s3://bench-artifacts/code/app.zip", "Handler": "app.handler", "Runtime": "python3.12",
            "Tracing": "Active",
            "Environment": {"Variables": {"TABLE": {"Ref": f"Table{i // 10}"}}},
            "Policies": [{"DynamoDBCrudPolicy": {"TableName": {"Ref": f"Table{i // 10}"}}}],
            "Events": {"Api": {"Type": "Api", "Properties": {"Path": f"/items{i}/{{id}}", "Method": "post"}}}}}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::Serverless-2016-10-31",
            "Resources": resources}


class _NoManagedPolicies:
    """The translator asks IAM for managed policy ARNs only for policies named by ARN; none are here."""

    def load(self) -> dict[str, str]:
        return {}


def sam_transform(template: dict[str, Any]) -> dict[str, Any]:
    from samtranslator.translator.transform import transform

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # the translator reads the region from boto3
    return transform(copy.deepcopy(template), {}, _NoManagedPolicies())


def run_process(args: list[str], env: dict[str, str] | None = None) -> float:
    """Wall time of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    status = child.wait()
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(args)} failed: {child.stderr.read().decode()[:2000] if child.stderr else ''}")
    return elapsed


_PEAK_PROBE = ("import resource, subprocess, sys\n"
               "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)")


def peak_mb(args: list[str]) -> int:
    """Peak resident memory (MB) of `args` on its own. A child started straight from this benchmark reports this
    process's peak when it is larger: subprocess starts children with vfork, and Linux keeps the peak of the
    memory a process replaces at exec. A small Python in between starts it instead."""
    probe = subprocess.run([sys.executable, "-c", _PEAK_PROBE, *args], check=True, capture_output=True, text=True)
    return int(probe.stdout)


def measure(size: int, runs: int, sam_max: int, work: Path) -> dict[str, Any]:
    from specc.compiler import compile_spec
    from specc.output.emit import rendered_files

    directory = work / f"n{size}"
    spec = generate(directory, size)
    out = directory / "out"
    from specc.language.diagnostics import SpecError

    try:
        compiled = compile_spec(spec)  # warm-up, and the counts
    except SpecError as exc:  # reported as the row's result: what specc says, not a benchmark crash
        return {"functions": size, "error": str(exc.diagnostics[0].message)}
    templates = dict(compiled.templates)
    resources = sum(len(t.get("Resources", {})) for n, t in templates.items()
                    if n == "service.json" or n.startswith("nested/"))
    stacks = len(compiled.layout.stacks) if compiled.layout else 0
    nested = [u for u in compiled.layout.usage if u.template.startswith("nested/")] if compiled.layout else []
    # how full the nested stacks are: the mean share of the resource budget they use (issue 19 asks >= half)
    fill = (statistics.mean(u.resources for u in nested) / compiled.layout.budget.resources) if nested else None
    runs_here = max(1, runs if size <= 400 else runs // 2 + 1)

    command = [str(SPECC), "compile", str(spec), "--out", str(out)]
    whole = [run_process(command) for _ in range(runs_here)]
    result: dict[str, Any] = {
        "functions": size, "resources": resources, "nested_stacks": stacks, "runs": runs_here, "fill": fill,
        "whole_s": statistics.median(whole), "peak_mb": peak_mb(command),
        "in_process_s": median_seconds(lambda: rendered_files(compile_spec(spec)), runs_here),
    }
    text = spec.read_text()

    def floor() -> None:
        yaml.load(text, Loader=yaml.CSafeLoader)
        for template in templates.values():
            json.dumps(template, indent=2, sort_keys=True)

    result["floor_s"] = median_seconds(floor, runs_here)
    if size <= sam_max:
        sam = sam_template(size)
        translated = sam_transform(sam)  # warm-up
        result["sam_resources"] = len(translated["Resources"])
        sam_runs = max(1, min(runs_here, 3 if size >= 400 else runs_here))
        result["sam_s"] = median_seconds(lambda: sam_transform(sam), sam_runs)
        sam_file = directory / "sam.json"
        sam_file.write_text(json.dumps(sam))
        env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
        result["sam_whole_s"] = statistics.median(
            run_process([sys.executable, str(Path(__file__)), "--translate", str(sam_file)], env)
            for _ in range(sam_runs))
    return result


def version_seconds(runs: int) -> float:
    return statistics.median(run_process([str(SPECC), "--version"]) for _ in range(runs))


def relint(work: Path, runs: int) -> dict[str, float]:
    """`specc lint` of the N=400 service: once to fill the cache (if empty), then unchanged."""
    spec = generate(work / "lint400", 400)
    env = {**os.environ, "SPECC_CACHE_DIR": str(REPO / ".specc-cache" / "bench")}  # kept between bench runs
    first = run_process([str(SPECC), "lint", str(spec)], env)
    again = statistics.median(run_process([str(SPECC), "lint", str(spec)], env) for _ in range(runs))
    return {"first_s": first, "unchanged_s": again, **cold_lint(work, spec)}


def cold_lint(work: Path, spec: Path) -> dict[str, float]:
    """`specc lint` on an empty cache against the cfn-lint command alone on the same templates (those
    `specc compile` writes, every region in one pass as specc does), each once: minutes of work."""
    cold_env = {**os.environ, "SPECC_CACHE_DIR": str(work / "cold-cache")}
    specc_cold = run_process([str(SPECC), "lint", str(spec)], cold_env)
    out = work / "lint400-out"
    run_process([str(SPECC), "compile", str(spec), "--out", str(out)])
    templates = sorted(str(path) for path in out.rglob("*.json") if '"Resources"' in path.read_text())
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    start = time.perf_counter()
    # cfn-lint exits non-zero on findings (specc's templates have none): only a crash would show on stderr
    subprocess.run([str(cfn_lint), "--regions", "us-east-1", "--", *templates], stdout=subprocess.DEVNULL,
                   check=False)
    alone = time.perf_counter() - start
    return {"cold_s": specc_cold, "cfn_lint_alone_s": alone, "templates": len(templates)}


def report(rows: list[dict[str, Any]], version: float, lint: dict[str, float] | None, started: float) -> str:
    by = {row["functions"]: row for row in rows}
    lines = [
        "# Scale benchmark (bench/scale.py)",
        "",
        f"Medians, {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores; "
        f"load average {os.getloadavg()[0]:.1f} at the end (the machine is shared: figures taken under load vary).",
        "",
        "| functions | resources (nested stacks, mean fill of the resource budget) | specc whole process | peak RSS "
        "| specc in process | floor | "
        "SAM translator in process (its resources) | SAM whole process | SAM in process / specc whole | "
        "SAM whole / specc whole |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['functions']:,} | does not compile: {row['error']} |||||||||")
            continue
        sam = (f"{row['sam_s']:.2f} s ({row['sam_resources']:,})" if "sam_s" in row else "not run")
        ratio = f"{row['sam_s'] / row['whole_s']:.1f}x" if "sam_s" in row else "-"
        whole_sam = f"{row['sam_whole_s']:.2f} s" if "sam_whole_s" in row else "not run"
        whole_ratio = f"{row['sam_whole_s'] / row['whole_s']:.1f}x" if "sam_whole_s" in row else "-"
        fill = f", {row['fill']:.0%}" if row.get("fill") is not None else ""
        lines.append(f"| {row['functions']:,} | {row['resources']:,} ({row['nested_stacks']}{fill}) "
                     f"| {row['whole_s']:.2f} s | "
                     f"{row['peak_mb']} MB | {row['in_process_s']:.2f} s | {row['floor_s']:.3f} s | {sam} | "
                     f"{whole_sam} | {ratio} | {whole_ratio} |")
    lines += ["", "What the SAM targets ask, against what cannot be compiled away:", ""]
    smallest = rows[0] if rows else None
    for size, factor in ((400, 20),):
        row = by.get(size)
        if not row or "sam_whole_s" not in row:
            continue
        allowed = row["sam_whole_s"] / factor
        lines.append(
            f"- N={size}: {factor}x SAM's whole process ({row['sam_whole_s']:.2f} s) allows {allowed:.3f} s for "
            f"{row['resources']:,} resources; specc took {row['whole_s']:.2f} s, of which about "
            f"{smallest['whole_s']:.2f} s is the cost of any compile (N={smallest['functions']}: start-up, imports, "
            f"validators). Per resource written, SAM took {1000 * row['sam_whole_s'] / row['sam_resources']:.2f} ms "
            f"and specc {1000 * row['whole_s'] / row['resources']:.3f} ms "
            f"({row['sam_whole_s'] / row['sam_resources'] / (row['whole_s'] / row['resources']):.0f}x).")
    lines += ["", f"`specc --version`: {version:.3f} s."]
    if lint:
        lines.append(f"`specc lint` of the unchanged N=400 service: {lint['unchanged_s']:.2f} s (its inputs unchanged: "
                     f"no compile, findings from the cache); the session's first run took {lint['first_s']:.1f} s "
                     "(it compiles the spec, new to the cache in its temporary directory, and runs cfn-lint only on "
                     "templates whose findings are not cached yet: minutes on a cold cache).")
        lines.append(f"Cold `specc lint` of N=400 (empty cache: compile, then cfn-lint over its {lint['templates']} "
                     f"templates in {os.cpu_count()} processes): {lint['cold_s']:.1f} s; the `cfn-lint` command alone "
                     f"on the same templates (one process, already compiled): {lint['cfn_lint_alone_s']:.1f} s "
                     f"({lint['cfn_lint_alone_s'] / lint['cold_s']:.2f}x specc's time).")
    checks = []

    def target(name: str, ok: bool | None, detail: str) -> None:
        checks.append(f"| {name} | {detail} | {'met' if ok else 'MISSED' if ok is not None else 'not measured'} |")

    for size, factor in ((400, 20),):
        row = by.get(size)
        ok = row["sam_whole_s"] / row["whole_s"] >= factor if row and "sam_whole_s" in row else None
        target(f"whole process >= {factor}x faster than SAM (whole process) at N={size}", ok,
               f"{row['sam_whole_s'] / row['whole_s']:.1f}x" if row and "sam_whole_s" in row else "-")
        ok = row["sam_s"] / row["whole_s"] >= factor if row and "sam_s" in row else None
        target(f"whole process >= {factor}x faster than SAM (in process) at N={size}", ok,
               f"{row['sam_s'] / row['whole_s']:.1f}x" if row and "sam_s" in row else "-")
    big, mid = by.get(2000), by.get(400)
    target("N=2000 compiles and splits in <= 3 s", big["whole_s"] <= 3 if big else None,
           f"{big['whole_s']:.2f} s" if big else "-")
    target("N=2000 peak memory <= 400 MB", big["peak_mb"] <= 400 if big else None,
           f"{big['peak_mb']} MB" if big else "-")
    huge = by.get(5000)
    target("N=5000 compiles with default settings", "error" not in huge if huge else None,
           (huge.get("error", "")[:80] or f"{huge['whole_s']:.2f} s, {huge['nested_stacks']} stacks") if huge else "-")
    for size in (400, 2000):
        row = by.get(size)
        target(f"mean fill of nested stacks at N={size} >= 50%",
               row["fill"] >= 0.5 if row and row.get("fill") else None,
               f"{row['fill']:.0%}" if row and row.get("fill") else "-")
    target("N=2000 <= 6x N=400", big["whole_s"] <= 6 * mid["whole_s"] if big and mid else None,
           f"{big['whole_s'] / mid['whole_s']:.1f}x" if big and mid else "-")
    target("`specc --version` <= 0.15 s", version <= 0.15, f"{version:.3f} s")
    target("re-lint of unchanged N=400 <= 1 s", lint["unchanged_s"] <= 1 if lint else None,
           f"{lint['unchanged_s']:.2f} s" if lint else "-")
    lines += ["", "| target | measured | |", "|---|---:|---|", *checks, "",
              f"Total benchmark time {time.perf_counter() - started:.0f} s."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 400, 2000, 5000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sam-max", type=int, default=400,
                        help="largest N given to the SAM translator (it is quadratic)")
    parser.add_argument("--no-lint", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--translate", type=Path, help=argparse.SUPPRESS)  # one SAM transform, as its own process
    args = parser.parse_args()
    if args.translate:
        json.dumps(sam_transform(json.loads(args.translate.read_text())), indent=2, sort_keys=True)
        return 0
    started = time.perf_counter()
    compile_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for size in args.sizes:
            rows.append(measure(size, args.runs, args.sam_max, Path(tmp)))
            print(json.dumps(rows[-1]), file=sys.stderr)
        version = version_seconds(max(args.runs, 5))
        lint = None if args.no_lint else relint(Path(tmp), 3)
    text = report(rows, version, lint, started)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
