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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from specc.kinds.expressions import AWS_ATTRIBUTES, MALFORMED, Expression, Problem, attribute_hint, parse
from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = MALFORMED
DESCRIPTION = "references in values (`${section.entry.attribute}`, `${aws.region}`) name what exists"
UNKNOWN = "E281"  # a well-formed reference to a section, entry or attribute that does not exist
NOTE = "E285"  # a note: the function names an entry it does not `use`

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
            suggestion = _suggest(expression.attribute, AWS_ATTRIBUTES).replace("'", "'aws.", 1)
            return Problem(UNKNOWN, f"unknown attribute 'aws.{expression.attribute}' in '{expression.text}'"
                                    + suggestion,
                           "attributes of aws: " + ", ".join(AWS_ATTRIBUTES))
        return None
    kind = BY_SECTION.get(expression.section)
    if kind is None or not kind.attributes:
        sections = referable_sections()
        return Problem(UNKNOWN, f"'{expression.section}' in '{expression.text}' is not a section a value can refer to"
                                f"{_suggest(expression.section, sections)}", "sections: " + ", ".join(sections))
    if not kind.keyed:
        return _check_part(spec, kind, expression)
    entries = getattr(spec, expression.section)
    if expression.entry not in entries:
        names = sorted(entries)
        return Problem(UNKNOWN, f"unknown {kind.singular.replace('_', ' ')} '{expression.entry}' in "
                                f"'{expression.text}'{_suggest(str(expression.entry), names)}",
                       f"declared {expression.section}: {', '.join(names) or 'none'}")
    if expression.attribute not in kind.attributes:
        return Problem(UNKNOWN, f"{expression.section} have no attribute '{expression.attribute}' "
                                f"('{expression.text}'){_suggest(expression.attribute, kind.attributes)}",
                       attribute_hint(expression.section))
    if kind.attributes[expression.attribute].created_only and getattr(entries[expression.entry], "existing", None):
        return Problem(UNKNOWN, f"'{expression.text}': {kind.singular} '{expression.entry}' exists already "
                                f"(`existing:`) and specc knows only what it names, not its {expression.attribute}",
                       "existing entries have: " + ", ".join(sorted(n for n, a in kind.attributes.items()
                                                                   if not a.created_only)))
    return None


def _check_part(spec: Any, kind: Any, expression: Expression) -> Problem | None:
    """`${audit.trail.arn}`: a section of one object names a part of it (its trail, its VPC) where others name an
    entry; its attributes are spelled `part.attribute`."""
    declared = getattr(spec, expression.section) is not None or (expression.section == "api" and spec.routes)
    if not declared and expression.section == "api":
        return Problem(UNKNOWN, f"'{expression.text}' names the API, but the spec declares no `routes`",
                       "declare routes or remove the reference")
    if not declared:
        return Problem(UNKNOWN, f"'{expression.text}' names the {expression.section} section, which the spec does "
                                "not declare", f"add the `{expression.section}:` section or remove the reference")
    named = f"{expression.entry}.{expression.attribute}"
    if named in kind.attributes:
        return None
    parts = sorted({name.split(".")[0] for name in kind.attributes})
    if expression.entry not in parts:
        return Problem(UNKNOWN, f"{expression.section} has no part '{expression.entry}' in '{expression.text}'"
                                f"{_suggest(str(expression.entry), parts)}", attribute_hint(expression.section))
    suggestion = _suggest(named, kind.attributes).replace(f"'{expression.entry}.", "'")
    return Problem(UNKNOWN, f"{expression.section}.{expression.entry} has no attribute '{expression.attribute}' "
                            f"('{expression.text}'){suggestion}",
                   attribute_hint(expression.section))


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


def _raw_strings(value: Any, path: tuple[Any, ...]) -> Iterable[Site]:
    """The strings of raw CloudFormation, except what `Fn::Sub` holds: that is CloudFormation's own `${X}`."""
    if isinstance(value, str):
        yield Site(path, value)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _raw_strings(item, path + (index,))
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != "Fn::Sub":
                yield from _raw_strings(item, path + (key,))


def _raw_sites(spec: Any) -> Iterable[Site]:
    for name, resource in sorted((getattr(spec, "resources", None) or {}).items()):
        yield from _raw_strings(resource.properties, ("resources", name, "Properties"))
    for address, override in sorted((getattr(spec, "overrides", None) or {}).items()):
        for key, value in override.set_.items():
            yield from _raw_strings(value, ("overrides", address, "set", key))


def _output_sites(spec: Any) -> Iterable[Site]:
    for name, output in (getattr(spec, "outputs", None) or {}).items():
        yield Site(("outputs", name, "value"), output.value)


# Where values may hold references, as functions of the spec.
VALUE_SITES: list[Callable[[Any], Iterable[Site]]] = [_function_sites, _raw_sites, _output_sites]


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
                code=NOTE, severity="note", file=source.where(site.path)[0],
                position=source.where(site.path)[1], field_path=".".join(str(p) for p in site.path),
                message=f"'{part.text}' names {kind.singular} '{part.entry}', which function '{site.function}' does "
                        "not `use`: the value is set, but a reference grants no access",
                hint=f"if the function calls it, add `uses: {{{part.section}: {{{part.entry}: {access}}}}}`"))
    return found


