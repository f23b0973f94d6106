"""audit: what each region's stack creates, what the trail records, and who may use the key and bucket."""

from __future__ import annotations

import json

from specc.compiler import compile_spec
from specc.kinds.audit import SECURITY_EVENTS

SPEC = """
specc: 1
service: ledger
environment: prod
regions: [{regions}]
tables:
  entries: {{partition_key: {{name: id, type: S}}}}
  audit_log: {{partition_key: {{name: id, type: S}}}}
topics:
  security: {{}}
functions:
  writer: {{handler: handlers/app.py:handler, uses: {{tables: {{entries: write}}}}}}
monitoring: {{notify: security}}
audit:
{audit}
"""


def _compile(write_spec, audit: str, regions: str = "us-west-1, us-east-1") -> dict:
    return compile_spec(write_spec(SPEC.format(regions=regions, audit=audit))).templates["service.json"]


def test_the_trail_and_its_alarms_exist_only_in_the_home_region(write_spec) -> None:
    template = _compile(write_spec, "  trail: {}")
    assert template["Conditions"]["AuditTrailRegion"] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
    conditional = {name for name, r in template["Resources"].items() if r.get("Condition") == "AuditTrailRegion"}
    assert {"AuditTrail", "AuditTrailLogGroup", "AuditTrailLogsRole"} <= conditional
    assert len([n for n in conditional if n.startswith("Security") and n.endswith("Alarm")]) == len(SECURITY_EVENTS)
    # The buckets are per region (AWS Config delivers to its own region's), so they are not conditional.
    assert "AuditBucket" not in conditional and "AuditAccessLogsBucket" not in conditional
    trail = template["Resources"]["AuditTrail"]["Properties"]
    assert trail["IsMultiRegionTrail"] and trail["EnableLogFileValidation"] and trail["IncludeGlobalServiceEvents"]
    assert trail["KMSKeyId"] == {"Fn::GetAtt": ["MainKey", "Arn"]}


def test_home_region_defaults_to_the_first_region_without_us_east_1(write_spec) -> None:
    template = _compile(write_spec, "  trail: {}", regions="eu-west-1, eu-central-1")
    assert template["Conditions"]["AuditTrailRegion"]["Fn::Equals"][1] == "eu-west-1"


def test_data_events_name_exactly_the_selected_tables_in_every_region(write_spec) -> None:
    template = _compile(write_spec, "  trail: {data_events: {tables: [entries], functions: [writer]}}")
    selectors = {s["Name"]: s["FieldSelectors"] for s in template["Resources"]["AuditTrail"]["Properties"]
                 ["AdvancedEventSelectors"]}
    assert selectors["Management events"] == [{"Equals": ["Management"], "Field": "eventCategory"}]
    table = {f["Field"]: f for f in selectors["Table data events"]}
    assert table["resources.type"]["Equals"] == ["AWS::DynamoDB::Table"]
    assert table["resources.ARN"] == {"EndsWith": [":table/ledger-entries-prod"], "Field": "resources.ARN"}
    function = {f["Field"]: f for f in selectors["Function invocations"]}
    assert function["resources.ARN"]["EndsWith"] == [":function:ledger-writer-prod"]
    default = _compile(write_spec, "  trail: {}")
    default_selectors = {s["Name"]: s
                         for s in default["Resources"]["AuditTrail"]["Properties"]["AdvancedEventSelectors"]}
    assert {f["Field"]: f for f in default_selectors["Table data events"]["FieldSelectors"]}["resources.ARN"][
        "EndsWith"] == [":table/ledger-audit-log-prod", ":table/ledger-entries-prod"]
    assert "Function invocations" not in default_selectors


def test_cloudtrail_may_use_the_key_and_bucket_only_for_this_trail(write_spec) -> None:
    template = _compile(write_spec, "  trail: {}")
    trail_arn = {"Fn::Sub": "arn:${AWS::Partition}:cloudtrail:${AWS::Region}:${AWS::AccountId}:trail/ledger-trail-prod"}
    key_statements = template["Resources"]["MainKey"]["Properties"]["KeyPolicy"]["Statement"]
    cloudtrail = [s for s in key_statements if s["Principal"] == {"Service": "cloudtrail.amazonaws.com"}]
    assert len(cloudtrail) == 1
    assert cloudtrail[0]["Action"] == ["kms:DescribeKey", "kms:GenerateDataKey"]
    assert cloudtrail[0]["Condition"] == {"StringEquals": {"aws:SourceArn": trail_arn}}
    bucket_statements = template["Resources"]["AuditBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    by_sid = {s["Sid"]: s for s in bucket_statements}
    assert by_sid["DenyInsecureTransport"]["Effect"] == "Deny"
    assert by_sid["CloudTrailWrite"]["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    assert by_sid["CloudTrailWrite"]["Resource"] == [
        {"Fn::Sub": "${AuditBucket.Arn}/cloudtrail/AWSLogs/${AWS::AccountId}/*"}]


def test_config_records_global_resources_once_and_rules_wait_for_the_recorder(write_spec) -> None:
    template = _compile(write_spec, "  config: {rules: {DYNAMODB_PITR_ENABLED: {}}}")
    resources = template["Resources"]
    recorder = resources["ConfigRecorder"]["Properties"]["RecordingGroup"]
    assert recorder["AllSupported"] is True
    assert recorder["IncludeGlobalResourceTypes"] == {"Fn::If": ["AuditTrailRegion", True, False]}
    assert resources["ConfigRuleDynamodbPitrEnabled"]["DependsOn"] == ["ConfigRecorder"]
    assert resources["ConfigDeliveryChannel"]["Properties"]["S3KmsKeyArn"] == {"Fn::GetAtt": ["MainKey", "Arn"]}
    existing = _compile(write_spec, "  config: {recorder: false, rules: {DYNAMODB_PITR_ENABLED: {}}}")["Resources"]
    assert "ConfigRecorder" not in existing and "DependsOn" not in existing["ConfigRuleDynamodbPitrEnabled"]


def test_security_hub_standards_carry_the_region_not_a_literal(write_spec) -> None:
    template = _compile(write_spec, "  security_hub: {standards: [cis, pci-dss]}")
    arns = sorted(json.dumps(r["Properties"]["StandardsArn"]) for r in template["Resources"].values()
                  if r["Type"] == "AWS::SecurityHub::Standard")
    assert arns == [
        json.dumps({"Fn::Sub": "arn:${AWS::Partition}:securityhub:${AWS::Region}::standards/cis-aws-foundations-"
                               "benchmark/v/3.0.0"}),
        json.dumps({"Fn::Sub": "arn:${AWS::Partition}:securityhub:${AWS::Region}::standards/pci-dss/v/3.2.1"}),
    ]
    assert "us-" not in json.dumps(arns)


def test_security_alarms_can_be_chosen_or_turned_off(write_spec) -> None:
    chosen = _compile(write_spec, "  security_alarms: [root_usage]")["Resources"]
    assert sorted(n for n, r in chosen.items() if r["Type"] == "AWS::Logs::MetricFilter") == [
        "SecurityRootUsageMetricFilter"]
    alarm = chosen["SecurityRootUsageAlarm"]["Properties"]
    assert alarm["Namespace"] == "ledger/prod" and alarm["MetricName"] == "RootUsage"
    assert alarm["AlarmActions"] == [{"Ref": "SecurityTopic"}]
    off = _compile(write_spec, "  security_alarms: []")["Resources"]
    assert not [n for n, r in off.items() if r["Type"] == "AWS::Logs::MetricFilter"]
