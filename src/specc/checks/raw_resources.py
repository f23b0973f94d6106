"""Raw resources (`resources:`) are valid CloudFormation: a type that exists in every region it is deployed to,
properties its schema accepts, and references (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `DependsOn`) to raw resources that exist.

Checked against the schemas cfn-lint ships (build/cfn_schema.py), before anything is built, each at the line of
the offending value: what would otherwise be a failed deployment minutes later, or a cfn-lint finding pointing
into a generated template.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E310"  # unknown resource type
DESCRIPTION = "raw resources have a CloudFormation type, properties its schema accepts, and references that exist"
UNKNOWN_PROPERTY = "E311"
MISSING_PROPERTY = "E312"
WRONG_TYPE = "E313"
NOT_ALLOWED = "E314"
UNKNOWN_TARGET = "E318"
NOT_IN_REGION = "E319"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    resources = getattr(spec, "resources", None)
    if not resources:
        return []
    from specc.build import cfn_schema
    from specc.kinds.resources import listed_regions

    codes = {cfn_schema.UNKNOWN_PROPERTY: UNKNOWN_PROPERTY, cfn_schema.MISSING_PROPERTY: MISSING_PROPERTY,
             cfn_schema.WRONG_TYPE: WRONG_TYPE, cfn_schema.NOT_IN_ENUM: NOT_ALLOWED}
    found: list[Diagnostic] = []
    for name, resource in sorted(resources.items()):
        at = ("resources", name)
        regions = listed_regions(spec, resource) or list(spec.regions)  # none of the service's: E320 says so
        missing = [region for region in regions if resource.type not in cfn_schema.resource_types(region)]
        if len(missing) == len(regions) and not any(
                resource.type in cfn_schema.resource_types(region)
                for region in (*spec.regions, cfn_schema.FALLBACK_REGION)):
            found.append(source.diagnostic(
                ID, at + ("Type",), f"unknown resource type '{resource.type}'"
                + cfn_schema.suggest_type(resource.type),
                "the types CloudFormation has: docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"))
            continue
        if missing:
            found.append(source.diagnostic(
                NOT_IN_REGION, at + ("Type",), f"'{resource.type}' is not available in {', '.join(missing)}",
                "limit the resource to the regions that have it (`regions`), or use a type they all have"))
            continue
        for problem in cfn_schema.check_properties_in(resource.type, resource.properties, regions):
            path = at + ("Properties",) + problem.path
            if problem.kind == cfn_schema.MISSING_PROPERTY and not resource.properties:
                path = at
            found.append(source.diagnostic(codes[problem.kind], path, f"{resource.type}: {problem.message}",
                                           problem.hint, at_key=problem.kind == cfn_schema.UNKNOWN_PROPERTY))
        found += _targets(spec, source, name, resource)
        found += [source.diagnostic(WRONG_TYPE, path, message, hint)
                  for path, message, hint in _intrinsic_shapes(resource.properties, at + ("Properties",))]
    return found


_STRING_OR_FUNCTION = ("Fn::Base64", "Fn::GetAZs", "Fn::ImportValue")
_LIST_OF = {"Fn::Join": 2, "Fn::Select": 2, "Fn::Split": 2, "Fn::Cidr": 3}
_NEEDS_SECTIONS = {"Fn::If": "Conditions", "Fn::Equals": "Conditions", "Fn::And": "Conditions",
                   "Fn::Or": "Conditions", "Fn::Not": "Conditions", "Condition": "Conditions",
                   "Fn::FindInMap": "Mappings"}
_ANY_VALUE = ("Fn::ToJsonString", "Fn::Length", "Fn::Transform")


def _intrinsic_shapes(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str, str]]:
    """Intrinsic functions in the shape CloudFormation reads (the schema check takes any function for a value)."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _intrinsic_shapes(item, path + (index,))
        return
    if not isinstance(value, dict):
        return
    if len(value) == 1:
        key, inner = next(iter(value.items()))
        here = path + (key,)
        problem = _shape_problem(key, inner)
        if problem:
            yield here, problem[0], problem[1]
            return
        if key in _NEEDS_SECTIONS or key == "Ref" or key.startswith("Fn::"):
            if key != "Fn::Sub":
                yield from _intrinsic_shapes(inner, here)
            elif isinstance(inner, list):
                yield from _intrinsic_shapes(inner[1], here + (1,))
            return
    for key, inner in value.items():
        yield from _intrinsic_shapes(inner, path + (key,))


