"""SEC013 (pci): every API method requires IAM authorization, an authorizer or an API key."""

from __future__ import annotations

from collections.abc import Iterator

from specc.policy.base import Finding, TemplateView

ID = "SEC013"
DESCRIPTION = "API methods require authorization or an API key"
RATIONALE = ("In a cardholder-data environment no route is anonymous: callers are identified (IAM, an authorizer, "
             "or an API key behind the domain's mutual TLS) so access can be granted, metered and revoked per client.")
PROFILES = ("pci",)
SECURITY_HUB = "APIGateway.8"
PCI_DSS = "7.2.1, 8.2.1"


def run(view: TemplateView) -> Iterator[Finding]:
    for logical_id, resource in view.of_type("AWS::ApiGateway::Method"):
        props = resource.get("Properties") or {}
        if props.get("HttpMethod") == "OPTIONS":
            continue  # CORS preflight carries no credentials by design
        if props.get("AuthorizationType", "NONE") == "NONE" and not props.get("ApiKeyRequired"):
            yield Finding(logical_id, f"{logical_id} can be called anonymously",
                          "set `api_key: true` or `authorization: iam` on the route")
