"""Splitting a service past CloudFormation's quotas (src/specc/split.py): stable, acyclic, within budget, wired.

The property test compiles a service, changes one function (added, removed or renamed) and asserts that every
other resource stays in the stack it was in. Services here keep half of each quota free (`limits.margin: 0.5`,
a budget of 250 resources), so two dozen functions are enough to split.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from specc.build.naming import camel
from specc.compiler import compile_spec
from specc.language.diagnostics import SpecError
from specc.output.emit import render_json
from specc.output.split import (
    INDEX_BITS,
    Budget,
    ShardTree,
    _Size,
    budget_report,
    dependency_edges,
    find_cycle,
    hash_bits,
    usage_of,
)

HERE = Path(__file__).parent
SPLIT_SERVICE = HERE / "deploy" / "split_service" / "spec.yaml"
NAMES = st.from_regex(r"[a-z][a-z0-9]{1,8}", fullmatch=True)


def write_service(directory: Path, functions: list[str], *, margin: float = 0.5, shards: int | None = None,
                  calls: dict[str, str] | None = None) -> Path:
    """Functions with a route each under a shared `/api` prefix, two tables, one function calling another."""
    (directory / "handlers").mkdir(parents=True, exist_ok=True)
    (directory / "handlers" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    spec: dict[str, Any] = {
        "specc": 1, "service": "svc", "environment": "dev", "regions": ["us-east-1"],
        "limits": {"margin": margin} if shards is None else {"margin": margin, "shards": shards},
        "tables": {"orders": {"partition_key": {"name": "id", "type": "S"}},
                   "stock": {"partition_key": {"name": "sku", "type": "S"}}},
        "functions": {}, "routes": {},
    }
    for index, name in enumerate(sorted(functions)):
        uses: dict[str, Any] = {"tables": {"orders" if index % 2 else "stock": "read_write"}}
        if calls and name in calls and calls[name] in functions:
            uses["functions"] = {calls[name]: "invoke"}
        spec["functions"][name] = {"handler": "handlers/app.py:handler", "uses": uses}
        spec["routes"][f"POST /api/{name}/{{id}}"] = name
    path = directory / "spec.yaml"
    path.write_text(json.dumps(spec))  # JSON is YAML
    return path


def placement(path: Path) -> dict[str, str]:
    compiled = compile_spec(path)
    assert compiled.layout is not None and compiled.layout.split
    return compiled.layout.placement


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # each example compiles twice: no long shrinking
@given(names=st.lists(NAMES, min_size=22, max_size=28, unique=True),
       change=st.sampled_from(["add", "remove", "rename"]), new=NAMES, pick=st.integers(min_value=0))
def test_one_function_changed_moves_at_most_the_members_of_one_stack(tmp_path_factory, names, change, new,
                                                                     pick) -> None:
    """The split grows by itself (no limits.shards): adding a function may split the shard it falls in, and then
    only members of that one stack move; removing one may merge shards back into one stack; a stateful resource
    never moves."""
    if new in names:
        new += "x"
    target = sorted(names)[pick % len(names)]
    calls = dict(itertools.pairwise(sorted(names)))  # a chain of invocations across stacks
    after = {"add": names + [new], "remove": [n for n in names if n != target],
             "rename": [new if n == target else n for n in names]}[change]
    before_path = write_service(tmp_path_factory.mktemp("before"), names, calls=calls)
    after_path = write_service(tmp_path_factory.mktemp("after"), after, calls=calls)
    before, later = placement(before_path), placement(after_path)
    changed = {target, new}
    prefixes = tuple(camel(n) for n in changed)
    common = before.keys() & later.keys()
    assert len(common) > 100
    moved = {title: (before[title], later[title]) for title in common
             if before[title] != later[title] and not _belongs_to(title, prefixes)}
    assert "" not in {old for old, _ in moved.values()} | {new for _, new in moved.values()}, moved  # parent stays
    sources, destinations = {old for old, _ in moved.values()}, {new for _, new in moved.values()}
    if change == "add":  # a shard may split: only its members move, into new stacks
        assert len(sources) <= 1, f"add {new} moved members of several stacks: {moved}"
    elif change == "remove":  # shards may merge: members move into one stack only
        assert len(destinations) <= 1, f"remove {target} moved members into several stacks: {moved}"
    else:  # a rename is a removal and an addition
        assert len(sources) <= 2 and len(destinations) <= 2, f"rename {target}->{new} moved: {moved}"


def _belongs_to(title: str, prefixes: tuple[str, ...]) -> bool:
    """Resources of the changed function itself (FooRole, FooPolicy, RoutePostApiFooIdParam...)."""
    return any(title.startswith(p) or f"Api{p}" in title for p in prefixes)


def test_an_entry_hash_is_pinned() -> None:
    # Every function's stack follows from these bits: a change of hash would move every function of every split
    # service on its next deploy. Values computed once with sha256 and written out, not recomputed here.
    assert hash_bits("create_payment") == 0xC7DC04F0C99F6D9F
    assert hash_bits("paths.items") == 0x94E1638804F7DEF1


def test_a_shard_over_budget_splits_and_the_half_with_bit_zero_keeps_its_name() -> None:
    budget = Budget(resources=100, outputs=100, parameters=100, bytes=10_000_000)
    function = _Size(resources=20, outputs=0, bytes=1000)
    names = [f"f{i}" for i in range(12)]
    members = {hash_bits(n): function for n in names}
    tree = ShardTree.grown(members, budget, 0)
    shards = {tree.index_of(hash_bits(n)) for n in names}
    assert 3 <= len(shards) <= 12  # 240 resources do not fit in 100: at least three shards
    for name in names:  # every shard within budget
        index = tree.index_of(hash_bits(name))
        assert sum(s.resources for h, s in members.items() if tree.index_of(h) == index) <= 100
    small = ShardTree.grown({hash_bits(n): function for n in names[:4]}, budget, 0)
    assert {small.index_of(hash_bits(n)) for n in names[:4]} == {"0" * (INDEX_BITS // 4)}  # 80 fit: one shard
    # growing from 4 to 12 functions: the members whose first bit is 0 keep shard 0000 unless their half split too
    zero_first = [n for n in names[:4] if not hash_bits(n) >> 63]
    left = ShardTree.grown({h: s for h, s in members.items() if not h >> 63}, budget, 0)
    if len({left.index_of(hash_bits(n)) for n in names if not hash_bits(n) >> 63}) == 1:
        assert {tree.index_of(hash_bits(n)) for n in zero_first} <= {"0000"}


def test_shards_past_sixteen_bits_keep_distinct_names_a_logical_id_accepts() -> None:
    """Entries too large to share a stack whose hashes agree in their first 16 bits (0x420c here) split below
    them: each shard's name is the 16-bit prefix, `b`, and its further bits, so a shard at depth 18 (`10`) and one
    at depth 19 (`010`) are two stacks, and the name fits a logical ID (letters and digits)."""
    budget = Budget(resources=100, outputs=100, parameters=100, bytes=10_000_000)
    entries = {"fn373": "b011", "fn577": "b010", "fn204286": "b11", "fn108762": "b10"}  # bits after 0x420c
    assert {hash_bits(n) >> 48 for n in entries} == {0x420C}
    tree = ShardTree.grown({hash_bits(n): _Size(60, 0, 100) for n in entries}, budget, 0)
    assert {n: tree.index_of(hash_bits(n)) for n in entries} == {n: "420c" + bits for n, bits in entries.items()}
    assert hash_bits("create_payment") >> 63 and tree.index_of(hash_bits("create_payment")) == "8000"  # one shard
    assert ShardTree().index_of(hash_bits("fn0")) == "0000"  # no member at all: one shard


@pytest.mark.parametrize(("pair", "names"), [
    (("fn48", "fn63"), ("4dac", "4dad")),  # agree in 15 bits: two shards at exactly 16 bits, plain hex
    (("fn76", "fn216"), ("3f8bb10", "3f8bb11")),  # agree in 17 bits, the 16-bit prefix odd: only the further bits
    (("fn388", "fn1564"), ("08beb10", "08beb11")),  # a prefix below 0x1000 keeps its leading zero: four hex digits
])
def test_a_shard_is_named_by_its_path_whatever_its_depth(pair: tuple[str, str], names: tuple[str, str]) -> None:
    """Two entries too large to share a stack split down to the first bit where their hashes differ; each shard's
    name is its path (pinned here: it is part of a stack's logical ID, and a renamed stack is replaced)."""
    budget = Budget(resources=100, outputs=100, parameters=100, bytes=10_000_000)
    tree = ShardTree.grown({hash_bits(n): _Size(60, 0, 100) for n in pair}, budget, 0)
    assert sorted(tree.index_of(hash_bits(n)) for n in pair) == sorted(names)


def test_limits_shards_pre_splits_into_at_least_that_many_shards() -> None:
    budget = Budget(resources=1000, outputs=100, parameters=100, bytes=10_000_000)
    names = [f"f{i}" for i in range(200)]
    tree = ShardTree.grown({hash_bits(n): _Size(1, 0, 10) for n in names}, budget, ShardTree.depth_for(8))
    assert {tree.index_of(hash_bits(n)) for n in names} == {f"{i << 13:04x}" for i in range(8)}
    assert ShardTree.depth_for(None) == 0 and ShardTree.depth_for(1) == 0 and ShardTree.depth_for(5) == 3


def test_the_layout_is_the_same_in_every_process() -> None:
    """sha256, not `hash()`, which PYTHONHASHSEED changes per process: the same names land in the same shards on
    every machine and run (a different shard would move the entry and replace its resources)."""
    code = ("from specc.output.split import hash_bits; "
            "print([hex(hash_bits(n)) for n in ('create_payment', 'orders', 'a', '')])")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env=dict(os.environ, PYTHONHASHSEED=seed)).stdout for seed in ("1", "2", "random")}
    assert len(runs) == 1 and "0xc7dc04f0c99f6d9f" in runs.pop()


