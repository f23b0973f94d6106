"""CloudFront in front of a spec bucket: origin access control, HTTPS only, TLS 1.2, security headers, logs.

CloudFront is a global service whose certificates and web ACLs must live in us-east-1. Every distribution
resource carries the `CdnRegion` condition as a mark: the compiler moves what carries it into the global
template (output/global_stack.py), deployed once per account to us-east-1, whatever the service's regions.

No cross-region references: the distribution names the home region's bucket (the spec's first region) and the
access-log bucket by their deterministic names (`<service>-<name>-<environment>-<account>-<region>`). The
distribution's ID is not deterministic, so the regional bucket policy and key policy admit CloudFront for this
account's distributions (`AWS:SourceArn` like `arn:aws:cloudfront::<account>:distribution/*`), not one exact
distribution: docs/global-resources.md says what that allows.
"""

from __future__ import annotations

from typing import Any, Literal

from awacs.aws import Action, Allow, ArnLike, Condition, Principal, Statement, StringEquals
from pydantic import Field, field_validator, model_validator
from troposphere import GetAtt, Output, Ref, Sub, cloudfront

from specc.build import region_conditions
from specc.build.context import BuildContext
from specc.build.global_region import GLOBAL_MARK, GLOBAL_REGION
from specc.build.log_buckets import LogBucket, add_log_bucket, bucket_name_example
from specc.build.naming import logical_id
from specc.build.scanners import skip
from specc.kinds.base import Attribute, Kind, NameRule, Reference
from specc.language.types import Name, SpecModel

CDN_REGION = GLOBAL_MARK  # the Condition marking what goes into the global (us-east-1) template
HOME_REGION = "CdnHomeRegion"  # the Condition: this regional stack is in the home region (the CDN's log bucket)
CLOUDFRONT_REGION = GLOBAL_REGION
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # AWS managed cache policy, the same ID everywhere
CERTIFICATE_PATTERN = r"^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[A-Za-z0-9-]+$"
WEB_ACL_ARN = r"arn:aws[a-z-]*:wafv2:us-east-1:[0-9]{12}:global/webacl/[A-Za-z0-9_-]+/[a-f0-9-]+"
WEB_ACL_PATTERN = rf"^(none|(waf\.)?[a-z][a-z0-9_]*|{WEB_ACL_ARN})$"  # an entry of `waf` (or waf.<entry>), an ARN
DEFAULT_CSP = "default-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"


class GeoRestriction(SpecModel):
    """Serve only to (`allow`) or never to (`deny`) these countries (ISO 3166-1 alpha-2 codes)."""

    allow: list[str] | None = Field(None, min_length=1, description="Countries served; every other one gets 403.",
                                    examples=[["US", "CA", "GB", "DE"]])
    deny: list[str] | None = Field(None, min_length=1, description="Countries refused (403).", examples=[["KP"]])

    @model_validator(mode="after")
    def _one(self) -> GeoRestriction:
        import re

        if (self.allow is None) == (self.deny is None):
            raise ValueError("a geo restriction has exactly one of `allow` or `deny`")
        for code in self.allow or self.deny or []:
            if not re.fullmatch(r"[A-Z]{2}", code):
                raise ValueError(f"'{code}' is not a two-letter country code like US or DE")
        return self


class Domain(SpecModel):
    """Custom domain names with their ACM certificate (which CloudFront requires in us-east-1)."""

    names: list[str] = Field(min_length=1, description="The distribution's domain names (CNAMEs).",
                             examples=[["static.example.com"]])
    certificate: str = Field(pattern=CERTIFICATE_PATTERN, description="ARN of an ACM certificate in us-east-1 "
                             "covering every name.",
                             examples=["arn:aws:acm:us-east-1:111111111111:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"])
    minimum_tls: Literal["TLSv1.2_2021", "TLSv1.2_2019", "TLSv1.2_2018"] = Field(
        "TLSv1.2_2021", description="CloudFront security policy for viewers.", examples=["TLSv1.2_2021"])


