"""SEC004: no AWS managed policy on a role, except the few that grant exactly what an AWS service needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from specc.policy.base import Finding, TemplateView, as_list

ID = "SEC004"
DESCRIPTION = "no managed policy broader than the role needs"
RATIONALE = ("AWS managed policies are written for every customer: most grant whole services (`*FullAccess`), and "
             "AWS changes them without notice. specc derives each role's policy from what it uses instead; the "
             "listed exceptions are service roles whose needs AWS defines and maintains.")
PROFILES = ("baseline", "pci")
SECURITY_HUB = "-"
PCI_DSS = "7.2.1, 7.2.2"

ALLOWED = {
    "service-role/AWS_ConfigRole": "AWS Config must read the configuration of every resource type it records; AWS "
                                   "keeps this policy in step with the types Config supports",
}


def _name(arn: Any) -> str:
    text = arn.get("Fn::Sub", arn) if isinstance(arn, dict) else arn
    text = text[0] if isinstance(text, list) else text
    return str(text).split(":policy/", 1)[-1] if isinstance(text, str) else str(text)


def run(view: TemplateView) -> Iterator[Finding]:
    for logical_id, resource in view.of_type("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
        for arn in as_list((resource.get("Properties") or {}).get("ManagedPolicyArns")):
            name = _name(arn)
            if name not in ALLOWED:
                yield Finding(logical_id, f"{logical_id} has the managed policy '{name}'",
                              "grant exactly what the role needs (specc derives it from `uses`)")
