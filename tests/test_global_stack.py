"""The global template (output/global_stack.py): what AWS requires in us-east-1 leaves the regional template, the
two never refer to each other, `specc compile` writes it, and `specc lint` lints it in us-east-1 only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from specc.cli.app import main
from specc.compiler import compile_spec
from specc.output.global_stack import GLOBAL_TEMPLATE, lint_regions, separate

GOLDEN = Path(__file__).parent / "golden"
CASE = GOLDEN / "global_cdn" / "spec.yaml"  # eu-west-1, a CDN, its own CLOUDFRONT web ACL, an ACM certificate
GLOBAL_TYPES = {"AWS::CloudFront::Distribution", "AWS::CloudFront::OriginAccessControl",
                "AWS::CloudFront::ResponseHeadersPolicy", "AWS::WAFv2::WebACL", "AWS::WAFv2::LoggingConfiguration",
                "AWS::Logs::LogGroup", "AWS::Logs::ResourcePolicy", "AWS::KMS::Key"}


def _types(template: dict[str, Any]) -> set[str]:
    return {r["Type"] for r in template["Resources"].values()}


def test_compile_writes_the_global_template_beside_the_service(runner, tmp_path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(main, ["compile", str(CASE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "bootstrap.json", "global.json", "manifest.json", "service.json", "stackset.json"]
    assert "global.json        8 resources" in result.output
    service = json.loads((out / "service.json").read_text())
    global_template = json.loads((out / "global.json").read_text())
    assert _types(global_template) == GLOBAL_TYPES
    assert not any(t.startswith(("AWS::CloudFront::", "AWS::WAFv2::")) for t in _types(service))
    assert "CdnRegion" not in json.dumps(service)
    assert [n for n, r in global_template["Resources"].items() if "Condition" in r] == []  # one stack, one region
    web_acl = global_template["Resources"]["EdgeWebAcl"]["Properties"]
    assert web_acl["Scope"] == "CLOUDFRONT"
    config = global_template["Resources"]["WwwDistribution"]["Properties"]["DistributionConfig"]
    assert config["WebACLId"] == {"Fn::GetAtt": ["EdgeWebAcl", "Arn"]}  # the spec's own entry, by name
    assert config["Origins"][0]["DomainName"] == {
        "Fn::Sub": "shop-site-prod-${AWS::AccountId}-eu-west-1.s3.eu-west-1.${AWS::URLSuffix}"}
    # The regional bucket is named so the global stack can build that name: the same pattern, in eu-west-1.
    assert service["Resources"]["SiteBucket"]["Properties"]["BucketName"] == {
        "Fn::Sub": "shop-site-prod-${AWS::AccountId}-${AWS::Region}"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["templates"]["global.json"]["resources"] == len(global_template["Resources"])


def test_a_service_without_cloudfront_has_no_global_template() -> None:
    assert GLOBAL_TEMPLATE not in compile_spec(GOLDEN / "minimal" / "spec.yaml").templates


def test_the_global_template_is_deterministic() -> None:
    first, second = (json.dumps(compile_spec(CASE).templates[GLOBAL_TEMPLATE], sort_keys=True) for _ in range(2))
    assert first == second


def test_global_json_is_linted_in_us_east_1_and_the_service_in_its_regions(runner, monkeypatch) -> None:
    from specc.lint import cache

    seen: dict[str, list[str]] = {}
    run = cache.run_cfn_lint

    def recording(body: str, regions: list[str]) -> list[dict[str, Any]]:
        seen["global" if "AWS::CloudFront::Distribution" in body else "regional"] = list(regions)
        return run(body, regions)

    monkeypatch.setattr(cache, "run_cfn_lint", recording)
    result = runner.invoke(main, ["lint", str(CASE), "--no-cache", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert seen == {"global": ["us-east-1"], "regional": ["eu-west-1"]}
    assert "clean under cfn-lint in eu-west-1; global.json in us-east-1" in result.output
    assert lint_regions("service.json", ["eu-west-1", "ap-south-1"]) == ["eu-west-1", "ap-south-1"]


def test_a_reference_across_the_two_stacks_is_refused() -> None:
    service = {"Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Site": {"Type": "AWS::CloudFront::Distribution", "Condition": "CdnRegion", "Properties": {
            "DistributionConfig": {"Origins": [{"DomainName": {"Fn::GetAtt": ["Bucket", "RegionalDomainName"]}}]}}}},
        "Conditions": {"CdnRegion": {}}}
    spec = compile_spec(GOLDEN / "minimal" / "spec.yaml").spec
    with pytest.raises(AssertionError, match="the global template refers to Bucket of the other stack"):
        separate(spec, service)
    service["Resources"]["Site"]["Properties"] = {"Comment": {"Fn::Sub": "${Bucket.Arn}"}}
    with pytest.raises(AssertionError, match="refers to Bucket"):
        separate(spec, service)
    service["Resources"]["Site"]["Properties"] = {}
    service["Resources"]["Bucket"]["Properties"] = {"Tags": [{"Key": "cdn", "Value": {"Ref": "Site"}}]}
    with pytest.raises(AssertionError, match="the regional template refers to Site of the other stack"):
        separate(spec, service)


def test_cloudfront_serves_ipv6_by_default_and_a_spec_can_turn_it_off(runner, tmp_path) -> None:
    """`cdn.NAME.ipv6` (seed 000 sets is_ipv6_enabled): on unless the spec says otherwise, as in CloudFront and CDK."""
    def ipv6(text: str, out: Path) -> Any:
        spec = tmp_path / "spec.yaml"
        spec.write_text(text)
        result = runner.invoke(main, ["compile", str(spec), "--out", str(out)])
        assert result.exit_code == 0, result.output
        distribution = json.loads((out / "global.json").read_text())["Resources"]["WwwDistribution"]
        return distribution["Properties"]["DistributionConfig"]["IPV6Enabled"]

    text = CASE.read_text()
    assert ipv6(text, tmp_path / "default") is True
    assert ipv6(text.replace("    web_acl: edge\n", "    web_acl: edge\n    ipv6: false\n"), tmp_path / "off") is False
