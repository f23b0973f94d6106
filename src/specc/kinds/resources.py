"""Raw CloudFormation resources (`resources:`): any type CloudFormation has, by logical ID, next to specc's own.

The escape hatch SAM, the Serverless Framework (`resources:`) and CDK (L1 constructs) all have. What a raw
resource keeps of specc: it is checked against CloudFormation's schema of its type at compile time
(checks/raw_resources.py, E310-E319), names spec entries through `${section.entry.attribute}` and other raw
resources through `Ref`/`Fn::GetAtt`/`Fn::Sub`, goes through the security profile and cfn-lint like a generated
resource, gets the spec's DeletionPolicy when it holds data (build/retention.py), stays in the parent stack when a
service is split, and may not hard-code a region or account (StackSets). In a service of several regions it exists
in all of them, or in those its `regions:` lists (a template Condition, build/region_conditions.py), or under a
region Condition the template has (`Condition:`); a raw resource naming one that exists in fewer regions is a
located error (E323). What it gives up: specc derives no IAM
for it (a raw role's policy is the user's), and checks only what the schema and the SEC checks say.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field, StringConstraints
from troposphere import AWSObject

from specc.build import region_conditions
from specc.build.context import BuildContext
from specc.build.global_region import GLOBAL_MARK
from specc.kinds.base import Kind
from specc.language.rollout import REGION_PATTERN
from specc.language.types import SpecModel

LOGICAL_ID_PATTERN = r"^[A-Za-z0-9]{1,255}$"
TYPE_PATTERN = r"^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$"
COLLISION = "E315"  # the logical ID of a resource specc generates, or of a nested stack it may create
# Logical IDs the split pass (output/split.py) gives nested stacks: a raw resource may not take one.
NESTED_STACK_ID = re.compile(r"^(Functions|Shared)[0-9a-f][0-9A-Za-z]*Stack$")
UNKNOWN_CONDITION = "E322"  # `Condition:` names no region condition of the template
NARROWER = "E323"  # a raw resource names one that exists in fewer regions
_SUB_NAME = re.compile(r"\$\{([^!}][^}]*)\}")
Region = Annotated[str, StringConstraints(pattern=REGION_PATTERN)]


class RawResourceSpec(SpecModel):
    """A CloudFormation resource as a template holds it, in every region of the service or in some (`regions`)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True, populate_by_name=False)

    type: str = Field(alias="Type", pattern=TYPE_PATTERN, description="The CloudFormation resource type.",
                      examples=["AWS::SSM::Parameter"])
    properties: dict[str, Any] = Field(
        default_factory=dict, alias="Properties",
        description="Its properties, checked against the type's schema. Strings may name spec entries as "
        "`${section.entry.attribute}`; `{Ref: X}`, `{Fn::GetAtt: [X, Attr]}` and `{Fn::Sub: ...}` name other raw "
        "resources and `AWS::` pseudo parameters.",
        examples=[{"Type": "String", "Value": "${tables.orders.name}"}])
    depends_on: str | list[str] = Field(default_factory=list, alias="DependsOn",
                                        description="Other raw resources created first.", examples=[["Bus"]])
    deletion_policy: Literal["Delete", "Retain", "RetainExceptOnDelete", "Snapshot"] | None = Field(
        None, alias="DeletionPolicy", description="Default for types that hold data: `security.deletion_policy`.",
        examples=["Retain"])
    update_replace_policy: Literal["Delete", "Retain", "Snapshot"] | None = Field(
        None, alias="UpdateReplacePolicy", description="Default for types that hold data: "
        "`security.deletion_policy`.", examples=["Retain"])
    metadata: dict[str, Any] = Field(default_factory=dict, alias="Metadata",
                                     description="Template metadata of the resource.", examples=[{"Owner": "ops"}])
    regions: list[Region] | None = Field(
        None, alias="regions", min_length=1, description="Only in these of the service's `regions` (a template "
        "Condition); default: all of them. A raw resource naming this one must be limited to these regions too.",
        examples=[["us-east-1"]])
    condition: str | None = Field(
        None, alias="Condition", pattern=r"^[A-Za-z0-9]{1,255}$", description="Instead of `regions`: a region "
        "Condition the template has (`AuditTrailRegion`, `CdnHomeRegion`, or `Regions...` of another raw "
        "resource's `regions`).", examples=["AuditTrailRegion"])

    def dependencies(self) -> list[str]:
        return [self.depends_on] if isinstance(self.depends_on, str) else list(self.depends_on)