def test_split_templates_fit_the_budget_are_acyclic_and_wired(tmp_path) -> None:
    compiled = compile_spec(write_service(tmp_path, [f"fn{i}" for i in range(24)], calls={"fn0": "fn9"}))
    layout = compiled.layout
    assert layout is not None and layout.split
    budget = Budget.with_margin(0.5)
    assert budget == Budget(resources=250, outputs=100, parameters=100, bytes=524288)
    for usage in layout.usage:
        assert usage.over(budget) == [], usage
    service_templates = {n: t for n, t in compiled.templates.items() if n == "service.json" or n.startswith("nested/")}
    assert find_cycle(dependency_edges(service_templates)) == []
    parent = compiled.templates["service.json"]
    stacks = {t: r for t, r in parent["Resources"].items() if r["Type"] == "AWS::CloudFormation::Stack"}
    assert set(stacks) == set(layout.stacks)
    cross_stack = [v for r in stacks.values() for v in r["Properties"].get("Parameters", {}).values()
                   if "Fn::GetAtt" in v and v["Fn::GetAtt"][0] in layout.stacks]
    assert cross_stack, "function stacks read shared stacks' outputs: the loop below checks each of them"
    for title, resource in stacks.items():
        nested = compiled.templates[layout.stacks[title].file]
        digest = hashlib.sha256(render_json(nested)).hexdigest()
        for branch in resource["Properties"]["TemplateURL"]["Fn::If"][1:]:
            assert branch["Fn::Sub"].endswith(f"/svc/templates/{digest}.json")  # content-addressed upload
        passed = set(resource["Properties"].get("Parameters", {}))
        assert passed == set(nested.get("Parameters", {})), title  # every parameter given, none extra
        for value in resource["Properties"].get("Parameters", {}).values():
            if "Fn::GetAtt" in value and value["Fn::GetAtt"][0] in layout.stacks:  # another stack's output
                other, attribute = value["Fn::GetAtt"]
                assert attribute.removeprefix("Outputs.") in compiled.templates[layout.stacks[other].file]["Outputs"]
        for stack in layout.stacks[title].depends_on:
            assert stack.startswith("Shared"), "function stacks read from shared stacks only, never each other"
    # each function travels with its role, policy, log group, queue, permissions and alarms
    for name in (f"fn{i}" for i in range(24)):
        title = camel(name)
        home = layout.placement[f"{title}Function"]
        assert home.startswith("Functions")
        for suffix in ("Role", "Policy", "LogGroup", "DeadLetterQueue", "EventInvokeConfig", "FunctionErrorsAlarm"):
            assert layout.placement[f"{title}{suffix}"] == home, suffix
        assert layout.placement[f"RoutePostApi{title}IdParamPermission"] == home
    for stateful in ("OrdersTable", "StockTable", "MainKey"):
        assert layout.placement[stateful] == ""
    fn0 = next(t for t in compiled.templates.values() if "Fn0Function" in t.get("Resources", {}))
    variables = fn0["Resources"]["Fn0Function"]["Properties"]["Environment"]["Variables"]
    if layout.placement["Fn9Function"] != layout.placement["Fn0Function"]:
        assert variables["FUNCTION_FN9"] == "svc-fn9-dev"  # by name: no dependency between function stacks


