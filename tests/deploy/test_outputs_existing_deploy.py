"""Existing resources and outputs deploy to moto server as users deploy them (`specc bootstrap`, `specc deploy`):
a table created beforehand with boto3 is used by a function (and a queue made beforehand is consumed by it), the
role's policy read back through IAM names that table's ARN, nothing of the table's is in the stack, and outputs are
read with describe_stacks; a split service's output of a nested stack's resource is in the parent's outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specc.cli.app import main

pytestmark = pytest.mark.slow

REGION, ACCOUNT = "us-east-1", "123456789012"

SPEC = """
specc: 1
service: legacy
environment: test
regions: [us-east-1]
tables:
  orders: {existing: "arn:${aws.partition}:dynamodb:${aws.region}:${aws.account_id}:table/legacy-orders"}
queues:
  jobs: {existing: legacy-jobs, consumers: [{function: worker}]}
functions:
  worker:
    handler: handlers/app.py:handler
    uses: {tables: {orders: read_write}}
outputs:
  orders_arn: {value: "${tables.orders.arn}", export: legacy-test-orders-arn, description: the existing table}
  worker_role: {value: "${functions.worker.role_arn}"}
"""


def _project(tmp_path: Path, text: str) -> Path:
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    return spec


def _outputs(session, stack: str) -> dict[str, str]:
    described = session.client("cloudformation", region_name=REGION).describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def test_a_function_uses_an_existing_table(aws, runner, session, tmp_path, monkeypatch) -> None:
    dynamodb = session().client("dynamodb", region_name=REGION)
    table_arn = dynamodb.create_table(
        TableName="legacy-orders", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])["TableDescription"]["TableArn"]
    sqs = session().client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="legacy-jobs", Attributes={"VisibilityTimeout": "180"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    spec = _project(tmp_path, SPEC)
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["bootstrap", str(spec), "--region", REGION]).exit_code == 0
    result = runner.invoke(main, ["deploy", str(spec), "--region", REGION])
    assert result.exit_code == 0, result.output

    cfn = session().client("cloudformation", region_name=REGION)
    resources = cfn.describe_stack_resources(StackName="legacy-test")["StackResources"]
    assert "AWS::DynamoDB::Table" not in {r.get("ResourceType") for r in resources}
    assert not [r for r in resources if r.get("LogicalResourceId", "").startswith("Orders")]
    role = next(r["PhysicalResourceId"] for r in resources if r.get("LogicalResourceId", "") == "WorkerRole")
    iam = session().client("iam", region_name=REGION)
    document = iam.get_role_policy(RoleName=role, PolicyName="WorkerPolicy")["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    statement = next(s for s in document["Statement"] if s["Sid"] == "OrdersTableReadWrite")
    assert statement["Resource"] == [table_arn, f"{table_arn}/index/*"]  # the table made beforehand, exactly

    variables = session().client("lambda", region_name=REGION).get_function_configuration(
        FunctionName="legacy-worker-test")["Environment"]["Variables"]
    assert variables["TABLE_ORDERS"] == "legacy-orders"
    outputs = _outputs(session(), "legacy-test")
    assert outputs["OrdersArn"] == table_arn
    assert outputs["WorkerRole"] == iam.get_role(RoleName=role)["Role"]["Arn"]
    # The export, as describe_stacks shows it (moto lists account-wide exports, `list_exports`, only for stacks
    # made by create_stack, not through the change sets specc deploys with).
    described = cfn.describe_stacks(StackName="legacy-test")["Stacks"][0]["Outputs"]
    assert {o["OutputKey"]: o.get("ExportName") for o in described} == {
        "OrdersArn": "legacy-test-orders-arn", "WorkerRole": None, "MainKeyArn": None, "WorkerFunctionName": None}
    assert dynamodb.describe_table(TableName="legacy-orders")["Table"]["TableStatus"] == "ACTIVE"  # left as it was

    # The existing queue's consumer: a mapping on its ARN, and the role may poll exactly that queue
    functions = session().client("lambda", region_name=REGION)
    [mapping] = functions.list_event_source_mappings(EventSourceArn=queue_arn)["EventSourceMappings"]
    assert mapping["FunctionArn"].endswith(":function:legacy-worker-test")
    consume = next(s for s in document["Statement"] if s["Sid"] == "ConsumeJobsQueue")
    assert consume["Resource"] in (queue_arn, [queue_arn])
    # the function's own dead-letter queue, and no queue or dead-letter queue of the existing one
    assert sorted(sqs.list_queues(QueueNamePrefix="legacy-")["QueueUrls"]) == [
        queue_url, queue_url.replace("legacy-jobs", "legacy-worker-test-dlq")]


SPLIT = """
specc: 1
service: split
environment: test
regions: [us-east-1]
limits: {margin: 0.9, shards: 2}
tables:
  orders:
    partition_key: {name: id, type: S}
functions:
""" + "".join(f"  f{i}:\n    handler: handlers/app.py:handler\n    uses: {{tables: {{orders: read}}}}\n"
              for i in range(6)) + """
outputs:
  f3_role: {value: "${functions.f3.role_arn}", export: split-test-f3-role}
  orders: {value: "${tables.orders.arn}"}
"""


def test_a_split_service_outputs_a_nested_stacks_value(aws, runner, session, tmp_path, monkeypatch) -> None:
    from specc.compiler import compile_spec

    spec = _project(tmp_path, SPLIT)
    compiled = compile_spec(spec)
    assert compiled.layout is not None and compiled.layout.split
    home = compiled.layout.placement["F3Role"]
    assert compiled.templates["service.json"]["Outputs"]["F3Role"]["Value"]["Fn::GetAtt"][0] == home

    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["bootstrap", str(spec), "--region", REGION]).exit_code == 0
    result = runner.invoke(main, ["deploy", str(spec), "--region", REGION])
    assert result.exit_code == 0, result.output
    cfn = session().client("cloudformation", region_name=REGION)
    nested = next(r["PhysicalResourceId"] for r in cfn.describe_stack_resources(StackName="split-test")[
        "StackResources"] if r.get("LogicalResourceId", "") == home)
    role = next(r["PhysicalResourceId"] for r in cfn.describe_stack_resources(StackName=nested)["StackResources"]
                if r.get("LogicalResourceId", "") == "F3Role")
    arn = session().client("iam", region_name=REGION).get_role(RoleName=role)["Role"]["Arn"]
    outputs = _outputs(session(), "split-test")
    assert outputs["F3Role"] == arn
    assert outputs["Orders"] == session().client("dynamodb", region_name=REGION).describe_table(
        TableName="split-orders-test")["Table"]["TableArn"]
