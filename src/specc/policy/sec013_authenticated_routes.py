"""SEC013 (pci): every API method or route requires IAM authorization, an authorizer (JWT, Cognito, Lambda) or an
API key; a public one needs a justified exception (`security.exceptions.SEC013`)."""

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


AUTHENTICATED = {"AWS_IAM", "COGNITO_USER_POOLS", "CUSTOM", "JWT"}  # IAM, Cognito, Lambda, JWT authorizers


def run(view: TemplateView) -> Iterator[Finding]:
    for logical_id, resource in view.of_type("AWS::ApiGateway::Method"):
        props = resource.get("Properties") or {}
        if props.get("HttpMethod") == "OPTIONS":
            continue  # CORS preflight carries no credentials by design
        if props.get("AuthorizationType", "NONE") not in AUTHENTICATED and not props.get("ApiKeyRequired"):
            yield Finding(logical_id, f"{logical_id} can be called anonymously", HINT)
    for logical_id, resource in view.of_type("AWS::ApiGatewayV2::Route"):
        props = resource.get("Properties") or {}
        if props.get("AuthorizationType", "NONE") not in AUTHENTICATED:
            yield Finding(logical_id, f"{logical_id} can be called anonymously", HINT)


HINT = ("give the route `auth:` (`iam`, or a jwt, cognito or lambda authorizer of `api.authorizers`; or set "
        "`api.auth` for every route), or `api_key: true` on a REST API")
