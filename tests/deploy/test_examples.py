"""The seed examples waf-api (002) and pci-payments (003) deploy to moto server with `specc bootstrap` and
`specc deploy`: every resource moto models is created (VPC, subnets, route tables, security groups, endpoints,
flow logs, functions in the VPC, tables, topics, keys, the API), the rest is in MOTO_SKIPS."""

from __future__ import annotations

from pathlib import Path

import pytest

from specc.cli import main

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
        "AWS::KMS::Key", "AWS::Logs::LogGroup", "AWS::IAM::Role"}
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
