"""User outputs (`outputs:`) and existing resources (`existing:`), through the CLI as a user runs them, and the
exact least-privilege statements a function gets on an existing resource (docs/outputs-and-existing-resources.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from specc.cli.app import main
from specc.compiler import compile_spec

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/iam_helpers.py (pytest runs with importlib mode)
from iam_helpers import compile_uses, policy_statements

EXISTING = """
specc: 1
service: svc
environment: dev
regions: [us-east-1]
defaults: {{key: data}}
keys:
  data: {{}}
  legacy:
    existing: "arn:${{aws.partition}}:kms:${{aws.region}}:${{aws.account_id}}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
tables:
  legacy_orders: {{existing: legacy-orders, encryption: legacy}}
  plain: {{existing: "arn:aws:dynamodb:us-east-1:111111111111:table/plain"}}
buckets:
  legacy_uploads: {{existing: "legacy-uploads-${{aws.account_id}}"}}
queues:
  legacy_jobs: {{existing: "arn:aws:sqs:us-east-1:111111111111:legacy-jobs", encryption: legacy}}
topics:
  legacy_alerts: {{existing: legacy-alerts}}
secrets:
  by_name: {{existing: legacy/db}}
  by_arn: {{existing: "arn:aws:secretsmanager:us-east-1:111111111111:secret:legacy/api-AbCdEf"}}
functions:
  worker:
    handler: handlers/app.py:handler
    uses: {uses}
"""

KEY = {"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
TABLE = {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/legacy-orders"}
TABLE_INDEXES = {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/legacy-orders"
                            "/index/*"}
BUCKET = "arn:${AWS::Partition}:s3:::legacy-uploads-${AWS::AccountId}"
SECRET_BY_NAME = {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:legacy/db"
                             "-??????"}

# (section, entry, access) -> the statements it adds, by Sid: (actions, resources). The existing ARN and nothing else.
CASES = {
    ("tables", "legacy_orders", "read"): {
        "LegacyOrdersTableRead": ({"dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
                                   "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"}, [TABLE, TABLE_INDEXES]),
        "KeyLegacy": ({"kms:Decrypt", "kms:DescribeKey"}, [KEY])},
    ("tables", "legacy_orders", "write"): {
        "LegacyOrdersTableWrite": ({"dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
                                    "dynamodb:DescribeTable", "dynamodb:PutItem", "dynamodb:UpdateItem"}, [TABLE]),
        "KeyLegacy": ({"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"}, [KEY])},
    ("tables", "plain", "write"): {  # no `encryption`: an AWS-owned key, no KMS statement
        "PlainTableWrite": ({"dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
                             "dynamodb:DescribeTable", "dynamodb:PutItem", "dynamodb:UpdateItem"},
                            ["arn:aws:dynamodb:us-east-1:111111111111:table/plain"])},
    ("buckets", "legacy_uploads", "read"): {
        "LegacyUploadsBucketReadObjects": ({"s3:GetObject"}, [{"Fn::Sub": BUCKET + "/*"}]),
        "LegacyUploadsBucketList": ({"s3:ListBucket"}, [{"Fn::Sub": BUCKET}])},
    ("queues", "legacy_jobs", "send"): {
        "SendToLegacyJobsQueue": ({"sqs:SendMessage"}, ["arn:aws:sqs:us-east-1:111111111111:legacy-jobs"]),
        "KeyLegacy": ({"kms:Decrypt", "kms:GenerateDataKey"}, [KEY])},
    ("topics", "legacy_alerts", "publish"): {
        "LegacyAlertsTopicPublish": ({"sns:Publish"}, [
            {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:legacy-alerts"}])},
    ("secrets", "by_name", "read"): {
        "ReadByNameSecret": ({"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}, [SECRET_BY_NAME])},
    ("secrets", "by_arn", "read"): {
        "ReadByArnSecret": ({"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"},
                            ["arn:aws:secretsmanager:us-east-1:111111111111:secret:legacy/api-AbCdEf"])},
    ("keys", "legacy", "decrypt"): {"KeyLegacy": ({"kms:Decrypt", "kms:DescribeKey"}, [KEY])},
}


def _allows(template: dict) -> dict:
    """The function's Allow statements that are not its own (logs, dead-letter queue, environment key, tracing)."""
    own = {"WriteOwnLogs", "SendToDeadLetterQueue", "EnvironmentKeyData", "KeyData", "WriteTraces"}
    return {sid: s for sid, s in policy_statements(template).items() if s["Effect"] == "Allow" and sid not in own}


