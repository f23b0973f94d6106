"""SEC014 (pci): functions run inside the service's VPC."""

from __future__ import annotations

from collections.abc import Iterator

from specc.policy.base import Finding, TemplateView

ID = "SEC014"
DESCRIPTION = "functions run in the VPC's private subnets"
RATIONALE = ("PCI DSS segments the cardholder-data environment by network: a function in the VPC reaches AWS only "
             "through endpoints whose policies admit exactly its grants, and nothing else at all without NAT.")
PROFILES = ("pci",)
SECURITY_HUB = "Lambda.3"
PCI_DSS = "1.3.1, 1.3.2"


def run(view: TemplateView) -> Iterator[Finding]:
    for logical_id, resource in view.of_type("AWS::Lambda::Function"):
        if not (resource.get("Properties") or {}).get("VpcConfig"):
            yield Finding(logical_id, f"{logical_id} does not run in the VPC", "set `network: private`")