class RawCloudFormation(AWSObject):  # type: ignore[misc]  # troposphere ships no types
    """A resource of any type: troposphere validates nothing (the schema check did, at compile time)."""

    props: ClassVar[dict[str, Any]] = {}

    def __init__(self, title: str, resource_type: str, properties: dict[str, Any], *, takes_tags: bool) -> None:
        self.resource_type = resource_type  # before the base sets up attribute guards: read by its __init__
        self.takes_tags = takes_tags  # its schema has `Tags`: SEC010 checks the required ones (policy/__init__.py)
        super().__init__(title)
        self.properties.update(properties)


def resolved(ctx: BuildContext, value: Any) -> Any:
    """`value` with every spec reference `${...}` in its strings turned into CloudFormation; what `Fn::Sub` holds
    is CloudFormation's own `${X}` syntax and stays as written."""
    from specc.kinds.expressions import resolve

    if isinstance(value, str):
        return resolve(ctx, value) if "${" in value else value
    if isinstance(value, list):
        return [resolved(ctx, item) for item in value]
    if isinstance(value, dict):
        return {key: (item if key == "Fn::Sub" else resolved(ctx, item)) for key, item in value.items()}
    return value


def _takes_tags(resource_type: str, region: str) -> bool:
    from specc.build.cfn_schema import resource_schema

    schema = resource_schema(resource_type, region) or {}
    tagging = schema.get("tagging") or {}
    return bool(tagging.get("taggable")) and tagging.get("tagProperty", "/properties/Tags") == "/properties/Tags" \
        and "Tags" in (schema.get("properties") or {})


def _tagged(ctx: BuildContext, resource_type: str, region: str, properties: dict[str, Any]) -> dict[str, Any]:
    """The service's tags added to a type that takes `Tags` (as a Key/Value list or a map), as on every generated
    resource; a tag the resource sets itself wins."""
    from specc.build.assemble import service_tags
    from specc.build.cfn_schema import resource_schema

    if not _takes_tags(resource_type, region):
        return properties
    schema = resource_schema(resource_type, region) or {}
    shape = (schema.get("properties") or {}).get("Tags", {}).get("type")
    tags = service_tags(ctx.spec)
    written = properties.get("Tags")
    if shape == "array" and isinstance(written, list | None):
        mine = {t.get("Key") for t in written or () if isinstance(t, dict)}
        extra = [{"Key": key, "Value": value} for key, value in sorted(tags.items()) if key not in mine]
        return {**properties, "Tags": [*(written or ()), *extra]}
    if shape == "object" and isinstance(written, dict | None):
        return {**properties, "Tags": {**dict(sorted(tags.items())), **(written or {})}}
    return properties


def raw_names(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str, set[str]]]:
    """(path, logical ID, Fn::Sub variables in scope) of every Ref, GetAtt and Fn::Sub name in `value`."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from raw_names(item, path + (index,))
        return
    if not isinstance(value, dict):
        return
    for key, inner in value.items():
        here = path + (key,)
        if key == "Ref" and isinstance(inner, str):
            yield here, inner, set()
        elif key == "Fn::GetAtt":
            target = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(target, str):
                yield here, target.split(".", 1)[0], set()
        elif key == "Fn::Sub":
            text, variables = (inner[0], inner[1]) if isinstance(inner, list) and len(inner) == 2 else (inner, {})
            names = set(variables) if isinstance(variables, dict) else set()
            if isinstance(text, str):
                for match in _SUB_NAME.finditer(text):
                    yield here, match.group(1).split(".", 1)[0].strip(), names
            if isinstance(variables, dict):
                yield from raw_names(variables, here + (1,))
        else:
            yield from raw_names(inner, here)


def listed_regions(spec: Any, resource: RawResourceSpec) -> list[str]:
    """The service's regions `resource.regions` keeps, in the service's order (all of them without `regions`)."""
    return [region for region in spec.regions if resource.regions is None or region in resource.regions]


def _conditions(ctx: BuildContext) -> dict[str, list[str]]:
    """Region conditions a raw resource may name: the template's (but the global stack's mark) and those of every
    raw resource's `regions`, whichever is built first."""
    found = {name: regions for name, test in ctx.template.conditions.items()
             if name != GLOBAL_MARK and (regions := region_conditions.regions_of(test)) is not None}
    for resource in ctx.spec.resources.values():
        regions = listed_regions(ctx.spec, resource)
        if resource.regions is not None and regions != list(ctx.spec.regions):
            found[region_conditions.name_for(regions)] = regions
    return found