def test_key_policy_names_only_the_roles_beside_it(tmp_path) -> None:
    compiled = compile_spec(write_service(tmp_path, [f"fn{i}" for i in range(24)]))
    key = compiled.templates["service.json"]["Resources"]["MainKey"]
    principals = json.dumps(key["Properties"]["KeyPolicy"])
    assert "Fn0Role" not in principals
    note = key["Metadata"]["specc"]["split"]
    assert "Fn0Role" in note["roles_in_nested_stacks"] and "circular dependency" in note["why"]


def test_a_service_within_budget_is_not_split(tmp_path) -> None:
    compiled = compile_spec(write_service(tmp_path, ["a", "b"], margin=0.1))
    assert [n for n in compiled.templates if n.startswith("nested/")] == []
    assert "ArtifactsEndpoint" not in compiled.templates["service.json"].get("Parameters", {})


def test_one_shard_asked_for_still_grows_to_fit(tmp_path) -> None:
    compiled = compile_spec(write_service(tmp_path, [f"fn{i}" for i in range(24)], shards=1))
    layout = compiled.layout
    assert layout is not None and len([s for s in layout.stacks if s.startswith("Functions")]) >= 2
    assert all(usage.over(Budget.with_margin(0.5)) == [] for usage in layout.usage)


def test_find_cycle() -> None:
    assert find_cycle({"a": ["b"], "b": ["c"], "c": []}) == []
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": ["x"]}) == ["x", "x"]
    # a cycle among resources the search reaches after others it has finished (here b, done while searching a)
    assert find_cycle({"a": ["b"], "b": [], "c": ["d"], "d": ["c"]}) == ["c", "d", "c"]


