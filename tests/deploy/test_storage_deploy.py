"""The storage and messaging kinds deploy to moto server (the golden specs of buckets, queues, secrets and events):
every resource moto models is created (the rest is in MOTO_SKIPS), and what moto keeps is what the template asks
for, checked through each service's own API: upload notifications and their permissions, event source mappings,
redrive policies, schedules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from specc.cli.app import main

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def _deploy(runner: Any, session: Any, deployed: Any, services: Any, template: Any, case: str,
            stack: str) -> dict[str, str]:
    spec = f"tests/golden/{case}/spec.yaml"
    assert runner.invoke(main, ["bootstrap", spec, "--region", "us-east-1"]).exit_code == 0
    result = runner.invoke(main, ["deploy", spec, "--region", "us-east-1"])
    assert result.exit_code == 0, result.output
    service = template(spec=REPO / spec)
    physical = deployed(session(), "us-east-1", stack, service)
    services(session(), "us-east-1", service, physical)
    return physical


def test_buckets_deploy_with_their_upload_triggers(aws, runner, session, deployed, services, template) -> None:
    physical = _deploy(runner, session, deployed, services, template, "buckets", "files-test")
    s3 = session().client("s3", region_name="us-east-1")
    uploads = physical["UploadsBucket"]
    assert uploads == "files-uploads-test-123456789012-us-east-1"
    # Dropped by moto (MOTO_DROPS): the notification configuration. When moto keeps it, assert the three here.
    assert "LambdaFunctionConfigurations" not in s3.get_bucket_notification_configuration(Bucket=uploads)
    functions = session().client("lambda", region_name="us-east-1")
    policy = json.loads(functions.get_policy(FunctionName="files-ingest-test")["Policy"])
    [statement] = policy["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == f"arn:aws:s3:::{uploads}"
    assert statement["Condition"]["StringEquals"]["AWS:SourceAccount"] == "123456789012"
    variables = functions.get_function_configuration(FunctionName="files-ingest-test")["Environment"]["Variables"]
    assert variables["BUCKET_UPLOADS"] == uploads and variables["BUCKET_SCRATCH"] == physical["ScratchBucket"]
    key = s3.get_bucket_encryption(Bucket=uploads)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert key["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"].endswith(physical["StorageKey"])
    assert s3.head_bucket(Bucket=physical["UploadsAccessLogsBucket"])


def test_queues_deploy_with_their_consumers(aws, runner, session, deployed, services, template) -> None:
    physical = _deploy(runner, session, deployed, services, template, "queues", "jobs-test")
    sqs = session().client("sqs", region_name="us-east-1")
    attributes = sqs.get_queue_attributes(QueueUrl=physical["OrdersQueue"], AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["maxReceiveCount"] == 3 and redrive["deadLetterTargetArn"].endswith(":jobs-orders-test-dlq")
    assert attributes["VisibilityTimeout"] == "360" and attributes["ReceiveMessageWaitTimeSeconds"] == "20"
    functions = session().client("lambda", region_name="us-east-1")
    mappings = {m["FunctionArn"].split(":")[6]: m for m in functions.list_event_source_mappings(
        EventSourceArn=attributes["QueueArn"])["EventSourceMappings"]}
    assert sorted(mappings) == ["jobs-audit-test", "jobs-fulfil-test"]
    assert mappings["jobs-fulfil-test"]["BatchSize"] == 50
    # Qualified: on AWS the `live` alias; moto records the version the alias points at.
    assert mappings["jobs-audit-test"]["FunctionArn"].split(":")[7] in ("live", "1")
    assert "FunctionResponseTypes" not in mappings["jobs-audit-test"]
    variables = functions.get_function_configuration(FunctionName="jobs-accept-test")["Environment"]["Variables"]
    assert variables["QUEUE_ORDERS"] == physical["OrdersQueue"]  # the URL the handler sends to


def test_secrets_deploy_as_far_as_moto_models_them(aws, runner, session, deployed, template) -> None:
    """moto has no CloudFormation model for secrets (MOTO_SKIPS): the stack still completes, and the function that
    reads them is created, but without the variables that `Ref` a secret (moto resolves a skipped resource to
    nothing and drops them). On AWS they hold the secrets' ARNs; when moto keeps them, assert the ARNs here."""
    spec = "tests/golden/secrets/spec.yaml"
    assert runner.invoke(main, ["bootstrap", spec, "--region", "us-east-1"]).exit_code == 0
    result = runner.invoke(main, ["deploy", spec, "--region", "us-east-1"])
    assert result.exit_code == 0, result.output
    physical = deployed(session(), "us-east-1", "admin-test", template(spec=REPO / spec))
    assert "ApiTokenSecret" not in physical and "AdminFunction" in physical
    functions = session().client("lambda", region_name="us-east-1")
    variables = functions.get_function_configuration(FunctionName="admin-admin-test")["Environment"]["Variables"]
    assert variables == {"ENVIRONMENT": "test", "SERVICE": "admin"}  # SECRET_API_TOKEN, SECRET_DATABASE dropped


