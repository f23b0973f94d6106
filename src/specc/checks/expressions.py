"""References in spec values: `${section.entry.attribute}` and `${aws.attribute}`, parsed, checked and resolved.

The one form the spec language has for a value known only once deployed (docs/references.md):

- `${tables.orders.name}`, `${queues.jobs.url}`, `${functions.resize.arn}`: an attribute of a spec entry; each
  kind lists what it exposes in its own file (`Kind.attributes`);
- `${aws.region}`, `${aws.account_id}`, `${aws.partition}`, `${aws.url_suffix}`: where the stack is deployed;
- text around them: `https://sqs.${aws.region}.${aws.url_suffix}/jobs`;
- `$${` is a literal `${` (as in Terraform); a `$` not followed by `{` is always literal.

Anything else inside `${...}` is an error, never a literal: `${AWS::Region}` (CloudFormation's spelling),
`${self:custom.x}` or `${ssm:/path}` (Serverless Framework variables) would otherwise reach the function as
text. A value compiles to a plain string, a Ref, a GetAtt or one Fn::Sub (Fn::Join beside a literal `${`), the
same for the same spec.

A reference grants nothing: `uses` does. Naming an entry the function does not `use` is a note, not an error
(SAM and the Serverless Framework let a function hold any ARN or URL; passing a queue URL on without calling it
is legitimate), printed by `specc compile` and `specc validate`.

`VALUE_SITES` lists where values may hold references; a later section (outputs, raw resources) adds its own.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

if TYPE_CHECKING:
    from specc.build.context import BuildContext

ID = "E280"
DESCRIPTION = "references in values (`${section.entry.attribute}`, `${aws.region}`) name what exists"
UNKNOWN = "E281"  # a well-formed reference to a section, entry or attribute that does not exist
NOTE = "E285"  # a note: the function names an entry it does not `use`

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
            problems.append(Problem(ID, f"'{value[match.start():]}' opens a reference that is never closed with '}}'",
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
            problems.append(Problem(ID, f"'{text}' is not a reference: the account and region are ${{aws.ATTRIBUTE}}",
                                    "attributes of aws: " + ", ".join(AWS_ATTRIBUTES)))
            continue
        else:
            problems.append(Problem(ID, f"'{text}' names no attribute: write ${{{inner}.ATTRIBUTE}}",
                                    _attribute_hint(pieces[0])))
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
        return Problem(ID, f"'{text}' is CloudFormation's spelling, which a spec does not use; write "
                           f"'${{{_PSEUDO[inner]}}}'", "references are " + REFERENCE_FORMS)
    if inner.startswith("AWS::"):
        return Problem(ID, f"'{text}' is a CloudFormation pseudo parameter specc does not offer",
                       "references are " + REFERENCE_FORMS)
    serverless = _SERVERLESS.match(inner)
    if serverless:
        source = serverless.group(1)
        return Problem(ID, f"'{text}' is a Serverless Framework variable, which specc does not resolve",
                       _SERVERLESS_HINTS.get(source, "write the value itself") + "; references are " + REFERENCE_FORMS)
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9.]+)?", inner) and inner != inner.lower():
        return Problem(ID, f"'{text}' is Fn::Sub's spelling for a template's own resources, which a spec does not "
                           "name; refer to the spec entry instead", "references are " + REFERENCE_FORMS)
    return Problem(ID, f"'{text}' is not a reference", "references are " + REFERENCE_FORMS)


def _attribute_hint(section: str) -> str:
    from specc.kinds import BY_SECTION

    kind = BY_SECTION.get(section)
    if kind is None or not kind.attributes:
        return "references are " + REFERENCE_FORMS
    return f"attributes of {section}: " + ", ".join(f"{n} ({a.description})" for n, a in sorted(kind.attributes.items()))


def referable_sections() -> list[str]:
    """The sections whose entries have attributes, and `aws` (imports every kind: only a mistake asks)."""
    from specc.kinds import BY_SECTION

    return sorted([section for section, kind in BY_SECTION.items() if kind.attributes] + ["aws"])


def _suggest(word: str, options: Iterable[str]) -> str:
    guess = difflib.get_close_matches(word, list(options), n=1)
    return f"; did you mean '{guess[0]}'?" if guess else ""


def check_expression(spec: Any, expression: Expression) -> Problem | None:
    """Whether the section, entry and attribute an expression names exist in `spec`."""
    from specc.kinds import BY_SECTION

    if expression.section == "aws":
        if expression.attribute not in AWS_ATTRIBUTES:
            return Problem(UNKNOWN, f"unknown attribute 'aws.{expression.attribute}' in '{expression.text}'"
                                    f"{_suggest(expression.attribute, AWS_ATTRIBUTES).replace(chr(39), chr(39) + 'aws.', 1)}",
                           "attributes of aws: " + ", ".join(AWS_ATTRIBUTES))
        return None
    kind = BY_SECTION.get(expression.section)
    if kind is None or not kind.attributes or not kind.keyed:
        sections = referable_sections()
        return Problem(UNKNOWN, f"'{expression.section}' in '{expression.text}' is not a section a value can refer to"
                                f"{_suggest(expression.section, sections)}", "sections: " + ", ".join(sections))
    entries = getattr(spec, expression.section)
    if expression.entry not in entries:
        names = sorted(entries)
        return Problem(UNKNOWN, f"unknown {kind.singular.replace('_', ' ')} '{expression.entry}' in "
                                f"'{expression.text}'{_suggest(str(expression.entry), names)}",
                       f"declared {expression.section}: {', '.join(names) or 'none'}")
    if expression.attribute not in kind.attributes:
        return Problem(UNKNOWN, f"{expression.section} have no attribute '{expression.attribute}' "
                                f"('{expression.text}'){_suggest(expression.attribute, kind.attributes)}",
                       _attribute_hint(expression.section))
    return None


def problems_of(spec: Any, value: str) -> list[Problem]:
    """Everything wrong with the references in one value."""
    parts, found = parse(value)
    for part in parts:
        if isinstance(part, Expression):
            problem = check_expression(spec, part)
            if problem:
                found.append(problem)
    return found


@dataclass(frozen=True)
class Site:
    """A value that may hold references: where it is, and the function whose `uses` it should agree with."""

    path: tuple[Any, ...]
    value: str
    function: str | None = None


def _function_sites(spec: Any) -> Iterable[Site]:
    for name, function in spec.functions.items():
        for variable, value in function.environment.items():
            yield Site(("functions", name, "environment", variable), value, name)
        for index, trigger in enumerate(getattr(function, "triggers", ())):
            if getattr(trigger, "source_arn", None):
                yield Site(("functions", name, "triggers", index, "source_arn"), trigger.source_arn)


# Where values may hold references, as functions of the spec; outputs and raw resources add theirs here.
VALUE_SITES: list[Callable[[Any], Iterable[Site]]] = [_function_sites]


def sites(spec: Any) -> Iterable[Site]:
    for found in VALUE_SITES:
        yield from found(spec)


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    checked: dict[str, list[Problem]] = {}  # the same value in many functions is checked once
    for site in sites(spec):
        if "${" not in site.value:  # the common case: no reference, nothing to parse
            continue
        if site.value not in checked:
            checked[site.value] = problems_of(spec, site.value)
        for problem in checked[site.value]:
            found.append(source.diagnostic(problem.code, site.path, problem.message, problem.hint))
    return found


def notes(spec: Any, source: SourceFile) -> list[Diagnostic]:
    """References to entries the function does not `use`: allowed (a reference grants nothing), said once each."""
    from specc.kinds import BY_SECTION

    found = []
    for site in sites(spec):
        if site.function is None or "${" not in site.value:
            continue
        uses = spec.functions[site.function].uses
        seen = set()
        for part in parse(site.value)[0]:
            if not isinstance(part, Expression) or part.section == "aws" or (part.section, part.entry) in seen:
                continue
            seen.add((part.section, part.entry))
            if part.entry in (uses.get(part.section) or {}):
                continue
            if part.section == "functions" and part.entry == site.function:
                continue  # its own name or ARN
            kind = BY_SECTION[part.section]
            if kind.grant is None:
                continue
            access = "|".join(kind.access)
            found.append(Diagnostic(
                code=NOTE, severity="note", file=source.display,
                position=source.spans.locate(site.path), field_path=".".join(str(p) for p in site.path),
                message=f"'{part.text}' names {kind.singular} '{part.entry}', which function '{site.function}' does "
                        "not `use`: the value is set, but a reference grants no access",
                hint=f"if the function calls it, add `uses: {{{part.section}: {{{part.entry}: {access}}}}}`"))
    return found


# --- build time -------------------------------------------------------------------------------------------


def resolve(ctx: BuildContext, value: str) -> Any:
    """The CloudFormation value of a checked `value`: itself (no reference), the attribute's own Ref, GetAtt or
    Sub (the whole value is one reference), or one Fn::Sub of the text and references (Fn::Join when the text holds a literal `${`)."""
    if "${" not in value:
        return value
    parts, problems = parse(value)
    assert not problems, problems  # the check (E280) refused it
    if len(parts) == 1 and isinstance(parts[0], Expression):
        return _value_of(ctx, parts[0])
    if not any(isinstance(p, Expression) for p in parts):
        return "".join(p for p in parts if isinstance(p, str))
    from troposphere import Sub

    if any(isinstance(p, str) and "${" in p for p in parts):
        # A literal `${` beside references: Fn::Join, which reads no `${...}` at all. (Fn::Sub's `${!` escapes only
        # a closed `${...}`, and moto re-reads the values of a Sub's variable map, which CloudFormation does not.)
        from troposphere import Join

        return Join("", [p if isinstance(p, str) else _value_of(ctx, p) for p in parts])
    return Sub("".join(p if isinstance(p, str) else _fragment(_value_of(ctx, p)) for p in parts))


def _value_of(ctx: BuildContext, expression: Expression) -> Any:
    from troposphere import Ref

    from specc.kinds import BY_SECTION

    if expression.section == "aws":
        return Ref(AWS_ATTRIBUTES[expression.attribute])
    return BY_SECTION[expression.section].attributes[expression.attribute].value(ctx, str(expression.entry))


def _fragment(value: Any) -> str:
    """A Ref, GetAtt, variable-free Sub or string (a physical name: no `${`) as Fn::Sub text."""
    if isinstance(value, str):
        return value
    data = value.to_dict()
    if set(data) == {"Ref"}:
        return "${" + data["Ref"] + "}"
    if set(data) == {"Fn::GetAtt"}:
        target, attribute = data["Fn::GetAtt"]
        return "${" + f"{target}.{attribute}" + "}"
    if set(data) == {"Fn::Sub"} and isinstance(data["Fn::Sub"], str):
        return data["Fn::Sub"]
    raise TypeError(f"an attribute value Fn::Sub cannot inline: {data!r}")
