"""Raw CloudFormation (`resources`, `overrides`) holds no region code and no account id: one template serves every
account and region of the StackSet, so a literal `us-east-1` or `123456789012` would be wrong in all the others.

Generated resources get this by construction (they use pseudo parameters); raw values are the user's, so they are
checked: a literal is an error pointing at `${aws.region}` / `${aws.account_id}` (or `{Ref: AWS::Region}`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E316"
DESCRIPTION = "raw CloudFormation names no region and no account literally (StackSets deploy it everywhere)"
ACCOUNT = "E317"
REGION_CODE = re.compile(r"(?<![a-z0-9])(us|eu|ap|sa|ca|me|af|il|mx|cn)-(gov-|iso-|isob-)?(north|south|east|west|"
                         r"central|northeast|southeast|northwest|southwest)-[0-9]+(?![0-9])")
ACCOUNT_ID = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")


def _strings(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, path + (index,))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, path + (key,))


def _sites(spec: Any) -> Iterator[tuple[tuple[Any, ...], str]]:
    for name, resource in sorted((getattr(spec, "resources", None) or {}).items()):
        yield from _strings(resource.properties, ("resources", name, "Properties"))
    for address, override in sorted((getattr(spec, "overrides", None) or {}).items()):
        for key, value in override.set_.items():
            yield from _strings(value, ("overrides", address, "set", key))


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    for path, text in _sites(spec):
        region = REGION_CODE.search(text)
        if region:
            found.append(source.diagnostic(
                ID, path, f"'{region.group()}' is a region written into the template, which a StackSet deploys to "
                f"every region of the service", "write ${aws.region} in a plain string; {Ref: AWS::Region}, or "
                "${AWS::Region} inside Fn::Sub"))
        account = ACCOUNT_ID.search(text)
        if account:
            found.append(source.diagnostic(
                ACCOUNT, path, f"'{account.group()}' looks like an account id written into the template, which a "
                "StackSet deploys to every account of the service", "write ${aws.account_id} in a plain string; "
                "{Ref: AWS::AccountId}, or ${AWS::AccountId} inside Fn::Sub"))
    return found
