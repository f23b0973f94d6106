"""stackset.json and bootstrap.json: what `specc compile` writes beside the service template, and the
region- and account-neutrality of every service template (StackSet instances run it everywhere)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from specc.compiler import compile_spec
from specc.lint.cfn import lint_templates
from specc.output.emit import render_json, rendered_files
from specc.output.rollout import build as build_stack_set

REPO = Path(__file__).resolve().parent.parent
SPEC = """
specc: 1
service: ledger
environment: dev
regions: [eu-west-1, us-east-1, ap-southeast-2]
{extra}
functions:
  post:
    handler: handlers/app.py:handler
"""


def _compile(write_spec, extra: str = "") -> dict[str, dict[str, Any]]:
    return compile_spec(write_spec(SPEC.format(extra=extra))).templates


def _stack_set(templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    resources = templates["stackset.json"]["Resources"]
    assert list(resources) == ["StackSet"]
    assert resources["StackSet"]["Type"] == "AWS::CloudFormation::StackSet"
    return resources["StackSet"]["Properties"]


def test_default_is_self_managed_in_the_deploying_account_in_region_order(write_spec) -> None:
    properties = _stack_set(_compile(write_spec))
    assert properties["PermissionModel"] == "SELF_MANAGED"
    assert properties["StackSetName"] == "ledger-dev"
    assert properties["StackInstancesGroup"] == [{
        "DeploymentTargets": {"Accounts": [{"Ref": "AWS::AccountId"}]},
        "Regions": ["eu-west-1", "us-east-1", "ap-southeast-2"]}]
    assert properties["OperationPreferences"] == {
        "ConcurrencyMode": "STRICT_FAILURE_TOLERANCE", "FailureToleranceCount": 0, "MaxConcurrentCount": 1,
        "RegionConcurrencyType": "SEQUENTIAL", "RegionOrder": ["eu-west-1", "us-east-1", "ap-southeast-2"]}
    assert properties["Capabilities"] == ["CAPABILITY_IAM"]
    assert "AutoDeployment" not in properties


def test_accounts_and_preferences_come_from_the_spec(write_spec) -> None:
    properties = _stack_set(_compile(write_spec, """
accounts: ["111111111111", "222222222222"]
rollout:
  region_order: [us-east-1, ap-southeast-2, eu-west-1]
  max_concurrent: "50%"
  failure_tolerance: "10%"
  region_concurrency: parallel
  concurrency_mode: soft_failure_tolerance
"""))
    assert properties["StackInstancesGroup"][0]["DeploymentTargets"] == {"Accounts": ["111111111111", "222222222222"]}
    assert properties["StackInstancesGroup"][0]["Regions"] == ["us-east-1", "ap-southeast-2", "eu-west-1"]
    assert properties["OperationPreferences"] == {
        "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE", "FailureTolerancePercentage": 10, "MaxConcurrentPercentage": 50,
        "RegionConcurrencyType": "PARALLEL", "RegionOrder": ["us-east-1", "ap-southeast-2", "eu-west-1"]}


def test_organizational_units_are_service_managed_with_auto_deployment(write_spec) -> None:
    properties = _stack_set(_compile(write_spec, """