class CdnSpec(SpecModel):
    """A CloudFront distribution serving a bucket of `buckets`."""

    bucket: Name = Field(description="The bucket (from `buckets`) served; it stays private: CloudFront reads it "
                         "through an origin access control.", examples=["site"])
    domain: Domain | None = Field(None, description="Custom domain names and certificate (TLS 1.2 minimum).")
    default_certificate: bool = Field(False, description="Serve on the *.cloudfront.net name with CloudFront's "
                                      "certificate instead of `domain`. Its security policy cannot be set (viewers "
                                      "may use TLS 1.0): the choice is recorded in the template.", examples=[True])
    web_acl: str = Field(pattern=WEB_ACL_PATTERN, description="The web ACL in front of the distribution: the name of "
                         "an entry of `waf` with `scope: cloudfront` (`edge` or `waf.edge`; built in the global "
                         "stack), the ARN of a WAFv2 web ACL with CLOUDFRONT scope (made in us-east-1), or `none` "
                         "(recorded in the template).",
                         examples=["edge", "arn:aws:wafv2:us-east-1:111111111111:global/webacl/edge/"
                                   "a1b2c3d4-5678-90ab-cdef-111111111111"])
    default_root_object: str = Field("index.html", pattern=r"^[A-Za-z0-9._/-]{1,255}$",
                                     description="Object served for the root URL.", examples=["index.html"])
    geo_restriction: GeoRestriction | None = Field(None, description="Countries served or refused.")
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = Field(
        "PriceClass_100", description="Edge locations used (100: North America and Europe).",
        examples=["PriceClass_All"])
    content_security_policy: str = Field(DEFAULT_CSP, min_length=1, max_length=1783,
                                         description="The Content-Security-Policy header sent with every response.",
                                         examples=["default-src 'self'; img-src 'self' data:"])
    ipv6: bool = Field(True, description="Viewers may connect over IPv6 as well as IPv4 (`IPV6Enabled`): on by "
                       "default, as in CloudFront and CDK.", examples=[False])
    access_logs: bool = Field(True, description="Standard access logs to a log bucket (ACLs enabled, as CloudFront's "
                              "log delivery requires). Turning them off is recorded in the template.", examples=[True])
    access_log_retention_days: int = Field(365, ge=1, le=36500, description="Days access logs are kept.",
                                           examples=[90])

    @field_validator("web_acl")
    @classmethod
    def _entry_name(cls, value: str) -> str:
        """`waf.edge` and `edge` both name the spec's entry `edge`."""
        return value.removeprefix("waf.")

    @model_validator(mode="after")
    def _certificate(self) -> CdnSpec:
        if (self.domain is not None) != self.default_certificate:
            return self
        raise ValueError("a distribution has either a `domain` (with an ACM certificate: TLS 1.2 minimum) or "
                         "`default_certificate: true` (the *.cloudfront.net certificate, which allows TLS 1.0)")


def _condition(ctx: BuildContext) -> None:
    region_conditions.add(ctx.template, CDN_REGION, [CLOUDFRONT_REGION])


def _home_condition(ctx: BuildContext) -> None:
    region_conditions.add(ctx.template, HOME_REGION, [home_region(ctx.spec)])


def home_region(spec: Any) -> str:
    """The region whose bucket the distributions serve: the spec's first region."""
    return str(spec.regions[0])


def is_web_acl_name(value: str) -> bool:
    """`cdn.web_acl` names an entry of `waf` (not an ARN, not `none`)."""
    return value != "none" and not value.startswith("arn:")


def home_bucket_domain(ctx: BuildContext, bucket: str) -> Sub:
    """The regional domain name of the home region's copy of a bucket named by `bucket_name`, built in us-east-1."""
    home = home_region(ctx.spec)
    return Sub(f"{ctx.physical(bucket)}-${{AWS::AccountId}}-{home}.s3.{home}.${{AWS::URLSuffix}}")