@pytest.mark.parametrize("quota", ["resources", "outputs", "bytes"])
def test_a_shard_exactly_at_its_budget_is_one_stack_and_one_more_splits_it(quota: str) -> None:
    """The budget is what a stack may hold, not a line to stay under: two entries that together fill one quota
    exactly share a stack (which keeps its name and its members); one unit more and they are two stacks. A nested
    template's estimated bytes include 20,000 for its parameters, outputs and header."""
    budget = Budget(resources=50, outputs=20, parameters=200, bytes=100_000)
    full = {"resources": _Size(25, 0, 10), "outputs": _Size(1, 10, 10), "bytes": _Size(1, 0, 40_000)}[quota]
    over = {"resources": _Size(26, 0, 10), "outputs": _Size(1, 11, 10), "bytes": _Size(1, 0, 40_001)}[quota]
    names = ["fn0", "fn1"]
    assert hash_bits("fn0") >> 63 != hash_bits("fn1") >> 63  # one split, by the first bit, separates them
    at = ShardTree.grown({hash_bits(n): full for n in names}, budget, 0)
    assert {at.index_of(hash_bits(n)) for n in names} == {"0000"}
    past = ShardTree.grown({hash_bits(n): over for n in names}, budget, 0)
    assert sorted(past.index_of(hash_bits(n)) for n in names) == ["0000", "8000"]


@pytest.mark.parametrize("table_stacks", [False, True])
def test_limits_table_stacks_moves_only_tables_that_exist(tmp_path, table_stacks: bool) -> None:
    """`table_stacks: false` keeps a small service's tables in its one template; `true` moves tables into table
    stacks from the first one, so a service with tables is split, and one without tables is not."""
    path = write_service(tmp_path / "tables", ["a", "b"], margin=0.1)
    spec = json.loads(path.read_text())
    spec["limits"]["table_stacks"] = table_stacks
    path.write_text(json.dumps(spec))
    assert bool(compile_spec(path).layout.stacks) is table_stacks
    del spec["tables"]
    for function in spec["functions"].values():
        del function["uses"]
    path.write_text(json.dumps(spec))
    layout = compile_spec(path).layout
    assert layout is not None and not layout.split


@pytest.mark.slow
def test_split_service_is_clean_under_cfn_lint() -> None:
    from specc.lint.cfn import lint_templates

    compiled = compile_spec(SPLIT_SERVICE)
    assert compiled.layout is not None and len(compiled.layout.stacks) >= 3
    assert [f.render() for f in lint_templates(compiled.templates, list(compiled.spec.regions))] == []


