"""Splitting moves resources between templates and never changes what they say (src/specc/output/split.py).

A small evaluator follows every value of a split service the way CloudFormation would: a nested template's
parameter to what the parent passes it, a parent's `Fn::GetAtt <Stack>.Outputs.<name>` to that stack's output,
`${...}` in `Fn::Sub` to what it names, and a table's or function's `Ref`/`Arn` to the name and ARN CloudFormation
gives it. Every resource of the split service must then read exactly as it does in the same service compiled whole;
every reference must land on something its own template holds (a dangling one fails here, as it would fail the
deploy); every condition a template uses is defined in it, as the whole service defines it; and whatever a resource
waited for before the split, it still waits for, itself or through the stacks that hold both.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from specc.compiler import compile_spec
from specc.output.emit import render_json

HERE = Path(__file__).parent
PARENT = "service.json"
TOKEN = re.compile(r"\$\{([^}]*)\}")
LAMBDA_ARN = ("arn:", ("AWS::Partition", None), ":lambda:", ("AWS::Region", None), ":", ("AWS::AccountId", None),
              ":function:")
TABLE_ARN = ("arn:", ("AWS::Partition", None), ":dynamodb:", ("AWS::Region", None), ":", ("AWS::AccountId", None),
             ":table/")


def _text(*parts: Any) -> tuple[str, tuple[Any, ...]]:
    """A string as CloudFormation builds it: literal pieces and (logical ID, attribute) references, adjacent
    literals joined, so `"svc-a"` and `Sub("svc-${Name}")` with Name = "a" read the same."""
    merged: list[Any] = []
    for part in parts:
        inner = part[1] if isinstance(part, tuple) and part and part[0] == "text" else (part,)
        for piece in inner:
            if isinstance(piece, str) and merged and isinstance(merged[-1], str):
                merged[-1] += piece
            elif piece != "":
                merged.append(piece)
    return "text", tuple(merged)


class Service:
    """The templates of one compiled service, read the way CloudFormation reads them."""

    def __init__(self, templates: dict[str, dict[str, Any]]) -> None:
        self.templates = {n: t for n, t in templates.items() if n == PARENT or n.startswith("nested/")}
        parent = self.templates[PARENT]["Resources"]
        self.stack_files = {title: self._file_of(resource) for title, resource in parent.items()
                            if resource["Type"] == "AWS::CloudFormation::Stack"}
        self.stack_of_file = {file: title for title, file in self.stack_files.items()}
        self.home: dict[str, str] = {}  # logical ID -> the template holding it
        for name, template in self.templates.items():
            for title, resource in template.get("Resources", {}).items():
                if resource["Type"] in ("AWS::CloudFormation::Stack", "AWS::CloudFormation::WaitConditionHandle"):
                    continue
                assert title not in self.home, f"{title} is in {self.home[title]} and in {name}"
                self.home[title] = name

    def _file_of(self, stack: dict[str, Any]) -> str:
        url = json.dumps(stack["Properties"]["TemplateURL"])
        digest = re.search(r"/templates/([0-9a-f]{64})\.json", url).group(1)
        [file] = [n for n, t in self.templates.items()
                  if n != PARENT and hashlib.sha256(render_json(t)).hexdigest() == digest]
        return file

    def resource(self, title: str) -> dict[str, Any]:
        return self.templates[self.home[title]]["Resources"][title]

    # ---- values ----------------------------------------------------------------------------------------
    def read(self, where: str, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                [(key, inner)] = value.items()
                if key == "Ref" and isinstance(inner, str):
                    return self.ref(where, inner, None)
                if key == "Fn::GetAtt":
                    target, attribute = inner.split(".", 1) if isinstance(inner, str) else inner
                    return self.ref(where, target, attribute)
                if key == "Fn::Sub":
                    return self.sub(where, inner)
            return {key: self.read(where, inner) for key, inner in value.items()}
        if isinstance(value, list):
            return [self.read(where, inner) for inner in value]
        if isinstance(value, str):
            return _text(value)
        return value

    def ref(self, where: str, target: str, attribute: str | None) -> Any:
        template = self.templates[where]
        if target.startswith("AWS::"):
            return _text((target, attribute))
        if target in template.get("Parameters", {}):
            if where == PARENT:
                return _text((target, attribute))
            passed = self.templates[PARENT]["Resources"][self.stack_of_file[where]]["Properties"]["Parameters"]
            assert target in passed, f"{where} reads parameter {target}, which the parent does not pass"
            return self.read(PARENT, passed[target])
        if where == PARENT and target in self.stack_files:
            assert attribute and attribute.startswith("Outputs."), (target, attribute)
            file = self.stack_files[target]
            outputs = self.templates[file].get("Outputs", {})
            name = attribute.removeprefix("Outputs.")
            assert name in outputs, f"the parent reads {target}.{attribute}, which {file} does not give"
            return self.read(file, outputs[name]["Value"])
        resources = template.get("Resources", {})
        assert target in resources, f"{where} refers to {target}, which is not in it"
        return self.evaluated(where, target, attribute)

    def evaluated(self, where: str, target: str, attribute: str | None) -> Any:
        """What CloudFormation gives for Ref/GetAtt of a resource whose name the template fixes."""
        resource = self.templates[where]["Resources"][target]
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::DynamoDB::Table" and isinstance(properties.get("TableName"), str):
            name = properties["TableName"]
            if attribute is None:
                return _text(name)
            if attribute == "Arn":
                return _text(*TABLE_ARN, name)
        if resource["Type"] == "AWS::Lambda::Function" and isinstance(properties.get("FunctionName"), str):
            name = properties["FunctionName"]
            if attribute is None:
                return _text(name)
            if attribute == "Arn":
                return _text(*LAMBDA_ARN, name)
        if resource["Type"] == "AWS::Lambda::Alias" and attribute is None:
            function = self.read(where, properties["FunctionName"])
            if function[1] and all(isinstance(p, str) for p in function[1]):
                return _text(*LAMBDA_ARN, function, ":", properties["Name"])
        return _text((target, attribute))

    def sub(self, where: str, inner: Any) -> Any:
        text, variables = (inner, {}) if isinstance(inner, str) else (inner[0], inner[1])
        parts: list[Any] = []
        position = 0
        for match in TOKEN.finditer(text):
            parts.append(text[position:match.start()])
            position = match.end()
            token = match.group(1)
            if token.startswith("!"):
                parts.append(match.group(0))
            elif token in variables:
                value = self.read(where, variables[token])
                parts.append(value if isinstance(value, tuple) else _text(json.dumps(value, sort_keys=True)))
            else:
                target, _, attribute = token.partition(".")
                parts.append(self.ref(where, target, attribute or None))
        parts.append(text[position:])
        return _text(*parts)

    # ---- order -----------------------------------------------------------------------------------------
    def waits(self, where: str, title: str) -> set[str]:
        """What `title` waits for inside its template, directly: DependsOn and every reference."""
        resource = self.templates[where]["Resources"][title]
        depends = resource.get("DependsOn", [])
        found = set([depends] if isinstance(depends, str) else depends)

        def walk(value: Any) -> None:
            if isinstance(value, dict):
                for key, inner in value.items():
                    if key == "Ref" and isinstance(inner, str):
                        found.add(inner)
                    elif key == "Fn::GetAtt":
                        found.add((inner.split(".", 1) if isinstance(inner, str) else inner)[0])
                    elif key == "Fn::Sub":
                        text = inner if isinstance(inner, str) else inner[0]
                        found.update(t.split(".", 1)[0] for t in TOKEN.findall(text))
                        walk(inner if isinstance(inner, str) else inner[1])
                    else:
                        walk(inner)
            elif isinstance(value, list):
                for inner in value:
                    walk(inner)

        walk(resource.get("Properties", {}))
        return found & set(self.templates[where]["Resources"])

    def waits_transitively(self, where: str, title: str) -> set[str]:
        seen: set[str] = set()
        pending = [title]
        while pending:
            for found in self.waits(where, pending.pop()):
                if found not in seen:
                    seen.add(found)
                    pending.append(found)
        return seen

    def node(self, title: str) -> str:
        """What stands for `title` in the parent: itself, or the stack that holds it."""
        home = self.home[title]
        return title if home == PARENT else self.stack_of_file[home]


def _conditions_used(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Fn::If":
                found.add(inner[0])
            elif key == "Condition" and isinstance(inner, str):
                found.add(inner)
            found |= _conditions_used(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _conditions_used(inner)
    return found


def assert_split_changes_nothing_but_placement(whole_templates: dict[str, Any], split_templates: dict[str, Any],
                                               split_placement: dict[str, str]) -> None:
    whole, split = Service(whole_templates), Service(split_templates)
    assert not whole.stack_files and len(split.stack_files) >= 2, "compare a whole service with a split one"
    assert set(split.home) == set(whole.home), set(split.home) ^ set(whole.home)
    moved = {title for title, home in split.home.items() if home != PARENT}
    assert moved and moved == {t for t, place in split_placement.items() if place}
    for stack, file in split.stack_files.items():  # each parameter declared is passed, under a name CFN accepts
        declared = set(split.templates[file].get("Parameters", {}))
        passed = set(split.templates[PARENT]["Resources"][stack]["Properties"].get("Parameters", {}))
        assert declared == passed and all(name.isalnum() for name in declared), (file, declared ^ passed)
    for file in split.stack_files.values():  # a moved resource waits only for resources that moved with it
        resources = split.templates[file]["Resources"]
        for title, resource in resources.items():
            assert set(_depends_on(resource)) <= set(resources), (file, title, _depends_on(resource))
    for title, home in split.home.items():
        before, after = whole.resource(title), split.resource(title)
        assert after["Type"] == before["Type"], title
        if before["Type"] == "AWS::KMS::Key":  # its policy leaves out roles of nested stacks (test_split.py)
            continue
        for part in ("Properties", "Metadata", "Condition", "DeletionPolicy", "UpdateReplacePolicy"):
            assert split.read(home, after.get(part)) == whole.read(PARENT, before.get(part)), (title, part)
    for name, template in split.templates.items():  # a condition a template uses is defined in it, as before
        used = _conditions_used(template.get("Resources", {})) | _conditions_used(template.get("Outputs", {}))
        pending, defined = sorted(used), template.get("Conditions", {})
        while pending:
            condition = pending.pop()
            assert condition in defined, f"{name} uses condition {condition} without defining it"
            before = whole.templates[PARENT].get("Conditions", {}).get(condition)
            if before is None:  # the parent's own: where nested templates are read from (AWS or an emulator)
                assert name == PARENT and condition == "HasArtifactsEndpoint", (name, condition)
                continue
            assert split.read(name, defined[condition]) == whole.read(PARENT, before), (name, condition)
            pending += sorted(_conditions_used(defined[condition]) - used)
            used |= _conditions_used(defined[condition])
        for mapping in {v["Fn::FindInMap"][0] for v in _find_in_maps(template)}:
            assert template["Mappings"][mapping] == whole.templates[PARENT]["Mappings"][mapping], (name, mapping)
    for title in whole.home:  # whatever a resource waited for, it still waits for
        for target in whole.waits(PARENT, title):
            home, there = split.home[title], split.home[target]
            if home != there and target not in _depends_on(whole.resource(title)) and _named(whole.resource(target)):
                continue  # a function in another stack is called by its name: nothing needs it to exist first
            if whole.resource(title)["Type"] == "AWS::KMS::Key" and home != there:
                continue  # the key policy no longer names roles of nested stacks (test_split.py)
            if home == there:
                assert target in split.waits_transitively(home, title), f"{title} no longer waits for {target}"
            else:
                waiter, awaited = split.node(title), split.node(target)
                assert awaited in split.waits_transitively(PARENT, waiter), (
                    f"{title} ({waiter}) no longer waits for {target} ({awaited})")
    for name, output in whole.templates[PARENT].get("Outputs", {}).items():  # the service's outputs say the same
        homes = [t for t, template in split.templates.items() if name in template.get("Outputs", {})]
        assert len(homes) == 1, (name, homes)  # in the parent, or (past its budget) beside what it describes
        after = split.templates[homes[0]]["Outputs"][name]
        assert split.read(homes[0], after) == whole.read(PARENT, output), name


def _depends_on(resource: dict[str, Any]) -> list[str]:
    depends = resource.get("DependsOn", [])
    return [depends] if isinstance(depends, str) else depends


def _named(resource: dict[str, Any]) -> bool:
    """A function (or an alias of one) whose name the template fixes."""
    return (resource["Type"] in ("AWS::Lambda::Function", "AWS::Lambda::Alias")
            and isinstance(resource["Properties"].get("FunctionName"), str | dict))


def _find_in_maps(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        found = [value] if "Fn::FindInMap" in value else []
        return found + [m for inner in value.values() for m in _find_in_maps(inner)]
    if isinstance(value, list):
        return [m for inner in value for m in _find_in_maps(inner)]
    return []


def _service(directory: Path, limits: dict[str, Any]) -> Path:
    """24 functions behind routes under one `/api` prefix (path parameters), two tables each read by half of them,
    functions that invoke others (across stacks and beside them, one through an alias), alarms on functions, on a
    table and on a function's logs, a topic they notify."""
    (directory / "handlers").mkdir(parents=True, exist_ok=True)
    (directory / "handlers" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    names = [f"fn{i}" for i in range(24)]
    spec: dict[str, Any] = {
        "specc": 1, "service": "svc", "environment": "dev", "regions": ["us-east-1"], "limits": limits,
        "tables": {"orders": {"partition_key": {"name": "id", "type": "S"}},
                   "stock": {"partition_key": {"name": "sku", "type": "S"}}},
        "topics": {"alerts": {}},
        "functions": {}, "routes": {},
        "alarms": {"fn5_errors": {"metric": "functions.fn5.Errors", "threshold": "> 0", "notify": "alerts"},
                   "orders_throttled": {"metric": "tables.orders.ReadThrottleEvents", "threshold": "> 0"},
                   "fn7_logs": {"logs": {"function": "fn7", "pattern": "ERROR"}, "threshold": "> 0"}},
    }
    calls = {"fn0": "fn1", "fn2": "fn1", "fn3": "fn9", "fn10": "fn11"}
    for index, name in enumerate(names):
        uses: dict[str, Any] = {"tables": {"orders" if index % 2 else "stock": "read" if index % 3 else "read_write"}}
        if name in calls:
            uses["functions"] = {calls[name]: "invoke"}
        if index % 5 == 0:
            uses["topics"] = {"alerts": "publish"}
        spec["functions"][name] = {"handler": "handlers/app.py:handler", "uses": uses}
        spec["routes"][f"{'GET' if index % 2 else 'POST'} /api/{name}/{{orderId}}"] = name
    path = directory / "spec.yaml"
    path.write_text(json.dumps(spec))
    return path


@pytest.mark.parametrize("limits", [{"margin": 0.5}, {"margin": 0.5, "shards": 4}, {"margin": 0.88}],
                         ids=["half", "four-shards", "outputs-past-the-parents-budget"])
def test_a_split_service_says_exactly_what_it_says_whole(tmp_path, limits) -> None:
    """At 0.88 the parent may hold 24 outputs of the service's 30: each of the others goes with what it describes (a
    function's name with the function, a table's beside the table's alarms)."""
    whole = compile_spec(_service(tmp_path / "whole", {"margin": 0.1}))
    split = compile_spec(_service(tmp_path / "split", limits))
    assert whole.layout is not None and not whole.layout.split
    assert split.layout is not None and len(split.layout.stacks) >= 3
    parent_outputs = split.templates[PARENT].get("Outputs", {})
    assert (len(parent_outputs) < len(whole.templates[PARENT]["Outputs"])) == (limits["margin"] == 0.88)
    assert_split_changes_nothing_but_placement(whole.templates, split.templates, split.layout.placement)


@pytest.mark.parametrize("case", ["api", "events", "http_api", "private_api", "queues", "user_pools", "workflows"])
def test_other_kinds_split_into_tiny_budgets_say_what_they_say_whole(tmp_path, case) -> None:
    """Golden cases squeezed into a tenth of each quota and two function stacks from the start: consumers, stream
    mappings, state machines, VPC endpoints and API methods read what moved, through the parent."""
    shutil.copytree(HERE / "golden" / case, tmp_path / case, ignore=shutil.ignore_patterns("expected"))
    spec = tmp_path / case / "spec.yaml"
    whole = compile_spec(spec)
    data = yaml.safe_load(spec.read_text())
    data["limits"] = {"margin": 0.9, "shards": 8 if case == "http_api" else 2}  # http_api's functions share a half
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    split = compile_spec(spec)
    assert whole.layout is not None and not whole.layout.split
    assert split.layout is not None and split.layout.split
    assert_split_changes_nothing_but_placement(whole.templates, split.templates, split.layout.placement)


def test_a_split_service_compiles_to_the_same_bytes_in_every_process(tmp_path) -> None:
    """Two processes with different hash seeds (set and dict order, `hash()`) write byte-identical templates: a
    split that depended on the process would move resources, and so replace them, on a deploy that changed
    nothing."""
    spec = _service(tmp_path, {"margin": 0.5})
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        done = subprocess.run([str(Path(sys.executable).parent / "specc"), "compile", str(spec), "--out", str(out)],
                              capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHONHASHSEED=seed))
        assert done.returncode == 0, done.stderr
        outputs.append({p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.json"))})
    assert len([name for name in outputs[0] if name.startswith("nested/")]) >= 3
    assert outputs[0] == outputs[1]


def test_a_template_over_budget_is_a_located_error_that_says_which_and_what_to_do(tmp_path) -> None:
    """What stays in the parent (here 52 tables) cannot move: the user is told to split the spec.
    A nested stack that comes out over budget (here the 24 API paths under `/api`, one group, each read by a method
    in a function stack: 24 outputs where 19 are allowed) is told apart from it: another margin or more shards."""
    from specc.language.diagnostics import SpecError

    path = _service(tmp_path, {"margin": 0.9})
    with pytest.raises(SpecError) as caught:
        compile_spec(path)
    nested = caught.value.diagnostics
    assert nested and all(d.code == "E240" and d.field_path == "limits" for d in nested)
    assert nested[0].message == ("nested/shared-8000.json needs 24 outputs (budget 19), more than CloudFormation "
                                 "allows with the margin")
    assert "set limits.shards" in nested[0].hint and "several specs" not in nested[0].hint
    spec = json.loads(path.read_text())
    spec["tables"].update({f"t{i}": {"partition_key": {"name": "id", "type": "S"}} for i in range(50)})
    path.write_text(json.dumps(spec))
    with pytest.raises(SpecError) as caught:
        compile_spec(path)
    [parent] = [d for d in caught.value.diagnostics if d.message.startswith("service.json")]
    assert (parent.code, parent.field_path, parent.message, parent.hint) == (
        "E240", "limits",
        "service.json needs 85 resources (budget 49), more than CloudFormation allows with the margin",
        "what stays in the parent (keys, tables, topics, the API) does not fit: split the service into several specs, "
        "lower limits.margin, or move the tables into table stacks (limits.table_stacks: true; deployed tables would "
        "be replaced)")


LAYOUTS = {  # stack -> its entries (`fn3` for functions.fn3), each stack's dependencies beside it
    "half": ({"margin": 0.5}, {
        "Functions0000Stack": "fn1 fn10 fn11 fn12 fn14 fn15 fn16 fn17 fn2 fn20 fn21 fn22 fn23 fn4 fn5 fn8",
        "Functions8000Stack": "fn0 fn13 fn18 fn19 fn3 fn6 fn7 fn9",
        "Shared0000Stack": "paths.api tables.orders tables.stock"}, "Shared0000Stack"),
    "four-shards": ({"margin": 0.5, "shards": 4}, {
        "Functions0000Stack": "fn11 fn15 fn2 fn20 fn8",
        "Functions4000Stack": "fn1 fn10 fn12 fn14 fn16 fn17 fn21 fn22 fn23 fn4 fn5",
        "Functions8000Stack": "fn18 fn19 fn3 fn6 fn9",
        "Functionsc000Stack": "fn0 fn13 fn7",
        "Shared0000Stack": "paths.api tables.orders tables.stock"}, "Shared0000Stack"),
    "eight-shards": ({"margin": 0.5, "shards": 8}, {  # a quarter as many shared stacks from the start: two
        "Functions0000Stack": "fn20 fn8", "Functions2000Stack": "fn11 fn15 fn2",
        "Functions4000Stack": "fn10 fn12 fn16 fn17 fn22 fn23", "Functions6000Stack": "fn1 fn14 fn21 fn4 fn5",
        "Functions8000Stack": "fn3 fn6", "Functionsa000Stack": "fn18 fn19 fn9", "Functionse000Stack": "fn0 fn13 fn7",
        "Shared0000Stack": "tables.stock", "Shared8000Stack": "paths.api tables.orders"}, "Shared8000Stack"),
    "outputs-past-the-parents-budget": ({"margin": 0.88}, {
        "Functions0000Stack": "fn20 fn8", "Functions2000Stack": "fn11 fn15 fn2", "Functions5000Stack": "fn12",
        "Functions5800Stack": "fn16 fn22 fn23", "Functions5c00Stack": "fn10 fn17",
        "Functions6000Stack": "fn14 fn21 fn4 fn5",
        "Functions7000Stack": "fn1", "Functions8000Stack": "fn3 fn6", "Functionsa000Stack": "fn18 fn19 fn9",
        "Functionsc000Stack": "fn0 fn13 fn7", "Shared0000Stack": "tables.stock", "Shared8000Stack": "paths.api",
        "Sharedc000Stack": "tables.orders"}, "Shared8000Stack"),
}


@pytest.mark.parametrize("case", sorted(LAYOUTS))
def test_the_layout_of_a_spec_is_pinned(tmp_path, case) -> None:
    """Which stack each entry lands in follows from the spec alone, and must not change from one specc version to
    the next: an entry that moves has its resources replaced on the next deploy. Written out once from a compile;
    a change here is a migration every split service would go through, to be made on purpose."""
    limits, stacks, shared = LAYOUTS[case]
    layout = compile_spec(_service(tmp_path, limits)).layout
    assert layout is not None
    manifest = layout.manifest()["stacks"]
    assert {name: " ".join(e.removeprefix("functions.") for e in stack["entries"]) for name, stack in manifest.items()
            } == stacks
    assert {name: stack["depends_on"] for name, stack in manifest.items()} == {
        name: [] if name.startswith("Shared") else [shared] for name in stacks}


def test_a_service_exactly_at_its_budget_stays_one_template_with_everything_in_it(tmp_path) -> None:
    """385 resources where the margin leaves room for 385: the service is not split (the budget is a limit, not a
    threshold to stay under), every resource is placed in the parent, and the reported usage is the template's own.
    One resource less room, and it is split."""
    from specc.output.split import Budget, Usage

    compiled = compile_spec(_service(tmp_path / "at", {"margin": 0.23}))
    layout, template = compiled.layout, compiled.templates[PARENT]
    assert layout is not None and not layout.split and Budget.with_margin(0.23).resources == 385
    assert layout.placement == dict.fromkeys(template["Resources"], "") and len(layout.placement) == 385
    assert layout.rendered[PARENT] == render_json(template)
    assert layout.usage == [Usage(PARENT, 385, 30, 0, len(layout.rendered[PARENT]))]
    assert layout.digests == {PARENT: hashlib.sha256(layout.rendered[PARENT]).hexdigest()}
    over = compile_spec(_service(tmp_path / "over", {"margin": 0.231})).layout
    assert over is not None and over.split


def test_every_nested_stack_carries_the_services_tags(tmp_path) -> None:
    """Cost reports and tag policies see a nested stack as the service's: its stack resource carries the spec's
    tags and specc's own, sorted by key, like every other resource."""
    path = _service(tmp_path, {"margin": 0.5})
    spec = json.loads(path.read_text())
    spec["tags"] = {"team": "payments", "cost-center": "42"}
    path.write_text(json.dumps(spec))
    compiled = compile_spec(path)
    stacks = [r for r in compiled.templates[PARENT]["Resources"].values() if r["Type"] == "AWS::CloudFormation::Stack"]
    assert len(stacks) >= 3
    for stack in stacks:
        assert stack["Properties"]["Tags"] == [
            {"Key": "cost-center", "Value": "42"}, {"Key": "specc:environment", "Value": "dev"},
            {"Key": "specc:service", "Value": "svc"}, {"Key": "team", "Value": "payments"}]


def test_a_lambda_authorizer_names_its_function_by_arn_so_the_split_has_no_cycle(tmp_path) -> None:
    """The function stacks read each authorizer's ID for the routes it guards; an authorizer reading its function's
    ARN from a function stack's outputs made a cycle (E241). It names the function by its deterministic ARN."""
    shutil.copytree(HERE / "golden" / "http_api", tmp_path / "http_api", ignore=shutil.ignore_patterns("expected"))
    spec = tmp_path / "http_api" / "spec.yaml"
    data = yaml.safe_load(spec.read_text())
    data["limits"] = {"margin": 0.9, "shards": 2}
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    split = compile_spec(spec)
    assert split.layout is not None and split.layout.split
    parent = split.templates[PARENT]["Resources"]
    authorizers = {t: r for t, r in parent.items() if r["Type"] == "AWS::ApiGatewayV2::Authorizer"
                   and r["Properties"]["AuthorizerType"] == "REQUEST"}
    assert authorizers
    for resource in authorizers.values():
        uri = json.dumps(resource["Properties"]["AuthorizerUri"])
        assert ":function:" in uri and "Outputs." not in uri, uri


def _squeezed(directory: Path, case: str, limits: dict[str, Any], edit: Any = None) -> tuple[Any, Any]:
    """A golden case compiled whole and split (its spec edited by `edit` in both)."""
    shutil.copytree(HERE / "golden" / case, directory / case, ignore=shutil.ignore_patterns("expected"))
    spec = directory / case / "spec.yaml"
    data = yaml.safe_load(spec.read_text())
    if edit is not None:
        edit(data)
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    whole = compile_spec(spec)
    spec.write_text(yaml.safe_dump({**data, "limits": limits}, sort_keys=False))
    return whole, compile_spec(spec)


def _split_as_whole(directory: Path, edit: Any) -> tuple[Any, Any]:
    """The edited 24-function service compiled whole (margin 0.1) and split (0.5), checked to say the same."""
    whole = compile_spec(_edited_service(directory / "whole", {"margin": 0.1}, edit))
    split = compile_spec(_edited_service(directory / "split", {"margin": 0.5}, edit))
    layout = split.layout
    assert layout is not None
    assert_split_changes_nothing_but_placement(whole.templates, split.templates, layout.placement)
    return split, layout


def _edited_service(directory: Path, limits: dict[str, Any], edit: Any) -> Path:
    path = _service(directory, limits)
    spec = json.loads(path.read_text())
    edit(spec)
    path.write_text(json.dumps(spec))
    return path


def _private_functions_in_an_existing_vpc(spec: dict[str, Any]) -> None:
    spec["regions"] = ["us-east-1", "eu-west-1"]
    spec["network"] = {"existing": {"by_region": {
        region: {"vpc": f"vpc-000000000000000{x}", "security_groups": [f"sg-000000000000000{x}"],
                 "subnets": [f"subnet-000000000000000{x}", f"subnet-000000000000000{y}"]}
        for region, x, y in (("us-east-1", "a", "b"), ("eu-west-1", "e", "f"))}}}
    for name in ("fn0", "fn1", "fn2"):
        spec["functions"][name]["network"] = "private"


def test_a_private_function_moved_into_a_nested_stack_finds_its_regions_subnets_there(tmp_path) -> None:
    """An existing network given per region is a Mapping the functions' VpcConfig and ENI policies read
    (`Fn::FindInMap`). A nested template is its own scope: each one that holds a private function carries the
    Mapping, as the parent defines it; one that holds none carries no Mapping."""
    whole = compile_spec(_edited_service(tmp_path / "whole", {"margin": 0.1}, _private_functions_in_an_existing_vpc))
    split = compile_spec(_edited_service(tmp_path / "split", {"margin": 0.5}, _private_functions_in_an_existing_vpc))
    assert split.layout is not None
    assert_split_changes_nothing_but_placement(whole.templates, split.templates, split.layout.placement)
    mapping = whole.templates[PARENT]["Mappings"]["ExistingNetwork"]
    holding = {split.layout.stacks[split.layout.placement[f"Fn{i}Function"]].file for i in (0, 1, 2)}
    assert holding == {"nested/functions-0000.json", "nested/functions-8000.json"}
    for name, template in split.templates.items():
        if name.startswith("nested/"):
            assert template.get("Mappings") == ({"ExistingNetwork": mapping} if name in holding else None), name


def _audit_with_functions_reading_a_condition(data: dict[str, Any]) -> None:
    for index in range(8):
        data["functions"][f"extra{index}"] = {"handler": "handlers/app.py:handler"}
    data["overrides"] = {"functions.writer.function": {
        "set": {"Environment.Variables.HOME_REGION": {"Fn::If": ["AuditTrailRegion", "yes", "no"]}},
        "reason": "the function behaves differently in the trail's home region"}}


def test_a_condition_an_override_reads_is_defined_in_the_nested_stack_it_moves_to(tmp_path) -> None:
    """`overrides:` may write `Fn::If` on a condition specc defines (here the audit trail's home region) into a
    function's properties. Moved into a nested stack, the function's template defines that condition, as the
    parent does, and no other."""
    limits = {"margin": 0.85, "shards": 2}
    whole, split = _squeezed(tmp_path, "audit", limits, _audit_with_functions_reading_a_condition)
    assert split.layout is not None and split.layout.split
    assert_split_changes_nothing_but_placement(whole.templates, split.templates, split.layout.placement)
    home = split.layout.stacks[split.layout.placement["WriterFunction"]].file
    condition = whole.templates[PARENT]["Conditions"]["AuditTrailRegion"]
    assert split.templates[home]["Conditions"] == {"AuditTrailRegion": condition}
    variables = split.templates[home]["Resources"]["WriterFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["HOME_REGION"] == {"Fn::If": ["AuditTrailRegion", "yes", "no"]}
    assert [n for n, t in split.templates.items() if n.startswith("nested/") and "Conditions" in t] == [home]


def test_a_function_calls_the_live_alias_of_one_in_another_stack_by_its_name(tmp_path) -> None:
    """A function with provisioned concurrency is called through its `live` alias. A caller in another function
    stack names that alias by its deterministic ARN (no output, no dependency between function stacks); a caller
    beside it refers to the alias itself."""
    def aliased(spec: dict[str, Any]) -> None:
        spec["functions"]["fn1"]["provisioned_concurrency"] = 1

    split, layout = _split_as_whole(tmp_path, aliased)
    assert [layout.placement[t] for t in ("Fn0Function", "Fn1Alias", "Fn2Function")] == [
        "Functions8000Stack", "Functions0000Stack", "Functions0000Stack"]

    def invoked(caller: str) -> list[Any]:
        template = split.templates[layout.stacks[layout.placement[f"{caller}Function"]].file]
        statements = template["Resources"][f"{caller}Policy"]["Properties"]["PolicyDocument"]["Statement"]
        [statement] = [s for s in statements if s["Sid"] == "InvokeFn1"]
        return statement["Resource"]

    arn = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:svc-fn1-dev"
    assert invoked("Fn0") == [{"Fn::Sub": arn}, {"Fn::Sub": arn + ":live"}]
    assert invoked("Fn2") == [{"Fn::GetAtt": ["Fn1Function", "Arn"]}, {"Ref": "Fn1Alias"}]
    assert layout.stacks["Functions8000Stack"].depends_on == ["Shared0000Stack"]


def test_a_key_statement_keeps_the_roles_beside_the_key_and_notes_the_others(tmp_path) -> None:
    """The state machine's role stays in the parent with the key; the functions' roles, in the same statement
    (same actions), move. The statement keeps naming the state machine's role with the same actions; the key's
    Metadata lists the roles it no longer names; the statements that name no role are untouched."""
    whole, split = _squeezed(tmp_path, "workflows", {"margin": 0.9, "shards": 2})
    before = whole.templates[PARENT]["Resources"]["DataKey"]
    after = split.templates[PARENT]["Resources"]["DataKey"]
    [shared] = [s for s in before["Properties"]["KeyPolicy"]["Statement"] if s["Sid"] == "ServiceRolesUseKey1"]
    assert len(shared["Principal"]["AWS"]) == 5
    assert after["Properties"]["KeyPolicy"]["Statement"] == [
        {**s, "Principal": {"AWS": [{"Fn::GetAtt": ["OrderWorkflowRole", "Arn"]}]}} if s is shared else s
        for s in before["Properties"]["KeyPolicy"]["Statement"]]
    assert after["Metadata"]["specc"]["split"]["roles_in_nested_stacks"] == [
        "ChargeRole", "IntakeRole", "ShipLineRole", "ValidateOrderRole"]
    assert after["Metadata"]["cfripper"] == before["Metadata"]["cfripper"]  # the key's other notes stay
    logs = split.templates[PARENT]["Resources"]["LogsKey"]
    assert logs == whole.templates[PARENT]["Resources"]["LogsKey"]  # names no role: as it was, no note


def _as_deployed(value: Any, parameters: dict[str, str], conditions: dict[str, Any]) -> Any:
    """A value of the parent as CloudFormation gives it in us-east-1 of account 111111111111, with these parameter
    values: Ref, Fn::Sub (a string), Fn::If, Fn::Not, Fn::Equals."""
    pseudo = {"AWS::AccountId": "111111111111", "AWS::Region": "us-east-1", "AWS::URLSuffix": "amazonaws.com"}
    names = {**pseudo, **parameters}
    if isinstance(value, dict) and len(value) == 1:
        [(key, inner)] = value.items()
        if key == "Ref":
            return names[inner]
        if key == "Fn::Sub":
            return TOKEN.sub(lambda m: names[m.group(1)], inner)
        if key == "Fn::If":
            name, then, otherwise = inner
            chosen = then if _as_deployed(conditions[name], parameters, conditions) else otherwise
            return _as_deployed(chosen, parameters, conditions)
        if key == "Fn::Not":
            return not _as_deployed(inner[0], parameters, conditions)
        if key == "Fn::Equals":
            return _as_deployed(inner[0], parameters, conditions) == _as_deployed(inner[1], parameters, conditions)
    return value


def test_each_nested_stack_is_read_from_where_specc_deploy_uploads_it_on_aws_and_on_an_emulator(tmp_path) -> None:
    """The parent takes one optional parameter, ArtifactsEndpoint: left empty (AWS), each nested stack's TemplateURL
    is its content-addressed key in the artifact bucket of the account and region; set to an emulator's endpoint,
    the same key under that endpoint, path style. Both are the URLs the deploy uploads to (rollout.template_url)."""
    from specc.output.rollout import template_url

    compiled = compile_spec(_service(tmp_path, {"margin": 0.5}))
    layout = compiled.layout
    parent = compiled.templates[PARENT]
    assert list(parent["Parameters"]) == ["ArtifactsEndpoint"] and parent["Parameters"]["ArtifactsEndpoint"]["Type"] \
        == "String"
    assert "emulator" in parent["Parameters"]["ArtifactsEndpoint"]["Description"]
    stacks = {t: r for t, r in parent["Resources"].items() if r["Type"] == "AWS::CloudFormation::Stack"}
    assert len(stacks) == 3
    bucket = "specc-artifacts-111111111111-us-east-1"
    for endpoint in (parent["Parameters"]["ArtifactsEndpoint"]["Default"], "http://localhost:4566"):
        for title, stack in stacks.items():
            file = layout.stacks[title].file
            key = f"svc/templates/{hashlib.sha256(layout.rendered[file]).hexdigest()}.json"
            url = _as_deployed(stack["Properties"]["TemplateURL"], {"ArtifactsEndpoint": endpoint},
                               parent["Conditions"])
            assert url == template_url(bucket, "us-east-1", key, endpoint or None), (title, endpoint)


def test_a_stack_that_only_carries_a_tables_outputs_holds_a_resource_that_creates_nothing(tmp_path) -> None:
    """Past the parent's output budget a table's outputs go to its group's shared stack. With the standard table
    alarms off, the `stock` table has no alarm, so that stack holds nothing else; a template needs a resource, so it
    gets one WaitConditionHandle (which creates nothing)."""
    def no_table_alarms(spec: dict[str, Any]) -> None:
        spec["monitoring"] = {"standard_alarms": {"table_read_throttles": {"enabled": False},
                                                  "table_write_throttles": {"enabled": False}}}

    layout = compile_spec(_edited_service(tmp_path, {"margin": 0.88}, no_table_alarms)).layout
    assert layout is not None
    [stock] = [s for s in layout.stacks.values() if s.entries == ["tables.stock"]]
    template = layout.templates[stock.file]
    assert template["Resources"] == {"Placeholder": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}
    assert list(template["Outputs"]) == ["StockTableName"]  # the service's output of the table's name


def test_tables_in_table_stacks_stay_in_the_stack_their_name_picks_and_are_read_by_name(tmp_path) -> None:
    """`limits.table_stacks: true`: each table lives in one of sixteen fixed `Tables` stacks picked by the hash of its
    name alone, so adding a table moves no other (a table that moves is replaced, its data gone). The service says
    what it says whole; a function stack reads a table of a table stack by its name and ARN (no parameter) and
    waits for that stack."""
    def more_tables(*names: str) -> Any:
        def edit(spec: dict[str, Any]) -> None:
            spec["tables"].update({n: {"partition_key": {"name": "id", "type": "S"}} for n in names})
        return edit

    two = compile_spec(_edited_service(tmp_path / "two", {"margin": 0.5, "table_stacks": True}, more_tables()))
    whole = compile_spec(_edited_service(tmp_path / "whole", {"margin": 0.1}, more_tables("ledger")))
    three = compile_spec(_edited_service(tmp_path / "three", {"margin": 0.5, "table_stacks": True},
                                         more_tables("ledger")))
    assert two.layout is not None and three.layout is not None
    assert_split_changes_nothing_but_placement(whole.templates, three.templates, three.layout.placement)
    tables = ("OrdersTable", "StockTable")
    assert {t: two.layout.placement[t] for t in tables} == {"OrdersTable": "Tables1000Stack",
                                                           "StockTable": "Tables0000Stack"}
    assert {t: three.layout.placement[t] for t in (*tables, "LedgerTable")} == {
        "OrdersTable": "Tables1000Stack", "StockTable": "Tables0000Stack", "LedgerTable": "Tablesf000Stack"}
    parent = three.templates[PARENT]["Resources"]
    for stack in ("Functions0000Stack", "Functions8000Stack"):
        assert parent[stack]["DependsOn"] == ["Tables0000Stack", "Tables1000Stack"]  # fn* use orders and stock
        assert not [p for p in parent[stack]["Properties"]["Parameters"] if "Table" in p]
    fn1 = three.templates[three.layout.stacks["Functions0000Stack"].file]["Resources"]["Fn1Function"]
    assert fn1["Properties"]["Environment"]["Variables"]["TABLE_ORDERS"] == "svc-orders-dev"


def test_the_keys_note_names_every_role_it_no_longer_names_whatever_statement_named_it(tmp_path) -> None:
    """Functions that read a table and functions that write one use the key with different actions: two statements.
    Every function's role moved, so both statements go, and the key's Metadata names all 24 roles (an auditor
    reading the key policy learns there who else uses the key, through IAM)."""
    whole = compile_spec(_service(tmp_path / "whole", {"margin": 0.1}))
    split = compile_spec(_service(tmp_path / "split", {"margin": 0.5}))
    before = whole.templates[PARENT]["Resources"]["MainKey"]["Properties"]["KeyPolicy"]["Statement"]
    named = {sid: [p["Fn::GetAtt"][0] for p in s["Principal"]["AWS"]] for s in before
             if isinstance(s["Principal"].get("AWS"), list) for sid in [s["Sid"]]}
    assert sorted(named) == ["ServiceRolesUseKey1", "ServiceRolesUseKey2"]
    key = split.templates[PARENT]["Resources"]["MainKey"]
    assert [s["Sid"] for s in key["Properties"]["KeyPolicy"]["Statement"]] == [
        s["Sid"] for s in before if s["Sid"] not in named]
    assert key["Metadata"]["specc"]["split"]["roles_in_nested_stacks"] == sorted(r for rs in named.values() for r in rs)
    assert len(key["Metadata"]["specc"]["split"]["roles_in_nested_stacks"]) == 24


SPLIT_GOLDEN = HERE / "split_golden"


@pytest.mark.parametrize("case", ["half", "outputs-past-the-parents-budget"])
def test_a_split_service_compiles_to_the_bytes_it_compiled_to_before(tmp_path, case) -> None:
    """A nested stack's TemplateURL is the sha256 of its body: any change in how the split writes a template, even
    one CloudFormation reads the same (a `${Name}` written as a variable, another Description), updates every nested
    stack of every split service on its next deploy. The bytes are written out once; to accept a deliberate change:
    `SPECC_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_split_wiring.py -k bytes`, then read the diff."""
    layout = compile_spec(_service(tmp_path, LAYOUTS[case][0])).layout
    assert layout is not None and layout.split
    expected_dir = SPLIT_GOLDEN / case
    if os.environ.get("SPECC_REGEN_GOLDEN"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        for name, body in layout.rendered.items():
            (expected_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / name).write_bytes(body)
    expected = {p.relative_to(expected_dir).as_posix(): p.read_bytes() for p in expected_dir.rglob("*.json")}
    assert sorted(layout.rendered) == sorted(expected)
    for name, body in layout.rendered.items():
        assert body.decode() == expected[name].decode(), f"{case}/{name} differs from the committed bytes"


def test_references_an_override_writes_in_any_form_follow_what_they_name_into_other_stacks(tmp_path) -> None:
    """`overrides:` may write references as CloudFormation accepts them: `Fn::GetAtt` as "Name.Attribute", `${...}` in
    `Fn::Sub` with and without variables, pseudo parameters and `${!Literal}`. In a function moved to a nested stack
    they still name what they named: another stack's function by its ARN, the parent's topic and a shared stack's
    path resource through parameters; the pseudo parameter and the literal stay as they are."""
    arn = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:svc-fn1-dev"

    def references(spec: dict[str, Any]) -> None:
        spec["overrides"] = {"functions.fn0.function": {"set": {
            "Environment.Variables.PEER": {"Fn::GetAtt": "Fn1Function.Arn"},
            "Environment.Variables.BOTH": {"Fn::Sub": ["${Topic} and ${Fn1Function.Arn}",
                                                       {"Topic": {"Ref": "AlertsTopic"}}]},
            "Environment.Variables.PATH": {"Fn::Sub": "${ApiResourceApiFn1OrderIdParam}/${AWS::Region}/${!Literal}"},
        }, "reason": "the function reports where its peers are"}}

    split, layout = _split_as_whole(tmp_path, references)
    stack = layout.stacks[layout.placement["Fn0Function"]]
    assert (stack.logical_id, layout.placement["Fn1Function"]) == ("Functions8000Stack", "Functions0000Stack")
    template = split.templates[stack.file]
    variables = template["Resources"]["Fn0Function"]["Properties"]["Environment"]["Variables"]
    assert variables["PEER"] == {"Fn::Sub": arn}
    assert variables["BOTH"] == {"Fn::Sub": ["${Topic} and " + arn, {"Topic": {"Ref": "AlertsTopic"}}]}
    assert variables["PATH"] == {"Fn::Sub": "${ApiResourceApiFn1OrderIdParam}/${AWS::Region}/${!Literal}"}
    passed = split.templates[PARENT]["Resources"][stack.logical_id]["Properties"]["Parameters"]
    assert passed["AlertsTopic"] == {"Ref": "AlertsTopic"}
    assert passed["ApiResourceApiFn1OrderIdParam"] == {
        "Fn::GetAtt": ["Shared0000Stack", "Outputs.ApiResourceApiFn1OrderIdParam"]}
    assert stack.depends_on == ["Shared0000Stack"]  # the other function stack is named, not waited for


def test_a_hundred_tables_stay_in_the_parent_and_the_hundred_and_first_moves_them_all_to_table_stacks(tmp_path) -> None:
    """By default (no `limits.table_stacks`) tables stay beside the API and keys up to 100 of them; past that they
    all live in the sixteen `Tables` stacks. Moving a table replaces it, so the threshold is pinned exactly."""
    def tables(count: int) -> Path:
        directory = tmp_path / str(count)
        directory.mkdir()
        spec = {"specc": 1, "service": "svc", "environment": "dev", "regions": ["us-east-1"],
                "tables": {f"t{i}": {"partition_key": {"name": "id", "type": "S"}} for i in range(count)}}
        (directory / "spec.yaml").write_text(json.dumps(spec))
        return directory / "spec.yaml"

    hundred = compile_spec(tables(100)).layout
    assert hundred is not None and not hundred.split
    more = compile_spec(tables(101)).layout
    assert more is not None and more.split
    assert {more.placement[f"T{i}Table"][:6] for i in range(101)} == {"Tables"}


def test_a_key_changed_by_an_override_keeps_that_record_beside_the_splits_note(tmp_path) -> None:
    """The key's Metadata already says the spec overrode it (kinds/overrides.py); the split adds its note about the
    roles of nested stacks without dropping that record."""
    def override(spec: dict[str, Any]) -> None:
        spec["overrides"] = {"keys.main.key": {"set": {"Description": "svc data"}, "reason": "named for the console"}}

    whole = compile_spec(_edited_service(tmp_path / "whole", {"margin": 0.1}, override))
    split = compile_spec(_edited_service(tmp_path / "split", {"margin": 0.5}, override))
    before = whole.templates[PARENT]["Resources"]["MainKey"]["Metadata"]
    after = split.templates[PARENT]["Resources"]["MainKey"]["Metadata"]
    assert before["specc"]["overrides"] and after["specc"]["overrides"] == before["specc"]["overrides"]
    assert len(after["specc"]["split"]["roles_in_nested_stacks"]) == 24
    assert {k: v for k, v in after.items() if k != "specc"} == {k: v for k, v in before.items() if k != "specc"}


def test_an_alarm_named_like_a_function_goes_with_what_it_watches_not_with_that_function(tmp_path) -> None:
    """Names are per section: an alarm `fn3` on the API's latency is the API's alarm and stays in the parent with the
    API, while an alarm `fn5_errors` on fn5 goes with fn5; the function `fn3` plays no part."""
    def alarm(spec: dict[str, Any]) -> None:
        spec["alarms"]["fn3"] = {"metric": "api.Latency", "threshold": "> 1000"}

    layout = compile_spec(_edited_service(tmp_path, {"margin": 0.5}, alarm)).layout
    assert layout is not None
    assert layout.placement["Fn3Alarm"] == "" and layout.placement["Fn3Function"] == "Functions8000Stack"
    assert layout.placement["Fn5ErrorsAlarm"] == layout.placement["Fn5Function"] == "Functions0000Stack"


def test_every_key_stops_naming_the_roles_of_nested_stacks_whichever_comes_first(tmp_path) -> None:
    """A key no function uses (`archive`, declared first) and the key they all use (`main`): the split looks at each
    key, so `main` names no role of a nested stack (a circular dependency otherwise) and `archive` is untouched."""
    def keys(spec: dict[str, Any]) -> None:
        spec["keys"] = {"archive": {"description": "kept for later"}, "main": {}}
        spec["defaults"] = {"key": "main"}

    whole = compile_spec(_edited_service(tmp_path / "whole", {"margin": 0.1}, keys))
    split = compile_spec(_edited_service(tmp_path / "split", {"margin": 0.5}, keys))
    parent = split.templates[PARENT]["Resources"]
    assert [t for t, r in parent.items() if r["Type"] == "AWS::KMS::Key"] == ["ArchiveKey", "MainKey"]
    assert parent["ArchiveKey"] == whole.templates[PARENT]["Resources"]["ArchiveKey"]
    assert len(parent["MainKey"]["Metadata"]["specc"]["split"]["roles_in_nested_stacks"]) == 24
    assert "Fn0Role" not in json.dumps(parent["MainKey"]["Properties"]["KeyPolicy"])


def test_outputs_exactly_at_the_parents_budget_all_stay_in_the_parent(tmp_path) -> None:
    """30 outputs where the margin leaves room for 30: every output stays where users read the stack's outputs (one
    more output than the budget, and they move beside what they describe, as at 0.88)."""
    from specc.output.split import Budget

    compiled = compile_spec(_service(tmp_path, {"margin": 0.85}))
    assert compiled.layout is not None and compiled.layout.split and Budget.with_margin(0.85).outputs == 30
    outputs = compiled.templates[PARENT]["Outputs"]
    assert len(outputs) == 30
    assert not [n for n, t in compiled.templates.items() if n.startswith("nested/") and "Outputs" in t
                and set(t["Outputs"]) & set(outputs)]


def test_the_stackset_deploys_the_parent_from_the_key_of_its_own_bytes(tmp_path) -> None:
    """stackset.json points every region at the parent template's content-addressed key, the sha256 of the bytes
    written as service.json (a split parent's digest comes from the split, not from hashing it again)."""
    compiled = compile_spec(_service(tmp_path, {"margin": 0.5}))
    assert compiled.layout is not None and compiled.layout.split
    digest = hashlib.sha256(compiled.layout.rendered[PARENT]).hexdigest()
    assert f"svc/templates/{digest}.json" in json.dumps(compiled.templates["stackset.json"])


def test_an_override_names_what_is_beside_it_as_written_and_a_dotted_attribute_whole(tmp_path) -> None:
    """In a nested stack, a reference to a resource of the same stack stays as the override wrote it (`${X.Arn}`
    inline in Fn::Sub, not turned into a variable), and an attribute with a dot in it (`SnapStartResponse.ApplyOn`,
    in the string form of Fn::GetAtt and in `${...}`) is read from the other stack whole: one output, one
    parameter."""
    def references(spec: dict[str, Any]) -> None:
        spec["overrides"] = {"functions.fn0.function": {"set": {
            "Environment.Variables.SELF": {"Fn::Sub": "${Fn0Role.Arn} ${Fn0DeadLetterQueue}"},
            "Environment.Variables.SNAP": {"Fn::GetAtt": "Fn1Function.SnapStartResponse.ApplyOn"},
            "Environment.Variables.SNAP_TOO": {"Fn::Sub": "${Fn1Function.SnapStartResponse.ApplyOn}"},
        }, "reason": "the function reports its own role and its peer's SnapStart"}}

    split, layout = _split_as_whole(tmp_path, references)
    here, there = layout.stacks[layout.placement["Fn0Function"]], layout.stacks[layout.placement["Fn1Function"]]
    assert here.logical_id != there.logical_id
    variables = split.templates[here.file]["Resources"]["Fn0Function"]["Properties"]["Environment"]["Variables"]
    assert variables["SELF"] == {"Fn::Sub": "${Fn0Role.Arn} ${Fn0DeadLetterQueue}"}
    name = "Fn1FunctionSnapStartResponseApplyOn"
    assert variables["SNAP"] == {"Ref": name}
    assert variables["SNAP_TOO"] == {"Fn::Sub": "${" + name + "}"}
    passed = split.templates[PARENT]["Resources"][here.logical_id]["Properties"]["Parameters"]
    assert passed[name] == {"Fn::GetAtt": [there.logical_id, f"Outputs.{name}"]}
    assert split.templates[there.file]["Outputs"][name] == {
        "Value": {"Fn::GetAtt": ["Fn1Function", "SnapStartResponse.ApplyOn"]}}


def test_two_values_whose_names_run_together_get_a_parameter_each(tmp_path) -> None:
    """A nested stack names each value it reads after what it reads: `AlertsTopic`'s TopicName and a raw resource
    called `AlertsTopicTopicName` would both be `AlertsTopicTopicName`. The second gets `Param` added, each passes
    its own value, and the names are pinned (a renamed parameter is a change to the stack)."""
    def colliding(spec: dict[str, Any]) -> None:
        spec["resources"] = {"AlertsTopicTopicName": {"Type": "AWS::SSM::Parameter",
                                                      "Properties": {"Type": "String", "Value": "alerts"}}}
        spec["overrides"] = {"functions.fn0.function": {"set": {
            "Environment.Variables.TOPIC_NAME": {"Fn::GetAtt": ["AlertsTopic", "TopicName"]},
            "Environment.Variables.PARAMETER": {"Ref": "AlertsTopicTopicName"},
        }, "reason": "the function reads the topic's name and where its configuration is"}}

    split, layout = _split_as_whole(tmp_path, colliding)
    stack = layout.stacks[layout.placement["Fn0Function"]]
    variables = split.templates[stack.file]["Resources"]["Fn0Function"]["Properties"]["Environment"]["Variables"]
    assert variables["TOPIC_NAME"] == {"Ref": "AlertsTopicTopicName"}
    assert variables["PARAMETER"] == {"Ref": "AlertsTopicTopicNameParam"}
    passed = split.templates[PARENT]["Resources"][stack.logical_id]["Properties"]["Parameters"]
    assert passed["AlertsTopicTopicName"] == {"Fn::GetAtt": ["AlertsTopic", "TopicName"]}
    assert passed["AlertsTopicTopicNameParam"] == {"Ref": "AlertsTopicTopicName"}


def test_a_service_exactly_at_its_output_budget_stays_one_template(tmp_path) -> None:
    """As many outputs as the margin leaves room for: one template, whose layout reports the budget it was held
    to; one output more and it is not one template any more."""
    from specc.language.diagnostics import SpecError
    from specc.output.split import Budget

    margin = 0.85
    budget = Budget.with_margin(margin)

    def with_outputs(count: int) -> Path:
        def edit(spec: dict[str, Any]) -> None:
            spec.update(functions={"fn0": spec["functions"]["fn0"]}, routes={}, alarms={},
                        outputs={f"extra{i}": {"value": "${tables.orders.arn}"} for i in range(count)})
            spec["functions"]["fn0"]["uses"] = {"tables": {"stock": "read"}}
        return _edited_service(tmp_path / str(count), {"margin": margin}, edit)

    base = compile_spec(with_outputs(0))
    room = budget.outputs - len(base.templates[PARENT]["Outputs"])
    assert room > 0
    at = compile_spec(with_outputs(room))
    assert at.layout is not None and not at.layout.split and at.layout.budget == budget
    assert len(at.templates[PARENT]["Outputs"]) == budget.outputs
    try:
        over = compile_spec(with_outputs(room + 1)).layout
    except SpecError as error:  # the spec's own outputs stay in the parent: past the budget, E240
        assert [d.code for d in error.diagnostics] == ["E240"]
    else:
        assert over is not None and over.split


def test_a_nested_stack_past_its_parameter_budget_is_a_located_error_that_says_what_to_do(tmp_path) -> None:
    """The split estimates a stack's resources, outputs and bytes, not the parameters it will read: a function that
    publishes to 31 topics under a margin that leaves 30 parameters cannot be placed. specc says which template,
    how far over, and what to do, and writes nothing."""
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    spec: dict[str, Any] = {
        "specc": 1, "service": "svc", "environment": "dev", "regions": ["us-east-1"], "limits": {"margin": 0.85},
        "topics": {f"t{i}": {} for i in range(31)},
        "functions": {f"fn{i}": {"handler": "handlers/app.py:handler"} for i in range(8)}}
    spec["functions"]["fn0"]["uses"] = {"topics": {f"t{i}": "publish" for i in range(31)}}
    path = tmp_path / "spec.yaml"
    path.write_text(json.dumps(spec))
    from specc.language.diagnostics import SpecError

    with pytest.raises(SpecError) as raised:
        compile_spec(path)
    messages = [d.render() for d in raised.value.diagnostics]
    assert messages[0].endswith(
        "E240 limits: nested/functions-8000.json needs 32 parameters (budget 30), more than CloudFormation allows "
        "with the margin (the split's size estimate was short for this stack (its parameters are not estimated): "
        "lower limits.margin, or set limits.shards to split further from the start; please report it)"), messages
    assert len(messages) == 2 and "service.json needs 32 outputs (budget 30)" in messages[1]
    spec["topics"] = {f"t{i}": {} for i in range(40)}  # the parent over two quotas: both named, in quota order
    spec["functions"]["fn0"].pop("uses")
    path.write_text(json.dumps(spec))
    with pytest.raises(SpecError) as raised:
        compile_spec(path)
    assert [d.message for d in raised.value.diagnostics] == [
        "service.json needs 84 resources (budget 75), 41 outputs (budget 30), more than CloudFormation allows with "
        "the margin"]


def test_a_sub_variable_named_like_a_value_the_split_wires_keeps_its_own_value(tmp_path) -> None:
    """`Fn::Sub` variables are the user's: when the split must wire a `${...}` of the same Sub through a parameter
    or an output of the same name, the user's variable keeps its value and the wired one gets `Value` added, in a
    nested stack (a function reading a parent topic's name) and in the parent (an alarm reading a moved role)."""
    def sub_variables(spec: dict[str, Any]) -> None:
        spec["overrides"] = {
            "functions.fn0.function": {"set": {"Environment.Variables.TOPIC": {"Fn::Sub": [
                "${AlertsTopicTopicName}|${AlertsTopic.TopicName}", {"AlertsTopicTopicName": "mine"}]}},
                "reason": "the function reads its own label and the topic's name"},
            "monitoring.api4xx_alarm": {"set": {"AlarmDescription": {"Fn::Sub": [
                "${Fn0RoleArn}|${Fn0Role.Arn}", {"Fn0RoleArn": "mine"}]}},
                "reason": "the alarm names the role that serves the API"}}

    split, layout = _split_as_whole(tmp_path, sub_variables)
    stack = layout.stacks[layout.placement["Fn0Function"]]
    variables = split.templates[stack.file]["Resources"]["Fn0Function"]["Properties"]["Environment"]["Variables"]
    assert variables["TOPIC"] == {"Fn::Sub": ["${AlertsTopicTopicName}|${AlertsTopicTopicNameValue}", {
        "AlertsTopicTopicName": "mine", "AlertsTopicTopicNameValue": {"Ref": "AlertsTopicTopicName"}}]}
    alarm = split.templates[PARENT]["Resources"]["Api4xxAlarm"]["Properties"]["AlarmDescription"]
    assert alarm == {"Fn::Sub": ["${Fn0RoleArn}|${Fn0RoleArnValue}", {
        "Fn0RoleArn": "mine", "Fn0RoleArnValue": {"Fn::GetAtt": [stack.logical_id, "Outputs.Fn0RoleArn"]}}]}


def test_past_the_parents_output_budget_each_shared_stack_is_sized_by_the_outputs_it_will_carry(tmp_path) -> None:
    """20 tables with a stream give 40 outputs (name and stream ARN), twice what margin 0.9 leaves the parent (19).
    Each table's outputs go to the shared stack of the table's group, and the shard tree sizes those stacks by the
    two outputs each table brings: every stack fits its 19 outputs, none is split further than it needs, and the
    spec's own output stays in the parent. The layout is pinned (a table group that changes stack is no loss, but a
    stack that changes name is replaced)."""
    (tmp_path / "spec.yaml").write_text(json.dumps({
        "specc": 1, "service": "svc", "environment": "dev", "regions": ["us-east-1"], "limits": {"margin": 0.9},
        "tables": {f"t{i}": {"partition_key": {"name": "id", "type": "S"}, "stream": "new_image"} for i in range(20)},
        "outputs": {"first": {"value": "${tables.t0.arn}"}}}))
    compiled = compile_spec(tmp_path / "spec.yaml")
    layout = compiled.layout
    assert layout is not None and layout.budget.outputs == 19
    outputs = {name: len(t.get("Outputs", {})) for name, t in compiled.templates.items() if name.startswith("nested/")}
    assert outputs == {"nested/shared-0000.json": 16, "nested/shared-8000.json": 10, "nested/shared-a000.json": 10,
                       "nested/shared-c000.json": 4}
    assert {s.file: len(s.entries) for s in layout.stacks.values()} == {f: n // 2 for f, n in outputs.items()}
    assert set(compiled.templates[PARENT]["Outputs"]) == {"First", "MainKeyArn"}
