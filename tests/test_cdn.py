"""cdn's builder, driven directly beside the real `buckets` builder (built after it, as the registry orders them):
what cdn itself makes, and what it asks of the bucket's one policy and its key. The whole spec path is the
golden case tests/golden/cdn and the error cases tests/errors/cdn*.yaml.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from specc.build.context import BuildContext
from specc.build.naming import physical_name
from specc.kinds import buckets, keys
from specc.kinds.cdn import CdnSpec, build
from specc.lint.cfn import lint_templates

CERTIFICATE = "arn:aws:acm:us-east-1:111111111111:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"
WEB_ACL = "arn:aws:wafv2:us-east-1:111111111111:global/webacl/edge/a1b2c3d4-5678-90ab-cdef-111111111111"


def _spec() -> SimpleNamespace:
    spec = SimpleNamespace(service="site", environment="prod", regions=["us-east-1", "eu-west-1"],
                           buckets={"content": buckets.BucketSpec()},
                           defaults=SimpleNamespace(key=None, logs_key=None), keys={"main": keys.KeySpec()})
    spec.default_key = lambda: "main"
    spec.physical = lambda name: physical_name("site", name, "prod")
    return spec


def _compile(**distributions: dict[str, Any]) -> dict[str, Any]:
    ctx = BuildContext(spec=_spec(), source=None, artifacts={})  # type: ignore[arg-type]
    for name, fields in distributions.items():
        build(ctx, name, CdnSpec(bucket="content", **fields))
    buckets.build(ctx, "content", ctx.spec.buckets["content"])  # its one policy takes cdn's statements
    keys.build(ctx, "main", keys.KeySpec())
    return ctx.template.to_dict()


DEFAULT = {"default_certificate": True, "web_acl": "none", "geo_restriction": {"allow": ["US", "CA", "GB", "DE"]}}
CUSTOM = {"domain": {"names": ["static.example.com"], "certificate": CERTIFICATE}, "web_acl": WEB_ACL}


def test_everything_is_lint_clean_in_every_region() -> None:
    template = _compile(content=DEFAULT, secure=CUSTOM)
    assert [f.render() for f in lint_templates({"service.json": template}, ["us-east-1", "eu-west-1"])] == []


def test_cloudfront_resources_are_marked_for_the_global_stack_and_logs_stay_home() -> None:
    template = _compile(content=DEFAULT)
    assert template["Conditions"] == {"CdnRegion": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
                                      "CdnHomeRegion": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}}
    marked = sorted(n for n, r in template["Resources"].items() if r.get("Condition") == "CdnRegion")
    assert marked == ["ContentDistribution", "ContentOriginAccessControl", "ContentResponseHeadersPolicy"]
    home = sorted(n for n, r in template["Resources"].items() if r.get("Condition") == "CdnHomeRegion")
    assert home == ["ContentCdnLogsBucket", "ContentCdnLogsBucketPolicy"]  # the home region's stack keeps the logs
    cdn_outputs = {n: o.get("Condition") for n, o in template["Outputs"].items() if n.startswith("Content")}
    assert cdn_outputs == {"ContentDistributionId": "CdnRegion", "ContentDomainName": "CdnRegion",
                           "ContentBucketName": None}  # the bucket exists in every region


def test_the_origin_is_the_home_region_bucket_by_its_deterministic_name() -> None:
    spec = _spec()
    spec.regions = ["eu-west-1", "us-east-1"]
    ctx = BuildContext(spec=spec, source=None, artifacts={})  # type: ignore[arg-type]
    build(ctx, "content", CdnSpec(bucket="content", **DEFAULT))
    config = ctx.template.to_dict()["Resources"]["ContentDistribution"]["Properties"]["DistributionConfig"]
    assert config["Origins"][0]["DomainName"] == {
        "Fn::Sub": "site-content-prod-${AWS::AccountId}-eu-west-1.s3.eu-west-1.${AWS::URLSuffix}"}
    assert config["Logging"]["Bucket"] == {
        "Fn::Sub": "site-content-cdn-logs-prod-${AWS::AccountId}-eu-west-1.s3.${AWS::URLSuffix}"}


def test_the_bucket_admits_cloudfront_for_this_accounts_distributions() -> None:
    template = _compile(content=DEFAULT)
    policy = template["Resources"]["ContentBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    statement = next(s for s in policy if s["Sid"] == "CloudFrontReadsContent")
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert statement["Action"] == ["s3:GetObject"]
    # The distribution is in the global stack, its ID unknown here: this account's distributions (docs say so).
    assert statement["Condition"] == {
        "ArnLike": {"AWS:SourceArn": {
            "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/*"}},
        "StringEquals": {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}}}
    key_policy = template["Resources"]["MainKey"]["Properties"]["KeyPolicy"]["Statement"]
    cloudfront = [s for s in key_policy if s["Principal"] == {"Service": "cloudfront.amazonaws.com"}]
    assert cloudfront[0]["Action"] == ["kms:Decrypt"]
    assert cloudfront[0]["Condition"]["ArnLike"]["AWS:SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/*"}


def test_https_only_with_security_headers_and_origin_access_control() -> None:
    resources = _compile(content=DEFAULT)["Resources"]
    config = resources["ContentDistribution"]["Properties"]["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["Origins"][0]["OriginAccessControlId"] == {"Fn::GetAtt": ["ContentOriginAccessControl", "Id"]}
    assert config["Restrictions"]["GeoRestriction"] == {"Locations": ["CA", "DE", "GB", "US"],
                                                        "RestrictionType": "whitelist"}
    oac = resources["ContentOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["SigningBehavior"], oac["SigningProtocol"]) == ("always", "sigv4")
    headers = resources["ContentResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == 63072000
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    logs = resources["ContentCdnLogsBucket"]["Properties"]
    assert logs["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    assert logs["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True


def test_the_default_certificate_and_no_waf_are_recorded_and_skipped_with_reasons() -> None:
    distribution = _compile(content=DEFAULT)["Resources"]["ContentDistribution"]
    assert distribution["Properties"]["DistributionConfig"]["ViewerCertificate"] == {
        "CloudFrontDefaultCertificate": True}
    assert {s["id"] for s in distribution["Metadata"]["checkov"]["skip"]} == {"CKV_AWS_174", "CKV_AWS_68"}
    assert all(s["comment"] for s in distribution["Metadata"]["checkov"]["skip"])


def test_a_custom_domain_gets_tls_1_2_and_the_web_acl() -> None:
    template = _compile(secure=CUSTOM)
    distribution = template["Resources"]["SecureDistribution"]
    config = distribution["Properties"]["DistributionConfig"]
    # The global stack runs in us-east-1 only, where these ARNs are: written as they are, no mapping.
    assert config["ViewerCertificate"] == {"AcmCertificateArn": CERTIFICATE, "MinimumProtocolVersion": "TLSv1.2_2021",
                                           "SslSupportMethod": "sni-only"}
    assert config["WebACLId"] == WEB_ACL
    assert "Mappings" not in template
    assert config["Aliases"] == ["static.example.com"]
    assert "Metadata" not in distribution


def test_web_acl_names_the_specs_own_entry() -> None:
    template = _compile(secure={**CUSTOM, "web_acl": "waf.edge"})
    config = template["Resources"]["SecureDistribution"]["Properties"]["DistributionConfig"]
    assert config["WebACLId"] == {"Fn::GetAtt": ["EdgeWebAcl", "Arn"]}
    assert CdnSpec(bucket="content", **{**CUSTOM, "web_acl": "edge"}).web_acl == "edge"


@pytest.mark.parametrize(("fields", "message"), [
    ({"web_acl": "none"}, "either a `domain`"),
    ({**CUSTOM, "default_certificate": True}, "either a `domain`"),
    ({**DEFAULT, "geo_restriction": {"allow": ["US"], "deny": ["KP"]}}, "exactly one of `allow` or `deny`"),
    ({**DEFAULT, "geo_restriction": {"deny": ["usa"]}}, "two-letter country code"),
    ({"domain": {"names": ["a.example.com"], "certificate": CERTIFICATE.replace("us-east-1", "eu-west-1")},
      "web_acl": "none"}, "certificate"),
])
def test_invalid_distributions_are_refused(fields: dict[str, Any], message: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        CdnSpec(bucket="content", **fields)
    assert message in str(caught.value)


def test_bucket_logs_for_every_distribution_use_their_own_bucket() -> None:
    resources = _compile(content=DEFAULT, secure=CUSTOM)["Resources"]
    assert resources["SecureDistribution"]["Properties"]["DistributionConfig"]["Logging"]["Bucket"] == {
        "Fn::Sub": "site-secure-cdn-logs-prod-${AWS::AccountId}-us-east-1.s3.${AWS::URLSuffix}"}
