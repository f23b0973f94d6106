"""Fit a compiled service into CloudFormation's per-template quotas, splitting it into nested stacks past them.

A template may hold 500 resources, 200 outputs, 200 parameters and 1 MB (uploaded to S3). `limits.margin`
keeps a fraction of each free. A service that fits stays one `service.json`. A larger one becomes a parent
(`service.json`) and nested stacks (`nested/<stack>.json`, `AWS::CloudFormation::Stack`), cut along the plan:

- **Groups.** Every resource belongs to the spec entry in its origin (`ctx.origins`), and "owned-by" edges of
  the plan fold routes into the function they serve and alarms into the function or table they watch. So a
  function travels with its role, policy, log group, dead-letter queue, invoke config, alarms, its routes'
  methods and invoke permissions.
- **What moves.** Function groups go to `Functions<k>` stacks. API path resources (shared by the routes below
  one first path segment) and the alarms of tables go to `Shared<k>` stacks. Everything else stays in the
  parent: keys, tables (stateful: moving one between stacks would replace it), topics, the API, its
  deployment and stage, monitoring. Past 100 tables (`limits.table_stacks`), tables live in sixteen fixed
  `Tables<k>` stacks chosen by the hash of their name alone, so nothing but their own count ever moves them.
  A shared stack references only the parent; a function stack references
  the parent and shared stacks; the parent's deployment waits for the function stacks. Functions that call
  each other across stacks are named by their deterministic physical name (`arn:...:function:<name>`), not
  through outputs, so function stacks never depend on each other. Parent tables are named the same way (the
  stack `DependsOn` them instead of taking two parameters per table: 200 tables read by 128 stacks would
  otherwise overflow the parent's 1 MB with parameters).
- **Stable assignment that grows by itself.** Each family's groups are the leaves of a binary tree over the bits
  of sha256(entry name) (extendible hashing, `ShardTree`): a shard whose estimated size (resources, outputs
  read by others, bytes) is over budget splits in two by the next bit. The tree depends only on the entries and
  their sizes, so it needs no stored state; adding, removing or renaming a function moves nothing but the
  members of the one shard that splits or merges, and a shard keeps its name when it splits (it is named by its
  path padded with zeros), so only about half of its members move (tests/test_split.py asserts both with
  hypothesis). No setting is needed from one function to thousands; `limits.shards` only pre-splits.
- **Wiring.** A nested template gets a `String` parameter for each value it reads from elsewhere (`Ref`,
  `Fn::GetAtt`, `${...}` in `Fn::Sub`), which the parent passes; what the parent or another stack reads
  from a nested stack becomes one of its Outputs, read with `Fn::GetAtt <Stack>.Outputs.<name>`. Key policies
  in the parent cannot name roles created in nested stacks (the stack needs the key first: a cycle); those
  roles use the key through their own least-privilege policies, which the key policy's account statement
  lets IAM grant, and the key's Metadata says so. The dependency graph of the parent (resources and stacks)
  is checked acyclic; a cycle is a located error, never a template CloudFormation would refuse.
- **Upload.** Each nested stack's TemplateURL is `<service>/templates/<sha256>.json` in the artifact bucket of
  the account and region that deploys it (or `${ArtifactsEndpoint}/...` on an emulator): the contract
  `specc deploy` and `specc rollout` already upload to, so split services work in StackSets.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from specc.language.diagnostics import Diagnostic, SpecError

QUOTAS = {"resources": 500, "outputs": 200, "parameters": 200, "bytes": 1_048_576}
PARENT = ""
SERVICE = "service.json"
FUNCTIONS, SHARED, TABLES = "Functions", "Shared", "Tables"
TABLE_STACK_DEPTH = 4  # 16 table stacks, fixed: a table's stack depends on its name alone, never on the others
STATEFUL = frozenset({"AWS::DynamoDB::Table", "AWS::KMS::Key", "AWS::KMS::Alias", "AWS::S3::Bucket",
                      "AWS::S3::BucketPolicy"})
# Read by the function stacks whose routes they guard, so they must not wait for a function stack themselves: they
# name their own function by its deterministic ARN (a GetAtt would make a cycle: authorizer -> stack -> authorizer).
BY_NAME_IN_PARENT = frozenset({"AWS::ApiGatewayV2::Authorizer", "AWS::ApiGateway::Authorizer"})
_SUB_TOKEN = re.compile(r"\$\{([^!}][^}]*)\}")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


@dataclass(frozen=True)
class Budget:
    """What a template may hold: each quota less the margin."""

    resources: int
    outputs: int
    parameters: int
    bytes: int

    @classmethod
    def with_margin(cls, margin: float) -> Budget:
        return cls(**{name: int(quota * (1 - margin)) for name, quota in QUOTAS.items()})


@dataclass(frozen=True)
class Usage:
    """How much of its budget one template uses."""

    template: str
    resources: int
    outputs: int
    parameters: int
    bytes: int

    def over(self, budget: Budget) -> list[str]:
        return [name for name in QUOTAS if getattr(self, name) > getattr(budget, name)]


@dataclass
class StackInfo:
    logical_id: str
    file: str
    entries: list[str] = field(default_factory=list)  # "functions.create_payment", "paths.items", "tables.orders"
    depends_on: list[str] = field(default_factory=list)  # other stacks this one reads from


@dataclass
class Layout:
    """The templates of one service and how its resources were placed in them."""

    templates: dict[str, dict[str, Any]]
    rendered: dict[str, bytes]  # the JSON bytes of each template (emit reuses them)
    usage: list[Usage]
    budget: Budget
    stacks: dict[str, StackInfo] = field(default_factory=dict)
    placement: dict[str, str] = field(default_factory=dict)  # resource logical ID -> stack ID ("" = parent)
    # sha256 (hex) of each rendered template: hashed once here, for TemplateURLs, the StackSet's and the manifest
    digests: dict[str, str] = field(default_factory=dict)

    @property
    def split(self) -> bool:
        return bool(self.stacks)

    def manifest(self) -> dict[str, Any]:
        return {
            "budget": {name: getattr(self.budget, name) for name in QUOTAS},
            "stacks": {stack.logical_id: {"template": stack.file, "entries": stack.entries,
                                          "depends_on": stack.depends_on}
                       for stack in sorted(self.stacks.values(), key=lambda s: s.logical_id)},
        }


HASH_BITS = 64  # of sha256: enough for a million stacks
INDEX_BITS = 16  # a shard's name: its path in the tree, padded to this many bits (4 hex digits)


def hash_bits(name: str) -> int:
    """The first 64 bits of sha256(name): where an entry sits in the shard tree, whatever else the spec holds."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")