def build(ctx: BuildContext, name: str, spec: CdnSpec) -> None:
    _condition(ctx)
    origin = ("cdn", name)
    physical = ctx.physical(name)
    bucket_id = logical_id(spec.bucket, "Bucket")
    oac_id, headers_id = logical_id(name, "OriginAccessControl"), logical_id(name, "ResponseHeadersPolicy")
    distribution_id, log_bucket_id = logical_id(name, "Distribution"), logical_id(name, "CdnLogsBucket")

    ctx.add(cloudfront.OriginAccessControl(
        oac_id,
        Condition=CDN_REGION,
        OriginAccessControlConfig=cloudfront.OriginAccessControlConfig(
            Name=physical, Description=f"{physical} reads {ctx.physical(spec.bucket)}",
            OriginAccessControlOriginType="s3", SigningBehavior="always", SigningProtocol="sigv4"),
    ), origin)
    ctx.add(cloudfront.ResponseHeadersPolicy(
        headers_id,
        Condition=CDN_REGION,
        ResponseHeadersPolicyConfig=cloudfront.ResponseHeadersPolicyConfig(
            Name=physical,
            Comment=f"Security headers of {physical}",
            SecurityHeadersConfig=cloudfront.SecurityHeadersConfig(
                StrictTransportSecurity=cloudfront.StrictTransportSecurity(
                    AccessControlMaxAgeSec=63072000, IncludeSubdomains=True, Preload=True, Override=True),
                ContentTypeOptions=cloudfront.ContentTypeOptions(Override=True),
                FrameOptions=cloudfront.FrameOptions(FrameOption="DENY", Override=True),
                ReferrerPolicy=cloudfront.ReferrerPolicy(ReferrerPolicy="strict-origin-when-cross-origin",
                                                         Override=True),
                XSSProtection=cloudfront.XSSProtection(Protection=True, ModeBlock=True, Override=True),
                ContentSecurityPolicy=cloudfront.ContentSecurityPolicy(
                    ContentSecurityPolicy=spec.content_security_policy, Override=True),
            )),
    ), origin)

    config = cloudfront.DistributionConfig(
        Enabled=True,
        Comment=f"{ctx.spec.service} {name} ({ctx.spec.environment})",
        DefaultRootObject=spec.default_root_object,
        HttpVersion="http2and3",
        IPV6Enabled=spec.ipv6,
        PriceClass=spec.price_class,
        Origins=[cloudfront.Origin(
            Id=spec.bucket,
            DomainName=home_bucket_domain(ctx, spec.bucket),
            S3OriginConfig=cloudfront.S3OriginConfig(OriginAccessIdentity=""),
            OriginAccessControlId=GetAtt(oac_id, "Id"),
        )],
        DefaultCacheBehavior=cloudfront.DefaultCacheBehavior(
            TargetOriginId=spec.bucket,
            ViewerProtocolPolicy="redirect-to-https",
            AllowedMethods=["GET", "HEAD", "OPTIONS"],
            CachedMethods=["GET", "HEAD"],
            Compress=True,
            CachePolicyId=CACHING_OPTIMIZED,
            ResponseHeadersPolicyId=Ref(headers_id),
        ),
        Restrictions=cloudfront.Restrictions(GeoRestriction=_geo(spec.geo_restriction)),
    )
    skips = []
    opt_outs: list[tuple[str, tuple[Any, ...], str]] = []
    if spec.domain is not None:
        config.Aliases = list(spec.domain.names)
        config.ViewerCertificate = cloudfront.ViewerCertificate(
            AcmCertificateArn=spec.domain.certificate, SslSupportMethod="sni-only",
            MinimumProtocolVersion=spec.domain.minimum_tls)
    else:
        config.ViewerCertificate = cloudfront.ViewerCertificate(CloudFrontDefaultCertificate=True)
        reason = ("the *.cloudfront.net certificate's security policy is fixed by CloudFront (TLSv1): give `domain` "
                  "with an ACM certificate for TLS 1.2")
        skips.append({"id": "CKV_AWS_174", "comment": reason})
        opt_outs.append(("custom_certificate", origin + ("default_certificate",), reason))
    if is_web_acl_name(spec.web_acl):
        from specc.kinds.waf import web_acl_arn

        config.WebACLId = web_acl_arn(spec.web_acl)
    elif spec.web_acl != "none":
        config.WebACLId = spec.web_acl
    else:
        reason = "no web ACL in front of this distribution (cdn.web_acl: none)"
        skips.append({"id": "CKV_AWS_68", "comment": reason})
        opt_outs.append(("waf", origin + ("web_acl",), reason))
    if spec.access_logs:
        home = home_region(ctx.spec)  # CloudFront wants the global endpoint's name: <bucket>.s3.amazonaws.com
        config.Logging = cloudfront.Logging(
            Bucket=Sub(f"{ctx.physical(f'{name}-cdn-logs')}-${{AWS::AccountId}}-{home}.s3.${{AWS::URLSuffix}}"),
            IncludeCookies=False, Prefix=f"{name}/")
        _log_bucket(ctx, name, spec, log_bucket_id, origin)
    else:
        skips.append({"id": "CKV_AWS_86", "comment": "access logs turned off in the spec (access_logs: false)"})
        opt_outs.append(("access_logs", origin + ("access_logs",), ""))

    distribution = cloudfront.Distribution(distribution_id, Condition=CDN_REGION, DistributionConfig=config)
    for entry in skips:
        skip(distribution, entry["id"], entry["comment"])
    for control, path, reason in opt_outs:
        ctx.opt_out(distribution, control, path, reason)
    ctx.add(distribution, origin)

    ctx.bucket_statements[spec.bucket].append(Statement(
        Sid=f"CloudFrontReads{logical_id(name, '')}",
        Effect=Allow,
        Principal=Principal("Service", "cloudfront.amazonaws.com"),
        Action=[Action("s3", "GetObject")],
        Resource=[Sub(f"${{{bucket_id}.Arn}}/*")],
        # The distribution is in the global stack and its ID is not deterministic: this account's distributions.
        Condition=Condition([
            StringEquals("AWS:SourceAccount", Ref("AWS::AccountId")),
            ArnLike("AWS:SourceArn", Sub("arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/*"))]),
    ))
    bucket_spec = ctx.spec.buckets[spec.bucket]
    ctx.use_key(ctx.key_for(getattr(bucket_spec, "encryption", None)), ("kms:Decrypt",),
                service="cloudfront.amazonaws.com", conditions=[ArnLike(
                    "AWS:SourceArn", Sub("arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/*"))])
    _output(ctx, logical_id(name, "DomainName"), GetAtt(distribution_id, "DomainName"),
            f"Domain name of the {name} distribution")
    _output(ctx, logical_id(name, "DistributionId"), Ref(distribution_id), f"ID of the {name} distribution")


