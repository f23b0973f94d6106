"""SEC002: no IAM Allow grants a wildcard action (`s3:*`, `*`, `kms:Get*`) or uses NotAction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from specc.policy.base import (
    Finding,
    TemplateView,
    actions,
    identity_documents,
    is_wildcard_action,
    resource_documents,
    statements,
)

ID = "SEC002"
DESCRIPTION = "no Allow statement grants a wildcard action"
RATIONALE = ("A wildcard action grants every action AWS adds to a service later, including destructive and "
             "permission-changing ones; least privilege means naming each action. Deny statements may use wildcards: "
             "they only take away.")
PROFILES = ("baseline", "pci")
SECURITY_HUB = "IAM.1, IAM.21"
PCI_DSS = "7.2.1, 7.2.2"

# The only wildcard actions AWS itself requires, each with its reason.
REQUIRED = {
    ("AWS::KMS::Key", "kms:*"): "AWS's default key policy: the account root administers the key, so IAM policies "
                                "apply to it and the key can never become unmanageable",
}


def _root_principal(statement: dict[str, Any]) -> bool:
    principal = statement.get("Principal")
    aws = principal.get("AWS") if isinstance(principal, dict) else None
    text = aws.get("Fn::Sub") if isinstance(aws, dict) else aws
    return isinstance(text, str) and text.endswith(":root")


def run(view: TemplateView) -> Iterator[Finding]:
    documents = [(lid, where, doc, False) for lid, where, doc in identity_documents(view)]
    documents += [(lid, where, doc, True) for lid, where, doc in resource_documents(view)]
    for logical_id, where, document, resource_policy in documents:
        resource_type = view.resources[logical_id]["Type"]
        for statement in statements(document):
            if statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement:
                yield Finding(logical_id, f"{where} of {logical_id} allows NotAction (every action but some)",
                              "name the actions instead")
                continue
            for action in actions(statement):
                if not is_wildcard_action(action):
                    continue
                if (resource_type, action) in REQUIRED and _root_principal(statement):
                    continue
                sid = statement.get("Sid", "?")
                yield Finding(logical_id, f"{where} of {logical_id} (statement {sid}) allows the wildcard action "
                              f"'{action}'", "name exactly the actions needed")