def _shape_problem(key: str, inner: Any) -> tuple[str, str] | None:
    deferred = isinstance(inner, dict) and len(inner) == 1
    if key in _NEEDS_SECTIONS:
        return (f"'{key}' needs the template's {_NEEDS_SECTIONS[key]}, which a spec does not have",
                "write the value itself; one spec per environment holds that environment's values")
    if key == "Ref":
        return None if isinstance(inner, str) else ("Ref takes a logical ID", "write {Ref: LogicalId}")
    if key == "Fn::GetAtt":
        if isinstance(inner, str) and "." in inner:
            return None
        if isinstance(inner, list) and len(inner) == 2 and isinstance(inner[0], str) and (
                isinstance(inner[1], str) or (isinstance(inner[1], dict) and len(inner[1]) == 1)):
            return None
        return "Fn::GetAtt takes [LogicalId, Attribute]", 'write {"Fn::GetAtt": [Bucket, Arn]}'
    if key == "Fn::Sub":
        if isinstance(inner, str) or (isinstance(inner, list) and len(inner) == 2 and isinstance(inner[0], str)
                                      and isinstance(inner[1], dict)):
            return None
        return "Fn::Sub takes a string, or [string, {name: value}]", 'write {"Fn::Sub": "${Bucket}-logs"}'
    if key in _LIST_OF:
        if isinstance(inner, list) and len(inner) == _LIST_OF[key]:
            return None
        return f"{key} takes a list of {_LIST_OF[key]}", "see the CloudFormation intrinsic function reference"
    if key in _STRING_OR_FUNCTION:
        return None if isinstance(inner, str) or deferred else (f"{key} takes a string or a function", "")
    if key.startswith("Fn::") and key not in _ANY_VALUE:
        return f"'{key}' is not a CloudFormation intrinsic function", "see CloudFormation's intrinsic functions"
    return None


def _targets(spec: Any, source: SourceFile, name: str, resource: Any) -> list[Diagnostic]:
    """Raw CloudFormation names raw resources and pseudo parameters; spec entries are named as `${...}`."""
    from specc.kinds.resources import raw_names

    known = sorted(spec.resources)
    found = []
    for index, target in enumerate(resource.dependencies()):
        path = ("resources", name, "DependsOn") + ((index,) if isinstance(resource.depends_on, list) else ())
        if target not in spec.resources:
            found.append(_unknown(source, path, target, known, "DependsOn"))
    for path, target, variables in raw_names(resource.properties, ("resources", name, "Properties")):
        if target.startswith("AWS::") or target in spec.resources or target in variables:
            continue
        found.append(_unknown(source, path, target, known, "a reference", _generated_by(spec, target)))
    return found


def _generated_by(spec: Any, target: str) -> str:
    """The spec entry whose generated resources' logical IDs start like `target` (`OrdersTable`: tables.orders)."""
    from specc.build.naming import camel
    from specc.kinds import SECTIONS

    for section in SECTIONS:
        entries = getattr(spec, section, None)
        if section in ("resources", "overrides") or not isinstance(entries, dict):
            continue
        for entry in sorted(entries, key=len, reverse=True):
            if target.startswith(camel(entry)):
                return f"{section}.{entry}"
    return ""


def _unknown(source: SourceFile, path: tuple[Any, ...], target: str, known: list[str], what: str,
             generated_by: str = "") -> Diagnostic:
    if generated_by:
        return source.diagnostic(
            UNKNOWN_TARGET, path, f"{what} names '{target}', a logical ID specc generates for {generated_by}: raw "
            "CloudFormation does not name generated resources by logical ID",
            f"write the entry's attribute in a plain string, as ${{{generated_by}.arn}}")
    guess = difflib.get_close_matches(target, known, n=1)
    return source.diagnostic(
        UNKNOWN_TARGET, path, f"{what} names '{target}', which is not a raw resource of this spec"
        + (f"; did you mean '{guess[0]}'?" if guess else ""),
        "Ref, Fn::GetAtt, Fn::Sub and DependsOn name `resources` entries and AWS:: pseudo parameters; name a spec "
        "entry in a plain string as ${section.entry.attribute}")
