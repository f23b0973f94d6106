"""Custom domain names for the REST API: REGIONAL, TLS 1.2, optional mutual TLS, a base path mapping.

The certificate is either given (an ACM certificate is regional, so a multi-region spec gives one ARN per
region) or requested here and validated through DNS in a Route 53 hosted zone; with a hosted zone the
domain also gets a latency-routed alias record per region, so every region's stack adds its own. While a
spec has domains the API's default `execute-api` URL is turned off (`api.disable_execute_api_endpoint`),
or clients could go around the domain's mutual TLS.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, model_validator
from troposphere import FindInMap, GetAtt, Ref, Sub, apigateway, apigatewayv2, certificatemanager, route53

from specc.build.context import BuildContext
from specc.build.naming import camel, logical_id
from specc.kinds.base import Attribute, Kind
from specc.language.types import SpecModel

CERTIFICATE_PATTERN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$"
DOMAIN_PATTERN = r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
TRUSTSTORE_PATTERN = r"^s3://[a-z0-9${}:.A-Z-]{3,120}/[A-Za-z0-9!_.*'()/${}:-]+$"
CERTIFICATES_MAPPING = "DomainCertificates"


class MutualTls(SpecModel):
    """Clients must present a certificate signed by a CA in the truststore."""

    truststore: str = Field(pattern=TRUSTSTORE_PATTERN, description="`s3://bucket/key` of the PEM bundle of trusted "
                            "CAs, uploaded before deployment; `${AWS::Region}` and `${AWS::AccountId}` are replaced "
                            "per stack.", examples=["s3://acme-truststores-${AWS::Region}/payments/truststore.pem"])
    version: str | None = Field(None, min_length=1, max_length=1024, description="S3 object version of the "
                                "truststore (pins it; a new version then needs a spec change).",
                                examples=["3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"])
    ownership_certificate: str | None = Field(
        None, pattern=CERTIFICATE_PATTERN, description="ARN of a public ACM certificate proving ownership of the "
        "domain, which API Gateway requires when the server certificate is imported or from a private CA.",
        examples=["arn:aws:acm:us-east-1:111111111111:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"])


class DomainSpec(SpecModel):
    """A custom domain name of the API (REGIONAL endpoint, TLS 1.2 minimum)."""

    name: str = Field(pattern=DOMAIN_PATTERN, max_length=253, description="The fully qualified domain name, lower "
                      "case.", examples=["api.payments.example.com"])
    certificate: str | dict[str, str] | None = Field(
        None, description="ARN of the ACM certificate for `name`, or one per region (`{region: arn}`) when the "
        "service runs in several. Default: a DNS-validated certificate requested in `hosted_zone_id`.",
        examples=["arn:aws:acm:us-east-1:111111111111:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"])
    hosted_zone_id: str | None = Field(None, pattern=r"^Z[A-Z0-9]{1,32}$", description="The Route 53 hosted zone "
                                       "of `name`: validates a requested certificate and holds the alias record.",
                                       examples=["Z0123456789ABCDEFGHIJ"])
    dns_record: bool = Field(True, description="With `hosted_zone_id`: a latency-routed alias record per region "
                             "pointing `name` at the region's API.", examples=[True])
    base_path: str = Field("", pattern=r"^([A-Za-z0-9_.~-]+)?$", description="Path prefix the API is served under "
                           "(`\"\"`: the root).", examples=["payments"])
    mutual_tls: MutualTls | None = Field(None, description="Require client certificates (mutual TLS).")

    @model_validator(mode="after")
    def _certificate(self) -> DomainSpec:
        if self.certificate is None and self.hosted_zone_id is None:
            raise ValueError("a domain needs a `certificate` ARN or a `hosted_zone_id` to request a DNS-validated one")
        arns = self.certificate.values() if isinstance(self.certificate, dict) else [self.certificate or ""]
        for arn in arns:
            if self.certificate is not None and not re.fullmatch(CERTIFICATE_PATTERN, arn):
                raise ValueError(f"'{arn}' is not an ACM certificate ARN")
        return self

    def certificate_regions(self) -> dict[str, str]:
        """Region -> certificate ARN, as given."""
        if isinstance(self.certificate, dict):
            return dict(self.certificate)
        if self.certificate:
            return {self.certificate.split(":")[3]: self.certificate}
        return {}


def _certificate_arn(ctx: BuildContext, name: str, spec: DomainSpec, origin: tuple[Any, ...]) -> Any:
    if isinstance(spec.certificate, dict):
        mappings = ctx.template.mappings.setdefault(CERTIFICATES_MAPPING, {})
        for region, arn in sorted(spec.certificate.items()):
            mappings.setdefault(region, {})[camel(name)] = arn
        return FindInMap(CERTIFICATES_MAPPING, Ref("AWS::Region"), camel(name))
    if spec.certificate:
        return spec.certificate
    certificate_id = logical_id(name, "Certificate")
    ctx.add(certificatemanager.Certificate(
        certificate_id,
        DomainName=spec.name,
        ValidationMethod="DNS",
        DomainValidationOptions=[certificatemanager.DomainValidationOption(
            DomainName=spec.name, HostedZoneId=spec.hosted_zone_id)],
        CertificateTransparencyLoggingPreference="ENABLED",
    ), origin + ("hosted_zone_id",))
    return Ref(certificate_id)


def build(ctx: BuildContext, name: str, spec: DomainSpec) -> None:
    from specc.kinds.api_ids import is_http

    origin = ("domains", name)
    domain_id = logical_id(name, "DomainName")
    (_build_http if is_http(ctx.spec) else _build_rest)(ctx, name, spec, domain_id, origin)

    if spec.hosted_zone_id and spec.dns_record:
        ctx.add(route53.RecordSetType(
            logical_id(name, "DnsRecord"),
            HostedZoneId=spec.hosted_zone_id,
            Name=spec.name,
            Type="A",
            SetIdentifier=Ref("AWS::Region"),
            Region=Ref("AWS::Region"),
            AliasTarget=route53.AliasTarget(DNSName=GetAtt(domain_id, "RegionalDomainName"),
                                            HostedZoneId=GetAtt(domain_id, "RegionalHostedZoneId"),
                                            EvaluateTargetHealth=False),
        ), origin + ("dns_record",))
    path = f"/{spec.base_path}" if spec.base_path else ""
    ctx.output(logical_id(name, "DomainUrl"), f"https://{spec.name}{path}", f"Base URL of the API on {spec.name}")


def _build_rest(ctx: BuildContext, name: str, spec: DomainSpec, domain_id: str, origin: tuple[Any, ...]) -> None:
    from specc.kinds.api import effective
    from specc.kinds.api_ids import API_ID, STAGE_ID

    domain = apigateway.DomainName(
        domain_id,
        DomainName=spec.name,
        RegionalCertificateArn=_certificate_arn(ctx, name, spec, origin),
        EndpointConfiguration=apigateway.EndpointConfiguration(Types=["REGIONAL"]),
        SecurityPolicy="TLS_1_2",
    )
    if spec.mutual_tls is not None:
        mutual = apigateway.MutualTlsAuthentication(TruststoreUri=_sub(spec.mutual_tls.truststore))
        if spec.mutual_tls.version:
            mutual.TruststoreVersion = spec.mutual_tls.version
        domain.MutualTlsAuthentication = mutual
        if spec.mutual_tls.ownership_certificate:
            domain.OwnershipVerificationCertificateArn = spec.mutual_tls.ownership_certificate
    ctx.add(domain, origin)

    settings = effective(ctx)
    assert settings is not None  # the perimeter check requires routes for domains
    mapping = apigateway.BasePathMapping(
        logical_id(name, "BasePathMapping"),
        DomainName=Ref(domain_id),
        RestApiId=Ref(API_ID),
        Stage=settings.stage,
        DependsOn=[STAGE_ID],
    )
    if spec.base_path:
        mapping.BasePath = spec.base_path
    ctx.add(mapping, origin + ("base_path",))


def _build_http(ctx: BuildContext, name: str, spec: DomainSpec, domain_id: str, origin: tuple[Any, ...]) -> None:
    """The same domain for an HTTP API (API Gateway v2 resources; same TLS policy, mutual TLS and base path)."""
    from specc.kinds.api_ids import API_ID, STAGE_ID

    config = apigatewayv2.DomainNameConfiguration(
        CertificateArn=_certificate_arn(ctx, name, spec, origin), EndpointType="REGIONAL", SecurityPolicy="TLS_1_2")
    domain = apigatewayv2.DomainName(domain_id, DomainName=spec.name, DomainNameConfigurations=[config])
    if spec.mutual_tls is not None:
        mutual = apigatewayv2.MutualTlsAuthentication(TruststoreUri=_sub(spec.mutual_tls.truststore))
        if spec.mutual_tls.version:
            mutual.TruststoreVersion = spec.mutual_tls.version
        domain.MutualTlsAuthentication = mutual
        if spec.mutual_tls.ownership_certificate:
            config.OwnershipVerificationCertificateArn = spec.mutual_tls.ownership_certificate
    ctx.add(domain, origin)
    mapping = apigatewayv2.ApiMapping(logical_id(name, "ApiMapping"), DomainName=Ref(domain_id), ApiId=Ref(API_ID),
                                      Stage=Ref(STAGE_ID))
    if spec.base_path:
        mapping.ApiMappingKey = spec.base_path
    ctx.add(mapping, origin + ("base_path",))


def _sub(value: str) -> Any:
    return Sub(value) if "${" in value else value


def _url(spec: DomainSpec) -> str:
    return f"https://{spec.name}" + (f"/{spec.base_path}" if spec.base_path else "")


KIND = Kind(
    section="domains",
    singular="domain",
    model=DomainSpec,
    description="Custom domain names of the API: REGIONAL, TLS 1.2, ACM certificate (given or DNS-validated), "
                "mutual TLS, base path; the default execute-api URL is then turned off.",
    build=build,
    attributes={"name": Attribute("the domain name", lambda ctx, name: ctx.spec.domains[name].name),
                "url": Attribute("base URL of the API on the domain", lambda ctx, name: _url(ctx.spec.domains[name]))},
)
