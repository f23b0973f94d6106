"""cfn-lint's Amazon States Language schema over state machine definitions it cannot see by itself.

A definition that refers to functions or topics is a `Fn::Sub` string, and cfn-lint validates only plain
definitions (E3601). So each such definition is resolved here as CloudFormation would resolve it (ARNs of the
right shape for the referenced resources, pseudo parameters, `${!` back to `${`) and linted on its own; each
finding is reported at the state machine's line in the real template. `lint_cache.run_cfn_lint` adds these
findings to the template's own, so they are cached and run in parallel with it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_PLACEHOLDER = re.compile(r"\$\{([^}!]*)\}")
_ACCOUNT = "123456789012"
_ARN = {
    "AWS::Lambda::Function": "arn:aws:lambda:{region}:{account}:function:{name}",
    "AWS::Lambda::Alias": "arn:aws:lambda:{region}:{account}:function:{name}:live",
    "AWS::SNS::Topic": "arn:aws:sns:{region}:{account}:{name}",
}


def _guess_type(name: str) -> str:
    """A variable of a list-form `Fn::Sub` (a split template passes ARNs between stacks) by its name."""
    for suffix, kind in (("AliasArn", "AWS::Lambda::Alias"), ("Alias", "AWS::Lambda::Alias"),
                         ("FunctionArn", "AWS::Lambda::Function"), ("Topic", "AWS::SNS::Topic"),
                         ("TopicArn", "AWS::SNS::Topic")):
        if name.endswith(suffix):
            return kind
    return ""


def resolve(text: str, resources: dict[str, Any], region: str, variables: tuple[str, ...] = ()) -> str:
    """The `Fn::Sub` body as CloudFormation would render it in `region`."""
    pseudo = {"AWS::Partition": "aws", "AWS::Region": region, "AWS::AccountId": _ACCOUNT, "AWS::URLSuffix":
              "amazonaws.com"}

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in pseudo:
            return pseudo[name]
        resource = name.split(".", 1)[0]
        kind = resources.get(resource, {}).get("Type", "") or (_guess_type(name) if name in variables else "")
        pattern = _ARN.get(kind, "arn:aws:unknown:{region}:{account}:{name}")
        return pattern.format(region=region, account=_ACCOUNT, name=resource.lower())

    return _PLACEHOLDER.sub(value, text).replace("${!", "${")


@dataclass(frozen=True)
class Definition:
    """One state machine's definition, resolved and alone in a template cfn-lint can check (cached like any)."""

    template: str  # the template it comes from
    logical_id: str
    line: int  # of the state machine in the emitted template, where findings are reported
    body: bytes


def definitions(name: str, template: dict[str, Any], body: str, regions: list[str]) -> list[Definition]:
    """The definitions inside `Fn::Sub` of `template`'s state machines (its emitted `body`), resolved."""
    resources = template.get("Resources", {})
    found = []
    lines = body.splitlines()
    region = regions[0] if regions else "us-east-1"  # the States Language schema does not vary by region
    for logical_id, resource in sorted(resources.items()):
        definition = resource.get("Properties", {}).get("DefinitionString")
        if resource.get("Type") != "AWS::StepFunctions::StateMachine" or not isinstance(definition, dict):
            continue
        sub = definition.get("Fn::Sub")
        variables: tuple[str, ...] = ()
        if isinstance(sub, list) and len(sub) == 2 and isinstance(sub[1], dict):  # values from other stacks
            sub, variables = sub[0], tuple(sub[1])
        if not isinstance(sub, str):
            continue
        line = next((i + 1 for i, text in enumerate(lines) if text.strip().startswith(f'"{logical_id}": {{')), 1)
        alone = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {logical_id: {
            "Type": resource["Type"],
            "Properties": {"RoleArn": f"arn:aws:iam::{_ACCOUNT}:role/r",
                           "DefinitionString": resolve(sub, resources, region, variables)}}}}
        found.append(Definition(name, logical_id, line, json.dumps(alone, sort_keys=True).encode()))
    return found


def relevant(rule: str) -> bool:
    """Only the States Language rules: the stand-in template around the definition is not the user's."""
    return rule.startswith(("E36", "W36"))


def definition_matches(body: str, regions: list[str]) -> list[dict[str, Any]]:
    """Findings (as `lint_cache.run_cfn_lint` returns them) in the definitions of the emitted template `body`."""
    from cfnlint.api import ManualArgs, lint

    try:
        template = json.loads(body)
    except ValueError:  # a YAML rendering: cfn-lint's own pass reports on it
        return []
    found = []
    for definition in definitions("", template, body, regions):
        region = regions[0] if regions else "us-east-1"
        for match in lint(definition.body.decode(), config=ManualArgs(regions=[region])):
            if relevant(match.rule.id):
                found.append({"line": definition.line, "column": 1, "rule": match.rule.id,
                              "severity": str(getattr(match.rule, "severity", "error")),
                              "message": f"{definition.logical_id} definition: {match.message}"})
    return found