def _hashed(family: str, seed: str) -> int:
    # Functions and tables hash by their own name (`functions.pay` -> `pay`); shared groups by their seed
    # (`paths.items`).
    return hash_bits(seed.split(".", 1)[1] if family in (FUNCTIONS, TABLES) else seed)


def tables_in_stacks(ctx: Any, resources: dict[str, Any]) -> bool:
    """Whether the service's tables live in `Tables` stacks (limits.table_stacks; by default past
    TABLES_IN_PARENT tables). It depends on the tables alone: adding functions never moves a table."""
    from specc.language.limits import TABLES_IN_PARENT

    setting = ctx.spec.limits.table_stacks
    if setting is not None:
        return bool(setting) and any(_is_table(ctx, title, r) for title, r in resources.items())
    return sum(_is_table(ctx, title, r) for title, r in resources.items()) > TABLES_IN_PARENT


def _is_table(ctx: Any, title: str, resource: dict[str, Any]) -> bool:
    """A table of the spec's `tables` section (not a raw one: it stays where it is written; `tables` entries are never
    limited to some regions, so never conditional)."""
    origin: tuple[Any, ...] = ctx.origins.get(title) or ()
    return resource["Type"] == "AWS::DynamoDB::Table" and len(origin) >= 2 and origin[0] == "tables"


@dataclass(frozen=True)
class _Size:
    """A group's estimated share of a nested template: its resources, the outputs others read from it (API path
    resources that methods, which live in function stacks, read), and its rendered bytes."""

    resources: int
    outputs: int
    bytes: int

    @classmethod
    def of(cls, titles: list[str], resources: dict[str, Any], read_by_methods: set[str]) -> _Size:
        return cls(len(titles), sum(title in read_by_methods for title in titles),
                   sum(len(orjson.dumps(resources[title])) for title in titles))


_PARAMETERS_AND_WRAPPING = 20_000  # bytes a nested template adds around its resources: parameters, outputs, header


