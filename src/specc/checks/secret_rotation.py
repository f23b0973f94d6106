"""A rotation function reaches Secrets Manager: a function in the private subnets (`network: private`) calls it
through a `secretsmanager` interface endpoint or NAT, or every rotation fails at its first step."""

from __future__ import annotations

from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E216"
DESCRIPTION = "a private rotation function has a secretsmanager endpoint (or NAT) to call"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    network = getattr(spec, "network", None)
    if network is None or network.nat != "none" or "secretsmanager" in network.interface_endpoints:
        return []
    found = []
    for name, secret in sorted(getattr(spec, "secrets", {}).items()):
        function = spec.functions.get(secret.rotation.function) if secret.rotation else None
        if function is not None and function.network == "private":
            found.append(source.diagnostic(
                ID, ("secrets", name, "rotation", "function"), f"the rotation function '{secret.rotation.function}' "
                "runs in the private subnets, which have no NAT and no secretsmanager endpoint: it cannot reach "
                "Secrets Manager", "add secretsmanager to `network.interface_endpoints`"))
    return found
