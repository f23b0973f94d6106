"""What a compile would change, resource by resource, and which IAM permissions it adds or removes.

Replacement is not guessed: a changed property forces replacement when CloudFormation's resource
provider schema (bundled with cfn-lint) lists it in `createOnlyProperties`, and may force it when it
is in `conditionalCreateOnlyProperties`. Against a deployed stack, CloudFormation's own change set
says which resources change; its `Replacement` field wins where it is given, the schemas fill in
where it is not (moto, for one, leaves it out).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from specc.output import data_loss
from specc.output.data_loss import DataLoss

ADDED, REMOVED, MODIFIED, REPLACED = "added", "removed", "modified", "replaced"
_ATTRIBUTES = ("Condition", "DeletionPolicy", "DependsOn", "Metadata", "UpdatePolicy", "UpdateReplacePolicy")


@dataclass(frozen=True)
class ResourceChange:
    logical_id: str
    type: str
    action: str  # added | removed | modified | replaced
    properties: tuple[str, ...] = ()  # changed paths, like Environment.Variables.CURRENCY
    replacement: str = ""  # "always" or "conditional" when action is `replaced`
    because: tuple[str, ...] = ()  # the create-only properties that force the replacement
    warning: str = ""
    values: tuple[tuple[str, str, str], ...] = ()  # (path, old, new) of each changed property, as people read them


@dataclass(frozen=True)
class PermissionChange:
    """Actions granted or taken away by one policy, as `Effect action on|to target` lines."""

    logical_id: str
    kind: str  # role policy, key policy, queue policy, invoke permission...
    attached_to: tuple[str, ...]
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class Move:
    """A resource that leaves one template and appears in another under the same logical ID and type (a split
    service's shard that split or merged). CloudFormation sees a deletion and a creation: no state travels."""

    logical_id: str
    type: str
    source: str  # the template it leaves
    target: str  # the template it joins


@dataclass
class TemplateDiff:
    template: str
    resources: list[ResourceChange] = field(default_factory=list)
    permissions: list[PermissionChange] = field(default_factory=list)
    note: str = ""
    data_loss: list[DataLoss] = field(default_factory=list)  # resources that hold data, deleted or replaced

    @property
    def changed(self) -> bool:
        return bool(self.resources or self.permissions)

    def to_dict(self) -> dict[str, Any]:
        return {"template": self.template, "note": self.note,
                "resources": [asdict(r) for r in self.resources],
                "permissions": [asdict(p) for p in self.permissions],
                "data_loss": [loss.to_dict() for loss in self.data_loss]}


def find_moves(diffs: list[TemplateDiff]) -> list[Move]:
    """Resources removed from one template and added to another: reported as moves, not as unrelated changes."""
    removed = {(r.logical_id, r.type): d.template for d in diffs for r in d.resources if r.action == REMOVED}
    return sorted(Move(r.logical_id, r.type, removed[(r.logical_id, r.type)], d.template)
                  for d in diffs for r in d.resources
                  if r.action == ADDED and removed.get((r.logical_id, r.type), d.template) != d.template)


# ---------------------------------------------------------------------------------------- resources


def diff_templates(name: str, old: dict[str, Any], new: dict[str, Any], region: str = "us-east-1") -> TemplateDiff:
    old_resources, new_resources = old.get("Resources", {}), new.get("Resources", {})
    changes = []
    for logical_id in sorted(set(old_resources) | set(new_resources)):
        before, after = old_resources.get(logical_id), new_resources.get(logical_id)
        if before is None:
            changes.append(ResourceChange(logical_id, after["Type"], ADDED))
        elif after is None:
            changes.append(ResourceChange(logical_id, before["Type"], REMOVED))
        elif before != after:
            changes.append(_compare(logical_id, before, after, region))
    where = name if name.startswith("nested/") else ""
    return TemplateDiff(name, changes, permission_changes(old_resources, new_resources),
                        data_loss=data_loss.find(changes, old_resources, new_resources, where))


def _compare(logical_id: str, before: dict[str, Any], after: dict[str, Any], region: str) -> ResourceChange:
    kind = after["Type"]
    if before["Type"] != kind:
        return ResourceChange(logical_id, kind, REPLACED, ("Type",), "always", ("Type",))
    old_properties, new_properties = before.get("Properties", {}), after.get("Properties", {})
    paths = list(changed_paths(old_properties, new_properties))
    shown = tuple(_dotted(p) for p in paths)
    values = tuple((_dotted(p), _value_at(old_properties, p), _value_at(new_properties, p)) for p in paths)
    shown += tuple(a for a in _ATTRIBUTES if before.get(a) != after.get(a))
    always, conditional = create_only(kind, region)
    forced = [p for p in paths if any(_covers(c, p) for c in always)]
    maybe = [p for p in paths if any(_covers(c, p) for c in conditional)]
    if not forced and not maybe:
        return ResourceChange(logical_id, kind, MODIFIED, shown, values=values)
    because = tuple(dict.fromkeys(_dotted(p) for p in (forced or maybe)))
    return ResourceChange(logical_id, kind, REPLACED, shown, "always" if forced else "conditional", because,
                          _custom_name_warning(kind, region, before, after), values)


_ABSENT = "(absent)"
_VALUE_WIDTH = 60


def _value_at(properties: Any, path: tuple[Any, ...]) -> str:
    """The value at `path` as one short line (`(absent)` where the path does not exist)."""
    value = properties
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return _ABSENT
    text = short(value)
    return text if len(text) <= _VALUE_WIDTH else text[:_VALUE_WIDTH - 1] + "…"


def changed_paths(old: Any, new: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Leaf paths where `old` and `new` differ; intrinsic functions (`Ref`, `Fn::*`) count as leaves."""
    if isinstance(old, dict) and isinstance(new, dict) and not (_intrinsic(old) or _intrinsic(new)):
        for key in sorted(set(old) | set(new)):
            if key not in old or key not in new:
                yield prefix + (key,)
            elif old[key] != new[key]:
                yield from changed_paths(old[key], new[key], prefix + (key,))
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            if a != b:
                yield from changed_paths(a, b, prefix + (index,))
    elif old != new:
        yield prefix


def _intrinsic(value: dict[str, Any]) -> bool:
    return len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref"))


def _covers(pointer: tuple[str, ...], path: tuple[Any, ...]) -> bool:
    """A changed path touches a create-only property when one is a prefix of the other (`*` matches an index)."""
    return all(p == "*" or p == str(q) for p, q in zip(pointer, path, strict=False))  # up to the shorter: a prefix


def _dotted(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(all properties)"


@cache
def _schema(kind: str, region: str) -> dict[str, Any]:
    from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER

    try:
        schema: dict[str, Any] = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, kind).schema
        return schema
    except Exception:  # an unknown or custom type: no schema, so no replacement rules to apply
        return {}


def _pointers(schema: dict[str, Any], key: str) -> Pointers:
    return tuple(tuple(p.split("/")[2:]) for p in schema.get(key, ()) if p.startswith("/properties/"))


Pointers = tuple[tuple[str, ...], ...]  # property paths, like (("KeySchema",), ("Tags", "*", "Key"))


def create_only(kind: str, region: str = "us-east-1") -> tuple[Pointers, Pointers]:
    """(always, conditionally) replacing property paths of a resource type, from its provider schema."""
    schema = _schema(kind, region)
    return _pointers(schema, "createOnlyProperties"), _pointers(schema, "conditionalCreateOnlyProperties")


def _custom_name_warning(kind: str, region: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    """CloudFormation refuses to replace a resource whose custom name stays the same."""
    for (name,) in (p for p in _pointers(_schema(kind, region), "primaryIdentifier") if len(p) == 1):
        old_name = before.get("Properties", {}).get(name)
        if old_name is not None and old_name == after.get("Properties", {}).get(name):
            return (f"{name} is a custom name that does not change: CloudFormation cannot replace a custom-named "
                    "resource, so the update fails if it must; a replacement would start empty anyway (see the "
                    "DATA LOSS advice for the way that keeps the data)")
    return ""


# ------------------------------------------------------------------------------------- permissions

_POLICIES: dict[str, tuple[str, str, str]] = {  # type -> (kind, document property, whom it is attached to)
    "AWS::IAM::Policy": ("role policy", "PolicyDocument", "Roles"),
    "AWS::IAM::ManagedPolicy": ("managed policy", "PolicyDocument", "Roles"),
    "AWS::KMS::Key": ("key policy", "KeyPolicy", ""),
    "AWS::SQS::QueuePolicy": ("queue policy", "PolicyDocument", "Queues"),
    "AWS::SNS::TopicPolicy": ("topic policy", "PolicyDocument", "Topics"),
    "AWS::S3::BucketPolicy": ("bucket policy", "PolicyDocument", "Bucket"),
}
_IDENTITY = ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")  # policies of a principal


def permission_changes(old: dict[str, Any], new: dict[str, Any]) -> list[PermissionChange]:
    found = []
    for logical_id in sorted(set(old) | set(new)):
        before, after = _grants(old.get(logical_id)), _grants(new.get(logical_id))
        if before == after:
            continue
        resource = new.get(logical_id) or old[logical_id]
        kind, attached = _describe(logical_id, resource)
        found.append(PermissionChange(logical_id, kind, attached, tuple(sorted(after - before)),
                                      tuple(sorted(before - after))))
    return found


def _describe(logical_id: str, resource: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    properties = resource.get("Properties", {})
    if resource["Type"] == "AWS::IAM::Role":
        return "role inline policy", (logical_id,)
    if resource["Type"] == "AWS::Lambda::Permission":
        return "invoke permission", (short(properties.get("FunctionName")),)
    kind, _, attached = _POLICIES[resource["Type"]]
    if not attached:
        return kind, (logical_id,)
    targets = properties.get(attached, [])
    return kind, tuple(short(t) for t in (targets if isinstance(targets, list) else [targets]))


def _grants(resource: dict[str, Any] | None) -> frozenset[str]:
    """Every `Effect action on|to target` a resource grants or denies."""
    if resource is None:
        return frozenset()
    properties, kind = resource.get("Properties", {}), resource.get("Type")
    if kind == "AWS::Lambda::Permission":
        scope = {k: properties[k] for k in ("SourceArn", "SourceAccount", "EventSourceToken") if k in properties}
        when = " when " + " and ".join(f"{k} = {short(v)}" for k, v in scope.items()) if scope else ""
        return frozenset({f"Allow {properties.get('Action')} to {short(properties.get('Principal'))}{when}"})
    documents = []
    if kind == "AWS::IAM::Role":
        documents = [p.get("PolicyDocument", {}) for p in properties.get("Policies", [])]
    elif kind in _POLICIES:
        documents = [properties.get(_POLICIES[kind][1], {})]
    identity = kind in _IDENTITY
    return frozenset(line for document in documents for line in _statements(document, identity))


def _statements(document: Any, identity: bool) -> Iterator[str]:
    """Identity policies say what a role may do `on` resources; resource policies say `to` whom."""
    if isinstance(document, str):  # a JSON string, as some templates carry it
        document = json.loads(document)
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    for statement in statements if isinstance(statements, list) else [statements]:
        effect = statement.get("Effect", "Allow")
        actions = _listed(statement.get("Action") or statement.get("NotAction"))
        negated = "not " if "NotAction" in statement else ""
        targets = _listed(statement.get("Resource")) if identity else _principals(statement.get("Principal"))
        when = _conditions(statement.get("Condition"))
        for action in actions:
            for target in targets or ["*"]:
                yield f"{effect} {negated}{action} {'on' if identity else 'to'} {target}{when}"


def _conditions(condition: Any) -> str:
    """A statement's Condition as words (` when Bool aws:SecureTransport = false`): without it, a TLS-only Deny
    reads as a Deny of everything, and a condition that is dropped would not show at all."""
    if not isinstance(condition, dict) or not condition:
        return ""
    parts = [f"{operator} {key} = {', '.join(_listed(value))}"
             for operator, tests in sorted(condition.items()) if isinstance(tests, dict)
             for key, value in sorted(tests.items())]
    return " when " + " and ".join(parts) if parts else ""


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [short(v) for v in (value if isinstance(value, list) else [value])]


def _principals(value: Any) -> list[str]:
    if isinstance(value, dict) and not _intrinsic(value):
        return [p for kind in sorted(value) for p in _listed(value[kind])]
    return _listed(value)


def short(value: Any) -> str:
    """`{"Fn::GetAtt": ["CreatePaymentRole", "Arn"]}` -> `CreatePaymentRole`: how people name resources."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (key, inner), = value.items()
        if key == "Ref":
            return str(inner)
        if key == "Fn::GetAtt":
            parts = inner if isinstance(inner, list) else str(inner).split(".")
            return parts[0] if parts[1:] == ["Arn"] else ".".join(map(str, parts))
        if key == "Fn::Sub":
            return inner if isinstance(inner, str) else str(inner[0])
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# ------------------------------------------------------------------------------------ against files


def read_templates(directory: Path) -> dict[str, dict[str, Any]]:
    """The templates of a compiled output directory (everything but the manifest), by file name."""
    import yaml

    found: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(directory).rglob("*")):  # nested stacks' templates are under nested/
        if path.name == "manifest.json" or path.suffix not in (".json", ".yaml") or not path.is_file():
            continue
        text = path.read_text()
        name = path.relative_to(directory).with_suffix(".json").as_posix()
        found[name] = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    return found


def diff_against(directory: Path, templates: dict[str, dict[str, Any]], region: str) -> list[TemplateDiff]:
    committed = read_templates(directory) if Path(directory).is_dir() else {}
    diffs = []
    for name in sorted(set(committed) | set(templates)):
        diff = diff_templates(name, committed.get(name, {}), templates.get(name, {}), region)
        if name not in committed:
            diff.note = f"no committed template at {Path(directory) / name}: everything in it is new"
        diffs.append(diff)
    return mark_moves(diffs)


def mark_moves(diffs: list[TemplateDiff]) -> list[TemplateDiff]:
    """A data store that moves between stacks: say so in its data-loss line, rather than "put its entry back"."""
    moved = {(m.logical_id, m.source): m.target for m in find_moves(diffs)}
    for diff in diffs:
        diff.data_loss = [replace(loss, moved_to=moved[(loss.logical_id, diff.template)], renamed_to="")
                          if (loss.logical_id, diff.template) in moved else loss for loss in diff.data_loss]
    return diffs


def from_change_set(change: dict[str, Any], local: dict[str, ResourceChange]) -> ResourceChange:
    """A change set's change as a ResourceChange; the template schemas decide replacement where AWS does not say."""
    item = change.get("ResourceChange", {})
    logical_id, kind = item.get("LogicalResourceId", "?"), item.get("ResourceType", "?")
    action = {"Add": ADDED, "Remove": REMOVED}.get(item.get("Action", ""), MODIFIED)
    mine = local.get(logical_id)
    if action != MODIFIED:
        return ResourceChange(logical_id, kind, action)
    names = tuple(d["Target"]["Name"] for d in item.get("Details", []) if d.get("Target", {}).get("Name"))
    properties = names or (mine.properties if mine else ())
    replacement = {"True": "always", "Conditional": "conditional"}.get(item.get("Replacement", ""), "")
    if "Replacement" not in item and mine and mine.action == REPLACED:  # not given: the schemas decide
        return mine
    if replacement:
        return ResourceChange(logical_id, kind, REPLACED, properties, replacement,
                              mine.because if mine else (), mine.warning if mine else "")
    return ResourceChange(logical_id, kind, MODIFIED, properties)


# ----------------------------------------------------------------------------------------- rendering

_SHOWN_VALUES = 8  # old -> new lines per resource in text; JSON has them all
_MARKS = {ADDED: ("+", "green"), REMOVED: ("-", "red"), MODIFIED: ("~", "yellow"), REPLACED: ("!", "magenta")}


def render_text(diffs: list[TemplateDiff], color: bool = False) -> str:
    import click

    def style(text: str, **kwargs: Any) -> str:
        return click.style(text, **kwargs) if color else text

    lines: list[str] = data_loss.render([loss for diff in diffs for loss in diff.data_loss], color)
    if lines:
        lines.append("")
    moves = find_moves(diffs)
    moved_to = {(m.logical_id, m.source): m.target for m in moves}
    moved_from = {(m.logical_id, m.target): m.source for m in moves}
    if moves:
        stacks = sorted({(m.source, m.target) for m in moves})
        lines.append(style(f"MOVES: {len(moves)} resource{'s' if len(moves) != 1 else ''} move between templates "
                           "(a shard of the split grew or shrank); CloudFormation deletes each from the old stack "
                           "and creates it in the new one:", fg="yellow", bold=True))
        for source, target in stacks:
            count = sum(1 for m in moves if (m.source, m.target) == (source, target))
            lines.append(style(f"  {source} -> {target}: {count} resource{'s' if count != 1 else ''}", fg="yellow"))
        lines.append("")
    for diff in diffs:
        if not diff.changed:
            continue
        lines.append(style(diff.template, bold=True) + (f"  ({diff.note})" if diff.note else ""))
        width = max((len(r.logical_id) for r in diff.resources), default=0)
        type_width = max((len(r.type) for r in diff.resources), default=0)
        for r in diff.resources:
            mark, colour = _MARKS[r.action]
            what = r.action
            if r.action == REPLACED and r.replacement == "always":
                what = "replaced" + (f" (create-only: {', '.join(r.because)})" if r.because else "")
            elif r.action == REPLACED:
                because = f" (conditionally create-only: {', '.join(r.because)})" if r.because else ""
                what = "may be replaced" + because
            if (r.logical_id, diff.template) in moved_to:
                what = f"moved to {moved_to[(r.logical_id, diff.template)]}"
            elif (r.logical_id, diff.template) in moved_from:
                what = f"moved from {moved_from[(r.logical_id, diff.template)]}"
            detail = f": {', '.join(r.properties)}" if r.properties and r.action != REPLACED else ""
            lines.append(style(f"  {mark} {r.logical_id:<{width}}  {r.type:<{type_width}}  {what}{detail}", fg=colour))
            for path, old, new in r.values[:_SHOWN_VALUES]:
                lines.append(style(f"      {path}: {old} -> {new}", fg=colour))
            if len(r.values) > _SHOWN_VALUES:
                lines.append(f"      ... and {len(r.values) - _SHOWN_VALUES} more (--format json lists them all)")
            if r.warning:
                lines.append(style(f"      warning: {r.warning}", fg="red", bold=True))
        if diff.permissions:
            lines.append(style("  IAM permissions:", bold=True))
            for p in diff.permissions:
                attached = [a for a in p.attached_to if a != p.logical_id]
                lines.append(f"    {p.logical_id} ({p.kind}{' of ' + ', '.join(attached) if attached else ''})")
                lines += [style(f"      + {g}", fg="green") for g in p.added]
                lines += [style(f"      - {g}", fg="red") for g in p.removed]
    return "\n".join(lines) + ("\n" if lines else "")


def summary(diffs: list[TemplateDiff]) -> str:
    moves = find_moves(diffs)
    moved = {(m.logical_id, t) for m in moves for t in (m.source, m.target)}
    actions = [r.action for d in diffs for r in d.resources if (r.logical_id, d.template) not in moved]
    counts = {a: actions.count(a) for a in (ADDED, MODIFIED, REPLACED, REMOVED)}
    policies = sum(len(d.permissions) for d in diffs)
    total = sum(counts.values())
    if not total and not policies and not moves:
        return "no changes"
    parts = ", ".join(f"{n} {a}" for a, n in counts.items() if n)
    text = f"{total} resource{'s' if total != 1 else ''} change ({parts})" if total else "no resource changes"
    text += f"; {len(moves)} move{'s' if len(moves) != 1 else ''} between templates" if moves else ""
    text += f"; {policies} polic{'ies' if policies != 1 else 'y'} change permissions" if policies else ""
    losses = sum(len(d.data_loss) for d in diffs)
    return text + (f"; DATA LOSS in {losses}" if losses else "")
