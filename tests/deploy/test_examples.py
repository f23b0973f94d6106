"""The seed examples serverless-api (000), upload-pipeline (001), waf-api (002) and pci-payments (003) deploy to
moto server with `specc bootstrap` and `specc deploy`: every resource moto models is created (VPC, subnets, route
tables, security groups, endpoints, flow logs, functions in the VPC, tables, queues, topics, buckets, keys, the API,
state machines with their definitions resolved), the rest is in MOTO_SKIPS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specc.cli.app import main

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def _deploy(runner, spec: str, region: str) -> str:
    assert runner.invoke(main, ["bootstrap", spec, "--region", region]).exit_code == 0
    result = runner.invoke(main, ["deploy", spec, "--region", region])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_waf_api_deploys(aws, runner, session, deployed, services, template) -> None:
    spec = "specs/examples/waf-api.yaml"
    stdout = _deploy(runner, spec, "us-west-2")
    assert stdout.startswith("serverless-app-prod in us-west-2 (123456789012): created (CREATE_COMPLETE)\n")
    service = template(spec=REPO / spec)
    physical = deployed(session(), "us-west-2", "serverless-app-prod", service)
    assert services(session(), "us-west-2", service, physical) >= {
        "AWS::DynamoDB::Table", "AWS::Lambda::Function", "AWS::SNS::Topic", "AWS::ApiGateway::RestApi",
        "AWS::KMS::Key", "AWS::Logs::LogGroup", "AWS::IAM::Role", "AWS::S3::Bucket"}
    # The seed's one-step workflow: it invokes the function, by ARN, and nothing else.
    states = session().client("stepfunctions", region_name="us-west-2")
    definition = json.loads(
        states.describe_state_machine(stateMachineArn=physical["ProcessItemStateMachine"])["definition"])
    assert definition["StartAt"] == "invoke_handler"
    task = definition["States"]["invoke_handler"]
    assert task["Type"] == "Task" and task["End"] is True
    assert task["Resource"].endswith(":function:serverless-app-api-handler-prod"), task
    api = session().client("apigateway", region_name="us-west-2").get_rest_api(restApiId=physical["Api"])
    assert "policy" not in api  # moto drops the resource policy (when it keeps it, assert the IP allow list here)
    assert api["disableExecuteApiEndpoint"] is False  # no custom domain in this example


def test_pci_payments_deploys_with_functions_in_the_private_subnets(aws, runner, session, deployed, services,
                                                                    template) -> None:
    spec = "specs/examples/pci-payments.yaml"
    stdout = _deploy(runner, spec, "us-east-1")
    assert stdout.startswith("payments-prod in us-east-1 (123456789012): created (CREATE_COMPLETE)\n")
    service = template(spec=REPO / spec)
    physical = deployed(session(), "us-east-1", "payments-prod", service)
    services(session(), "us-east-1", service, physical)
    ec2 = session().client("ec2", region_name="us-east-1")
    subnets = ec2.describe_subnets(SubnetIds=[physical[f"PrivateSubnet{i}"] for i in (1, 2, 3)])["Subnets"]
    assert sorted(s["CidrBlock"] for s in subnets) == ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]
    assert len({s["AvailabilityZone"] for s in subnets}) == 3
    assert {s["VpcId"] for s in subnets} == {physical["Vpc"]}
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [physical["Vpc"]]}])["VpcEndpoints"]
    assert sorted(e["ServiceName"].rsplit(".", 1)[1] for e in endpoints) == ["dynamodb", "logs", "s3", "sns"]
    config = session().client("lambda", region_name="us-east-1").get_function_configuration(
        FunctionName=physical["CreatePaymentFunction"])["VpcConfig"]
    assert sorted(config["SubnetIds"]) == sorted(s["SubnetId"] for s in subnets)
    assert config["SecurityGroupIds"] == [physical["FunctionsSecurityGroup"]]


def test_serverless_api_deploys_with_its_order_workflow(aws, runner, session, deployed, services, template) -> None:
    spec = "specs/examples/serverless-api.yaml"
    stdout = _deploy(runner, spec, "us-west-2")
    assert stdout.startswith("serverless-infra-prod in us-west-2 (123456789012): created (CREATE_COMPLETE)\n")
    # Both stacks: the regional one in us-west-2 (as the seed), then the global one with the CDN in us-east-1.
    assert "serverless-infra-prod-global in us-east-1 (123456789012): created (CREATE_COMPLETE)\n" in stdout
    global_physical = deployed(session(), "us-east-1", "serverless-infra-prod-global",
                               template("global.json", spec=REPO / spec))
    distribution = session().client("cloudfront", region_name="us-east-1").get_distribution(
        Id=global_physical["WebDistribution"])["Distribution"]
    (origin,) = distribution["DistributionConfig"]["Origins"]["Items"]
    content = "serverless-infra-content-prod-123456789012-us-west-2"
    assert origin["DomainName"] == f"{content}.s3.us-west-2.amazonaws.com"
    assert session().client("s3", region_name="us-west-2").get_bucket_location(Bucket=content)[
        "LocationConstraint"] == "us-west-2"
    service = template(spec=REPO / spec)
    physical = deployed(session(), "us-west-2", "serverless-infra-prod", service)
    # moto has no model for secrets and drops the variables that Ref one (on AWS: the secret's ARN).
    skipped = set(service["Resources"]) - set(physical)
    checked = json.loads(json.dumps(service))
    for resource in checked["Resources"].values():
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        for name in [n for n, v in variables.items() if isinstance(v, dict) and v.get("Ref") in skipped]:
            del variables[name]
    assert "SECRET_API_CREDENTIALS" not in checked["Resources"]["ProductsFunction"]["Properties"]["Environment"][
        "Variables"]
    assert services(session(), "us-west-2", checked, physical) >= {
        "AWS::DynamoDB::Table", "AWS::Lambda::Function", "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::S3::Bucket",
        "AWS::ApiGateway::RestApi", "AWS::KMS::Key", "AWS::Logs::LogGroup", "AWS::IAM::Role"}
    states = session().client("stepfunctions", region_name="us-west-2")
    machine = states.describe_state_machine(stateMachineArn=physical["OrderStateMachine"])
    definition = json.loads(machine["definition"])
    assert definition["States"]["reserve_stock"]["Resource"].endswith(":function:serverless-infra-reserve-stock-prod")
    assert definition["States"]["notify_failure"]["Parameters"]["TopicArn"] == physical["AlertsTopic"]
    environment = session().client("lambda", region_name="us-west-2").get_function_configuration(
        FunctionName="serverless-infra-orders-prod")["Environment"]["Variables"]
    assert environment["WORKFLOW_ORDER"] == physical["OrderStateMachine"]
    assert sorted(physical[f"{t}Table"] for t in ("Users", "Orders", "Products")) == [
        "serverless-infra-orders-prod", "serverless-infra-products-prod", "serverless-infra-users-prod"]


def test_upload_pipeline_deploys_with_its_trigger_and_pipeline_workflow(aws, runner, session, deployed, services,
                                                                        template) -> None:
    spec = "specs/examples/upload-pipeline/prod.yaml"
    stdout = _deploy(runner, spec, "eu-west-1")
    assert stdout.startswith("upload-pipeline-prod in eu-west-1 (123456789012): created (CREATE_COMPLETE)\n")
    service = template(spec=REPO / spec)
    physical = deployed(session(), "eu-west-1", "upload-pipeline-prod", service)
    assert services(session(), "eu-west-1", service, physical) >= {
        "AWS::DynamoDB::Table", "AWS::Lambda::Function", "AWS::Lambda::Alias", "AWS::S3::Bucket", "AWS::SNS::Topic",
        "AWS::ApiGateway::RestApi", "AWS::KMS::Key", "AWS::Logs::LogGroup", "AWS::IAM::Role"}
    table = session().client("dynamodb", region_name="eu-west-1").describe_table(TableName=physical["ResultsTable"])
    assert table["Table"]["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    states = session().client("stepfunctions", region_name="eu-west-1")
    definition = json.loads(
        states.describe_state_machine(stateMachineArn=physical["PipelineStateMachine"])["definition"])
    assert definition["States"]["check_validation"]["Type"] == "Choice"
    branches = definition["States"]["process_data"]["Branches"]
    assert [b["States"][b["StartAt"]]["Resource"].rsplit(":", 1)[-1] for b in branches] == [
        "upload-pipeline-process-batch-prod", "upload-pipeline-process-batch-prod"]
    environment = session().client("lambda", region_name="eu-west-1").get_function_configuration(
        FunctionName="upload-pipeline-processor-prod")["Environment"]["Variables"]
    assert environment["WORKFLOW_PIPELINE"] == physical["PipelineStateMachine"]
    lambdas = session().client("lambda", region_name="eu-west-1")
    assert lambdas.get_function_configuration(FunctionName="upload-pipeline-processor-prod")["MemorySize"] == 1024
    assert environment["LOG_LEVEL"] == "INFO"


def test_upload_pipeline_dev_deploys_with_the_seeds_dev_settings(aws, runner, session, deployed, services,
                                                                  template) -> None:
    """The same base as prod (upload-pipeline.base.yaml), with the seed's dev column: checked through each service's
    API, not the stack's word."""
    spec = "specs/examples/upload-pipeline/dev.yaml"
    stdout = _deploy(runner, spec, "us-east-1")
    assert stdout.startswith("upload-pipeline-dev in us-east-1 (123456789012): created (CREATE_COMPLETE)\n")
    service = template(spec=REPO / spec)
    physical = deployed(session(), "us-east-1", "upload-pipeline-dev", service)
    assert services(session(), "us-east-1", service, physical) >= {
        "AWS::DynamoDB::Table", "AWS::Lambda::Function", "AWS::S3::Bucket", "AWS::SNS::Topic",
        "AWS::ApiGateway::RestApi", "AWS::KMS::Key", "AWS::Logs::LogGroup", "AWS::IAM::Role"}
    table = session().client("dynamodb", region_name="us-east-1").describe_table(
        TableName=physical["ResultsTable"])["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert (table["ProvisionedThroughput"]["ReadCapacityUnits"],
            table["ProvisionedThroughput"]["WriteCapacityUnits"]) == (5, 5)
    lambdas = session().client("lambda", region_name="us-east-1")
    processor = lambdas.get_function_configuration(FunctionName="upload-pipeline-processor-dev")
    assert processor["MemorySize"] == 256
    assert processor["Environment"]["Variables"]["LOG_LEVEL"] == "DEBUG"
    assert lambdas.get_function_concurrency(FunctionName="upload-pipeline-processor-dev")[
        "ReservedConcurrentExecutions"] == 10
    assert "AWS::Lambda::Alias" not in {r["Type"] for r in service["Resources"].values()}  # no provisioned concurrency
    groups = session().client("logs", region_name="us-east-1").describe_log_groups(
        logGroupNamePrefix="/aws/lambda/upload-pipeline-processor-dev")["logGroups"]
    assert [g.get("retentionInDays") for g in groups] == [30]
    # The stage, usage plan and API key are not modelled by moto (MOTO_SKIPS): cfn-lint checks them
    # (tests/test_templates_out.py), and their dev values are in the committed template.