organizational_units: {ids: [ou-ab12-cd34ef56, r-ab12], retain_stacks_on_account_removal: true}
"""))
    assert properties["PermissionModel"] == "SERVICE_MANAGED"
    assert properties["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": True}
    assert properties["StackInstancesGroup"][0]["DeploymentTargets"] == {
        "OrganizationalUnitIds": ["ou-ab12-cd34ef56", "r-ab12"]}


def test_template_url_names_the_service_template_by_its_sha256(write_spec) -> None:
    spec = write_spec(SPEC.format(extra=""))
    files = rendered_files(compile_spec(spec))
    digest = hashlib.sha256(files["service.json"]).hexdigest()
    url = json.loads(files["stackset.json"])["Resources"]["StackSet"]["Properties"]["TemplateURL"]
    key = f"ledger/templates/{digest}.json"
    bucket = "specc-artifacts-${AWS::AccountId}-${AWS::Region}"
    assert url == {"Fn::If": ["HasArtifactsEndpoint", {"Fn::Sub": f"${{ArtifactsEndpoint}}/{bucket}/{key}"},
                              {"Fn::Sub": f"https://{bucket}.s3.${{AWS::Region}}.${{AWS::URLSuffix}}/{key}"}]}
    manifest = json.loads(files["manifest.json"])
    assert {"bootstrap.json", "service.json", "stackset.json"} <= set(manifest["templates"])
    assert manifest["templates"]["service.json"]["sha256"] == digest


def test_an_artifacts_endpoint_parameter_of_the_service_is_passed_to_every_instance(write_spec) -> None:
    compiled = compile_spec(write_spec(SPEC.format(extra="")))
    service = dict(compiled.templates["service.json"])
    service["Parameters"] = {"ArtifactsEndpoint": {"Type": "String", "Default": ""}}  # as a split parent declares it
    digest = hashlib.sha256(render_json(service)).hexdigest()
    properties = build_stack_set(compiled.spec, service, [service], digest)["Resources"]["StackSet"]["Properties"]
    assert properties["Parameters"] == [{"ParameterKey": "ArtifactsEndpoint",
                                         "ParameterValue": {"Ref": "ArtifactsEndpoint"}}]
    plain = _stack_set(compiled.templates)
    assert "Parameters" not in plain


def test_bootstrap_bucket_is_encrypted_versioned_private_tls_only_and_logged(write_spec) -> None:
    template = _compile(write_spec)["bootstrap.json"]
    resources = template["Resources"]
    bucket = resources["ArtifactsBucket"]["Properties"]
    assert bucket["BucketName"] == {"Fn::Sub": "specc-artifacts-${AWS::AccountId}-${AWS::Region}"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [{
        "BucketKeyEnabled": True, "ServerSideEncryptionByDefault": {
            "KMSMasterKeyID": {"Fn::GetAtt": ["ArtifactsKey", "Arn"]}, "SSEAlgorithm": "aws:kms"}}]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "ArtifactsLogBucket"}
    rule = bucket["LifecycleConfiguration"]["Rules"][0]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    key = resources["ArtifactsKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    for bucket_id in ("ArtifactsBucket", "ArtifactsLogBucket"):
        statements = resources[f"{bucket_id}Policy"]["Properties"]["PolicyDocument"]["Statement"]
        deny = [s for s in statements if s["Effect"] == "Deny"]
        assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    log = resources["ArtifactsLogBucket"]
    assert log["Properties"]["BucketName"] == {"Fn::Sub": "specc-artifacts-logs-${AWS::AccountId}-${AWS::Region}"}
    assert log["Metadata"]["specc"]["opt_outs"][0]["control"] == "customer_managed_key"
    assert [skip["id"] for skip in log["Metadata"]["checkov"]["skip"]] == ["CKV_AWS_18"]


def test_rollout_templates_are_lint_clean_in_every_region(write_spec) -> None:
    templates = _compile(write_spec, 'accounts: ["111111111111"]')
    rollout = {name: templates[name] for name in ("stackset.json", "bootstrap.json")}
    assert [f.render("x") for f in lint_templates(rollout, ["eu-west-1", "us-east-1", "ap-southeast-2"])] == []


def _committed_templates() -> list[Path]:
    found = [*(REPO / "templates_out").rglob("*.json"), *(REPO / "tests" / "golden").glob("*/expected/**/*.json")]
    return sorted(p for p in found if p.name != "manifest.json")


@pytest.mark.parametrize("path", _committed_templates(),
                         ids=lambda p: str(p.relative_to(REPO)))
def test_committed_templates_are_region_and_account_neutral(path: Path) -> None:
    text = path.read_text()
    template = json.loads(text)
    assert "Transform" not in template
    assert "AWS::StackName" not in text, "StackSet instances rename stacks: no name may come from AWS::StackName"
    # Conditions place account-wide pieces in one region; Mappings hold per-region values (certificate ARNs).
    body = json.dumps(_functional({k: v for k, v in template.items() if k not in ("Conditions", "Mappings")}))
    if path.name == "stackset.json":  # the spec's own accounts and regions are its targets
        body = json.dumps(template["Resources"]["StackSet"]["Properties"]["TemplateURL"])
    if path.name == "global.json":  # the certificate and web ACL ARNs a spec names (cdn.*.certificate, web_acl)
        body = re.sub(r'"(AcmCertificateArn|WebACLId)": "arn:[^"]*"', "", body)
    # not inside a sha256
    assert not re.search(r"(?<![0-9A-Za-z])\d{12}(?![0-9A-Za-z])", body), "a hard-coded account id"
    if path.name == "global.json":  # one stack per account, in us-east-1 only: it names the home region's buckets
        return
    assert not re.search(r"\b(us|eu|ap|sa|ca|me|af|il|mx)-(gov-)?[a-z]+-\d\b", body), "a hard-coded region"


def _functional(value: Any) -> Any:
    """What CloudFormation acts on: without descriptions and metadata, which may name a region in prose."""
    if isinstance(value, dict):
        return {k: _functional(v) for k, v in value.items() if k not in ("Description", "Metadata")}
    if isinstance(value, list):
        return [_functional(v) for v in value]
    return value