def test_compile_prints_the_budget_of_every_template(runner, tmp_path) -> None:
    from specc.cli.app import main

    spec = write_service(tmp_path, [f"fn{i}" for i in range(24)])
    result = runner.invoke(main, ["compile", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert ("budget per template (limits.margin 0.5): 250 resources, 100 outputs, 100 parameters, 524,288 bytes"
            in result.output)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    for name, summary in manifest["templates"].items():
        line = next(line for line in result.output.splitlines() if line.startswith(f"  {name} "))
        assert f"{summary['resources']:>4} resources ({round(100 * summary['resources'] / 250)}%)" in line
        assert f"{summary['bytes']:>9,} bytes" in line
    assert set(manifest["split"]["stacks"]) == {s for s in json.loads(
        (tmp_path / "out" / "service.json").read_text())["Resources"] if s.endswith("Stack")}


def test_graph_is_mermaid_with_a_subgraph_per_stack(runner, tmp_path, monkeypatch) -> None:
    from specc.cli.app import main
    from specc.output import graph

    spec = write_service(tmp_path, [f"fn{i}" for i in range(24)])
    layout = compile_spec(spec).layout
    monkeypatch.setattr(graph, "renderer", lambda: None)
    result = runner.invoke(main, ["graph", str(spec), "--out", str(tmp_path / "g.svg")])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("flowchart LR\n")
    assert len(layout.stacks) >= 2, "the service is split: each of its stacks is a subgraph"
    for stack in layout.stacks.values():
        assert f'subgraph {stack.logical_id}["{stack.logical_id}: {stack.file}"]' in result.stdout
    assert 'functions__fn3(["function fn3"])' in result.stdout
    assert "routes__POST__api_fn3__id_ -->|serves| functions__fn3" in result.stdout
    assert "mermaid-cli (mmdc) is not installed" in result.stderr and not (tmp_path / "g.svg").exists()

    fake = tmp_path / "mmdc"  # a stand-in renderer: copies its input to its output
    fake.write_text("#!/bin/sh\ncp \"$2\" \"$4\"\n")
    fake.chmod(0o755)
    monkeypatch.setattr(graph, "renderer", lambda: str(fake))
    result = runner.invoke(main, ["graph", str(spec), "--out", str(tmp_path / "g.svg")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "g.svg").read_text() == result.stdout


def test_a_cycle_between_stacks_is_a_located_error(tmp_path, monkeypatch) -> None:
    """Without dropping nested roles from the key policy, the key (parent) and the function stacks (which use the
    key) would depend on each other: the splitter's DAG check must refuse that, never emit it."""
    from specc.output import split

    monkeypatch.setattr(split._Splitter, "_unname_nested_roles", lambda self, parent: None)
    with pytest.raises(SpecError) as caught:
        compile_spec(write_service(tmp_path, [f"fn{i}" for i in range(24)]))
    [problem] = caught.value.diagnostics
    assert (problem.code, problem.field_path, problem.message, problem.hint) == (
        "E241", "limits", "splitting the service into nested stacks would make a circular dependency: MainKey -> "
        "Functions0000Stack -> MainKey", "keep the entries of this cycle in one stack: lower what they share, or "
        "report it (specc must never emit a cycle)")


def test_the_specc_process_ends_cleanly_after_a_large_compile(tmp_path) -> None:
    """`specc compile` as its own process skips freeing the compiled service at exit: output complete, exit 0."""
    import subprocess
    import sys

    spec = write_service(tmp_path, [f"fn{i}" for i in range(24)])
    specc = Path(sys.executable).with_name("specc")
    done = subprocess.run([str(specc), "compile", str(spec), "--out", str(tmp_path / "out")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert len(lines) == 2 * len(manifest["templates"]) + 1  # a line per file, the budget header, a line per file
    assert lines[-1].startswith("  stackset.json ")


@pytest.mark.parametrize("case", ["queues", "events", "workflows", "private_api"])
def test_other_kinds_split_without_redundant_or_missing_dependencies(tmp_path, case) -> None:
    """Golden cases squeezed into tiny budgets: consumers, stream mappings, state machines and VPC endpoints in
    the parent read functions of nested stacks; nothing both waits for and reads a stack (cfn-lint W3005)."""
    import shutil

    import yaml

    from specc.output.split import _references

    shutil.copytree(HERE / "golden" / case, tmp_path / case, ignore=shutil.ignore_patterns("expected"))
    spec = tmp_path / case / "spec.yaml"
    data = yaml.safe_load(spec.read_text())
    data["limits"] = {"margin": 0.9, "shards": 2}
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    compiled = compile_spec(spec)
    assert compiled.layout is not None and compiled.layout.split
    templates = {n: t for n, t in compiled.templates.items() if n == "service.json" or n.startswith("nested/")}
    assert find_cycle(dependency_edges(templates)) == []
    for title, resource in compiled.templates["service.json"]["Resources"].items():
        read = set(_references(resource.get("Properties")))
        assert not read & set(resource.get("DependsOn", [])), title


@settings(max_examples=300, deadline=None)
@given(names=st.lists(NAMES, min_size=1, max_size=120, unique=True), extra=NAMES,
       sizes=st.integers(min_value=5, max_value=60), budget=st.integers(min_value=60, max_value=400))
def test_adding_or_removing_one_entry_moves_members_of_one_shard_only(names, extra, sizes, budget) -> None:
    """The shard tree alone, at many sizes: adding an entry moves members of one shard only (removing it is the same
    change backwards: members of the split halves go back into one shard)."""
    assume(extra not in names)
    limit = Budget(resources=budget, outputs=1000, parameters=1000, bytes=10**9)
    size = _Size(resources=sizes, outputs=0, bytes=100)

    def layout(entries: list[str]) -> dict[str, str]:
        tree = ShardTree.grown({hash_bits(n): size for n in entries}, limit, 0)
        return {n: tree.index_of(hash_bits(n)) for n in entries}

    before, after = layout(names), layout(names + [extra])
    moved_from = {before[n] for n in names if before[n] != after[n]}
    assert len(moved_from) <= 1, (moved_from, before, after)
    shard_sizes: dict[str, int] = {}
    for shard in after.values():
        shard_sizes[shard] = shard_sizes.get(shard, 0) + sizes
    assert all(total <= budget for total in shard_sizes.values()) or sizes > budget


def test_diff_reads_a_split_service_and_reports_a_grown_shard_as_moves(runner, tmp_path, monkeypatch) -> None:
    """Unchanged, a split service diffs clean against its own output; grown past a shard's budget, the members
    that move are a MOVES block (and their log groups and queues DATA LOSS that names where they go)."""
    from specc.cli import main

    monkeypatch.chdir(tmp_path)
    write_service(tmp_path, [f"fn{i}" for i in range(16)])
    assert runner.invoke(main, ["compile", "spec.yaml", "--out", "out"]).exit_code == 0
    assert sorted(p.name for p in (tmp_path / "out" / "nested").iterdir()) == ["functions-0000.json",
                                                                                "shared-0000.json"]
    same = runner.invoke(main, ["diff", "spec.yaml", "--against", "out", "--exit-code"])
    assert same.exit_code == 0 and same.output.endswith("spec.yaml: no changes.\n"), same.output
    write_service(tmp_path, [f"fn{i}" for i in range(22)])
    grown = runner.invoke(main, ["diff", "spec.yaml", "--against", "out"])
    assert grown.exit_code == 0, grown.output
    moves = [line for line in grown.output.splitlines() if line.startswith("  out/nested/functions-0000.json -> ")]
    assert moves == ["  out/nested/functions-0000.json -> out/nested/functions-8000.json: 78 resources"]
    assert "  - Fn0Function " in grown.output and "moved to out/nested/functions-8000.json" in grown.output
    assert "78 moves between templates" in grown.output.splitlines()[-1]
    assert "it moves to nested/functions-8000.json because a shard of the split grew" in grown.output
    data = json.loads(runner.invoke(main, ["diff", "spec.yaml", "--against", "out", "--format", "json"]).output)
    assert {m["target"] for m in data["moves"]} == {"out/nested/functions-8000.json"} and len(data["moves"]) == 78
def test_a_function_calls_one_in_another_stack_by_its_name_and_one_beside_it_by_reference(tmp_path) -> None:
    """fn0 and fn1 land in different function stacks, fn2 beside fn1 (their shards): across stacks the caller names
    the callee (its deterministic name and ARN), so no function stack waits for another."""
    compiled = compile_spec(write_service(tmp_path, [f"fn{i}" for i in range(24)], calls={"fn0": "fn1", "fn2": "fn1"}))
    layout = compiled.layout
    assert layout is not None
    assert [layout.placement[f"Fn{i}Function"] for i in (0, 1, 2)] == ["Functions8000Stack", "Functions0000Stack",
                                                                       "Functions0000Stack"]

    def invoke(caller: int) -> tuple[Any, Any, list[str]]:
        stack = layout.stacks[layout.placement[f"Fn{caller}Function"]]
        resources = compiled.templates[stack.file]["Resources"]
        statements = resources[f"Fn{caller}Policy"]["Properties"]["PolicyDocument"]["Statement"]
        [statement] = [s for s in statements if s["Sid"] == "InvokeFn1"]
        variable = resources[f"Fn{caller}Function"]["Properties"]["Environment"]["Variables"]["FUNCTION_FN1"]
        return statement["Resource"], variable, sorted(stack.depends_on)

    resource, variable, depends_on = invoke(0)
    assert resource == [
        {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:svc-fn1-dev"}]
    assert variable == "svc-fn1-dev" and "Functions0000Stack" not in depends_on
    assert invoke(2)[:2] == ([{"Fn::GetAtt": ["Fn1Function", "Arn"]}], {"Ref": "Fn1Function"})


def test_the_key_policy_keeps_the_roles_beside_it_and_notes_every_role_it_left_out(tmp_path) -> None:
    compiled = compile_spec(write_service(tmp_path, [f"fn{i}" for i in range(24)]))
    layout = compiled.layout
    key = compiled.templates["service.json"]["Resources"]["MainKey"]
    nested_roles = sorted(t for t, place in layout.placement.items() if t.endswith("Role") and place
                          and compiled.templates["service.json"]["Resources"].get(t) is None)
    note = key["Metadata"]["specc"]["split"]
    assert note["roles_in_nested_stacks"] == sorted(r for r in nested_roles if r.startswith("Fn"))
    assert len(note["roles_in_nested_stacks"]) == 24
    # every role is nested: the statements that named only them are gone, the root's and the logs service's stay
    assert [s["Sid"] for s in key["Properties"]["KeyPolicy"]["Statement"]] == ["AccountRootAdministers",
                                                                              "LogsServiceUsesKey"]


def test_an_alarm_goes_with_what_it_watches(tmp_path) -> None:
    """A function's alarms (metric or log pattern) live in the function's stack; a table's beside the table's
    shared resources: an alarm never makes two stacks depend on each other."""
    path = write_service(tmp_path, [f"fn{i}" for i in range(24)])
    spec = json.loads(path.read_text())
    spec["alarms"] = {"fn5_errors": {"metric": "functions.fn5.Errors", "threshold": "> 0"},
                      "orders_throttled": {"metric": "tables.orders.ReadThrottleEvents", "threshold": "> 0"},
                      "fn7_logs": {"logs": {"function": "fn7", "pattern": "ERROR"}, "threshold": "> 0"}}
    path.write_text(json.dumps(spec))
    placement = compile_spec(path).layout.placement
    assert placement["Fn5ErrorsAlarm"] == placement["Fn5Function"] == "Functions0000Stack"
    assert placement["Fn7LogsAlarm"] == placement["Fn7LogsMetricFilter"] == placement["Fn7Function"]
    assert placement["OrdersThrottledAlarm"] == "Shared0000Stack" and placement["OrdersTable"] == ""


def test_the_budget_report_shows_each_template_against_each_quota() -> None:
    budget = Budget(resources=250, outputs=100, parameters=100, bytes=524288)
    usages = [usage_of("service.json", {"Resources": {str(i): {} for i in range(25)}}, b"x" * 1000),
              usage_of("nested/functions-0.json", {"Resources": {str(i): {} for i in range(300)},
                                                   "Outputs": {"A": {}}, "Parameters": {"P": {}, "Q": {}}},
                       b"x" * 52429)]
    assert budget_report(usages, budget, 0.5) == [
        "budget per template (limits.margin 0.5): 250 resources, 100 outputs, 100 parameters, 524,288 bytes",
        "  service.json               25 resources (10%),    0 outputs (0%),    0 parameters (0%), "
        "    1,000 bytes (0%)",
        "  nested/functions-0.json   300 resources (120%),    1 outputs (1%),    2 parameters (2%), "
        "   52,429 bytes (10%)  OVER BUDGET"]


def test_a_stack_names_each_value_it_gives_once_and_never_reuses_a_name() -> None:
    """Output names come from the logical ID and attribute (letters and digits only); two values that would share
    a name get distinct ones, and the same value asked for twice is one output."""
    from specc.output.split import _Stack

    stack = _Stack("Shared0Stack", "nested/shared-0.json")
    arn = {"Fn::GetAtt": ["Fn0Function", "Arn"]}
    assert stack.output_for("Fn0Function", "Arn", arn) == "Fn0FunctionArn"
    assert stack.output_for("Fn0FunctionA", "rn", {"Ref": "Fn0FunctionA"}) == "Fn0FunctionArnValue"
    assert stack.output_for("Fn0Function", "Arn", arn) == "Fn0FunctionArn"
    assert stack.output_for("Api", "Root-Resource.Id", {"Ref": "Api"}) == "ApiRootResourceId"
    assert stack.outputs == {"Fn0FunctionArn": {"Value": arn},
                             "Fn0FunctionArnValue": {"Value": {"Ref": "Fn0FunctionA"}},
                             "ApiRootResourceId": {"Value": {"Ref": "Api"}}}


def test_dependency_edges_follow_refs_getatts_subs_and_depends_on_within_a_template() -> None:
    templates = {"service.json": {"Resources": {
        "A": {"Properties": {"X": {"Ref": "B"}, "Y": {"Ref": "SomeParameter"}}},
        "B": {},
        "C": {"DependsOn": "A", "Properties": {"Z": {"Fn::Sub": "${B.Arn}"}}}}}, "nested/empty.json": {}}
    assert dict(dependency_edges(templates)) == {"service.json:A": ["service.json:B"], "service.json:B": [],
                                                 "service.json:C": ["service.json:A", "service.json:B"]}


def test_dependency_edges_read_every_form_a_template_may_write_a_reference_in() -> None:
    """`Fn::GetAtt` as a list or as "Name.Attribute" (also with a dotted attribute), `${...}` in `Fn::Sub`'s string
    and the references inside its variables, `DependsOn` as a string or a list."""
    templates = {"service.json": {"Resources": {
        "Alias": {"Properties": {"Arn": {"Fn::GetAtt": "Fn.Arn"}}},
        "Stack": {},
        "Reader": {"DependsOn": ["Alias"], "Properties": {"V": {"Fn::GetAtt": "Stack.Outputs.TableName"}}},
        "Sub": {"Properties": {"V": {"Fn::Sub": ["${Queue.Arn}/${Name}/${Stack.Outputs.TableName}",
                                                 {"Name": {"Ref": "Fn"}}]}}},
        "Fn": {}, "Queue": {}}}}
    assert dependency_edges(templates) == {
        "service.json:Alias": ["service.json:Fn"], "service.json:Stack": [],
        "service.json:Reader": ["service.json:Alias", "service.json:Stack"],
        "service.json:Sub": ["service.json:Fn", "service.json:Queue", "service.json:Stack"], "service.json:Fn": [],
        "service.json:Queue": []}


def test_a_nested_stack_says_what_it_holds_and_reads_tables_by_name(tmp_path) -> None:
    """A nested template names its service, stack and first entries; each parameter says where its value comes
    from; a function reads a parent table by its deterministic name and ARN (no parameter for it)."""
    compiled = compile_spec(write_service(tmp_path, [f"fn{i}" for i in range(24)]))
    layout = compiled.layout
    stack = layout.stacks[layout.placement["Fn0Function"]]
    template = compiled.templates[stack.file]
    assert (stack.file, template["AWSTemplateFormatVersion"]) == ("nested/functions-8000.json", "2010-09-09")
    assert template["Description"] == ("svc (dev): nested stack Functions8000Stack of service.json (functions.fn0, "
                                       "functions.fn13, functions.fn18, ...). Compiled by specc; do not edit.")
    parameters = template["Parameters"]
    members = (0, 13, 18, 19, 3, 6, 7, 9)  # the functions of this stack: each reads its route's path resource
    assert sorted(parameters) == ["Api", *sorted(f"ApiResourceApiFn{i}IdParam" for i in members), "MainKeyArn"]
    assert parameters["Api"] == {"Type": "String", "Description": "Ref Api (from the parent)"}
    assert parameters["ApiResourceApiFn0IdParam"] == {
        "Type": "String", "Description": "Shared0000Stack.Outputs.ApiResourceApiFn0IdParam (from the parent)"}
    statements = template["Resources"]["Fn0Policy"]["Properties"]["PolicyDocument"]["Statement"]
    [stock] = [s for s in statements if s["Sid"] == "StockTableReadWrite"]
    assert stock["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/svc-stock-dev"}]
    variables = template["Resources"]["Fn0Function"]["Properties"]["Environment"]["Variables"]
    assert variables["TABLE_STOCK"] == "svc-stock-dev"


def test_depends_on_is_kept_within_a_template_and_becomes_a_stack_dependency_across_templates(tmp_path) -> None:
    """A resource waits for what it depends on: beside it, by its logical ID; in the parent, the nested stack waits
    for it; in a nested stack, the parent's resource waits for the whole stack."""
    compiled = compile_spec(write_service(tmp_path, [f"fn{i}" for i in range(24)]))
    layout = compiled.layout
    parent = compiled.templates["service.json"]["Resources"]
    stacks = sorted(t for t, r in parent.items() if r["Type"] == "AWS::CloudFormation::Stack")
    assert stacks == ["Functions0000Stack", "Functions8000Stack", "Shared0000Stack"]
    assert {t: parent[t]["DependsOn"] for t in stacks} == {t: ["OrdersTable", "StockTable"] for t in stacks}
    deployment = next(t for t in parent if t.startswith("ApiDeployment"))
    assert parent[deployment]["DependsOn"] == stacks[:2]  # its methods live in the function stacks
    assert parent["ApiStage"]["DependsOn"] == ["ApiGatewayAccount"]
    nested = compiled.templates[layout.stacks["Functions8000Stack"].file]["Resources"]
    assert nested["Fn0Function"]["DependsOn"] == ["Fn0LogGroup", "Fn0Policy"]
    assert layout.stacks["Functions8000Stack"].depends_on == ["Shared0000Stack"]
