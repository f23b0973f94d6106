"""Raw CloudFormation resources (`resources:`): any type CloudFormation has, by logical ID, next to specc's own.

The escape hatch SAM, the Serverless Framework (`resources:`) and CDK (L1 constructs) all have. What a raw
resource keeps of specc: it is checked against CloudFormation's schema of its type at compile time
(checks/raw_resources.py, E310-E319), names spec entries through `${section.entry.attribute}` and other raw
resources through `Ref`/`Fn::GetAtt`/`Fn::Sub`, goes through the security profile and cfn-lint like a generated
resource, gets the spec's DeletionPolicy when it holds data (build/retention.py), stays in the parent stack when a
service is split, and may not hard-code a region or account (StackSets). What it gives up: specc derives no IAM
for it (a raw role's policy is the user's), and checks only what the schema and the SEC checks say.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field
from troposphere import AWSObject

from specc.build.context import BuildContext
from specc.kinds.base import Kind
from specc.language.types import SpecModel

LOGICAL_ID_PATTERN = r"^[A-Za-z0-9]{1,255}$"
TYPE_PATTERN = r"^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$"
COLLISION = "E315"  # the logical ID of a resource specc generates, or of a nested stack it may create
# Logical IDs the split pass (output/split.py) gives nested stacks: a raw resource may not take one.
NESTED_STACK_ID = re.compile(r"^(Functions|Shared)[0-9a-f][0-9A-Za-z]*Stack$")


class RawResourceSpec(SpecModel):
    """A CloudFormation resource as a template holds it (without `Condition`: a spec has no conditions)."""

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


def _takes_tags(ctx: BuildContext, resource_type: str) -> bool:
    from specc.build.cfn_schema import resource_schema

    schema = resource_schema(resource_type, ctx.spec.regions[0]) or {}
    tagging = schema.get("tagging") or {}
    return bool(tagging.get("taggable")) and tagging.get("tagProperty", "/properties/Tags") == "/properties/Tags" \
        and "Tags" in (schema.get("properties") or {})


def _tagged(ctx: BuildContext, resource_type: str, properties: dict[str, Any]) -> dict[str, Any]:
    """The service's tags added to a type that takes `Tags` (as a Key/Value list or a map), as on every generated
    resource; a tag the resource sets itself wins."""
    from specc.build.assemble import service_tags
    from specc.build.cfn_schema import resource_schema

    if not _takes_tags(ctx, resource_type):
        return properties
    schema = resource_schema(resource_type, ctx.spec.regions[0]) or {}
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


def build(ctx: BuildContext, name: str, spec: RawResourceSpec) -> None:
    origin = ("resources", name)
    owner = ctx.origins.get(name)
    if name in ctx.template.resources or name in ctx.template.outputs or NESTED_STACK_ID.match(name):
        used_by = (f"a resource of {'.'.join(str(p) for p in owner)}" if owner
                   else "a template output" if name in ctx.template.outputs
                   else "a nested stack of a split service")
        ctx.problems.append(ctx.source.diagnostic(
            COLLISION, origin, f"the raw resource '{name}' has a logical ID specc already uses: {used_by}",
            "choose another logical ID; to change the generated resource, use `overrides`", at_key=True))
        return
    resource = RawCloudFormation(name, spec.type, _tagged(ctx, spec.type, resolved(ctx, spec.properties)),
                                 takes_tags=_takes_tags(ctx, spec.type))
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
