"""SEC008 (pci): the API is reached only through custom domains that require client certificates."""

from __future__ import annotations

from collections.abc import Iterator

from specc.policy.base import Finding, TemplateView

ID = "SEC008"
DESCRIPTION = "custom domains require mutual TLS, and the API has no other way in"
RATIONALE = ("Mutual TLS authenticates the client system before any request reaches the API. It only holds if the "
             "default `execute-api` URL is off (or the API is private), or clients simply go around the domain.")
PROFILES = ("pci",)
SECURITY_HUB = "-"
PCI_DSS = "4.2.1, 8.3.1"


def run(view: TemplateView) -> Iterator[Finding]:
    domains = list(view.of_type("AWS::ApiGateway::DomainName"))
    for logical_id, resource in domains:
        mtls = (resource.get("Properties") or {}).get("MutualTlsAuthentication") or {}
        if not mtls.get("TruststoreUri"):
            yield Finding(logical_id, f"{logical_id} does not require client certificates (mutual TLS)",
                          "give the domain `mutual_tls: {truststore: s3://...}`")
    for logical_id, resource in view.of_type("AWS::ApiGateway::RestApi"):
        props = resource.get("Properties") or {}
        private = "PRIVATE" in ((props.get("EndpointConfiguration") or {}).get("Types") or [])
        if private or props.get("DisableExecuteApiEndpoint"):
            continue
        if not domains:
            yield Finding(logical_id, f"{logical_id} has no custom domain with mutual TLS", "add a `domains` entry "
                          "with `mutual_tls`, or make the API private (`api.access.vpc_endpoints`)")
        else:
            yield Finding(logical_id, f"{logical_id} keeps its execute-api URL, which bypasses mutual TLS",
                          "remove `api.disable_execute_api_endpoint: false`")
