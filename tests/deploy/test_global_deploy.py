"""The global stack on moto server: a us-west-2 service with a CDN. `specc deploy` ships the regional stack to
us-west-2, then the global one (the distribution and its origin access control) to us-east-1, and the
distribution's origin is the us-west-2 bucket by its deterministic name: checked through CloudFront's and S3's own
APIs. `specc rollout` deploys the global stack once per target account in us-east-1, beside the stack set's
regional instances.

moto has no CloudFormation model of WAFv2 web ACLs or response headers policies (MOTO_SKIPS): the distribution here
has `web_acl: none`; a CLOUDFRONT web ACL of the spec's is checked by cfn-lint in us-east-1 (tests/golden/global_cdn).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from specc.cli.app import main

pytestmark = pytest.mark.slow

ADMIN, WORKLOADS = "123456789012", ("111111111111", "222222222222")
SPEC = """\
specc: 1
service: site
environment: prod
regions: [us-west-2]
buckets:
  assets: {}
cdn:
  www:
    bucket: assets
    default_certificate: true
    web_acl: none
    geo_restriction: {allow: [US, DE]}
"""


def _spec(tmp_path: Path, text: str = SPEC) -> str:
    path = tmp_path / "site.yaml"
    path.write_text(text)
    return str(path)


def _distribution(session: Any, physical: dict[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = session.client("cloudfront", region_name="us-east-1").get_distribution(
        Id=physical["WwwDistribution"])["Distribution"]
    return found


def test_deploy_ships_the_regional_stack_then_the_global_one(aws, runner, session, deployed, template,
                                                             tmp_path) -> None:
    spec = _spec(tmp_path)
    assert runner.invoke(main, ["bootstrap", spec]).exit_code == 0
    result = runner.invoke(main, ["deploy", spec])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"site-prod in us-west-2 ({ADMIN}): created (CREATE_COMPLETE)"
    assert f"site-prod-global in us-east-1 ({ADMIN}): created (CREATE_COMPLETE)" in lines
    assert lines.index(f"site-prod-global in us-east-1 ({ADMIN}): created (CREATE_COMPLETE)") > 0

    regional = deployed(session(), "us-west-2", "site-prod", template(spec=Path(spec)))
    bucket = f"site-assets-prod-{ADMIN}-us-west-2"
    assert regional["AssetsBucket"] == bucket
    s3 = session().client("s3", region_name="us-west-2")
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] == "us-west-2"
    assert "WwwDistribution" not in regional  # nothing of CloudFront's in the regional stack

    global_template = template("global.json", spec=Path(spec))
    physical = deployed(session(), "us-east-1", "site-prod-global", global_template)
    distribution = _distribution(session(), physical)
    config = distribution["DistributionConfig"]
    (origin,) = config["Origins"]["Items"]
    assert origin["DomainName"] == f"{bucket}.s3.us-west-2.amazonaws.com"
    assert config["Restrictions"]["GeoRestriction"]["Items"] == ["DE", "US"]
    assert config["Logging"]["Bucket"] == f"site-www-cdn-logs-prod-{ADMIN}-us-west-2.s3.amazonaws.com"
    assert s3.get_bucket_location(Bucket=f"site-www-cdn-logs-prod-{ADMIN}-us-west-2")["LocationConstraint"] == \
        "us-west-2"
    assert f"  WwwDomainName = {distribution['DomainName']}" in lines
    cfn = session().client("cloudformation", region_name="us-east-1")
    stack = cfn.describe_stacks(StackName="site-prod-global")["Stacks"][0]
    assert stack["EnableTerminationProtection"] is True
    assert "Update:Delete" in cfn.get_stack_policy(StackName="site-prod-global")["StackPolicyBody"]
    assert [s["StackName"] for s in session().client("cloudformation", region_name="us-west-2").describe_stacks()[
        "Stacks"] if not s["StackName"].startswith("specc-")] == ["site-prod"]

    again = runner.invoke(main, ["deploy", spec])
    assert again.exit_code == 0, again.output
    assert [line for line in again.stdout.splitlines() if not line.startswith("  ")] == [
        f"site-prod in us-west-2 ({ADMIN}): unchanged (CREATE_COMPLETE)",
        f"site-prod-global in us-east-1 ({ADMIN}): unchanged (CREATE_COMPLETE)"]
    status = runner.invoke(main, ["status", spec])
    assert status.exit_code == 0, status.output
    resources = status.stdout.split("\nRESOURCES\n")[0]  # the stacks' rows; their resources are listed after
    (row,) = [line for line in resources.splitlines() if "global stack site-prod-global" in line]
    assert row.split()[:2] == ["us-east-1", ADMIN] and row.endswith("matches")


def test_rollout_deploys_the_global_stack_once_per_account_in_us_east_1(aws, runner, session, deployed, template,
                                                                         tmp_path) -> None:
    spec = _spec(tmp_path, SPEC.replace("regions: [us-west-2]", 'regions: [us-west-2, eu-west-1]\naccounts: '
                                        '["111111111111", "222222222222"]'))
    assert runner.invoke(main, ["bootstrap", spec]).exit_code == 0
    result = runner.invoke(main, ["rollout", spec])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "stack set site-prod in us-west-2: created; 4 instance(s), 4 new"
    assert [line for line in lines if "-global " in line] == [
        f"site-prod-global in us-east-1 ({account}): created (CREATE_COMPLETE)" for account in WORKLOADS]
    global_template = template("global.json", spec=Path(spec))
    for account in WORKLOADS:
        cfn = session(account).client("cloudformation", region_name="us-east-1")
        assert [s["StackName"] for s in cfn.describe_stacks()["Stacks"]] == ["site-prod-global"]  # one, in us-east-1
        physical = deployed(session(account), "us-east-1", "site-prod-global", global_template)
        (origin,) = _distribution(session(account), physical)["DistributionConfig"]["Origins"]["Items"]
        assert origin["DomainName"] == f"site-assets-prod-{account}-us-west-2.s3.us-west-2.amazonaws.com"
        for region in ("us-west-2", "eu-west-1"):  # the regional instances hold the buckets, not CloudFront
            assert session(account).client("s3", region_name=region).head_bucket(
                Bucket=f"site-assets-prod-{account}-{region}")
    assert [s["StackName"] for s in session().client("cloudformation", region_name="us-east-1").describe_stacks()[
        "Stacks"]] == []  # nothing global in the administrator account, which is no target

    again = runner.invoke(main, ["rollout", spec])
    assert again.exit_code == 0, again.output
    assert [line for line in again.stdout.splitlines() if "-global " in line] == [
        f"site-prod-global in us-east-1 ({account}): unchanged (CREATE_COMPLETE)" for account in WORKLOADS]


def test_destroy_removes_the_global_stack_with_the_home_regions_stack(aws, runner, session, tmp_path) -> None:
    """`specc destroy` in the spec's first region deletes the global stack in us-east-1 first (its distributions
    serve that region's buckets), then the regional stack: both gone, the distribution too (CloudFront's API)."""
    spec = _spec(tmp_path)
    assert runner.invoke(main, ["bootstrap", spec]).exit_code == 0
    assert runner.invoke(main, ["deploy", spec]).exit_code == 0
    cloudfront = session().client("cloudfront", region_name="us-east-1")
    assert cloudfront.list_distributions()["DistributionList"].get("Items")

    result = runner.invoke(main, ["destroy", spec, "--yes", "--allow-data-loss"])
    assert result.exit_code == 0, result.output
    assert f"site-prod-global in us-east-1 ({ADMIN}): deleted (DELETE_COMPLETE)" in result.stdout
    assert f"site-prod in us-west-2 ({ADMIN}): deleted (DELETE_COMPLETE)" in result.stdout
    assert result.stdout.index("site-prod-global in us-east-1") < result.stdout.index("site-prod in us-west-2")
    for region, name in (("us-east-1", "site-prod-global"), ("us-west-2", "site-prod")):
        live = [s["StackName"] for s in session().client("cloudformation", region_name=region).list_stacks()[
            "StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]
        assert name not in live, (region, live)
    assert not cloudfront.list_distributions()["DistributionList"].get("Items")
