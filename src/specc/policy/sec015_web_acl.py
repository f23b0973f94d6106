"""SEC015 (pci): a public API is behind a WAF web ACL."""

from __future__ import annotations

from collections.abc import Iterator

from specc.policy.base import Finding, TemplateView, referenced

ID = "SEC015"
DESCRIPTION = "public APIs are protected by a WAF web ACL"
RATIONALE = ("PCI DSS 6.4.2 asks for an automated technical solution in front of public-facing web applications that "
             "detects and prevents web attacks: a web ACL with the managed rule groups (injection, known bad inputs) "
             "on the API stage. A private API (reached only through VPC endpoints) is not public-facing.")
PROFILES = ("pci",)
SECURITY_HUB = "APIGateway.4"
PCI_DSS = "6.4.2"


def run(view: TemplateView) -> Iterator[Finding]:
    protected: set[str] = set()
    for _, association in view.of_type("AWS::WAFv2::WebACLAssociation"):
        protected |= referenced((association.get("Properties") or {}).get("ResourceArn"))
    for logical_id, api in view.of_type("AWS::ApiGateway::RestApi"):
        types = ((api.get("Properties") or {}).get("EndpointConfiguration") or {}).get("Types") or []
        if "PRIVATE" in types or logical_id in protected:
            continue
        yield Finding(logical_id, f"{logical_id} is public and no web ACL protects it",
                      "add a `waf` entry for the API (regional)")
