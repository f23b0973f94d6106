"""SEC007: every endpoint that terminates TLS refuses versions older than 1.2."""

from __future__ import annotations

from collections.abc import Iterator

from specc.policy.base import Finding, TemplateView, as_list

ID = "SEC007"
DESCRIPTION = "endpoints accept TLS 1.2 or newer only"
RATIONALE = ("TLS 1.0 and 1.1 have known weaknesses (BEAST, POODLE-era cipher suites) and PCI DSS no longer "
             "counts them as strong cryptography. Scanners do not read API Gateway security policies.")
PROFILES = ("baseline", "pci")
SECURITY_HUB = "-"
PCI_DSS = "4.2.1"
# CloudFront's default certificate (no custom domain) is fixed at TLSv1 by AWS: the cdn kind records that opt-out.
CONTROLS = ("custom_certificate", "tls_version")


def _old_api_policy(policy: object) -> bool:
    text = str(policy or "TLS_1_0").upper()
    return "TLS_1_0" in text or "TLS_1_1" in text or text in ("TLS10", "TLS11")


def run(view: TemplateView) -> Iterator[Finding]:
    for logical_id, resource in view.of_type("AWS::ApiGateway::DomainName"):
        policy = (resource.get("Properties") or {}).get("SecurityPolicy")
        if _old_api_policy(policy):
            yield Finding(logical_id, f"{logical_id} allows TLS older than 1.2 (SecurityPolicy {policy or 'unset'})",
                          "use SecurityPolicy TLS_1_2")
    for logical_id, resource in view.of_type("AWS::ApiGatewayV2::DomainName"):
        for config in as_list((resource.get("Properties") or {}).get("DomainNameConfigurations")):
            if _old_api_policy((config or {}).get("SecurityPolicy")):
                yield Finding(logical_id, f"{logical_id} allows TLS older than 1.2", "use SecurityPolicy TLS_1_2")
    for logical_id, resource in view.of_type("AWS::CloudFront::Distribution"):
        config = (resource.get("Properties") or {}).get("DistributionConfig") or {}
        certificate = config.get("ViewerCertificate") or {}
        version = str(certificate.get("MinimumProtocolVersion") or "TLSv1")
        if not version.startswith(("TLSv1.2", "TLSv1.3")) and not view.opted_out(logical_id, CONTROLS):
            yield Finding(logical_id, f"{logical_id} accepts {version}", "use MinimumProtocolVersion TLSv1.2_2021")
    for logical_id, resource in view.of_type("AWS::ElasticLoadBalancingV2::Listener"):
        props = resource.get("Properties") or {}
        if props.get("Protocol") in ("HTTPS", "TLS") and "TLS13" not in str(props.get("SslPolicy", "")) \
                and "TLS-1-2" not in str(props.get("SslPolicy", "")):
            yield Finding(logical_id, f"{logical_id} SslPolicy {props.get('SslPolicy')} allows TLS older than 1.2",
                          "use ELBSecurityPolicy-TLS13-1-2-2021-06")
