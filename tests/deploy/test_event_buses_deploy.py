"""Event buses deploy to moto server as users deploy them (`specc bootstrap`, `specc deploy`): a created bus, a
rule with a pattern on it invoking a function, a rule on a bus made beforehand with boto3 (`existing:`), and a
function that publishes to both. Read back through the EventBridge and IAM APIs, not the stack's word: the bus
exists under its physical name with its description and the service's tags, each rule is on its bus with
exactly its pattern and one target (the function, with the retry policy), the function's permissions name
exactly the rules' ARNs, and the publisher's role may `events:PutEvents` on exactly the two buses' ARNs and
nothing else of EventBridge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specc.cli.app import main
from specc.cli.ship import EXIT_CHANGES

pytestmark = pytest.mark.slow

REGION, ACCOUNT = "us-east-1", "123456789012"

SPEC = """
specc: 1
service: shop
environment: test
regions: [us-east-1]
tags: {team: orders}
event_buses:
  orders: {description: Order lifecycle events}
  partner: {existing: "arn:${aws.partition}:events:${aws.region}:${aws.account_id}:event-bus/partner-events"}
functions:
  checkout:
    handler: handlers/app.py:handler
    uses: {event_buses: {orders: publish, partner: publish}}
  fulfil:
    handler: handlers/app.py:handler
events:
  order_placed:
    bus: orders
    pattern: {source: [shop.checkout], detail-type: [OrderPlaced]}
    function: fulfil
    retries: 3
    max_event_age_seconds: 3600
  partner_refunds:
    bus: partner
    pattern: {source: [{prefix: partner.}]}
    function: fulfil
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    return spec


def test_a_bus_its_rule_and_its_publisher(aws, runner, session, tmp_path, monkeypatch) -> None:
    events = session().client("events", region_name=REGION)
    partner_arn = events.create_event_bus(Name="partner-events")["EventBusArn"]
    spec = _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["bootstrap", str(spec), "--region", REGION]).exit_code == 0
    result = runner.invoke(main, ["deploy", str(spec), "--region", REGION])
    assert result.exit_code == 0, result.output

    bus = events.describe_event_bus(Name="shop-orders-test")
    bus_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/shop-orders-test"
    assert (bus["Arn"], bus["Description"]) == (bus_arn, "Order lifecycle events")
    tags = {t["Key"]: t["Value"] for t in events.list_tags_for_resource(ResourceARN=bus_arn)["Tags"]}
    assert tags == {"specc:service": "shop", "specc:environment": "test", "team": "orders"}
    assert sorted(b["Name"] for b in events.list_event_buses()["EventBuses"]) == [
        "default", "partner-events", "shop-orders-test"]  # nothing created for the existing bus

    [rule] = events.list_rules(EventBusName="shop-orders-test")["Rules"]
    assert rule["Name"] == "shop-order-placed-test" and rule["State"] == "ENABLED"
    assert json.loads(rule["EventPattern"]) == {"source": ["shop.checkout"], "detail-type": ["OrderPlaced"]}
    [target] = events.list_targets_by_rule(Rule=rule["Name"], EventBusName="shop-orders-test")["Targets"]
    assert target["Arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shop-fulfil-test"
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}

    [partner_rule] = events.list_rules(EventBusName="partner-events")["Rules"]
    assert partner_rule["Name"] == "shop-partner-refunds-test"
    assert json.loads(partner_rule["EventPattern"]) == {"source": [{"prefix": "partner."}]}
    assert [r["Name"] for r in events.list_rules()["Rules"]] == []  # nothing on the default bus

    functions = session().client("lambda", region_name=REGION)
    policy = json.loads(functions.get_policy(FunctionName="shop-fulfil-test")["Policy"])
    sources = sorted(s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in policy["Statement"])
    assert sources == sorted([rule["Arn"], partner_rule["Arn"]])  # each rule, exactly, and nothing else

    cfn = session().client("cloudformation", region_name=REGION)
    resources = cfn.describe_stack_resources(StackName="shop-test")["StackResources"]
    role = next(r["PhysicalResourceId"] for r in resources if r.get("LogicalResourceId") == "CheckoutRole")
    document = session().client("iam", region_name=REGION).get_role_policy(
        RoleName=role, PolicyName="CheckoutPolicy")["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    allowed = [s for s in document["Statement"] if s["Effect"] == "Allow"
               and any(a.startswith("events:") for a in _list(s["Action"]))]
    assert sorted((s["Sid"], tuple(_list(s["Action"])), tuple(_list(s["Resource"]))) for s in allowed) == [
        ("OrdersEventBusPutEvents", ("events:PutEvents",), (bus_arn,)),
        ("PartnerEventBusPutEvents", ("events:PutEvents",), (partner_arn,))]
    variables = functions.get_function_configuration(FunctionName="shop-checkout-test")["Environment"]["Variables"]
    assert (variables["EVENT_BUS_ORDERS"], variables["EVENT_BUS_PARTNER"]) == (bus_arn, partner_arn)


def test_status_reads_the_bus_through_eventbridge(aws, runner, session, tmp_path, monkeypatch) -> None:
    """`specc status` asks EventBridge whether the bus is there: deleted behind the stack's back, it is MISSING."""
    events = session().client("events", region_name=REGION)
    events.create_event_bus(Name="partner-events")
    spec = _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["bootstrap", str(spec), "--region", REGION]).exit_code == 0
    assert runner.invoke(main, ["deploy", str(spec), "--region", REGION]).exit_code == 0
    before = runner.invoke(main, ["status", str(spec), "--region", REGION, "--exit-code"])
    assert before.exit_code == 0, before.output
    line = next(r for r in before.stdout.splitlines() if "stack shop-test:" in r)
    assert "MISSING" not in line and "Events::EventBus" not in line.split(" not checked (")[-1], line

    targets = events.list_targets_by_rule(Rule="shop-order-placed-test", EventBusName="shop-orders-test")["Targets"]
    events.remove_targets(Rule="shop-order-placed-test", EventBusName="shop-orders-test",
                          Ids=[t["Id"] for t in targets])
    events.delete_rule(Name="shop-order-placed-test", EventBusName="shop-orders-test")
    events.delete_event_bus(Name="shop-orders-test")
    after = runner.invoke(main, ["status", str(spec), "--region", REGION, "--exit-code"])
    assert after.exit_code == EXIT_CHANGES, after.output
    line = next(r for r in after.stdout.splitlines() if "stack shop-test:" in r)
    assert "1 MISSING: OrdersEventBus (AWS::Events::EventBus shop-orders-test)" in line, line


def _list(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]
