"""A split service with raw CloudFormation deploys to moto server (issue 15): the raw resources stay in the parent,
read a nested stack's output (a function's role ARN), and each is checked through its own service's API.

The spec (split_raw/spec.yaml) borrows split_service's handler and keeps 80% of every quota free, so its 12
functions go to nested stacks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specc.cli.app import main
from specc.compiler import compile_spec

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
SPEC = HERE / "split_raw" / "spec.yaml"
REGION = "us-east-1"


def test_a_split_service_with_raw_resources_deploys(aws, runner, session, deployed, monkeypatch) -> None:
    monkeypatch.chdir(SPEC.parent)
    compiled = compile_spec(SPEC)
    templates = json.loads(json.dumps(compiled.templates))
    assert compiled.layout is not None and compiled.layout.split
    parent = templates["service.json"]["Resources"]
    assert {"Fn7RoleParameter", "Jobs", "JobsPolicy"} <= set(parent)

    assert runner.invoke(main, ["bootstrap", str(SPEC), "--region", REGION]).exit_code == 0
    result = runner.invoke(main, ["deploy", str(SPEC), "--region", REGION])
    assert result.exit_code == 0, result.output
    aws_session = session()
    physical = deployed(aws_session, REGION, "rawsvc-test", templates["service.json"])

    sqs = aws_session.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName="rawsvc-jobs-test")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["MessageRetentionPeriod"] == "86400"
    assert attributes["KmsMasterKeyId"] == physical["MainKey"] or attributes["KmsMasterKeyId"].endswith(
        physical["MainKey"])
    tags = sqs.list_queue_tags(QueueUrl=url)["Tags"]
    functions = {f["FunctionName"]: f for f in aws_session.client("lambda", region_name=REGION).list_functions()[
        "Functions"]}
    assert tags["fn7-role"] == functions["rawsvc-fn7-test"]["Role"]  # read through the nested stack's output
    assert tags["orders-table"] == "rawsvc-orders-test"
    assert tags["specc:service"] == "rawsvc"  # the service's tags, as on generated resources
    ssm = aws_session.client("ssm", region_name=REGION)
    assert ssm.get_parameter(Name="/rawsvc/test/fn7-role")["Parameter"]["Value"] == tags["fn7-role"]
    parameter_tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/rawsvc/test/fn7-role")
    assert {"Key": "specc:environment", "Value": "test"} in parameter_tags["TagList"]
    # (moto accepts the raw AWS::SQS::QueuePolicy but does not apply it to the queue's attributes: not checked here)

    iam = aws_session.client("iam", region_name=REGION)
    role_name = functions["rawsvc-fn0-test"]["Role"].rsplit("/", 1)[1]  # the role is in a nested stack
    assert iam.get_role(RoleName=role_name)["Role"]["MaxSessionDuration"] == 7200  # the override

    again = runner.invoke(main, ["deploy", str(SPEC), "--region", REGION])
    assert again.exit_code == 0, again.output
    assert "unchanged" in again.stdout


TWO_REGIONS = """\
specc: 1
service: rawreg
environment: test
regions: [us-east-1, eu-west-1]
resources:
  Everywhere:
    Type: AWS::SSM::Parameter
    Properties: {Name: /rawreg/test/everywhere, Type: String, Value: "on"}
  EuOnly:
    Type: AWS::SSM::Parameter
    regions: [eu-west-1]
    Properties: {Name: /rawreg/test/eu-only, Type: String, Value: {Ref: Everywhere}}
"""


def test_a_raw_resource_limited_to_one_region_exists_only_in_that_regions_stack(
        aws, runner, session, write_spec) -> None:
    spec = write_spec(TWO_REGIONS)
    for region in ("us-east-1", "eu-west-1"):
        assert runner.invoke(main, ["bootstrap", str(spec), "--region", region]).exit_code == 0
        result = runner.invoke(main, ["deploy", str(spec), "--region", region])
        assert result.exit_code == 0, result.output
    aws_session = session()
    parameters = {region: {p["Name"] for p in aws_session.client("ssm", region_name=region).describe_parameters()[
        "Parameters"]} for region in ("us-east-1", "eu-west-1")}
    assert parameters["us-east-1"] == {"/rawreg/test/everywhere"}
    assert parameters["eu-west-1"] == {"/rawreg/test/everywhere", "/rawreg/test/eu-only"}
    assert aws_session.client("ssm", region_name="eu-west-1").get_parameter(Name="/rawreg/test/eu-only")[
        "Parameter"]["Value"] == "/rawreg/test/everywhere"  # its Ref
