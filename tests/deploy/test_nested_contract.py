"""The contract with nested-stack splitting, end to end on moto server: a parent template with the
`ArtifactsEndpoint` parameter and nested templates in the compiled output's `nested/` folder. `specc deploy`
and `specc rollout` upload each nested template to `<service>/templates/<sha256>.json` in every target's
artifact bucket and pass the emulator's endpoint, so every stack (and StackSet instance) reads its nested
templates from its own account and region.

The compiler does not split yet, so the test builds such an output from specs/prod.yaml's: the parent is the
service template plus one nested stack holding a queue, wired exactly as the contract says.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import pytest

from specc import compiler
from specc.cli.app import main
from specc.output.emit import render_json

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PROD = "specs/prod.yaml"
WORKLOADS = ("111111111111", "222222222222")
REGIONS = ("us-west-2", "us-east-1", "eu-west-1")
NESTED = {"AWSTemplateFormatVersion": "2010-09-09",
          "Resources": {"ExtraQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "payments-extra-prod"}}}}


def split_like_issue_6(compiled: compiler.Compiled) -> compiler.Compiled:
    """The parent/nested shape the splitter emits: ArtifactsEndpoint, and TemplateURL by the content's sha256."""
    body = render_json(NESTED)
    key = f"payments/templates/{hashlib.sha256(body).hexdigest()}.json"
    bucket = "specc-artifacts-${AWS::AccountId}-${AWS::Region}"
    parent = copy.deepcopy(compiled.templates["service.json"])
    parent["Parameters"] = {"ArtifactsEndpoint": {"Type": "String", "Default": ""}}
    parent["Conditions"] = {"HasArtifactsEndpoint": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ArtifactsEndpoint"}, ""]}]}}
    parent["Resources"]["ExtraStack"] = {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": {
        "Fn::If": ["HasArtifactsEndpoint", {"Fn::Sub": f"${{ArtifactsEndpoint}}/{bucket}/{key}"},
                   {"Fn::Sub": f"https://{bucket}.s3.${{AWS::Region}}.${{AWS::URLSuffix}}/{key}"}]}}}
    templates = {"service.json": parent, "nested/extra.json": NESTED}
    templates.update(compiler.rollout_templates(compiled.spec, templates))
    return compiler.Compiled(spec=compiled.spec, source=compiled.source, plan=compiled.plan, templates=templates,
                             artifacts=compiled.artifacts, layer_artifacts=compiled.layer_artifacts)


@pytest.fixture
def split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    original = compiler.compile_spec
    monkeypatch.setattr(compiler, "compile_spec", lambda path: split_like_issue_6(original(path)))


def _queues(session: Any, region: str) -> list[str]:
    urls = session.client("sqs", region_name=region).list_queues().get("QueueUrls", [])
    return sorted(url.rsplit("/", 1)[-1] for url in urls)


def test_deploy_uploads_nested_templates_and_passes_the_endpoint(aws, split, runner, session) -> None:
    assert runner.invoke(main, ["bootstrap", PROD, "--region", "us-east-1"]).exit_code == 0
    result = runner.invoke(main, ["deploy", PROD, "--region", "us-east-1"])
    assert result.exit_code == 0, result.output
    assert "uploaded 4 new object(s)" in result.stderr  # code, the common layer, nested template, parent template
    assert "payments-extra-prod" in _queues(session(), "us-east-1")
    parameters = session().client("cloudformation", region_name="us-east-1").describe_stacks(
        StackName="payments-prod")["Stacks"][0]["Parameters"]
    assert parameters == [{"ParameterKey": "ArtifactsEndpoint", "ParameterValue": f"http://localhost:{aws.port}"}]


def test_rollout_gives_every_instance_its_nested_templates(aws, split, runner, session) -> None:
    assert runner.invoke(main, ["bootstrap", PROD]).exit_code == 0
    result = runner.invoke(main, ["rollout", PROD])
    assert result.exit_code == 0, result.output
    for account in WORKLOADS:
        for region in REGIONS:
            assert "payments-extra-prod" in _queues(session(account), region), (account, region)
