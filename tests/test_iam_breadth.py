"""The three IAM breadth notes of the pci example (issue 14, item 8), each stated as what AWS would allow.

A small evaluator reads the compiled statements the way IAM does for these cases: an Allow matches when the action,
the resource ARN (`*`/`?` wildcards, `Fn::Sub` resolved for one account and region) and its `ArnLike` conditions
match. It covers only what these statements use, and refuses anything else rather than guessing.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Any

from specc.compiler import compile_spec

PCI = Path(__file__).resolve().parent.parent / "specs" / "examples" / "pci-payments.yaml"
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "111111111111"}
REFS = {"PrivateSubnet1": "subnet-0a", "PrivateSubnet2": "subnet-0b", "PrivateSubnet3": "subnet-0c",
        "FunctionsSecurityGroup": "sg-0f"}
LOGS = "arn:aws:logs:us-east-1:111111111111:log-group:"
EC2 = "arn:aws:ec2:us-east-1:111111111111:"


@lru_cache(maxsize=1)
def resources() -> dict[str, Any]:
    return compile_spec(PCI).templates["service.json"]["Resources"]


def resolve(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        names = {**PSEUDO, **REFS}
        return re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], value["Fn::Sub"])
    raise AssertionError(f"the evaluator cannot resolve {value!r}")


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allows(statements: list[dict[str, Any]], action: str, resource: str, context: dict[str, str] | None = None) -> bool:
    context = context or {}
    allowed = False
    for statement in statements:
        if not any(fnmatchcase(action, a) for a in listed(statement["Action"])):
            continue
        if not any(fnmatchcase(resource, resolve(r)) for r in listed(statement["Resource"])):
            continue
        if not conditions_hold(statement.get("Condition") or {}, context):
            continue
        if statement["Effect"] == "Deny":
            return False
        allowed = True
    return allowed


def conditions_hold(condition: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in condition.items():
        assert operator == "ArnLike", f"the evaluator does not read {operator}"
        for key, patterns in tests.items():
            if key not in context or not any(fnmatchcase(context[key], resolve(p)) for p in listed(patterns)):
                return False
    return True


def key_statements(key: str, service: str) -> list[dict[str, Any]]:
    policy = resources()[key]["Properties"]["KeyPolicy"]["Statement"]
    return [s for s in policy if (s.get("Principal") or {}).get("Service") in (service, {"Fn::Sub": service})]


def policy_statements(policy: str) -> list[dict[str, Any]]:
    return resources()[policy]["Properties"]["PolicyDocument"]["Statement"]


def logs_encrypt(log_group: str) -> bool:
    return allows(key_statements("LogsKey", "logs.${AWS::Region}.amazonaws.com"), "kms:GenerateDataKey", "*",
                  {"kms:EncryptionContext:aws:logs:arn": LOGS + log_group})


def test_the_logs_key_serves_every_log_group_of_the_service() -> None:
    groups = [r["Properties"]["LogGroupName"] for r in resources().values() if r["Type"] == "AWS::Logs::LogGroup"
              and r["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["LogsKey", "Arn"]}]
    assert len(groups) >= 8  # functions, API access logs, WAF, flow logs, trail
    for group in groups:
        assert logs_encrypt(resolve(group)), group


def test_the_logs_key_cannot_be_used_by_a_log_group_outside_this_service() -> None:
    for group in ("/aws/lambda/other-service-handler", "/aws/lambda/payments-create-payment-staging",
                  "/aws/apigateway/other-api-prod/access", "aws-waf-logs-shop-edge-prod", "application-logs",
                  "/aws/cloudtrail/organization-trail"):
        assert not logs_encrypt(group), group
    # Before: `log-group:*`, any log group of the account and region.


def test_the_api_gateway_logging_role_cannot_read_other_log_groups() -> None:
    statements = policy_statements("ApiGatewayCloudWatchPolicy")
    for read in ("logs:GetLogEvents", "logs:FilterLogEvents"):
        assert not allows(statements, read, LOGS + "/aws/lambda/payments-create-payment-prod:log-stream:x")
        assert not allows(statements, read, LOGS + "/aws/cloudtrail/payments-trail-prod:log-stream:x")
    # What API Gateway writes stays writable: execution logs and access logs.
    assert allows(statements, "logs:PutLogEvents", LOGS + "API-Gateway-Execution-Logs_abc123/prod:log-stream:x")
    assert allows(statements, "logs:PutLogEvents", LOGS + "/aws/apigateway/payments-api-prod/access:log-stream:x")
    # Listing log groups (names and settings, no events) is account-wide in IAM: allowed, and said why.
    assert allows(statements, "logs:DescribeLogGroups", LOGS + "anything")
    reasons = resources()["ApiGatewayCloudWatchPolicy"]["Metadata"]["specc"]["statement_reasons"]
    assert set(reasons) == {sid["Sid"] for sid in statements}


def test_function_roles_manage_network_interfaces_only_in_the_service_subnets() -> None:
    functions = [t.removesuffix("Function") for t, r in resources().items() if r["Type"] == "AWS::Lambda::Function"
                 and "VpcConfig" in r["Properties"]]
    assert functions
    for function in functions:
        statements = policy_statements(f"{function}Policy")
        assert allows(statements, "ec2:CreateNetworkInterface", EC2 + "subnet/subnet-0a")
        assert allows(statements, "ec2:CreateNetworkInterface", EC2 + "security-group/sg-0f")
        assert allows(statements, "ec2:CreateNetworkInterface", EC2 + "network-interface/*")
        assert not allows(statements, "ec2:CreateNetworkInterface", EC2 + "subnet/subnet-elsewhere")
        assert not allows(statements, "ec2:CreateNetworkInterface", EC2 + "security-group/sg-open")
        assert allows(statements, "ec2:DeleteNetworkInterface", EC2 + "network-interface/eni-0123")
        for other in ("instance/i-0123", "volume/vol-0123", "security-group/sg-0f", "subnet/subnet-0a"):
            for action in ("ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses"):
                assert not allows(statements, action, EC2 + other), (function, action, other)
        reasons = resources()[f"{function}Policy"]["Metadata"]["specc"]["statement_reasons"]
        assert {"CreateNetworkInterfaces", "ManageNetworkInterfaces", "DescribeNetworkInterfaces"} <= set(reasons)