def _geo(geo: GeoRestriction | None) -> cloudfront.GeoRestriction:
    if geo is None:
        return cloudfront.GeoRestriction(RestrictionType="none")
    if geo.allow:
        return cloudfront.GeoRestriction(RestrictionType="whitelist", Locations=sorted(set(geo.allow)))
    return cloudfront.GeoRestriction(RestrictionType="blacklist", Locations=sorted(set(geo.deny or [])))


def _log_bucket(ctx: BuildContext, name: str, spec: CdnSpec, bucket_id: str, origin: tuple[Any, ...]) -> None:
    _home_condition(ctx)
    key = ctx.logs_key()
    add_log_bucket(ctx, LogBucket(
        bucket_id=bucket_id, what=f"{name}-cdn-logs", key=key, origin=origin,
        expire_days=spec.access_log_retention_days, acl_delivery=True, condition=HOME_REGION,
        skips=[{"id": "CKV_AWS_18", "comment": "holds CloudFront access logs; server access logs of the log "
                "bucket itself would need yet another bucket"}]))
    # CloudFront's log delivery writes SSE-KMS objects with the bucket's key (CloudFront developer guide).
    ctx.use_key(key, ("kms:GenerateDataKey",), service="delivery.logs.amazonaws.com")


def _output(ctx: BuildContext, title: str, value: Any, description: str) -> None:
    ctx.output(title, value, description)
    output: Output | None = ctx.template.outputs.get(title)
    if output is not None:
        output.Condition = CDN_REGION


def references(name: str, spec: CdnSpec) -> list[Reference]:
    refs = [Reference(("cdn", name, "bucket"), "buckets", spec.bucket, relation="serves")]
    if is_web_acl_name(spec.web_acl):
        refs.append(Reference(("cdn", name, "web_acl"), "waf", spec.web_acl, relation="protected_by"))
    return refs


def names(spec: Any, name: str, entry: CdnSpec) -> list[NameRule]:
    rules = [NameRule("origin access control name", spec.physical(name), 64)]
    if entry.access_logs:
        rules.append(NameRule("bucket name", bucket_name_example(spec, f"{name}-cdn-logs"), 63,
                              r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"))
    return rules


KIND = Kind(
    section="cdn",
    singular="distribution",
    model=CdnSpec,
    description="CloudFront distributions in front of buckets (origin access control, HTTPS only, TLS 1.2, security "
                "headers, access logs), in the global stack (us-east-1) in front of the home region's bucket.",
    build=build,
    attributes={
        "arn": Attribute("ARN of the distribution", lambda ctx, name: Sub(
            "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/"
            + f"${{{logical_id(name, 'Distribution')}}}"),
            lambda ctx, name: CDN_REGION),
        "domain_name": Attribute("domain name of the distribution (`d111111abcdef8.cloudfront.net`)",
                                 lambda ctx, name: GetAtt(logical_id(name, "Distribution"), "DomainName"),
                                 lambda ctx, name: CDN_REGION),
        "id": Attribute("ID of the distribution", lambda ctx, name: Ref(logical_id(name, "Distribution")),
                        lambda ctx, name: CDN_REGION)},
    references=references,
    names=names,
)
