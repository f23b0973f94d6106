"""Data safety when deploying, on moto server as users run it: `specc deploy` and `specc rollout` refuse a change
that deletes or replaces a resource holding data unless --allow-data-loss (or a yes on a terminal); every
stack gets termination protection and a stack policy denying Update:Replace and Update:Delete on such
resources; tables get deletion protection. Each is checked through the services' own APIs (DynamoDB's
DescribeTable, CloudFormation's GetStackPolicy and DescribeStacks), not through what the stack says."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from specc.aws import stack_policy
from specc.cli import ship as cli_aws
from specc.cli.app import main

pytestmark = pytest.mark.slow

SPEC = """\
specc: 1
service: shop
environment: dev
regions: [us-east-1]
tables:
  orders:
    partition_key: {name: order_id, type: S}
  carts:
    partition_key: {name: cart_id, type: S}
    deletion_protection: false
functions:
  place_order:
    handler: handlers/app.py:handler
    uses: {tables: {orders: read}}
"""
STACK = "shop-dev"
RENAME = (("  orders:\n", "  purchases:\n"), ("{orders: read}", "{purchases: read}"))


def edit(spec: Path, *pairs: tuple[str, str]) -> None:
    text = spec.read_text()
    for old, new in pairs:
        assert old in text
        text = text.replace(old, new)
    spec.write_text(text)


@pytest.fixture
def deployed_spec(aws, runner, write_spec, tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    spec = write_spec(SPEC, name="shop.yaml")
    assert runner.invoke(main, ["bootstrap", str(spec)]).exit_code == 0
    result = runner.invoke(main, ["deploy", str(spec)])
    assert result.exit_code == 0, result.output
    return spec


def cfn():
    return boto3.client("cloudformation", region_name="us-east-1")


def stack() -> dict:
    return cfn().describe_stacks(StackName=STACK)["Stacks"][0]


def tables() -> list[str]:
    return boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]


def test_a_deployed_stack_is_protected_and_its_tables_too(deployed_spec) -> None:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    assert dynamodb.describe_table(TableName="shop-orders-dev")["Table"]["DeletionProtectionEnabled"] is True
    assert dynamodb.describe_table(TableName="shop-carts-dev")["Table"]["DeletionProtectionEnabled"] is False
    assert stack()["EnableTerminationProtection"] is True
    policy = json.loads(cfn().get_stack_policy(StackName=STACK)["StackPolicyBody"])
    assert policy == stack_policy.PROTECT
    (deny,) = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny["Action"] == ["Update:Replace", "Update:Delete"]
    assert {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::SQS::Queue", "AWS::Logs::LogGroup",
            "AWS::SecretsManager::Secret", "AWS::Cognito::UserPool"} <= set(deny["Condition"]["StringEquals"][
                "ResourceType"])
    # the artifact bucket's stack, created by specc too
    bootstrap = cfn().describe_stacks(StackName="specc-artifacts-bootstrap")["Stacks"][0]
    assert bootstrap["EnableTerminationProtection"] is True
    assert json.loads(cfn().get_stack_policy(StackName="specc-artifacts-bootstrap")["StackPolicyBody"]) == \
        stack_policy.PROTECT
    with pytest.raises(cfn().exceptions.ClientError, match="TerminationProtection is enabled"):
        cfn().delete_stack(StackName=STACK)


def test_a_rename_is_refused_without_the_flag_and_nothing_changes(deployed_spec, runner) -> None:
    edit(deployed_spec, *RENAME)
    before = stack().get("LastUpdatedTime")
    result = runner.invoke(main, ["deploy", str(deployed_spec)])
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith("uploaded 1 new object(s)")  # the new template: nothing that changes the stack
    lines = lines[1:]
    assert lines[0] == "DATA LOSS: 1 change would delete or replace a resource that holds data:"
    assert lines[1] == ("  DATA LOSS: table orders (AWS::DynamoDB::Table OrdersTable) will be DELETED from the stack; "
                        "DeletionPolicy Retain keeps the data in the account but the stack will no longer manage it")
    assert lines[2].startswith("    this looks like a rename to PurchasesTable")
    assert lines[-1] == (f"error: E270 {deployed_spec}: refusing the update of stack {STACK} in us-east-1: 1 change "
                         "would delete or replace stored data (DATA LOSS above); nothing was changed. Review with "
                         f"`specc diff {deployed_spec} --stack {STACK} --region us-east-1`; rerun with "
                         "--allow-data-loss to accept the loss.")
    assert "Traceback" not in result.output
    assert {c["ExecutionStatus"] for c in cfn().list_change_sets(StackName=STACK)["Summaries"]} == {"EXECUTE_COMPLETE"}
    assert (stack().get("LastUpdatedTime"), stack()["StackStatus"]) == (before, "CREATE_COMPLETE")
    assert "shop-purchases-dev" not in tables()


def test_on_a_terminal_the_operator_is_asked(deployed_spec, runner, monkeypatch) -> None:
    monkeypatch.setattr(cli_aws, "_can_ask", lambda: True)
    edit(deployed_spec, *RENAME)
    no = runner.invoke(main, ["deploy", str(deployed_spec)], input="n\n")
    assert no.exit_code == 1 and "Go ahead with the update of stack shop-dev in us-east-1 and lose this data? [y/N]" \
        in no.stderr
    assert "shop-purchases-dev" not in tables()
    interrupted = runner.invoke(main, ["deploy", str(deployed_spec)], input="")  # end of input (or Ctrl-C): a no
    assert interrupted.exit_code == 1, interrupted.output
    assert interrupted.stderr.splitlines()[-1].startswith("error: E270 ")
    assert {c["ExecutionStatus"] for c in cfn().list_change_sets(StackName=STACK)["Summaries"]} == {
        "EXECUTE_COMPLETE"}  # no change set left behind by the question
    yes = runner.invoke(main, ["deploy", str(deployed_spec)], input="y\n")
    assert yes.exit_code == 0, yes.output
    assert yes.stdout.startswith(f"{STACK} in us-east-1 (123456789012): updated (UPDATE_COMPLETE)")
    assert "shop-purchases-dev" in tables()
    assert json.loads(cfn().get_stack_policy(StackName=STACK)["StackPolicyBody"]) == stack_policy.PROTECT


def test_allow_data_loss_goes_ahead_and_puts_the_policy_back(deployed_spec, runner, monkeypatch) -> None:
    calls: list[str] = []
    real = stack_policy.body

    def recorded(policy):
        calls.append("lift" if policy == stack_policy.ALLOW_ALL else "protect")
        return real(policy)

    monkeypatch.setattr(stack_policy, "body", recorded)
    edit(deployed_spec, ("{name: cart_id, type: S}", "{name: id, type: S}"))  # replaces the carts table
    result = runner.invoke(main, ["deploy", str(deployed_spec), "--allow-data-loss"])
    assert result.exit_code == 0, result.output
    assert "DATA LOSS: table carts (AWS::DynamoDB::Table CartsTable) may be REPLACED by a new, empty table" \
        in result.stderr
    assert "--allow-data-loss: going ahead with the update of stack shop-dev in us-east-1." in result.stderr
    assert calls[0] == "lift" and calls[-1] == "protect" and "lift" not in calls[1:]
    assert json.loads(cfn().get_stack_policy(StackName=STACK)["StackPolicyBody"]) == stack_policy.PROTECT


def test_an_update_that_keeps_the_data_needs_no_flag(deployed_spec, runner) -> None:
    edit(deployed_spec, ("    handler: handlers/app.py:handler\n", "    handler: handlers/app.py:handler\n"
                                                                    "    memory: 512\n"))
    result = runner.invoke(main, ["deploy", str(deployed_spec)])
    assert result.exit_code == 0, result.output
    assert "DATA LOSS" not in result.output


def test_diff_against_the_stack_shows_the_loss(deployed_spec, runner) -> None:
    edit(deployed_spec, *RENAME)
    result = runner.invoke(main, ["diff", str(deployed_spec), "--stack", STACK])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("DATA LOSS: 1 change would delete or replace a resource that holds data")
    assert "this looks like a rename to PurchasesTable" in result.stdout


def test_rollout_refuses_an_update_that_loses_data(aws, runner, write_spec, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = write_spec(SPEC, name="shop.yaml")
    assert runner.invoke(main, ["bootstrap", str(spec)]).exit_code == 0
    assert runner.invoke(main, ["rollout", str(spec)]).exit_code == 0
    edit(spec, *RENAME)
    refused = runner.invoke(main, ["rollout", str(spec)])
    assert refused.exit_code == 1, refused.output
    assert "  DATA LOSS: table orders (AWS::DynamoDB::Table OrdersTable) will be DELETED from the stack" \
        in refused.stderr
    assert refused.stderr.splitlines()[-1].startswith(
        f"error: E270 {spec}: refusing the update of stack set shop-dev (every instance): 1 change would delete")
    assert runner.invoke(main, ["rollout", str(spec)]).exit_code == 1  # still refused: nothing was changed
    allowed = runner.invoke(main, ["rollout", str(spec), "--allow-data-loss"])
    assert allowed.exit_code == 0, allowed.output
    assert allowed.stdout.startswith("stack set shop-dev in us-east-1: updated")


def test_a_loss_inside_a_nested_stack_is_found_and_refused(aws, runner, tmp_path, monkeypatch) -> None:
    """A split service: removing a function removes its log group from a nested stack, which the root stack's
    change set does not list (it only says the nested stack is modified)."""
    import shutil

    root = tmp_path / "split"
    shutil.copytree(Path(__file__).parent / "split_service", root, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(root)
    spec = root / "spec.yaml"
    assert runner.invoke(main, ["bootstrap", str(spec), "--region", "us-east-1"]).exit_code == 0
    assert runner.invoke(main, ["deploy", str(spec), "--region", "us-east-1"]).exit_code == 0
    nested = [r["PhysicalResourceId"] for r in cfn().describe_stack_resources(StackName="bigsvc-test")[
        "StackResources"] if r.get("ResourceType") == "AWS::CloudFormation::Stack"]
    assert len(nested) == 5  # four function stacks (limits.shards: 3 pre-splits to 4) and one shared
    for stack_id in nested:  # every nested stack has the policy too
        assert json.loads(cfn().get_stack_policy(StackName=stack_id)["StackPolicyBody"]) == stack_policy.PROTECT
    edit(spec, (", functions: {fn11: invoke}}}", "}}"),
         ("  fn11: {handler: handlers/app.py:handler, uses: {tables: {orders: read_write}, topics: {alerts: "
          "publish}}}\n", ""), ("  POST /orders/{id}/step11: fn11\n", ""))
    result = runner.invoke(main, ["deploy", str(spec), "--region", "us-east-1"])
    assert result.exit_code == 1, result.output
    assert ("  DATA LOSS: log group fn11 (AWS::Logs::LogGroup Fn11LogGroup) in nested/functions-0000.json will be "
            "DELETED from the stack; DeletionPolicy Retain keeps the data") in result.stderr
    assert result.stderr.splitlines()[-1].startswith(f"error: E270 {spec}: refusing the update of stack bigsvc-test")
