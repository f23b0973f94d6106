"""SEC016: no allow list of client networks admits the whole internet.

An allow list is a perimeter: the API's resource policy (`api.access.source_ips`, an `aws:SourceIp` condition) or a
web ACL's `ip_sets.allow` (every address outside it is blocked). One that covers every address of an IP version,
written `0.0.0.0/0`, `::/0`, `0.0.0.0/0.0.0.0` or as pieces that add up to it (`0.0.0.0/1` + `128.0.0.0/1`), looks
like a perimeter in the spec and in a review but keeps no one out. When the whole internet really is meant, say so
with `security.exceptions.SEC016.reason`: the reason is written into the resource's Metadata.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from typing import Any

from specc.policy.base import Finding, TemplateView, as_list, single_ref, statements

ID = "SEC016"
DESCRIPTION = "no allow list of client networks (API source IPs, a web ACL's allowed addresses) covers the internet"
RATIONALE = ("An allow list of `0.0.0.0/0` or `::/0` (in any notation, or in pieces that add up to it) admits every "
             "address while reading as a restriction; a perimeter that is meant to be open is written as an "
             "exception with its reason, so the template and its reviewers see it.")
PROFILES = ("baseline", "pci")
SECURITY_HUB = "-"
PCI_DSS = "1.3.1, 1.4.1"

WHOLE = {4: ipaddress.ip_network("0.0.0.0/0"), 6: ipaddress.ip_network("::/0")}
IPV4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")


def whole_internet(addresses: Iterable[Any]) -> list[str]:
    """The IP versions whose every address `addresses` (CIDR texts) admit together: `["IPv4"]`, `["IPv4", "IPv6"]`.
    IPv4-mapped IPv6 ranges (`::ffff:0:0/96`) count as the IPv4 addresses they map."""
    by_version: dict[int, list[Any]] = {4: [], 6: []}
    for text in addresses:
        try:
            network = ipaddress.ip_network(str(text), strict=False)
        except ValueError:
            continue
        if network.version == 6 and network.subnet_of(IPV4_MAPPED):  # type: ignore[arg-type]
            offset = int(network.network_address) - int(IPV4_MAPPED.network_address)
            network = ipaddress.ip_network((offset, network.prefixlen - 96))
        by_version[network.version].append(network)
    return [f"IPv{version}" for version, networks in sorted(by_version.items())
            if WHOLE[version] in ipaddress.collapse_addresses(networks)]


def run(view: TemplateView) -> Iterator[Finding]:
    yield from _api_source_ips(view)
    yield from _web_acl_allow_lists(view)


def _api_source_ips(view: TemplateView) -> Iterator[Finding]:
    for logical_id, api in view.of_type("AWS::ApiGateway::RestApi"):
        for statement in statements((api.get("Properties") or {}).get("Policy")):
            if statement.get("Effect") != "Allow":
                continue
            condition = statement.get("Condition")
            test = condition.get("IpAddress") if isinstance(condition, dict) else None  # overrides may write anything
            addresses = as_list(test.get("aws:SourceIp") if isinstance(test, dict) else None)
            open_versions = whole_internet(addresses)
            if open_versions:
                yield Finding(logical_id, f"the resource policy of {logical_id} admits every "
                              f"{' and '.join(open_versions)} address",
                              "list the networks that may call the API", path=("api", "access", "source_ips"))


def _web_acl_allow_lists(view: TemplateView) -> Iterator[Finding]:
    for _, acl in view.of_type("AWS::WAFv2::WebACL"):
        for rule in as_list((acl.get("Properties") or {}).get("Rules")):
            if not isinstance(rule, dict) or not isinstance(rule.get("Action"), dict) or "Block" not in rule["Action"]:
                continue
            inner = ((rule.get("Statement") or {}).get("NotStatement") or {}).get("Statement") or {}
            references = [inner] if "IPSetReferenceStatement" in inner else [
                s for s in as_list((inner.get("OrStatement") or {}).get("Statements")) if isinstance(s, dict)]
            named = [single_ref((s.get("IPSetReferenceStatement") or {}).get("Arn")) for s in references]
            sets = [s for s in named if s is not None and s in view.resources]
            if not sets or len(sets) != len(references):  # blocks outside something that is not (only) IP sets
                continue
            addresses = [a for s in sets for a in as_list(view.properties(s).get("Addresses"))]
            open_versions = whole_internet(addresses)
            if open_versions:
                yield Finding(sets[0], f"the allow list ({', '.join(sets)}) admits every {' and '.join(open_versions)} "
                              "address", "list the networks that may pass, or leave `allow` out")
