"""The network perimeter holds together: what private functions, web ACLs, custom domains and the API's
resource policy attach to exists, and nothing leaves a way around them (a default endpoint beside mutual TLS,
a certificate missing in a region, more availability zones than a region has).
"""

from __future__ import annotations

from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E209"
DESCRIPTION = ("private functions have a network with an endpoint for every service they use; web ACLs, domains and "
               "the API's resource policy have an API and what they refer to; certificates and availability zones "
               "fit every region")


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    return _network(spec, source) + _waf(spec, source) + _domains(spec, source) + _access(spec, source)


def _network(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    network = getattr(spec, "network", None)
    for name, function in sorted(spec.functions.items()):
        if function.network == "private" and network is None:
            found.append(source.diagnostic(
                ID, ("functions", name, "network"), "this function runs in the service's private subnets, but the "
                "spec declares no `network`", "add a `network:` section (a VPC with its endpoints) or remove "
                "`network: private`"))
    if network is not None and network.existing is None:  # an existing VPC's routes and endpoints are its own
        found += _reachable(spec, source, network)
        from specc.kinds.network import AZ_COUNTS

        for region in spec.regions:
            available = AZ_COUNTS.get(region)
            if available is not None and network.availability_zones > available:
                found.append(source.diagnostic(
                    ID, ("network", "availability_zones") if "availability_zones" in network.model_fields_set
                    else ("network",), f"{region} offers new accounts {available} availability zones, not "
                    f"{network.availability_zones}", f"set `availability_zones: {available}`",
                    at_key="availability_zones" not in network.model_fields_set))
    return found


# What a function's `uses` section calls, as the VPC endpoint service that carries those calls.
ENDPOINT_FOR_SECTION = {"tables": "dynamodb", "buckets": "s3", "topics": "sns", "queues": "sqs", "keys": "kms",
                        "functions": "lambda", "secrets": "secretsmanager", "workflows": "states",
                        "event_buses": "events"}


def _reachable(spec: Any, source: SourceFile, network: Any) -> list[Diagnostic]:
    """A private function's calls leave the VPC only through an endpoint of that service, or through NAT."""
    if network.nat != "none":
        return []
    endpoints = set(network.gateway_endpoints) | set(network.interface_endpoints)
    found = []
    for name, function in sorted(spec.functions.items()):
        if function.network != "private":
            continue
        for section in sorted(function.uses):
            service = ENDPOINT_FOR_SECTION.get(section)
            if service and service not in endpoints:
                kind = "gateway_endpoints" if service in ("s3", "dynamodb") else "interface_endpoints"
                found.append(source.diagnostic(
                    ID, ("functions", name, "uses", section), f"this function runs in the private subnets, which "
                    f"have no NAT and no {service} endpoint: its {section} calls cannot leave the VPC",
                    f"add {service} to `network.{kind}`", at_key=True))
    return found


def _waf(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    attached = []
    for name, acl in sorted(getattr(spec, "waf", {}).items()):
        if acl.attached_to_api():
            attached.append(name)
            if not spec.routes:
                found.append(source.diagnostic(
                    ID, ("waf", name), "this web ACL protects the API stage, but no `routes` are declared",
                    "declare routes, or `attach: none`", at_key=True))
    for name in attached[1:]:
        found.append(source.diagnostic(
            ID, ("waf", name), f"the API stage already has web ACL '{attached[0]}'; a stage takes one",
            "merge the rules into one web ACL, or `attach: none`", at_key=True))
    return found


def _domains(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    domains = getattr(spec, "domains", {})
    if not domains:
        return found
    api = spec.api
    if not spec.routes:
        found.append(source.diagnostic(ID, ("domains",), "custom domains need an API, but no `routes` are declared",
                                       "declare routes or remove `domains`", at_key=True))
    if api is not None and api.access is not None and api.access.private():
        found.append(source.diagnostic(
            ID, ("domains",), "custom domains of a PRIVATE API (api.access.vpc_endpoints) are not supported",
            "reach a private API through its VPC endpoint, or use `source_ips`", at_key=True))
    names: dict[str, str] = {}
    for name, domain in sorted(domains.items()):
        if domain.name in names:
            found.append(source.diagnostic(ID, ("domains", name, "name"), f"{domain.name} is already domain "
                                           f"'{names[domain.name]}'", "declare each domain name once"))
        names.setdefault(domain.name, name)
        if domain.mutual_tls is not None and api is not None and api.disable_execute_api_endpoint is False:
            found.append(source.diagnostic(
                ID, ("api", "disable_execute_api_endpoint"), f"domain '{name}' requires client certificates, but "
                "the default execute-api URL stays open and needs none", "remove "
                "`disable_execute_api_endpoint: false`"))
        if domain.dns_record and domain.hosted_zone_id is None and "dns_record" in domain.model_fields_set:
            found.append(source.diagnostic(ID, ("domains", name, "dns_record"), "a DNS record needs "
                                           "`hosted_zone_id`", "add the hosted zone, or remove `dns_record`"))
        found += _certificates(spec, source, name, domain)
    return found


def _certificates(spec: Any, source: SourceFile, name: str, domain: Any) -> list[Diagnostic]:
    given = domain.certificate_regions()
    if not given:
        return []
    path = ("domains", name, "certificate")
    if isinstance(domain.certificate, str):
        region = next(iter(given))
        if spec.regions != [region]:
            return [source.diagnostic(
                ID, path, f"an ACM certificate is regional: this one is in {region}, but the service runs in "
                f"{', '.join(spec.regions)}", "give one per region: `certificate: {region: arn, ...}`, or "
                "`hosted_zone_id` to request one in every region")]
        return []
    found = []
    for region, arn in sorted(given.items()):
        if region not in spec.regions:
            found.append(source.diagnostic(ID, path + (region,), f"{region} is not one of the service's regions "
                                           f"({', '.join(spec.regions)})", "remove it"))
        elif arn.split(":")[3] != region:
            found.append(source.diagnostic(ID, path + (region,), f"this certificate is in {arn.split(':')[3]}, not "
                                           f"{region}", "API Gateway needs a certificate in the API's own region"))
    missing = [r for r in spec.regions if r not in given]
    if missing:
        found.append(source.diagnostic(ID, path, f"no certificate for {', '.join(missing)}",
                                       "give one for every region of the service"))
    return found


def _access(spec: Any, source: SourceFile) -> list[Diagnostic]:
    from specc.kinds.api_access import OWN_ENDPOINT

    api = spec.api
    if api is None or api.access is None or OWN_ENDPOINT not in api.access.vpc_endpoints:
        return []
    network = getattr(spec, "network", None)
    if network is not None and network.existing is not None:
        return [source.diagnostic(
            ID, ("api", "access", "vpc_endpoints", api.access.vpc_endpoints.index(OWN_ENDPOINT)),
            "`network` means the spec's own execute-api interface endpoint, but the spec's network exists already "
            "(`network.existing`) and specc creates no endpoint in it", "list the existing endpoint's ID (vpce-...)")]
    if network is None or "execute-api" not in network.interface_endpoints:
        return [source.diagnostic(
            ID, ("api", "access", "vpc_endpoints", api.access.vpc_endpoints.index(OWN_ENDPOINT)),
            "`network` means the spec's own execute-api interface endpoint, but the spec has none",
            "add execute-api to `network.interface_endpoints`")]
    return []