@pytest.mark.parametrize("case", list(CASES), ids=lambda case: "-".join(case))
def test_uses_on_an_existing_entry_names_exactly_its_arn(case, write_spec) -> None:
    section, entry, access = case
    template = compile_uses(write_spec, EXISTING, {section: {entry: access}})
    got = {sid: (set(s["Action"]), s["Resource"]) for sid, s in _allows(template).items()}
    assert got == CASES[case]


def test_nothing_is_created_for_existing_entries(write_spec) -> None:
    template = compile_uses(write_spec, EXISTING, {"tables": {"legacy_orders": "read"}})
    own = {t: r["Type"] for t, r in template["Resources"].items() if not t.startswith("Worker")}
    assert own == {"DataKey": "AWS::KMS::Key", "DataKeyAlias": "AWS::KMS::Alias"}  # the service's key, nothing else
    assert "legacy" not in json.dumps(template["Resources"]["DataKey"]).lower()  # no key policy of ours names it
    assert set(template["Outputs"]) == {"DataKeyArn", "WorkerFunctionName"}


def test_environment_variables_and_attributes_name_the_given_values(write_spec) -> None:
    spec = write_spec(EXISTING.format(uses="{tables: {legacy_orders: read}, queues: {legacy_jobs: send}, "
                                           "secrets: {by_name: read, by_arn: read}}").replace(
        "    uses:", "    environment: {TABLE_ARN: '${tables.legacy_orders.arn}', JOBS: '${queues.legacy_jobs.name}'}\n"
                    "    uses:"))
    variables = compile_spec(spec).templates["service.json"]["Resources"]["WorkerFunction"]["Properties"][
        "Environment"]["Variables"]
    assert variables["TABLE_LEGACY_ORDERS"] == "legacy-orders"
    assert variables["TABLE_ARN"] == TABLE
    assert variables["QUEUE_LEGACY_JOBS"] == {
        "Fn::Sub": "https://sqs.us-east-1.${AWS::URLSuffix}/111111111111/legacy-jobs"}
    assert variables["JOBS"] == "legacy-jobs"
    assert variables["SECRET_BY_NAME"] == "legacy/db"  # a name Secrets Manager resolves; its ARN lacks the suffix
    assert variables["SECRET_BY_ARN"] == "arn:aws:secretsmanager:us-east-1:111111111111:secret:legacy/api-AbCdEf"


NETWORK = """
specc: 1
service: svc
environment: dev
regions: [us-east-1]
network:
  existing: {vpc: vpc-0abc1234def567890, subnets: [subnet-0abc1234def567890], security_groups: [sg-0abc1234def567890]}
functions:
  worker:
    handler: handlers/app.py:handler
    network: private
    uses: {}
outputs:
  vpc: {value: "${network.vpc.id}"}
"""


