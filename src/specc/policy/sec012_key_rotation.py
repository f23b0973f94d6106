"""SEC012: every symmetric customer-managed key rotates automatically."""

from __future__ import annotations

from collections.abc import Iterator

from specc.policy.base import Finding, TemplateView

ID = "SEC012"
DESCRIPTION = "customer-managed keys rotate automatically"
RATIONALE = ("Rotation limits how much data one key version protects and is what PCI DSS calls the end of a key's "
             "cryptoperiod; KMS keeps old versions, so nothing needs re-encrypting.")
PROFILES = ("baseline", "pci")
SECURITY_HUB = "KMS.4"
PCI_DSS = "3.7.4"


def run(view: TemplateView) -> Iterator[Finding]:
    for logical_id, resource in view.of_type("AWS::KMS::Key"):
        props = resource.get("Properties") or {}
        if props.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT" and not props.get("EnableKeyRotation"):
            yield Finding(logical_id, f"{logical_id} does not rotate", "set EnableKeyRotation")
