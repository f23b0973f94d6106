"""IAM derivation: the exact policy each `uses` combination produces, and what it must never contain."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

from specc.build.iam import WILDCARD_RESOURCE_REASONS
from specc.compiler import compile_spec

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/iam_helpers.py (pytest runs with importlib mode)
from iam_helpers import compile_uses
from iam_helpers import policy_statements as _statements

BASE = """
specc: 1
service: svc
environment: dev
regions: [us-east-1]
defaults: {{key: data}}
keys:
  data: {{}}
  other: {{}}
tables:
  orders:
    partition_key: {{name: id, type: S}}
    indexes:
      by_customer: {{partition_key: {{name: customer, type: S}}}}
topics:
  events: {{}}
functions:
  target:
    handler: handlers/app.py:handler
  worker:
    handler: handlers/app.py:handler
    uses: {uses}
"""

TABLE_READ = {"dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable", "dynamodb:GetItem",
              "dynamodb:Query", "dynamodb:Scan"}
TABLE_WRITE = {"dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem",
               "dynamodb:DescribeTable", "dynamodb:PutItem", "dynamodb:UpdateItem"}
KEY_READ = {"kms:Decrypt", "kms:DescribeKey"}
KEY_WRITE = {"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"}

# (section, entry, access) -> (Sid, actions, resources) of the statement it adds, and the data key actions it adds
CASES = {
    ("tables", "orders", "read"): ("OrdersTableRead", TABLE_READ,
                                   [{"Fn::GetAtt": ["OrdersTable", "Arn"]},
                                    {"Fn::Sub": "${OrdersTable.Arn}/index/by_customer"}], KEY_READ),
    ("tables", "orders", "write"): ("OrdersTableWrite", TABLE_WRITE, [{"Fn::GetAtt": ["OrdersTable", "Arn"]}],
                                    KEY_WRITE),
    ("tables", "orders", "read_write"): ("OrdersTableReadWrite", TABLE_READ | TABLE_WRITE,
                                         [{"Fn::GetAtt": ["OrdersTable", "Arn"]},
                                          {"Fn::Sub": "${OrdersTable.Arn}/index/by_customer"}], KEY_WRITE),
    ("topics", "events", "publish"): ("EventsTopicPublish", {"sns:Publish"}, [{"Ref": "EventsTopic"}],
                                      {"kms:Decrypt", "kms:GenerateDataKey"}),
    ("functions", "target", "invoke"): ("InvokeTarget", {"lambda:InvokeFunction"},
                                        [{"Fn::GetAtt": ["TargetFunction", "Arn"]}], set()),
    ("keys", "other", "decrypt"): ("KeyOther", {"kms:Decrypt", "kms:DescribeKey"},
                                   [{"Fn::GetAtt": ["OtherKey", "Arn"]}], set()),
    ("keys", "other", "encrypt"): ("KeyOther", {"kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"},
                                   [{"Fn::GetAtt": ["OtherKey", "Arn"]}], set()),
    ("keys", "other", "encrypt_decrypt"): ("KeyOther", KEY_WRITE, [{"Fn::GetAtt": ["OtherKey", "Arn"]}], set()),
}
# Every function has these whatever it uses: its logs, traces, DLQ, decrypting its environment, and two guardrails.
BASELINE_SIDS = {"EnvironmentKeyData", "KeyData", "SendToDeadLetterQueue", "WriteOwnLogs", "WriteTraces",
                 "DenyDestructiveActions", "DenyInsecureTransport"}
BASELINE_DATA_KEY = {"kms:Decrypt", "kms:GenerateDataKey"}


def _compile(write_spec, uses: dict[str, dict[str, str]]) -> dict:
    return compile_uses(write_spec, BASE, uses)


@pytest.mark.parametrize("case", sorted(CASES), ids=lambda c: "-".join(c))
def test_single_use_gives_exactly_its_statement(case, write_spec) -> None:
    section, entry, access = case
    sid, actions, resources, data_key_actions = CASES[case]
    statements = _statements(_compile(write_spec, {section: {entry: access}}))
    assert set(statements) == BASELINE_SIDS | {sid}
    assert set(statements[sid]["Action"]) == actions
    assert statements[sid]["Resource"] == resources
    assert set(statements["KeyData"]["Action"]) == BASELINE_DATA_KEY | data_key_actions


PAIRS = [(a, b) for a, b in itertools.combinations(sorted(c for c in CASES if c[0] != "keys"), 2)
         if a[:2] != b[:2]]  # one access level per entry


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: "+".join("-".join(c) for c in p))
def test_combinations_union_without_widening(pair, write_spec) -> None:
    uses: dict[str, dict[str, str]] = {}
    for section, entry, access in pair:
        uses.setdefault(section, {})[entry] = access
    statements = _statements(_compile(write_spec, uses))
    assert set(statements) == BASELINE_SIDS | {CASES[c][0] for c in pair}
    expected_key = BASELINE_DATA_KEY.union(*(CASES[c][3] for c in pair))
    assert set(statements["KeyData"]["Action"]) == expected_key


def test_no_wildcard_actions_and_only_documented_wildcard_resources(write_spec) -> None:
    template = _compile(write_spec, {"tables": {"orders": "read_write"}, "topics": {"events": "publish"},
                                     "functions": {"target": "invoke"}, "keys": {"other": "encrypt_decrypt"}})
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            assert all("*" not in action for action in statement["Action"])
            if statement["Effect"] == "Deny":  # a guardrail: named actions denied everywhere
                continue
            if "*" in statement["Resource"]:
                assert statement["Resource"] == ["*"]
                assert all(action in WILDCARD_RESOURCE_REASONS for action in statement["Action"])


def test_key_policy_grants_each_role_exactly_its_own_kms_actions(write_spec) -> None:
    template = _compile(write_spec, {"tables": {"orders": "read"}})
    key_policy = template["Resources"]["DataKey"]["Properties"]["KeyPolicy"]["Statement"]
    granted: dict[str, set[str]] = {}
    for statement in key_policy:
        principals = statement["Principal"].get("AWS")
        if isinstance(principals, list):
            for principal in principals:
                granted[principal["Fn::GetAtt"][0]] = set(statement["Action"])
    for function in ("Target", "Worker"):
        own = set(_statements(template, function)["KeyData"]["Action"]) | set(
            _statements(template, function)["EnvironmentKeyData"]["Action"])
        assert granted[f"{function}Role"] == own
    root = [s for s in key_policy if s["Sid"] == "AccountRootAdministers"]
    assert root[0]["Action"] == ["kms:*"]
    assert all(s["Action"] != ["kms:*"] for s in key_policy if s["Sid"] != "AccountRootAdministers")


def test_role_policies_are_separate_resources_so_key_policies_do_not_cycle(write_spec) -> None:
    template = _compile(write_spec, {"tables": {"orders": "write"}})
    role = template["Resources"]["WorkerRole"]["Properties"]
    assert "Policies" not in role and "ManagedPolicyArns" not in role
    assert template["Resources"]["WorkerFunction"]["DependsOn"] == ["WorkerLogGroup", "WorkerPolicy"]


def test_guardrails_deny_destructive_actions_and_every_allowed_data_action_without_tls(write_spec) -> None:
    from specc.kinds.functions import DESTRUCTIVE_ACTIONS

    statements = _statements(_compile(write_spec, {"tables": {"orders": "read_write"}, "topics": {"events": "publish"}}))
    destructive = statements["DenyDestructiveActions"]
    assert destructive["Effect"] == "Deny" and destructive["Resource"] == ["*"]
    assert destructive["Action"] == sorted(DESTRUCTIVE_ACTIONS)
    allowed = {a for s in statements.values() if s["Effect"] == "Allow" for a in s["Action"]}
    assert not allowed & set(DESTRUCTIVE_ACTIONS)  # the deny never takes away what `uses` granted
    transport = statements["DenyInsecureTransport"]
    assert transport["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert set(transport["Action"]) == {a for a in allowed if not a.startswith(("logs:", "xray:"))}
    assert "dynamodb:PutItem" in transport["Action"] and "sns:Publish" in transport["Action"]


def test_turning_guardrails_off_is_recorded(write_spec) -> None:
    spec = BASE.format(uses="{}").replace("    uses: {}", "    uses: {}\n    deny_destructive: false\n"
                                                        "    deny_insecure_transport: false")
    template = compile_spec(write_spec(spec)).templates["service.json"]
    statements = _statements(template)
    assert "DenyDestructiveActions" not in statements and "DenyInsecureTransport" not in statements
    opt_outs = template["Resources"]["WorkerFunction"]["Metadata"]["specc"]["opt_outs"]
    assert {o["control"] for o in opt_outs} == {"deny_destructive", "deny_insecure_transport"}