class ShardTree:
    """Extendible hashing: shards are the leaves of a binary tree over the bits of each entry's hash.

    A shard over budget splits in two by the next bit, so growing the service moves only the members of the shard
    that split, and only about half of them: the half whose next bit is 0 keeps the shard's name, because a
    shard is named by its path padded with zeros (`0100` splits into `0100` and `0110`). The tree is a function of
    the entries and their sizes alone, so the layout needs no stored state."""

    def __init__(self) -> None:
        self.leaves: set[tuple[int, int]] = set()  # (depth, path) of each leaf

    @classmethod
    def fixed(cls, depth: int) -> ShardTree:
        """Every leaf at `depth`: 2**depth shards that never split or merge."""
        tree = cls()
        tree.leaves = {(depth, path) for path in range(1 << depth)}
        return tree

    @staticmethod
    def depth_for(shards: int | None) -> int:
        """The depth that gives at least `shards` leaves from the start (`limits.shards`, an advanced override)."""
        return 0 if not shards else max(0, (shards - 1).bit_length())

    @classmethod
    def grown(cls, members: dict[int, _Size], budget: Budget, min_depth: int) -> ShardTree:
        tree = cls()
        pending = [(0, 0, sorted(members.items()))]
        while pending:
            depth, path, inside = pending.pop()
            over = depth < min_depth or (len(inside) > 1 and not _fits(inside, budget))
            if not over or depth == HASH_BITS:
                tree.leaves.add((depth, path))
                continue
            bit = HASH_BITS - 1 - depth
            pending.append((depth + 1, path << 1, [m for m in inside if not (m[0] >> bit) & 1]))
            pending.append((depth + 1, (path << 1) | 1, [m for m in inside if (m[0] >> bit) & 1]))
        return tree

    def index_of(self, hashed: int) -> str:
        """The name of the shard an entry's hash falls in: its path, padded to INDEX_BITS, in hex. Past INDEX_BITS
        (two entries too large to share a stack agree in their first 16 bits), `b` and the path's further bits in
        binary: every digit is kept, so leaves at different depths never share a name, and the name stays
        alphanumeric (it is part of the stack's logical ID)."""
        for depth in range(HASH_BITS + 1):
            path = hashed >> (HASH_BITS - depth) if depth else 0
            if (depth, path) in self.leaves:
                if depth <= INDEX_BITS:
                    return f"{path << (INDEX_BITS - depth):0{INDEX_BITS // 4}x}"
                extra = depth - INDEX_BITS
                return f"{path >> extra:0{INDEX_BITS // 4}x}b{path & ((1 << extra) - 1):0{extra}b}"
        return "0" * (INDEX_BITS // 4)  # an empty tree (no member at all): one shard


def _fits(inside: list[tuple[int, _Size]], budget: Budget) -> bool:
    return (sum(s.resources for _, s in inside) <= budget.resources
            and sum(s.outputs for _, s in inside) <= budget.outputs
            and sum(s.bytes for _, s in inside) + _PARAMETERS_AND_WRAPPING <= budget.bytes)


def usage_of(name: str, template: dict[str, Any], body: bytes) -> Usage:
    return Usage(name, len(template.get("Resources", {})), len(template.get("Outputs", {})),
                 len(template.get("Parameters", {})), len(body))


def split_service(ctx: Any, plan: Any, template: dict[str, Any]) -> Layout:
    """The service template (`template`, finished: nothing may edit it after this) as it fits: whole when within
    budget, else a parent and its nested stacks (built from `template`'s own dicts, rewired in place: the
    caller must not use `template` afterwards; every value in it is a fresh dict, as template_dict makes them)."""
    from specc.output.emit import render_json

    budget = Budget.with_margin(ctx.spec.limits.margin)
    resources = template["Resources"]
    # No parameter count: the service template declares no Parameters (the split adds the only one, below).
    counts_fit = (not tables_in_stacks(ctx, resources) and len(resources) <= budget.resources
                  and len(template.get("Outputs", {})) <= budget.outputs)
    if counts_fit:
        body = render_json(template)
        if len(body) <= budget.bytes:
            return Layout({SERVICE: template}, {SERVICE: body}, [usage_of(SERVICE, template, body)], budget,
                          placement=dict.fromkeys(resources, PARENT),
                          digests={SERVICE: hashlib.sha256(body).hexdigest()})
    return _Splitter(ctx, plan, template, budget).run()


def _seed_owners(spec: Any, plan: Any) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Owned-by edges of the plan: route -> the function it serves; alarm -> the function or table it watches."""
    routes = {key: route.function for key, route in spec.routes.items()}
    alarms: dict[str, tuple[str, str]] = {}
    for edge in plan.edges:
        if (edge.relation in ("watches", "reads")  # only alarms watch a metric or read a function's logs
                and edge.target.section in ("functions", "tables")):
            alarms.setdefault(edge.source.name, (edge.target.section, edge.target.name))
    return routes, alarms


class _Stack:
    """A nested stack being assembled: its resources, and what it reads from and gives to the others."""

    def __init__(self, logical_id: str, file: str) -> None:
        self.logical_id = logical_id
        self.file = file
        self.resources: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}
        self.parameters: dict[str, Any] = {}  # parameter name -> the value the parent passes
        self.conditions: set[str] = set()
        self.mappings: set[str] = set()
        self.depends: set[str] = set()  # parent resources or stacks it must wait for without reading a value
        self.seeds: set[str] = set()
        self.wired: dict[tuple[str, str], str] = {}  # (logical ID, attribute) -> output name

    def output_for(self, target: str, attribute: str, value: Any) -> str:
        name = self.wired.get((target, attribute))
        if name is None:
            name = _wire_name(target, attribute)
            while name in self.outputs:
                name += "Value"
            self.outputs[name] = {"Value": value}
            self.wired[(target, attribute)] = name
        return name


def _wire_name(target: str, attribute: str) -> str:
    return _NOT_ALNUM.sub("", target + attribute)


class _Splitter:
    def __init__(self, ctx: Any, plan: Any, template: dict[str, Any], budget: Budget) -> None:
        self.ctx = ctx
        self.spec = ctx.spec
        self.plan = plan
        self.template = template
        self.budget = budget
        self.resources: dict[str, Any] = template["Resources"]
        self.outputs: dict[str, Any] = template.get("Outputs", {})  # a service of raw resources alone may have none
        self.stacks: dict[str, _Stack] = {}
        self.place: dict[str, str] = {}  # logical ID -> stack ID, PARENT for the parent
        self.problems: list[Diagnostic] = []
        self._trees: dict[str, ShardTree] = {}
        self.table_stacks = tables_in_stacks(ctx, self.resources)
        self._names_only = False  # while rewriting a BY_NAME_IN_PARENT resource

    # ---- placement -------------------------------------------------------------------------------------
    def _family(self, title: str, resource: dict[str, Any], routes: dict[str, str],
                alarms: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
        """(family, seed) of a movable resource (`_assign` keeps stateful and conditional ones in the parent first);
        None for what stays in the parent."""
        origin: tuple[Any, ...] = self.ctx.origins.get(title) or ()
        if len(origin) < 2:
            return None
        section, name = origin[0], origin[1]
        if section == "routes":
            if resource["Type"] == "AWS::ApiGateway::Resource":
                segments = [s for s in str(name).split(" ", 1)[1].split("/") if s]
                return SHARED, f"paths.{segments[0]}"
            function = routes.get(name)
            return (FUNCTIONS, f"functions.{function}") if function else None
        if section == "alarms" and name in alarms:
            section, name = alarms[name]
        if section == "functions":
            return FUNCTIONS, f"functions.{name}"
        if section == "tables":
            return SHARED, f"tables.{name}"
        return None

    def _stack(self, family: str, seed: str) -> _Stack:
        # Every family has its tree: `_grow` sized each group `_assign` and `_output_home` place (a table's
        # relocated outputs included, by `_relocated_outputs`).
        index = self._trees[family].index_of(_hashed(family, seed))
        logical_id = f"{family}{index}Stack"
        stack = self.stacks.get(logical_id)
        if stack is None:
            stack = self.stacks[logical_id] = _Stack(logical_id, f"nested/{family.lower()}-{index}.json")
        stack.seeds.add(seed)
        return stack

    def _grow(self, groups: dict[tuple[str, str], list[str]]) -> None:
        """Each family's shard tree, grown until every shard's estimated size fits the budget."""
        # API path resources that a method reads: the methods live with their functions, so these become outputs
        read_by_methods = {r["Properties"]["ResourceId"]["Ref"] for r in self.resources.values()
                           if r["Type"] == "AWS::ApiGateway::Method"
                           and isinstance(r["Properties"].get("ResourceId"), dict)
                           and "Ref" in r["Properties"]["ResourceId"]}
        sizes: dict[str, dict[str, _Size]] = defaultdict(dict)
        for (family, seed), titles in groups.items():
            sizes[family][seed] = _Size.of(titles, self.resources, read_by_methods)
        for (family, seed), count in self._relocated_outputs(groups).items():  # the service's outputs, when moved
            size = sizes[family].get(seed, _Size(0, 0, 0))
            sizes[family][seed] = _Size(size.resources, size.outputs + count, size.bytes + 200 * count)
        shards = self.spec.limits.shards
        for family, members in sorted(sizes.items()):
            if family == TABLES:
                self._trees[family] = ShardTree.fixed(TABLE_STACK_DEPTH)
                continue
            start = shards if family == FUNCTIONS or shards is None else max(1, shards // 4)
            self._trees[family] = ShardTree.grown({_hashed(family, seed): size for seed, size in members.items()},
                                                  self.budget, ShardTree.depth_for(start))

    def _relocated_outputs(self, groups: dict[tuple[str, str], list[str]]) -> dict[tuple[str, str], int]:
        """How many of the service's outputs each group will carry: past the parent's output budget, an output goes
        with what it describes (`_output_home`), a table's to the shared stack of the table's group."""
        if len(self.outputs) <= self.budget.outputs:
            return {}
        group_of = {title: group for group, titles in groups.items() for title in titles}
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for name, output in self.outputs.items():
            if name in self.ctx.user_outputs:
                continue
            for target in _references(output["Value"]):
                if target in group_of:
                    counts[group_of[target]] += 1
                    break
                origin: tuple[Any, ...] = self.ctx.origins.get(target) or ()
                if target in self.resources and len(origin) >= 2 and origin[0] == "tables":
                    counts[(SHARED, f"tables.{origin[1]}")] += 1
                    break
        return counts

    def _assign(self) -> None:
        routes, alarms = _seed_owners(self.spec, self.plan)
        origins, place = self.ctx.origins, self.place
        # A movable resource's group depends only on its origin's entry and whether it is an API path resource:
        # decided once per (entry, that), not once per resource (a function's dozen resources share one).
        homes: dict[tuple[Any, ...], tuple[str, str] | None] = {}
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for title, resource in self.resources.items():
            kind = resource["Type"]
            if self.table_stacks and _is_table(self.ctx, title, resource):
                groups[(TABLES, f"tables.{origins[title][1]}")].append(title)
                continue
            if kind in STATEFUL or "Condition" in resource:
                place[title] = PARENT
                continue
            key = ((origins.get(title) or ())[:2], kind == "AWS::ApiGateway::Resource")
            if key in homes:
                found = homes[key]
            else:
                found = homes[key] = self._family(title, resource, routes, alarms)
            if found is None:
                place[title] = PARENT
                continue
            groups[found].append(title)
        self._grow(groups)
        for (family, seed), titles in groups.items():
            stack = self._stack(family, seed)
            for title in titles:
                place[title] = stack.logical_id
                stack.resources[title] = self.resources[title]
        self.output_place: dict[str, str] = {}
        if len(self.outputs) > self.budget.outputs:  # too many for the parent: each goes with what it describes
            for name, output in self.outputs.items():  # the spec's own `outputs:` stay where users read them
                self.output_place[name] = (PARENT if name in self.ctx.user_outputs
                                           else self._output_home(output["Value"]))
        else:
            self.output_place = dict.fromkeys(self.outputs, PARENT)

    def _output_home(self, value: Any) -> str:
        for target in _references(value):
            home = self.place.get(target)
            if home:
                return home
            resource = self.resources.get(target)
            if resource is not None:  # a stateful resource of a group that has a stack (a table and its alarms)
                origin: tuple[Any, ...] = self.ctx.origins.get(target) or ()
                if len(origin) >= 2 and origin[0] == "tables":
                    return self._stack(SHARED, f"tables.{origin[1]}").logical_id
        return PARENT

    # ---- rewriting -------------------------------------------------------------------------------------
    def _resolve(self, here: str, target: str, attribute: str | None) -> Any:
        """What `here` writes for Ref(target) (attribute None) or GetAtt(target, attribute)."""
        original = {"Ref": target} if attribute is None else {"Fn::GetAtt": [target, attribute]}
        there = self.place.get(target)
        if there is None:  # a pseudo parameter (the service template declares no Parameters)
            return original
        if there == here:
            return original
        if here != PARENT:
            stack = self.stacks[here]
            if there == PARENT:
                named = self._table_by_name(target, attribute)
                if named is not None:  # the stack still waits for the table (DependsOn), without a parameter
                    stack.depends.add(target)
                    return named
                value = original
            else:
                named = self._by_name(target, attribute)
                if named is not None:
                    return named
                if there.startswith(TABLES):
                    named = self._table_by_name(target, attribute)
                    if named is not None:  # as for a parent table: waits for its stack, reads no output
                        stack.depends.add(there)
                        return named
                source = self.stacks[there]
                value = {"Fn::GetAtt": [there, f"Outputs.{source.output_for(target, attribute or '', original)}"]}
            name = _wire_name(target, attribute or "")
            while (name in stack.parameters and stack.parameters[name] != value) or name in stack.resources:
                name += "Param"
            stack.parameters[name] = value
            return {"Ref": name}
        if self._names_only:
            named = self._by_name(target, attribute)
            if named is not None:
                return named
        source = self.stacks[there]
        return {"Fn::GetAtt": [there, f"Outputs.{source.output_for(target, attribute or '', original)}"]}

    def _rewrite_parent(self, resource: dict[str, Any]) -> Any:
        self._names_only = resource["Type"] in BY_NAME_IN_PARENT
        try:
            return self._rewrite(PARENT, self._depends(resource))
        finally:
            self._names_only = False

    def _table_by_name(self, target: str, attribute: str | None) -> Any:
        """A parent table by its deterministic name and ARN: two parameters fewer in every stack that uses it
        (a service of 2,000 functions and 200 tables would otherwise overflow the parent with them)."""
        resource = self.resources[target]
        if resource["Type"] != "AWS::DynamoDB::Table":
            return None
        name = resource["Properties"].get("TableName")
        if not isinstance(name, str):  # a name built with Fn::Sub (an override): read through a parameter
            return None
        if attribute is None:
            return name
        if attribute == "Arn":
            return {"Fn::Sub": f"arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{name}"}
        return None

    def _by_name(self, target: str, attribute: str | None) -> Any:
        """A function (or its alias) in another function stack, by its deterministic name: no stack dependency."""
        resource = self.resources[target]
        kind = resource["Type"]
        arn = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
        if kind == "AWS::Lambda::Function":
            name = resource["Properties"].get("FunctionName")
            if not isinstance(name, str):
                return None
            if attribute is None:
                return name
            if attribute == "Arn":
                return {"Fn::Sub": arn + name}
        if kind == "AWS::Lambda::Alias" and attribute is None:
            properties = resource["Properties"]
            function = properties["FunctionName"]
            if isinstance(function, dict) and "Ref" in function:
                named = self._by_name(function["Ref"], None)
                if isinstance(named, str):
                    return {"Fn::Sub": f"{arn}{named}:{properties['Name']}"}
        return None

    def _rewrite(self, here: str, value: Any) -> Any:
        """`value` as written in `here`: every reference to another template's resource rewired."""
        return self._walker(here)(value)

    def _walker(self, here: str) -> Callable[[Any], Any]:
        resolve, sub = self._resolve, self._sub
        stack = self.stacks.get(here)

        def walk(value: Any) -> Any:  # the hot loop of a split: plain type checks, strings never visited
            kind = type(value)
            if kind is dict:
                if len(value) == 1:
                    key, inner = next(iter(value.items()))
                    if key == "Ref" and type(inner) is str:
                        return resolve(here, inner, None)
                    if key == "Fn::GetAtt":
                        target, attribute = inner.split(".", 1) if type(inner) is str else inner
                        if type(attribute) is str:
                            return resolve(here, target, attribute)
                    elif key == "Fn::Sub":
                        return sub(here, inner)
                    elif stack is not None:
                        if key == "Fn::If":  # (moved resources are never conditional themselves)
                            stack.conditions.add(inner[0])
                        elif key == "Fn::FindInMap":
                            stack.mappings.add(inner[0])
                for key, inner in value.items():  # in place: the unsplit template is not used after the split
                    if type(inner) is not str:
                        new = walk(inner)
                        if new is not inner:
                            value[key] = new
                return value
            if kind is list:
                for index, inner in enumerate(value):
                    if type(inner) is not str:
                        new = walk(inner)
                        if new is not inner:
                            value[index] = new
                return value
            return value

        return walk

    def _sub(self, here: str, inner: Any) -> Any:
        text, variables = (inner, {}) if isinstance(inner, str) else (inner[0], dict(inner[1]))
        variables = {k: self._rewrite(here, v) for k, v in variables.items()}
        local = set(variables)

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token in local:
                return match.group(0)
            target, _, attribute = token.partition(".")
            resolved = self._resolve(here, target, attribute or None)
            if isinstance(resolved, dict) and set(resolved) == {"Ref"} and resolved["Ref"] not in variables:
                ref: str = resolved["Ref"]  # a parameter (or a resource beside it), unless a variable has its name
                return "${" + ref + "}"
            if isinstance(resolved, str):  # a deterministic name: inline it (function and table names hold no ${)
                return resolved
            if isinstance(resolved, dict) and isinstance(resolved.get("Fn::Sub"), str):  # a name-built ARN
                arn: str = resolved["Fn::Sub"]
                return arn
            if isinstance(resolved, dict) and set(resolved) == {"Fn::GetAtt"}:
                resolved_target, resolved_attribute = resolved["Fn::GetAtt"]
                if resolved_target == target and resolved_attribute == attribute:
                    return match.group(0)
            name = _wire_name(target, attribute)
            while name in variables and variables[name] != resolved:
                name += "Value"
            variables[name] = resolved
            return "${" + name + "}"

        text = _SUB_TOKEN.sub(replace, text)
        return {"Fn::Sub": [text, variables] if variables else text}

    def _depends(self, resource: dict[str, Any]) -> dict[str, Any]:
        """A parent resource waits for the stack of each moved resource it waited for. (A moved resource waits only
        for resources of its own group, which move with it: a function for its log group and policy, a mapping
        for its function's policy; overrides cannot write DependsOn. The wiring tests check every nested template.)"""
        depends = resource.get("DependsOn")
        if depends is None:
            return resource
        kept: list[str] = []
        for target in [depends] if isinstance(depends, str) else depends:
            there = self.place[target]
            waited = target if there == PARENT else there
            if waited not in kept:
                kept.append(waited)
        return {**resource, "DependsOn": sorted(kept)}

    def _unname_nested_roles(self, parent: dict[str, Any]) -> None:
        """Key policies cannot name roles of nested stacks (a cycle); those roles use the key through IAM."""
        for title, resource in parent.items():
            if resource["Type"] != "AWS::KMS::Key":
                continue
            policy = resource["Properties"]["KeyPolicy"]
            statements, moved = [], []
            for statement in policy["Statement"]:
                principal = statement.get("Principal")
                names = principal.get("AWS") if isinstance(principal, dict) else None
                if isinstance(names, list) and any(_is_nested_ref(self.place, n) for n in names):
                    kept = [n for n in names if not _is_nested_ref(self.place, n)]
                    moved += [n["Fn::GetAtt"][0] for n in names if _is_nested_ref(self.place, n)]
                    if not kept:
                        continue
                    statement = {**statement, "Principal": {**principal, "AWS": kept}}
                statements.append(statement)
            if not moved:
                continue
            metadata = dict(resource.get("Metadata") or {})
            specc = dict(metadata.get("specc") or {})
            specc["split"] = {
                "roles_in_nested_stacks": sorted(moved),
                "why": "a key policy naming a role of a nested stack would be a circular dependency (the stack needs "
                       "the key first); these roles use the key through their own least-privilege IAM policies, "
                       "which AccountRootAdministers lets IAM grant",
            }
            metadata["specc"] = specc
            parent[title] = {**resource, "Metadata": metadata,
                             "Properties": {**resource["Properties"], "KeyPolicy": {**policy, "Statement": statements}}}

    # ---- the whole pass --------------------------------------------------------------------------------
    def run(self) -> Layout:
        from specc.build.assemble import service_tags
        from specc.output.emit import render_json
        from specc.output.rollout import ENDPOINT_PARAMETER, HAS_ENDPOINT, content_key

        self._assign()
        parent_resources = {t: r for t, r in self.resources.items() if self.place[t] == PARENT}
        self._unname_nested_roles(parent_resources)
        for stack in self.stacks.values():
            stack.resources = {t: self._rewrite(stack.logical_id, r) for t, r in stack.resources.items()}
        parent_resources = {t: self._rewrite_parent(r) for t, r in parent_resources.items()}
        for title, resource in parent_resources.items():  # a stack both waited for and read: reading is enough
            depends = resource.get("DependsOn")
            if depends and any(d in self.stacks for d in depends):
                read = set(_references(resource.get("Properties")))
                kept = [d for d in depends if d not in self.stacks or d not in read]
                parent_resources[title] = {k: v for k, v in resource.items() if k != "DependsOn"}
                if kept:
                    parent_resources[title]["DependsOn"] = kept
        parent_outputs: dict[str, Any] = {}
        for name, output in self.outputs.items():
            home = self.output_place[name]
            if home == PARENT:
                parent_outputs[name] = self._rewrite(PARENT, output)
            else:
                self.stacks[home].outputs[name] = self._rewrite(home, output)

        nested: dict[str, dict[str, Any]] = {}
        rendered: dict[str, bytes] = {}
        for stack in sorted(self.stacks.values(), key=lambda s: s.logical_id):
            body_template = self._nested_template(stack)
            nested[stack.file] = body_template
            rendered[stack.file] = render_json(body_template)
        digests = {name: hashlib.sha256(body).hexdigest() for name, body in rendered.items()}

        parent = {k: v for k, v in self.template.items() if k not in ("Resources", "Outputs")}
        parent["Parameters"] = {ENDPOINT_PARAMETER: {  # the only one: the service template declares none
            "Type": "String", "Default": "",
            "Description": "Empty on AWS. A local emulator's endpoint (http://localhost:PORT): nested templates "
                           "are then read from it, path style."}}
        parent["Conditions"] = {**parent.get("Conditions", {}),
                                HAS_ENDPOINT: {"Fn::Not": [{"Fn::Equals": [{"Ref": ENDPOINT_PARAMETER}, ""]}]}}
        bucket = f"{self.spec.artifacts.bucket_prefix}-${{AWS::AccountId}}-${{AWS::Region}}"
        tags = [{"Key": k, "Value": v} for k, v in sorted(service_tags(self.spec).items())]
        infos: dict[str, StackInfo] = {}
        for stack in sorted(self.stacks.values(), key=lambda s: s.logical_id):
            key = content_key(self.spec.service, digests[stack.file])
            properties: dict[str, Any] = {
                "TemplateURL": {"Fn::If": [HAS_ENDPOINT, {"Fn::Sub": f"${{{ENDPOINT_PARAMETER}}}/{bucket}/{key}"},
                                           {"Fn::Sub": f"https://{bucket}.s3.${{AWS::Region}}.${{AWS::URLSuffix}}/{key}"}]},
                "Tags": tags,
            }
            if stack.parameters:
                properties["Parameters"] = dict(sorted(stack.parameters.items()))
            resource = {"Type": "AWS::CloudFormation::Stack", "Properties": properties}
            read = _stacks_read(properties.get("Parameters", {}))
            waits = sorted(d for d in stack.depends if d not in read)  # parent tables and table stacks, never itself
            if waits:
                resource["DependsOn"] = waits
            parent_resources[stack.logical_id] = resource
            infos[stack.logical_id] = StackInfo(stack.logical_id, stack.file, sorted(stack.seeds),
                                                sorted(d for d in read | set(waits) if d in self.stacks))
        parent["Resources"] = parent_resources
        if parent_outputs:
            parent["Outputs"] = parent_outputs
        self._check_acyclic(parent_resources)
        rendered[SERVICE] = render_json(parent)
        digests[SERVICE] = hashlib.sha256(rendered[SERVICE]).hexdigest()
        templates = {SERVICE: parent, **nested}
        usage = [usage_of(name, templates[name], rendered[name]) for name in sorted(templates)]
        self._check_budget(usage, infos)
        if self.problems:
            raise SpecError(self.problems)
        placement = dict(self.place)
        return Layout(templates, rendered, usage, self.budget, infos, placement, digests)

    def _nested_template(self, stack: _Stack) -> dict[str, Any]:
        # The parent's conditions test AWS::Region (build/region_conditions.py): none names another condition or a
        # resource, so each is copied as it is. One a resource names but the parent lacks is cfn-lint's to report.
        parent_conditions = self.template.get("Conditions", {})
        conditions = {name: parent_conditions[name] for name in sorted(stack.conditions) if name in parent_conditions}
        template: dict[str, Any] = {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": f"{self.spec.service} ({self.spec.environment}): nested stack {stack.logical_id} of "
                           f"service.json ({', '.join(sorted(stack.seeds)[:3])}"
                           f"{', ...' if len(stack.seeds) > 3 else ''}). Compiled by specc; do not edit.",
        }
        if stack.parameters:
            template["Parameters"] = {name: {"Type": "String", "Description": f"{_describe(value)} (from the parent)"}
                                      for name, value in sorted(stack.parameters.items())}
        if conditions:
            template["Conditions"] = conditions
        if stack.mappings:
            template["Mappings"] = {m: self.template["Mappings"][m] for m in sorted(stack.mappings)}
        template["Resources"] = stack.resources or {"Placeholder": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}
        if stack.outputs:
            template["Outputs"] = dict(sorted(stack.outputs.items()))
        return template

    def _check_acyclic(self, resources: dict[str, Any]) -> None:
        """Topological order of the parent's resources and stacks; a cycle is a located error."""
        edges = {title: sorted(t for t in _dependencies(resource) if t in resources and t != title)
                 for title, resource in resources.items()}
        cycle = find_cycle(edges)
        if cycle:
            self.problems.append(self.ctx.source.diagnostic(
                "E241", ("limits",), "splitting the service into nested stacks would make a circular dependency: "
                + " -> ".join(cycle), "keep the entries of this cycle in one stack: lower what they share, or "
                "report it (specc must never emit a cycle)"))

    def _check_budget(self, usage: list[Usage], infos: dict[str, StackInfo]) -> None:
        by_file = {info.file: info for info in infos.values()}
        for item in usage:
            over = item.over(self.budget)
            if not over:
                continue
            info = by_file.get(item.template)
            what = ", ".join(f"{getattr(item, name):,} {name} (budget {getattr(self.budget, name):,})" for name in over)
            if info is None:
                hint = ("what stays in the parent (keys, tables, topics, the API) does not fit: split the service "
                        "into several specs, lower limits.margin, or move the tables into table stacks "
                        "(limits.table_stacks: true; deployed tables would be replaced)")
            else:
                hint = ("the split's size estimate was short for this stack (its parameters are not estimated): "
                        "lower limits.margin, or set limits.shards to split further from the start; please report it")
            self.problems.append(self.ctx.source.diagnostic(
                "E240", ("limits",), f"{item.template} needs {what}, more than CloudFormation allows with the margin",
                hint))


def _is_nested_ref(place: dict[str, str], value: Any) -> bool:
    return (isinstance(value, dict) and "Fn::GetAtt" in value
            and place[value["Fn::GetAtt"][0]] != PARENT)


def _describe(value: Any) -> str:
    if "Ref" in value:
        return f"Ref {value['Ref']}"
    target, attribute = value["Fn::GetAtt"]
    return f"{target}.{attribute}"


def _stacks_read(parameters: dict[str, Any]) -> set[str]:
    """What a nested stack's parameters read with Fn::GetAtt: other stacks (their outputs) and parent resources. A
    parameter's Ref names a parent resource the stack never also waits for (tables are read by name)."""
    return {value["Fn::GetAtt"][0] for value in parameters.values() if "Fn::GetAtt" in value}


def _references(value: Any) -> list[str]:
    """The logical ID each Ref, GetAtt and ${...} in a value names, in document order."""
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            for key, inner in item.items():
                if key == "Ref" and isinstance(inner, str):
                    found.append(inner)
                elif key == "Fn::GetAtt":
                    found.append(inner.split(".", 1)[0] if isinstance(inner, str) else inner[0])
                elif key == "Fn::Sub":
                    text = inner if isinstance(inner, str) else inner[0]
                    found.extend(token.split(".", 1)[0] for token in _SUB_TOKEN.findall(text))
                    if not isinstance(inner, str):
                        walk(inner[1])
                else:
                    walk(inner)
        elif isinstance(item, list):
            for inner in item:
                walk(inner)

    walk(value)
    return found


def _dependencies(resource: dict[str, Any]) -> set[str]:
    depends = resource.get("DependsOn") or []
    found = set(_references(resource.get("Properties")))
    return found | set([depends] if isinstance(depends, str) else depends)


def find_cycle(edges: dict[str, list[str]]) -> list[str]:
    """A cycle in a directed graph (node -> nodes it depends on), or [] when it is acyclic. Iterative DFS."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for start in sorted(edges):
        if state.get(start):
            continue
        path: list[str] = [start]
        iterators: list[Any] = [iter(edges[start])]
        state[start] = 1
        while iterators:
            nxt = next(iterators[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iterators.pop()
                continue
            seen = state.get(nxt)
            if seen == 1:
                return path[path.index(nxt):] + [nxt]
            if seen is None:
                state[nxt] = 1
                path.append(nxt)
                iterators.append(iter(edges[nxt]))
    return []


def dependency_edges(templates: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Resource -> resources it depends on, within each template (for checks and `specc graph`)."""
    edges: dict[str, list[str]] = {}
    for name, template in templates.items():
        resources = template.get("Resources", {})
        for title, resource in resources.items():
            edges[f"{name}:{title}"] = sorted(f"{name}:{t}" for t in _dependencies(resource) if t in resources)
    return edges



def budget_report(usages: list[Usage], budget: Budget, margin: float) -> list[str]:
    """`specc compile`'s budget report: each template's resources, outputs, parameters and bytes against its budget."""
    lines = [f"budget per template (limits.margin {margin:g}): {budget.resources:,} resources, {budget.outputs:,} "
             f"outputs, {budget.parameters:,} parameters, {budget.bytes:,} bytes"]
    width = max(len(u.template) for u in usages)
    for usage in usages:
        cells = [f"{getattr(usage, name):>{9 if name == 'bytes' else 4},} {name} ({_share(usage, budget, name)})"
                 for name in QUOTAS]
        flag = "  OVER BUDGET" if usage.over(budget) else ""
        lines.append(f"  {usage.template:<{width}}  " + ", ".join(cells) + flag)
    return lines


def _share(usage: Usage, budget: Budget, name: str) -> str:
    return f"{round(100 * getattr(usage, name) / getattr(budget, name))}%"  # never 0: margin <= 0.9 leaves >= 20