def scope(ctx: BuildContext, name: str) -> tuple[str | None, list[str]] | None:
    """(the Condition raw resource `name` carries, the service's regions it exists in); None for a `Condition:`
    the template does not have."""
    resource: RawResourceSpec = ctx.spec.resources[name]
    if resource.condition is not None:
        regions = _conditions(ctx).get(resource.condition)
        if regions is None:
            return None
        return resource.condition, [region for region in ctx.spec.regions if region in regions]
    regions = listed_regions(ctx.spec, resource)
    if regions == list(ctx.spec.regions):
        return None, regions
    return region_conditions.name_for(regions), regions


def _unknown_condition(ctx: BuildContext, name: str, condition: str) -> None:
    known = sorted(_conditions(ctx))
    guess = difflib.get_close_matches(condition, known, n=1)
    if condition == GLOBAL_MARK:
        hint = f"{GLOBAL_MARK} marks what goes into the global stack (CloudFront): write `regions: [us-east-1]`"
    else:
        hint = ("conditions here: " + ", ".join(known) if known else "this template has no region condition") \
            + "; or list the regions with `regions`"
    ctx.problems.append(ctx.source.diagnostic(
        UNKNOWN_CONDITION, ("resources", name, "Condition"), f"the template has no region condition '{condition}'"
        + (f"; did you mean '{guess[0]}'?" if guess else ""), hint))


def _narrower(ctx: BuildContext, name: str, regions: list[str]) -> None:
    """What raw resource `name` names must exist wherever it does."""
    resource: RawResourceSpec = ctx.spec.resources[name]
    at = ("resources", name)
    named = [(at + ("DependsOn",) + ((i,) if isinstance(resource.depends_on, list) else ()), target)
             for i, target in enumerate(resource.dependencies())]
    named += [(path, target) for path, target, variables in raw_names(resource.properties, at + ("Properties",))
              if target not in variables]
    for path, target in named:
        if target not in ctx.spec.resources or target == name:
            continue
        found = scope(ctx, target)
        if found is None:
            continue  # its own unknown Condition is reported at it
        missing = [region for region in regions if region not in found[1]]
        if missing:
            ctx.problems.append(ctx.source.diagnostic(
                NARROWER, path, f"'{target}' exists only in {', '.join(found[1])}, but '{name}' names it in "
                f"{', '.join(missing)} as well", f"limit '{name}' to the regions of '{target}' (`regions: "
                f"[{', '.join(found[1])}]`), or add {', '.join(missing)} to those of '{target}'"))


def build(ctx: BuildContext, name: str, spec: RawResourceSpec) -> None:
    origin = ("resources", name)
    found = scope(ctx, name)
    if found is None:
        assert spec.condition is not None
        _unknown_condition(ctx, name, spec.condition)
        return
    condition, regions = found
    _narrower(ctx, name, regions)
    owner = ctx.origins.get(name)
    if name in ctx.template.resources or name in ctx.template.outputs or NESTED_STACK_ID.match(name):
        used_by = (f"a resource of {'.'.join(str(p) for p in owner)}" if owner
                   else "a template output" if name in ctx.template.outputs
                   else "a nested stack of a split service")
        ctx.problems.append(ctx.source.diagnostic(
            COLLISION, origin, f"the raw resource '{name}' has a logical ID specc already uses: {used_by}",
            "choose another logical ID; to change the generated resource, use `overrides`", at_key=True))
        return
    schema_region = (regions or ctx.spec.regions)[0]
    properties = _tagged(ctx, spec.type, schema_region, resolved(ctx, spec.properties))
    resource = RawCloudFormation(name, spec.type, properties, takes_tags=_takes_tags(spec.type, schema_region))
    if condition is not None:
        resource.Condition = region_conditions.add(ctx.template, condition, regions)
    if spec.dependencies():
        resource.DependsOn = spec.dependencies()
    if spec.deletion_policy:
        resource.DeletionPolicy = spec.deletion_policy
    if spec.update_replace_policy:
        resource.UpdateReplacePolicy = spec.update_replace_policy
    metadata: dict[str, Any] = dict(spec.metadata)
    metadata["specc"] = {**(metadata.get("specc") or {}), "raw": "resources." + name}
    resource.Metadata = metadata
    ctx.add(resource, origin)


KIND = Kind(
    section="resources",
    singular="resource",
    model=RawResourceSpec,
    description="Raw CloudFormation resources by logical ID, for what specc has no kind or field for: checked "
    "against CloudFormation's schema of each type, the security profile and cfn-lint; no IAM is derived for them "
    "(docs/raw-resources-and-overrides.md).",
    build=build,
    key_pattern=LOGICAL_ID_PATTERN,
    late=True,  # after every generated resource: a logical ID one of them holds is a located error, not a clash
)
