"""`specc rollout`: specs/prod.yaml's StackSet over 3 regions x 2 accounts on moto server.

Each instance's stack is checked in its own account and region (through the StackSet execution role):
every resource moto creates exists, and the tables, functions, queues, topics and REST API answer
through their own APIs. A failing instance is named with its reason; the others are left as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from specc.cli.app import main
from specc.cli.ship import EXIT_AWS

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PROD = "specs/prod.yaml"
ADMIN, WORKLOADS = "123456789012", ("111111111111", "222222222222")
REGIONS = ("us-west-2", "us-east-1", "eu-west-1")
KINDS = {"AWS::DynamoDB::Table", "AWS::Lambda::Function", "AWS::SQS::Queue", "AWS::SNS::Topic",
         "AWS::ApiGateway::RestApi"}


@pytest.fixture(autouse=True)
def _at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def _instance_stack(session: Any, region: str) -> str:
    """The stack a StackSet instance made (StackSets name them after the stack set, not after anything we choose)."""
    cfn = session.client("cloudformation", region_name=region)
    names = [s["StackName"] for s in cfn.describe_stacks()["Stacks"] if s["StackName"].startswith("StackSet")]
    assert len(names) == 1, names
    return names[0]


def test_rollout_deploys_every_region_and_account(aws, runner, session, deployed, services, template) -> None:
    assert runner.invoke(main, ["bootstrap", PROD]).exit_code == 0
    result = runner.invoke(main, ["rollout", PROD])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "stack set payments-prod in us-west-2: created; 6 instance(s), 6 new"
    assert sorted(lines[1:]) == sorted(f"  {r} {a} SUCCEEDED" for r in REGIONS for a in WORKLOADS)
    finished = [line for line in result.output.splitlines() if line.endswith(" SUCCEEDED")]
    assert len(finished) == len(REGIONS) * len(WORKLOADS)  # listed once: stdout and stderr together, as a CI log has
    service = template()
    for account in WORKLOADS:
        for region in REGIONS:
            stack = _instance_stack(session(account), region)
            physical = deployed(session(account), region, stack, service)
            assert services(session(account), region, service, physical) >= KINDS, (account, region)
    for region in REGIONS:  # nothing in the administrator account but its bootstrap
        assert [s["StackName"] for s in session().client("cloudformation", region_name=region).describe_stacks()[
            "Stacks"]] == ["specc-artifacts-bootstrap"]

    again = runner.invoke(main, ["rollout", PROD])
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[0] == "stack set payments-prod in us-west-2: unchanged; 6 instance(s), 0 new"

    status = runner.invoke(main, ["status", PROD, "--exit-code"])
    assert status.exit_code == 0, status.output  # no `specc deploy` stack by design: rolled out as a stack set
    instances = [r for r in status.stdout.splitlines() if " instance " in r]
    assert len(instances) == 6 and all(r.split()[-3:] == ["CURRENT", "SUCCEEDED", "matches"] for r in instances)


def test_deploy_refuses_an_account_and_region_the_stack_set_already_deploys_to(aws, runner, project) -> None:
    spec = project(lambda text: text.replace('accounts: ["111111111111", "222222222222"]', f'accounts: ["{ADMIN}"]')
                   .replace("regions: [us-east-1, us-west-2, eu-west-1]", "regions: [us-east-1]")
                   .replace("region_order: [us-west-2, us-east-1, eu-west-1]", "region_order: [us-east-1]"))
    assert runner.invoke(main, ["bootstrap", str(spec)]).exit_code == 0
    rolled_out = runner.invoke(main, ["rollout", str(spec)])
    assert rolled_out.exit_code == 0, rolled_out.output
    deploy = runner.invoke(main, ["deploy", str(spec), "--region", "us-east-1"])
    assert deploy.exit_code == EXIT_AWS, deploy.output
    assert deploy.stderr.splitlines() == [
        f"error: the stack set payments-prod (administered in us-east-1) already has an instance in us-east-1 {ADMIN}: "
        "`specc deploy` there would create the same physical names; deploy it one way per account and region (or use "
        "another environment)"]


def test_a_failing_instance_is_named_with_its_reason_and_the_others_are_left_alone(aws, runner, session) -> None:
    assert runner.invoke(main, ["bootstrap", PROD]).exit_code == 0
    # Something else already owns a name the service needs in one account and region.
    session(WORKLOADS[1]).client("dynamodb", region_name="eu-west-1").create_table(
        TableName="payments-idempotency-prod", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])
    result = runner.invoke(main, ["rollout", PROD])
    assert result.exit_code == EXIT_AWS, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: stack instance eu-west-1 {WORKLOADS[1]} failed: Table already exists: "
                      "payments-idempotency-prod"]
    assert result.stderr.splitlines()[-1] == "1 of 6 instance(s) failed; the others were left as they are."
    succeeded = [line for line in result.stdout.splitlines() if line.endswith(" SUCCEEDED")]
    assert len(succeeded) == 5
    assert f"  eu-west-1 {WORKLOADS[1]} FAILED: Table already exists: payments-idempotency-prod" in result.stdout
    for account in WORKLOADS:  # the other instances are there
        for region in REGIONS:
            if (account, region) != (WORKLOADS[1], "eu-west-1"):
                tables = session(account).client("dynamodb", region_name=region).list_tables()["TableNames"]
                assert "payments-transactions-prod" in tables, (account, region)


def test_rollout_needs_the_bootstrap_in_every_target(aws, runner) -> None:
    assert runner.invoke(main, ["bootstrap", PROD, "--region", "us-west-2"]).exit_code == 0
    result = runner.invoke(main, ["rollout", PROD])
    assert result.exit_code == EXIT_AWS
    assert result.stderr == (f"error: the artifact bucket specc-artifacts-{WORKLOADS[0]}-us-east-1 does not exist "
                             f"in account {WORKLOADS[0]}, us-east-1: run `specc bootstrap {PROD}` first\n")


def test_service_managed_rollout_to_an_organizational_unit(aws, runner, session, project) -> None:
    """Organizations holds the accounts: specc finds them in the unit to bootstrap and upload, and the stack set
    (service-managed, auto-deployment on) deploys to the unit."""
    import boto3

    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    unit = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
    members = []
    for name in ("alpha", "beta"):
        account = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=unit)
        members.append(account)
    spec = project(lambda text: text.replace('accounts: ["111111111111", "222222222222"]',
                                             f"organizational_units: {{ids: [{unit}]}}"))
    bootstrap = runner.invoke(main, ["bootstrap", str(spec), "--region", "eu-west-1"])
    assert bootstrap.exit_code == 0, bootstrap.output
    assert sorted(line.split()[1] for line in bootstrap.stdout.splitlines()) == sorted([ADMIN, *members])
    project(lambda text: text.replace('accounts: ["111111111111", "222222222222"]',
                                      f"organizational_units: {{ids: [{unit}]}}").replace(
        "regions: [us-east-1, us-west-2, eu-west-1]", "regions: [eu-west-1]").replace(
        "region_order: [us-west-2, us-east-1, eu-west-1]", "region_order: [eu-west-1]"))
    result = runner.invoke(main, ["rollout", str(spec)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "stack set payments-prod in eu-west-1: created; 2 instance(s), 2 new"
    cfn = session().client("cloudformation", region_name="eu-west-1")
    assert cfn.describe_stack_set(StackSetName="payments-prod")["StackSet"]["PermissionModel"] == "SERVICE_MANAGED"
    for account in members:
        tables = session(account).client("dynamodb", region_name="eu-west-1").list_tables()["TableNames"]
        assert "payments-transactions-prod" in tables, account


EXISTING_VPC = """\
specc: 1
service: netset
environment: test
regions: [us-east-1, eu-west-1]
accounts: ["111111111111", "222222222222"]
network:
  existing:
    by_account:
{by_account}
functions:
  worker:
    handler: handlers/app.py:handler
    network: private