def test_events_deploy_with_schedules_and_stream_mappings(aws, runner, session, deployed, services, template) -> None:
    _deploy(runner, session, deployed, services, template, "events", "ledger-test")
    rules = session().client("events", region_name="us-east-1")
    rule = rules.describe_rule(Name="ledger-every-five-minutes-test")
    assert rule["ScheduleExpression"] == "rate(5 minutes)" and rule["State"] == "ENABLED"
    assert rules.describe_rule(Name="ledger-month-end-test")["State"] == "DISABLED"
    [target] = rules.list_targets_by_rule(Rule="ledger-every-five-minutes-test")["Targets"]
    assert target["Arn"].endswith(":function:ledger-cleanup-test")
    assert json.loads(target["Input"]) == {"older_than_minutes": 30, "task": "expire_holds"}
    functions = session().client("lambda", region_name="us-east-1")
    policy = json.loads(functions.get_policy(FunctionName="ledger-cleanup-test")["Policy"])
    assert [s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in policy["Statement"]] == [rule["Arn"]]
    tables = session().client("dynamodb", region_name="us-east-1")
    stream_arn = tables.describe_table(TableName="ledger-entries-test")["Table"]["LatestStreamArn"]
    [mapping] = functions.list_event_source_mappings(EventSourceArn=stream_arn)["EventSourceMappings"]
    assert mapping["FunctionArn"].endswith(":function:ledger-project-test")
    assert mapping["BatchSize"] == 500 and mapping["StartingPosition"] == "TRIM_HORIZON"


def test_secure_multiregion_deploys_with_its_bucket_behind_the_gateway_endpoints(aws, runner, session, deployed,
                                                                                  services, template) -> None:
    """Seed 004 (specs/examples/secure-multiregion.yaml) in both its regions: the data bucket and its log bucket,
    both functions in the two private subnets with the bucket's name in their environment, the S3 and DynamoDB
    gateway endpoints and the NAT gateway, and the spec's outputs. Every resource is checked in us-east-1, the
    trail's home region (in us-west-1 the trail's resources are left out by their condition, which moto lists like
    skipped ones)."""
    spec = "specs/examples/secure-multiregion.yaml"
    service = template(spec=REPO / spec)
    for region in ("us-west-1", "us-east-1"):
        assert runner.invoke(main, ["bootstrap", spec, "--region", region]).exit_code == 0
        result = runner.invoke(main, ["deploy", spec, "--region", region])
        assert result.exit_code == 0, result.output
        cfn = session().client("cloudformation", region_name=region)
        physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId", "") for r in cfn.describe_stack_resources(
            StackName="secureinfra-prod")["StackResources"] if "LogicalResourceId" in r}
        if region == "us-east-1":
            physical = deployed(session(), region, "secureinfra-prod", service)
            services(session(), region, service, physical)
        assert physical["DataBucket"] == f"secureinfra-data-prod-123456789012-{region}"
        functions = session().client("lambda", region_name=region)
        for function in ("secureinfra-data-processor-prod", "secureinfra-data-analytics-prod"):
            configuration = functions.get_function_configuration(FunctionName=function)
            assert configuration["Environment"]["Variables"]["BUCKET_DATA"] == physical["DataBucket"]
            assert sorted(configuration["VpcConfig"]["SubnetIds"]) == sorted(
                physical[f"PrivateSubnet{i}"] for i in (1, 2))
        ec2 = session().client("ec2", region_name=region)
        endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [physical["Vpc"]]}])
        assert sorted(e["ServiceName"].rsplit(".", 1)[1] for e in endpoints["VpcEndpoints"]) == ["dynamodb", "s3"]
        assert ec2.describe_nat_gateways(NatGatewayIds=[physical["NatGateway1"]])["NatGateways"]
        # The spec's outputs, ARNs included (the trail's names its home region from every region)
        outputs = {o["OutputKey"]: o["OutputValue"]
                   for o in cfn.describe_stacks(StackName="secureinfra-prod")["Stacks"][0]["Outputs"]}
        table = session().client("dynamodb", region_name=region).describe_table(TableName="secureinfra-records-prod")
        assert outputs["RecordsTableArn"] == table["Table"]["TableArn"]
        assert outputs["DataBucketArn"] == f"arn:aws:s3:::{physical['DataBucket']}"
        assert outputs["TrailArn"] == "arn:aws:cloudtrail:us-east-1:123456789012:trail/secureinfra-trail-prod"
        assert outputs["VpcId"] == physical["Vpc"]
