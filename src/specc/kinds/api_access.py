"""Who may call the REST API at all: its resource policy (`api.access`), before any route's own authorization.

Two kinds of perimeter, one at a time:

- `source_ips`: only clients from these networks (the seed's IP allow list);
- `vpc_endpoints`: only through these execute-api interface endpoints (or `network`, the spec's own); the API
  becomes PRIVATE, since a REGIONAL API cannot be reached through an interface endpoint.

Each is an Allow for callers inside the perimeter plus an explicit Deny for everyone outside it: the Deny also
holds against IAM-authorized callers whose own policy would allow them (an Allow alone would not). Resources are
written `execute-api:/*`, API Gateway's shorthand for this API, since a RestApi cannot name its own ID.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from awacs.aws import (
    Action,
    Allow,
    Condition,
    Deny,
    IpAddress,
    NotIpAddress,
    PolicyDocument,
    Principal,
    Statement,
    StringEquals,
    StringNotEquals,
)
from pydantic import Field, field_validator, model_validator
from troposphere import Ref, encode_to_dict

from specc.language.types import SpecModel

OWN_ENDPOINT = "network"
VPCE_PATTERN = r"^vpce-[0-9a-f]{8,17}$"


class ApiAccess(SpecModel):
    """The API's resource policy: the callers that may reach it at all."""

    source_ips: list[str] = Field(default_factory=list, description="Only clients from these IPv4 or IPv6 networks "
                                  "may call the API.", examples=[["192.0.2.0/24", "198.51.100.0/24"]])
    vpc_endpoints: list[str] = Field(
        default_factory=list, description="Only calls through these execute-api interface endpoints (`vpce-...` IDs, "
        "or `network` for the spec's own, which `network.interface_endpoints` must list) reach the API, which "
        "becomes PRIVATE.", examples=[["network"]])

    @field_validator("source_ips")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value)
            except ValueError as exc:
                raise ValueError(f"'{value}' is not an IP network like 192.0.2.0/24 ({exc})") from None
        return values

    @field_validator("vpc_endpoints")
    @classmethod
    def _endpoints(cls, values: list[str]) -> list[str]:
        for value in values:
            if value != OWN_ENDPOINT and not re.fullmatch(VPCE_PATTERN, value):
                raise ValueError(f"'{value}' is neither a VPC endpoint ID like vpce-0123456789abcdef0 nor "
                                 f"`{OWN_ENDPOINT}`")
        return values

    @model_validator(mode="after")
    def _one_perimeter(self) -> ApiAccess:
        if bool(self.source_ips) == bool(self.vpc_endpoints):
            raise ValueError("api.access has exactly one of `source_ips` or `vpc_endpoints` (calls through an "
                             "endpoint carry no public source address)")
        return self

    def private(self) -> bool:
        return bool(self.vpc_endpoints)


def endpoint_refs(access: ApiAccess) -> list[Any]:
    from specc.kinds.network import endpoint_id

    given: list[Any] = sorted({e for e in access.vpc_endpoints if e != OWN_ENDPOINT})
    return ([Ref(endpoint_id("execute-api"))] if OWN_ENDPOINT in access.vpc_endpoints else []) + given


def resource_policy(access: ApiAccess) -> dict[str, Any]:
    invoke = [Action("execute-api", "Invoke")]
    this_api = ["execute-api:/*"]
    if access.source_ips:
        ips = sorted(set(access.source_ips))
        inside, outside = Condition(IpAddress("aws:SourceIp", ips)), Condition(NotIpAddress("aws:SourceIp", ips))
        what = "SourceIps"
    else:
        endpoints = endpoint_refs(access)
        inside = Condition(StringEquals("aws:SourceVpce", endpoints))
        outside = Condition(StringNotEquals("aws:SourceVpce", endpoints))
        what = "VpcEndpoints"
    return encode_to_dict(PolicyDocument(Version="2012-10-17", Statement=[
        Statement(Sid=f"AllowFrom{what}", Effect=Allow, Principal=Principal("*"), Action=invoke, Resource=this_api,
                  Condition=inside),
        Statement(Sid=f"DenyOutside{what}", Effect=Deny, Principal=Principal("*"), Action=invoke, Resource=this_api,
                  Condition=outside),
    ]))
