"""Export names are unique: CloudFormation refuses a second export of one name in an account and region (a
StackSet exports each name once per account and region, which is fine), and a second output of the spec would
fail the whole stack at deploy time."""

from __future__ import annotations

from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E354"
DESCRIPTION = "outputs export distinct names"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    first: dict[str, str] = {}
    for name, output in (getattr(spec, "outputs", None) or {}).items():  # in the spec's order: the second is wrong
        if output.export is None:
            continue
        if output.export in first:
            found.append(source.diagnostic(
                ID, ("outputs", name, "export"), f"export name '{output.export}' is already exported by output "
                f"'{first[output.export]}'", "export names are unique in each account and region: rename one"))
        else:
            first[output.export] = name
    return found