def test_functions_run_in_an_existing_vpc(write_spec, runner, tmp_path) -> None:
    spec = write_spec(NETWORK.replace("{{", "{").replace("}}", "}"))
    result = runner.invoke(main, ["compile", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    template = json.loads((tmp_path / "out" / "service.json").read_text())
    assert not [t for t, r in template["Resources"].items() if r["Type"].startswith("AWS::EC2::")]
    assert template["Resources"]["WorkerFunction"]["Properties"]["VpcConfig"] == {
        "SecurityGroupIds": ["sg-0abc1234def567890"], "SubnetIds": ["subnet-0abc1234def567890"]}
    create = policy_statements(template)["CreateNetworkInterfaces"]["Resource"]
    ec2 = "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}"
    assert create[1:] == [{"Fn::Sub": f"{ec2}:subnet/subnet-0abc1234def567890"},
                          {"Fn::Sub": f"{ec2}:security-group/sg-0abc1234def567890"}]
    assert template["Outputs"]["Vpc"] == {"Value": "vpc-0abc1234def567890"}


OUTPUTS = """
specc: 1
service: svc
environment: dev
regions: [us-east-1, eu-west-1]
tables:
  orders:
    partition_key: {name: id, type: S}
audit: {security_alarms: []}
outputs:
  orders_arn: {value: "${tables.orders.arn}", export: svc-dev-orders-arn, description: ARN of the orders table}
  trail: {value: "${audit.trail.arn}"}
  orders_table_name: {value: "${tables.orders.name}", export: svc-dev-orders-name}
"""


def test_outputs_through_the_cli(write_spec, runner, tmp_path) -> None:
    result = runner.invoke(main, ["compile", str(write_spec(OUTPUTS)), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    outputs = json.loads((tmp_path / "out" / "service.json").read_text())["Outputs"]
    assert outputs["OrdersArn"] == {"Description": "ARN of the orders table", "Export": {"Name": "svc-dev-orders-arn"},
                                    "Value": {"Fn::GetAtt": ["OrdersTable", "Arn"]}}
    assert outputs["Trail"] == {"Value": {"Fn::Sub": [  # the home region from a Mapping: no region in a value
        "arn:${AWS::Partition}:cloudtrail:${Home}:${AWS::AccountId}:trail/svc-trail-dev",
        {"Home": {"Fn::FindInMap": ["AuditTrailHome", "Trail", "Region"]}}]}}
    template = json.loads((tmp_path / "out" / "service.json").read_text())
    assert template["Mappings"]["AuditTrailHome"] == {"Trail": {"Region": "us-east-1"}}
    # the same value as the output specc writes: one output, with the export
    assert outputs["OrdersTableName"] == {"Description": "Name of the orders table",
                                          "Export": {"Name": "svc-dev-orders-name"},
                                          "Value": {"Ref": "OrdersTable"}}


def test_an_unknown_attribute_in_an_output_is_refused_with_a_suggestion(write_spec, runner) -> None:
    result = runner.invoke(main, ["validate", str(write_spec(OUTPUTS.replace("orders.arn", "orders.amr")))])
    assert result.exit_code == 1
    assert "E281 outputs.orders_arn.value: tables have no attribute 'amr' ('${tables.orders.amr}'); did you mean " \
           "'arn'?" in result.output


def test_a_duplicate_export_is_refused(write_spec, runner) -> None:
    result = runner.invoke(main, ["validate", str(write_spec(OUTPUTS.replace("svc-dev-orders-name",
                                                                             "svc-dev-orders-arn")))])
    assert result.exit_code == 1
    assert "E354 outputs.orders_table_name.export: export name 'svc-dev-orders-arn' is already exported by output " \
           "'orders_arn'" in result.output


SPLIT = """
specc: 1
service: svc
environment: dev
regions: [us-east-1]
limits: {margin: 0.9, shards: 2}
tables:
  orders:
    partition_key: {name: id, type: S}
topics:
  alerts: {}
functions:
""" + "".join(f"  f{i}:\n    handler: handlers/app.py:handler\n    uses: {{tables: {{orders: read}}}}\n"
              for i in range(6)) + """
alarms:
  f3_errors: {metric: functions.f3.Errors, threshold: "> 0", notify: alerts}
outputs:
  f3_errors_alarm: {value: "${alarms.f3_errors.arn}", export: svc-dev-f3-errors}
  orders: {value: "${tables.orders.arn}"}
  f3_role: {value: "${functions.f3.role_arn}"}
"""


def test_an_output_of_a_nested_stack_is_read_from_it(write_spec) -> None:
    """A split service: the output of an alarm that lives in a nested stack is still the parent's output (where
    describe-stacks shows it), read from the nested stack's own output."""
    compiled = compile_spec(write_spec(SPLIT))
    assert compiled.layout is not None and compiled.layout.split
    alarm_stack = compiled.layout.placement["F3ErrorsAlarm"]
    assert alarm_stack != "service.json" and alarm_stack in compiled.templates["service.json"]["Resources"]
    output = compiled.templates["service.json"]["Outputs"]["F3ErrorsAlarm"]
    assert output == {"Export": {"Name": "svc-dev-f3-errors"},
                      "Value": {"Fn::GetAtt": [alarm_stack, output["Value"]["Fn::GetAtt"][1]]}}
    nested = next(t for n, t in compiled.templates.items()
                  if n.startswith("nested/") and "F3ErrorsAlarm" in t["Resources"])
    name = output["Value"]["Fn::GetAtt"][1].removeprefix("Outputs.")
    assert nested["Outputs"][name]["Value"] == {"Fn::GetAtt": ["F3ErrorsAlarm", "Arn"]}
    role = compiled.templates["service.json"]["Outputs"]["F3Role"]["Value"]["Fn::GetAtt"]
    assert role[0] == compiled.layout.placement["F3Role"] != "service.json"


def test_the_docs_examples_compile(write_spec, tmp_path) -> None:
    """docs/outputs-and-existing-resources.md's existing-resources example, as written (with a handler)."""
    import re

    page = (Path(__file__).resolve().parent.parent / "docs" / "outputs-and-existing-resources.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", page, re.S)
    assert len(blocks) == 5  # outputs, existing entries, the VPC by region and by account, event buses
    head = "specc: 1\nservice: svc\nenvironment: dev\nregions: [us-east-1]\n"
    spec = write_spec(head + blocks[1], handlers=("src/worker.py",))
    compiled = compile_spec(spec)
    statements = policy_statements(compiled.templates["service.json"])
    assert statements["SendToLegacyJobsQueue"]["Resource"] == ["arn:aws:sqs:us-east-1:111111111111:legacy-jobs"]
    function = "functions:\n  worker: {handler: src/worker.py:handler, network: private}\n"
    spec = write_spec("specc: 1\nservice: svc\nenvironment: dev\n" + blocks[3] + function, "accounts.yaml",
                      handlers=("src/worker.py",))
    mappings = compile_spec(spec).templates["service.json"]["Mappings"]  # the per-account example, as written
    assert mappings["ExistingNetworkVpc"]["eu-west-1"]["222222222222"] == "vpc-2222222222222222e"


BY_REGION = """
specc: 1
service: svc
environment: dev
regions: [us-east-1, eu-west-1]
network:
  existing:
    by_region:
      us-east-1: {vpc: vpc-0000000000000000a, subnets: [subnet-0000000000000000a, subnet-0000000000000000b],
                  security_groups: [sg-0000000000000000a]}
      eu-west-1: {vpc: vpc-0000000000000000e, subnets: [subnet-0000000000000000e, subnet-0000000000000000f],
                  security_groups: [sg-0000000000000000e]}
functions:
  worker:
    handler: handlers/app.py:handler
    network: private
outputs:
  vpc: {value: "${network.vpc.id}"}
  text: {value: "vpc ${network.vpc.id} in ${aws.region}"}
"""


def test_an_existing_vpc_per_region_of_a_stackset(write_spec) -> None:
    """One template for every region: each region's IDs from a Mapping, the role names each subnet and group of
    the region it runs in, and the template is lint-clean in both regions."""
    from specc.lint.cfn import lint_templates

    compiled = compile_spec(write_spec(BY_REGION))
    service = compiled.templates["service.json"]
    mapped = {"Fn::FindInMap": ["ExistingNetwork", {"Ref": "AWS::Region"}, "Subnets"]}
    assert service["Mappings"]["ExistingNetwork"]["eu-west-1"] == {
        "SecurityGroups": ["sg-0000000000000000e"], "Subnets": ["subnet-0000000000000000e", "subnet-0000000000000000f"],
        "Vpc": "vpc-0000000000000000e"}
    assert service["Resources"]["WorkerFunction"]["Properties"]["VpcConfig"]["SubnetIds"] == mapped
    subnets = [r["Fn::Sub"][1]["id"] for r in policy_statements(service)["CreateNetworkInterfaces"]["Resource"]
               if "subnet/" in str(r)]
    assert subnets == [{"Fn::Select": [0, mapped]}, {"Fn::Select": [1, mapped]}]
    vpc = {"Fn::FindInMap": ["ExistingNetwork", {"Ref": "AWS::Region"}, "Vpc"]}
    assert service["Outputs"]["Vpc"] == {"Value": vpc}
    assert service["Outputs"]["Text"] == {"Value": {"Fn::Join": ["", ["vpc ", vpc, " in ", {"Ref": "AWS::Region"}]]}}
    assert [f.render("by_region") for f in lint_templates({"service.json": service}, ["us-east-1", "eu-west-1"])] == []


def test_alarms_notify_an_existing_topic_by_its_arn(write_spec) -> None:
    spec = write_spec("""
specc: 1
service: svc
environment: dev
regions: [us-east-1]
topics:
  oncall: {existing: "arn:${aws.partition}:sns:${aws.region}:${aws.account_id}:oncall"}
functions:
  worker:
    handler: handlers/app.py:handler
monitoring: {notify: oncall}
alarms:
  worker_errors: {metric: functions.worker.Errors, threshold: "> 0", notify: oncall}
""")
    resources = compile_spec(spec).templates["service.json"]["Resources"]
    topic = {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:oncall"}
    alarms = {t: r["Properties"] for t, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert "WorkerErrorsAlarm" in alarms and len(alarms) > 1  # the spec's alarm and the standard ones
    for properties in alarms.values():
        assert properties["AlarmActions"] == properties["OKActions"] == [topic]
    assert not [t for t, r in resources.items() if r["Type"].startswith("AWS::SNS::")]


def test_a_function_consumes_an_existing_queue(write_spec) -> None:
    """Lambda's consumer of an existing queue (CDK's SqsEventSource on an imported queue): the mapping and the
    polling grant name the queue's ARN; nothing of the queue (no queue, policy or dead-letter queue) is created."""
    spec = write_spec("""
specc: 1
service: svc
environment: dev
regions: [us-east-1]
queues:
  legacy_jobs:
    existing: "arn:${aws.partition}:sqs:${aws.region}:${aws.account_id}:legacy-jobs"
    consumers: [{function: worker, batch_size: 5}]
functions:
  worker:
    handler: handlers/app.py:handler
""")
    template = compile_spec(spec).templates["service.json"]
    arn = {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:legacy-jobs"}
    mapping = template["Resources"]["LegacyJobsQueueWorkerMapping"]["Properties"]
    assert mapping["EventSourceArn"] == arn and mapping["BatchSize"] == 5
    statement = policy_statements(template)["ConsumeLegacyJobsQueue"]
    assert (statement["Action"], statement["Resource"]) == (
        ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"], [arn])
    assert not [t for t in template["Resources"] if t.startswith("LegacyJobs") and not t.endswith("Mapping")]


BY_ACCOUNT = """
specc: 1
service: svc
environment: dev
regions: [us-east-1, eu-west-1]
accounts: ["111111111111", "222222222222"]
network:
  existing:
    by_account:
      "111111111111":
        by_region:
          us-east-1: {vpc: vpc-1111111111111111a, subnets: [subnet-1111111111111111a, subnet-1111111111111111b],
                      security_groups: [sg-1111111111111111a]}
          eu-west-1: {vpc: vpc-1111111111111111e, subnets: [subnet-1111111111111111e, subnet-1111111111111111f],
                      security_groups: [sg-1111111111111111e]}
      "222222222222":
        by_region:
          us-east-1: {vpc: vpc-2222222222222222a, subnets: [subnet-2222222222222222a, subnet-2222222222222222b],
                      security_groups: [sg-2222222222222222a]}
          eu-west-1: {vpc: vpc-2222222222222222e, subnets: [subnet-2222222222222222e, subnet-2222222222222222f],
                      security_groups: [sg-2222222222222222e]}
functions:
  worker:
    handler: handlers/app.py:handler
    network: private
outputs:
  vpc: {value: "${network.vpc.id}"}
"""


def test_an_existing_vpc_per_account_and_region_of_a_stackset(runner, write_spec, tmp_path) -> None:
    """One account-neutral template for every instance of the StackSet: each account's IDs in each region from
    Mappings keyed by region and account, read with Fn::FindInMap; lint-clean in both regions."""
    from specc.lint.cfn import lint_templates

    spec = write_spec(BY_ACCOUNT)
    result = runner.invoke(main, ["compile", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    service = json.loads((tmp_path / "out" / "service.json").read_text())
    mappings = service["Mappings"]
    assert sorted(mappings) == ["ExistingNetworkSecurityGroups", "ExistingNetworkSubnets", "ExistingNetworkVpc"]
    assert mappings["ExistingNetworkSubnets"]["eu-west-1"] == {
        "111111111111": ["subnet-1111111111111111e", "subnet-1111111111111111f"],
        "222222222222": ["subnet-2222222222222222e", "subnet-2222222222222222f"]}
    assert mappings["ExistingNetworkVpc"]["us-east-1"] == {"111111111111": "vpc-1111111111111111a",
                                                            "222222222222": "vpc-2222222222222222a"}
    here = [{"Ref": "AWS::Region"}, {"Ref": "AWS::AccountId"}]
    subnets = {"Fn::FindInMap": ["ExistingNetworkSubnets", *here]}
    assert service["Resources"]["WorkerFunction"]["Properties"]["VpcConfig"] == {
        "SecurityGroupIds": {"Fn::FindInMap": ["ExistingNetworkSecurityGroups", *here]}, "SubnetIds": subnets}
    granted = [r["Fn::Sub"][1]["id"] for r in policy_statements(service)["CreateNetworkInterfaces"]["Resource"]
               if "subnet/" in str(r)]
    assert granted == [{"Fn::Select": [0, subnets]}, {"Fn::Select": [1, subnets]}]
    assert service["Outputs"]["Vpc"] == {"Value": {"Fn::FindInMap": ["ExistingNetworkVpc", *here]}}
    assert "111111111111" not in json.dumps(service["Resources"])  # account IDs only in the Mappings
    assert [f.render("by_account") for f in lint_templates({"service.json": service}, ["us-east-1", "eu-west-1"])] == []


def test_an_existing_vpc_per_account_of_a_one_region_stackset(write_spec) -> None:
    spec = write_spec("""
specc: 1
service: svc
environment: dev
regions: [eu-west-1]
accounts: ["111111111111", "222222222222"]
network:
  existing:
    by_account:
      "111111111111": {vpc: vpc-1111111111111111e, subnets: [subnet-1111111111111111e],
                       security_groups: [sg-1111111111111111e]}
      "222222222222": {vpc: vpc-2222222222222222e, subnets: [subnet-2222222222222222e],
                       security_groups: [sg-2222222222222222e]}
functions:
  worker:
    handler: handlers/app.py:handler
    network: private
""")
    service = compile_spec(spec).templates["service.json"]
    assert service["Mappings"]["ExistingNetworkSecurityGroups"] == {
        "eu-west-1": {"111111111111": ["sg-1111111111111111e"], "222222222222": ["sg-2222222222222222e"]}}