"""


def test_a_function_in_an_existing_vpc_gets_each_accounts_subnets(aws, runner, session, write_spec) -> None:
    """One template for the StackSet; each instance reads its own account's and region's VPC from the Mappings
    (issue 15): the VPCs are made beforehand in each workload account and region, and Lambda in each reports the
    subnets and security group of its own."""
    made: dict[tuple[str, str], tuple[str, str, str]] = {}
    for account in WORKLOADS:
        for region in ("us-east-1", "eu-west-1"):
            ec2 = session(account).client("ec2", region_name=region)
            vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
            group = ec2.create_security_group(GroupName="worker", Description="worker", VpcId=vpc)["GroupId"]
            made[account, region] = vpc, subnet, group
    by_account = "".join(
        f'      "{account}":\n        by_region:\n' + "".join(
            f"          {region}: {{vpc: {made[account, region][0]}, subnets: [{made[account, region][1]}], "
            f"security_groups: [{made[account, region][2]}]}}\n" for region in ("us-east-1", "eu-west-1"))
        for account in WORKLOADS)
    spec = write_spec(EXISTING_VPC.format(by_account=by_account.rstrip("\n")))
    assert runner.invoke(main, ["bootstrap", str(spec)]).exit_code == 0
    result = runner.invoke(main, ["rollout", str(spec)])
    assert result.exit_code == 0, result.output
    assert len([line for line in result.stdout.splitlines() if line.endswith(" SUCCEEDED")]) == 4
    for (account, region), (vpc, subnet, group) in made.items():
        config = session(account).client("lambda", region_name=region).get_function_configuration(
            FunctionName="netset-worker-test")["VpcConfig"]
        assert (config["SubnetIds"], config["SecurityGroupIds"]) == ([subnet], [group]), (account, region)
        # (moto 5 answers a fixed VpcId, `vpc-123abc`, whatever the subnets: not checked; `vpc` is the subnet's)
        assert session(account).client("ec2", region_name=region).describe_subnets(SubnetIds=config["SubnetIds"])[
            "Subnets"][0]["VpcId"] == vpc
