"""The expression language of spec values: `${section.entry.attribute}` and `${aws.attribute}`, parsed, and
resolved into CloudFormation (a plain string, a Ref, a GetAtt, one Fn::Sub, or Fn::Join beside a literal `${`).

It lives beside the kinds because resolving needs each kind's attributes (`Kind.attributes`) and builders use it;
checks/expressions.py checks values with the same parser (docs/references.md).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from specc.build.context import BuildContext

MALFORMED = "E280"  # not a reference: an intrinsic, a Serverless variable, an unclosed ${, no attribute

# `${aws.<attribute>}` -> the CloudFormation pseudo parameter it compiles to.
AWS_ATTRIBUTES: dict[str, str] = {
    "account_id": "AWS::AccountId",
    "partition": "AWS::Partition",
    "region": "AWS::Region",
    "url_suffix": "AWS::URLSuffix",
}
_PSEUDO = {pseudo: f"aws.{name}" for name, pseudo in AWS_ATTRIBUTES.items()}
_SHAPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,2}")
_SERVERLESS = re.compile(r"(self|sls|opt|env|ssm|cf|s3|file|param|aws|secretsmanager|sm|strToBool|split)\s*[:(]")
_SERVERLESS_HINTS = {
    "self": "specc has no variables: write the value itself (SERVICE and ENVIRONMENT are set for every function)",
    "sls": "specc has no variables: the environment name is in ENVIRONMENT, the service in SERVICE",
    "opt": "specc has no command-line variables: one spec per environment, each with its own values",
    "env": "specc does not read the build machine's environment: write the value in the spec",
    "ssm": "read the parameter at run time, or keep the value in a `secrets` entry and pass `${secrets.NAME.arn}`",
    "secretsmanager": "declare a `secrets` entry, `use` it, and pass `${secrets.NAME.arn}`",
    "aws": "the spec spells them ${aws.region} and ${aws.account_id}",
    "cf": "pass what the other stack exports as a literal value, or declare the entry in this spec",
}
REFERENCE_FORMS = ("${section.entry.attribute}, ${aws.region}, ${aws.account_id}, ${aws.partition} or "
                   "${aws.url_suffix}; write $${ for a literal ${")


@dataclass(frozen=True)
class Expression:
    """One `${...}` of a value: `section` `aws` (then `entry` is None) or a spec section."""

    text: str  # as written, `${tables.orders.arn}`
    section: str
    entry: str | None
    attribute: str


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    hint: str = ""


Part = str | Expression


def parse(value: str) -> tuple[list[Part], list[Problem]]:
    """The literal text and references of `value` (`$${` already turned into `${`), and what is malformed."""
    parts, problems = _parse(value)
    return list(parts), list(problems)


@functools.lru_cache(maxsize=4096)  # services repeat the same values across thousands of functions
def _parse(value: str) -> tuple[tuple[Part, ...], tuple[Problem, ...]]:
    parts: list[Part] = []
    problems: list[Problem] = []
    literal: list[str] = []
    at = 0
    for match in re.finditer(r"\$\$\{|\$\{", value):
        if match.start() < at:
            continue
        literal.append(value[at:match.start()])
        if match.group() == "$${":
            literal.append("${")
            at = match.end()
            continue
        end = value.find("}", match.end())
        if end < 0:
            problems.append(Problem(MALFORMED,
                                    f"'{value[match.start():]}' opens a reference that is never closed with '}}'",
                                    "references are " + REFERENCE_FORMS))
            literal.append(value[match.start():])
            at = len(value)
            break
        text = value[match.start():end + 1]
        inner = value[match.end():end].strip()
        at = end + 1
        if not _SHAPE.fullmatch(inner):
            problems.append(_malformed(text, inner))
            continue
        pieces = inner.split(".")
        if pieces[0] == "aws" and len(pieces) == 2:
            expression = Expression(text, "aws", None, pieces[1])
        elif pieces[0] != "aws" and len(pieces) == 3:
            expression = Expression(text, pieces[0], pieces[1], pieces[2])
        elif pieces[0] == "aws":
            problems.append(Problem(MALFORMED,
                                    f"'{text}' is not a reference: the account and region are ${{aws.ATTRIBUTE}}",
                                    "attributes of aws: " + ", ".join(AWS_ATTRIBUTES)))
            continue
        else:
            problems.append(Problem(MALFORMED, f"'{text}' names no attribute: write ${{{inner}.ATTRIBUTE}}",
                                    attribute_hint(pieces[0])))
            continue
        if "".join(literal):
            parts.append("".join(literal))
        literal = []
        parts.append(expression)
    literal.append(value[at:])
    if "".join(literal):
        parts.append("".join(literal))
    return tuple(parts), tuple(problems)


def _malformed(text: str, inner: str) -> Problem:
    """Why `${inner}` is not a reference, for the spellings people bring from CloudFormation and Serverless."""
    if inner in _PSEUDO:
        return Problem(MALFORMED, f"'{text}' is CloudFormation's spelling, which a spec does not use; write "
                           f"'${{{_PSEUDO[inner]}}}'", "references are " + REFERENCE_FORMS)
    if inner.startswith("AWS::"):
        return Problem(MALFORMED, f"'{text}' is a CloudFormation pseudo parameter specc does not offer",
                       "references are " + REFERENCE_FORMS)
    serverless = _SERVERLESS.match(inner)
    if serverless:
        source = serverless.group(1)
        return Problem(MALFORMED, f"'{text}' is a Serverless Framework variable, which specc does not resolve",
                       _SERVERLESS_HINTS.get(source, "write the value itself") + "; references are " + REFERENCE_FORMS)
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9.]+)?", inner) and inner != inner.lower():
        return Problem(MALFORMED,
                       f"'{text}' is Fn::Sub's spelling for a template's own resources, which a spec does not "
                           "name; refer to the spec entry instead", "references are " + REFERENCE_FORMS)
    return Problem(MALFORMED, f"'{text}' is not a reference", "references are " + REFERENCE_FORMS)


def attribute_hint(section: str) -> str:
    from specc.kinds import BY_SECTION

    kind = BY_SECTION.get(section)
    if kind is None or not kind.attributes:
        return "references are " + REFERENCE_FORMS
    return f"attributes of {section}: " + ", ".join(f"{n} ({a.description})"
                                                    for n, a in sorted(kind.attributes.items()))


def resolve(ctx: BuildContext, value: str) -> Any:
    """The CloudFormation value of a checked `value`: itself (no reference), the attribute's own Ref, GetAtt or
    Sub (the whole value is one reference), or one Fn::Sub of the text and references (Fn::Join when the text
    holds a literal `${`)."""
    if "${" not in value:
        return value
    parts, problems = parse(value)
    assert not problems, problems  # the check (E280) refused it
    if len(parts) == 1 and isinstance(parts[0], Expression):
        return _value_of(ctx, parts[0])
    if not any(isinstance(p, Expression) for p in parts):
        return "".join(p for p in parts if isinstance(p, str))
    from troposphere import Sub

    values = {p: _value_of(ctx, p) for p in parts if isinstance(p, Expression)}
    if any(isinstance(p, str) and "${" in p for p in parts) or not all(map(_inlinable, values.values())):
        # A literal `${` beside references: Fn::Join, which reads no `${...}` at all. (Fn::Sub's `${!` escapes only
        # a closed `${...}`, and moto re-reads the values of a Sub's variable map, which CloudFormation does not.)
        from troposphere import Join

        # Also a value Fn::Sub cannot hold as text (a FindInMap: an existing VPC's ID in this region).
        return Join("", [p if isinstance(p, str) else values[p] for p in parts])
    return Sub("".join(p if isinstance(p, str) else _fragment(values[p]) for p in parts))


def _value_of(ctx: BuildContext, expression: Expression) -> Any:
    from troposphere import Ref

    from specc.kinds import BY_SECTION

    if expression.section == "aws":
        return Ref(AWS_ATTRIBUTES[expression.attribute])
    kind = BY_SECTION[expression.section]
    if not kind.keyed:  # a section of one object: `${audit.trail.arn}` names its part `trail`
        return kind.attributes[f"{expression.entry}.{expression.attribute}"].value(ctx, str(expression.entry))
    return kind.attributes[expression.attribute].value(ctx, str(expression.entry))


def _inlinable(value: Any) -> bool:
    try:
        _fragment(value)
    except TypeError:
        return False
    return True


def _fragment(value: Any) -> str:
    """A Ref, GetAtt, variable-free Sub or string (a physical name: no `${`) as Fn::Sub text."""
    if isinstance(value, str):
        return value
    data: dict[str, Any] = value.to_dict()
    if set(data) == {"Ref"}:
        return "${" + str(data["Ref"]) + "}"
    if set(data) == {"Fn::GetAtt"}:
        target, attribute = data["Fn::GetAtt"]
        return "${" + f"{target}.{attribute}" + "}"
    if set(data) == {"Fn::Sub"} and isinstance(data["Fn::Sub"], str):
        text: str = data["Fn::Sub"]
        return text
    raise TypeError(f"an attribute value Fn::Sub cannot inline: {data!r}")  # resolve joins it instead
