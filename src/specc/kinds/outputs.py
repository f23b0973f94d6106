"""User outputs: CloudFormation Outputs of the service stack, each a value written in the expression form
(`${tables.orders.arn}`, `${audit.trail.arn}`, `https://${cdn.site.domain_name}/`), with an optional description
and export name (docs/outputs-and-existing-resources.md).

An output is built last, from the attributes every kind declares. It stays in the parent stack when the service
is split: the split pass rewrites a value that names a nested stack's resource into that stack's output.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from troposphere import Export, Output

from specc.build.context import BuildContext
from specc.build.naming import camel
from specc.kinds.base import Kind
from specc.language.types import SpecModel

CLASH = "E352"  # a user output whose logical ID is one specc writes itself
CONDITIONS = "E353"  # an output naming resources that exist under different template conditions
EXPORT_PATTERN = r"^[A-Za-z0-9:-]{1,255}$"


class OutputSpec(SpecModel):
    """One CloudFormation output of the service stack."""

    value: str = Field(min_length=1, max_length=4096, description="What the output holds: text with references "
                       "(`${section.entry.attribute}`, `${aws.region}`), like `${tables.orders.arn}`.",
                       examples=["${tables.orders.arn}"])
    description: str | None = Field(None, min_length=1, max_length=1024, description="Shown beside the value.",
                                    examples=["ARN of the orders table"])
    export: str | None = Field(None, pattern=EXPORT_PATTERN, description="Export name other stacks import it by "
                               "(`Fn::ImportValue`): letters, digits, `:` and `-`, unique in each account and "
                               "region (a StackSet exports it once per account and region).",
                               examples=["payments-prod-orders-arn"])


def output_id(name: str) -> str:
    """The Output's logical ID, which `describe-stacks` shows: the entry name in CamelCase."""
    return camel(name)


def _conditions(ctx: BuildContext, value: str) -> list[str]:
    """The template conditions the value's references exist under (none for most)."""
    from specc.kinds import BY_SECTION
    from specc.kinds.expressions import Expression, parse

    found = set()
    for part in parse(value)[0]:
        if not isinstance(part, Expression) or part.section == "aws":
            continue
        kind = BY_SECTION[part.section]
        attribute = kind.attributes[part.attribute if kind.keyed else f"{part.entry}.{part.attribute}"]
        condition = attribute.condition(ctx, str(part.entry)) if attribute.condition else None
        if condition:
            found.add(condition)
    return sorted(found)


def build(ctx: BuildContext, name: str, spec: OutputSpec) -> None:
    from specc.kinds.expressions import resolve

    title = output_id(name)
    value = resolve(ctx, spec.value)
    generated = ctx.template.outputs.get(title)
    if generated is not None and _plain(generated.properties["Value"]) != _plain(value):
        ctx.problems.append(ctx.source.diagnostic(
            CLASH, ("outputs", name), f"output '{name}' would be the CloudFormation output '{title}', which specc "
            f"already writes with another value ({generated.properties.get('Description', '')})", "rename the output",
            at_key=True))
        return
    # The same value as an output specc writes (`orders_table_name`: `${tables.orders.name}`): the spec's own
    # replaces it, with its description and export.
    output = Output(title, Value=value)
    if generated is not None and "Description" in generated.properties:
        output.Description = generated.properties["Description"]
    conditions = _conditions(ctx, spec.value)
    if len(conditions) > 1:
        ctx.problems.append(ctx.source.diagnostic(
            CONDITIONS, ("outputs", name, "value"), f"the value names resources that exist under different template "
            f"conditions ({', '.join(conditions)}): no one stack instance holds them all",
            "write one output per resource"))
        return
    if conditions:  # a CloudFront distribution exists in us-east-1 only: so does its output
        output.Condition = conditions[0]
    if spec.description:
        output.Description = spec.description
    if spec.export:
        output.Export = Export(spec.export)
    ctx.template.outputs[title] = output
    ctx.user_outputs.add(title)


def _plain(value: Any) -> Any:
    return value.to_dict() if hasattr(value, "to_dict") else value


KIND = Kind(
    section="outputs",
    singular="output",
    model=OutputSpec,
    description="CloudFormation outputs of the service stack, by expression (`${tables.orders.arn}`), with an "
                "optional export name.",
    build=build,
)
