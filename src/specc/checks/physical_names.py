"""No two resources of one type get the same physical name (checked on the built template, by `compile` and so by
`validate`).

Physical names are made from entry names (`<service>-<entry>-<environment>`, underscores as hyphens), and kinds add
their own parts: a bucket's access-log bucket is `<entry>-logs`, a queue's dead-letter queue `<name>-dlq`, a web
ACL's IP sets `<entry>-allow-ipv4`. So two different entries can meet: buckets `data` (whose log bucket is
`shop-data-logs-dev-...`) and `data_logs` (`shop-data-logs-dev-...`). CloudFormation would then fail the stack
half way (the name is taken), or, for names that are only labels, create two resources nobody can tell apart. The
names are read from the template itself, so whatever a kind generates is covered, including names it adds later.
"""

from __future__ import annotations

import json
from typing import Any

from specc.language.diagnostics import Diagnostic

ID = "E263"
DESCRIPTION = "no two resources of one type get the same physical name"

# Resource type -> the property that holds its physical name, and what people call that name.
NAME_PROPERTIES: dict[str, tuple[str, str]] = {
    "AWS::S3::Bucket": ("BucketName", "bucket name"),
    "AWS::Lambda::Function": ("FunctionName", "function name"),
    "AWS::SQS::Queue": ("QueueName", "queue name"),
    "AWS::DynamoDB::Table": ("TableName", "table name"),
    "AWS::SNS::Topic": ("TopicName", "topic name"),
    "AWS::Logs::LogGroup": ("LogGroupName", "log group name"),
    "AWS::Logs::ResourcePolicy": ("PolicyName", "log resource policy name"),
    "AWS::KMS::Alias": ("AliasName", "key alias"),
    "AWS::SecretsManager::Secret": ("Name", "secret name"),
    "AWS::StepFunctions::StateMachine": ("StateMachineName", "state machine name"),
    "AWS::Events::Rule": ("Name", "rule name"),
    "AWS::CloudWatch::Alarm": ("AlarmName", "alarm name"),
    "AWS::CloudWatch::Dashboard": ("DashboardName", "dashboard name"),
    "AWS::WAFv2::WebACL": ("Name", "web ACL name"),
    "AWS::WAFv2::IPSet": ("Name", "IP set name"),
    "AWS::EC2::SecurityGroup": ("GroupName", "security group name"),
    "AWS::ApiGateway::RestApi": ("Name", "API name"),
    "AWS::ApiGateway::ApiKey": ("Name", "API key name"),
    "AWS::ApiGateway::UsagePlan": ("UsagePlanName", "usage plan name"),
    "AWS::Config::ConfigRule": ("ConfigRuleName", "config rule name"),
    "AWS::CloudTrail::Trail": ("TrailName", "trail name"),
}


def run_on_template(ctx: Any, resources: dict[str, dict[str, Any]]) -> list[Diagnostic]:
    """Every resource whose name an earlier resource of its type already has (the earlier one named in the message).
    WAF names are unique per scope, so the scope is part of the key."""
    first: dict[tuple[Any, str, str], str] = {}
    found = []
    for logical_id, resource in sorted(resources.items()):
        kind = resource.get("Type")
        if kind not in NAME_PROPERTIES:
            continue
        prop, what = NAME_PROPERTIES[kind]
        properties = resource.get("Properties") or {}
        if prop not in properties:
            continue
        value = properties[prop]
        key = (kind, str(properties.get("Scope")), _shown(value))  # a Sub's text: the same text, the same name
        if key not in first:
            first[key] = logical_id
            continue
        other = first[key]
        other_origin = ".".join(str(p) for p in ctx.origins.get(other, ())) or other
        found.append(ctx.source.diagnostic(
            ID, tuple(ctx.origins.get(logical_id, ())),
            f"the {what} '{_shown(value)}' of {logical_id} is also the {what} of {other} (from {other_origin})",
            "rename one of the two entries: specc adds suffixes such as -logs and -dlq to the names it makes",
            at_key=True))
    return found


def _shown(value: Any) -> str:
    """A name as written: the text of a `Fn::Sub`, else the JSON of anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        return value["Fn::Sub"]
    return json.dumps(value, sort_keys=True)
