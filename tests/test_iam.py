"""IAM derivation: the exact policy each `uses` combination produces, and what it must never contain."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import pytest
from awacs.aws import Action, Bool
from troposphere import GetAtt, Ref, Sub, encode_to_dict

from specc.build.iam import (
    LOGS_KEY_ACTIONS,
    WILDCARD_RESOURCE_REASONS,
    Grant,
    deny_insecure_transport,
    key_grant,
    merge,
    policy_document,
)
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
    statements = [statement for resource in template["Resources"].values() if resource["Type"] == "AWS::IAM::Policy"
                  for statement in resource["Properties"]["PolicyDocument"]["Statement"]]
    assert len(statements) >= 14  # two functions' policies: an empty list would pass every assertion below
    assert any(s["Effect"] == "Allow" and s["Resource"] == ["*"] for s in statements)  # X-Ray: the `*` branch runs
    for statement in statements:
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

    statements = _statements(_compile(write_spec, {"tables": {"orders": "read_write"},
                                                   "topics": {"events": "publish"}}))
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


# `merge`, the pass every role's policy goes through: one statement per Sid, whatever order kinds add grants in.
def _arn(name: str) -> GetAtt:
    return GetAtt(name, "Arn")


def _plain(grants: list[Grant]) -> list[tuple]:
    return [(g.sid, g.actions, [r if isinstance(r, (str, dict)) else r.to_dict() for r in g.resources], g.key,
             g.deny) for g in grants]


# `texts` is built for each test: a dict given to parametrize would be one object, filled by the first test to run.
TEXTS = pytest.mark.parametrize("new_texts", [lambda: None, dict], ids=["alone", "with-shared-texts"])


@TEXTS
def test_merge_unions_actions_and_resources_of_a_sid_sorted_and_without_duplicates(new_texts) -> None:
    """Two kinds granting the same Sid (a table read by a route and by a stream) give one statement with every action
    and resource of both, each once and sorted: the policy never depends on the order kinds ran in."""
    first = Grant("OrdersRead", ("dynamodb:Query", "dynamodb:GetItem"), (_arn("OrdersTable"),))
    second = Grant("OrdersRead", ("dynamodb:GetItem", "dynamodb:BatchGetItem"),
                   (Sub("${OrdersTable.Arn}/index/by_day"), _arn("OrdersTable")), key="data")
    logs = Grant("WriteOwnLogs", ("logs:PutLogEvents", "logs:CreateLogStream", "logs:PutLogEvents"),
                 ("arn:aws:logs:x",))
    expected = [
        ("OrdersRead", ("dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"),
         [{"Fn::GetAtt": ["OrdersTable", "Arn"]}, {"Fn::Sub": "${OrdersTable.Arn}/index/by_day"}], "data", False),
        ("WriteOwnLogs", ("logs:CreateLogStream", "logs:PutLogEvents"), ["arn:aws:logs:x"], None, False),
    ]
    assert _plain(merge([logs, first, second], new_texts())) == expected
    assert _plain(merge([second, logs, first], new_texts())) == expected


@TEXTS
def test_merge_dedupes_resources_by_value_not_by_key_order(new_texts) -> None:
    """Equal resources, even written with their keys in another order, are one resource; different ones all stay."""
    a = Grant("Use", ("s3:GetObject",), ({"a": "1", "b": "2"}, {"n": 1}, Sub("arn:${P}:s3:::b/*", P="aws"),
                                         {"m": 1, "n": 2}, "arn:aws:s3:::one/*"))
    b = Grant("Use", ("s3:GetObject",), ({"b": "2", "a": "1"}, {"n": 2}, Sub("arn:${P}:s3:::b/*", P="aws"),
                                         Sub("arn:${P}:s3:::b/*", P="aws-cn"), {"n": 2, "m": 1}, "arn:aws:s3:::two/*"))
    [merged] = merge([a, b], new_texts())
    assert [r if isinstance(r, (str, dict)) else r.to_dict() for r in merged.resources] == [
        "arn:aws:s3:::one/*", "arn:aws:s3:::two/*", {"Fn::Sub": ["arn:${P}:s3:::b/*", {"P": "aws"}]},
        {"Fn::Sub": ["arn:${P}:s3:::b/*", {"P": "aws-cn"}]}, {"a": "1", "b": "2"}, {"m": 1, "n": 2}, {"n": 1}, {"n": 2}]


def test_merge_keeps_effect_and_conditions_and_sorts_a_lone_grant() -> None:
    """A Sid granted once keeps all it says (a Deny stays a Deny, its conditions stay), its actions sorted."""
    condition = Bool("aws:SecureTransport", "false")
    deny = Grant("DenyInsecureTransport", ("sqs:SendMessage", "s3:GetObject", "s3:GetObject"), ("*",), key="data",
                 deny=True, conditions=(condition,))
    [merged] = merge([deny])
    assert merged == Grant("DenyInsecureTransport", ("s3:GetObject", "sqs:SendMessage"), ("*",), key="data",
                           deny=True, conditions=(condition,))
    twice = merge([deny, Grant("DenyInsecureTransport", ("sns:Publish",), ("*",))])
    assert twice[0].deny and twice[0].conditions == (condition,) and twice[0].key == "data"
    assert twice[0].actions == ("s3:GetObject", "sns:Publish", "sqs:SendMessage")


def test_policy_document_is_version_2012_10_17_with_one_statement_per_sid() -> None:
    """Policy variables such as `${aws:username}` only work in version 2012-10-17 documents (the default, 2008-10-17,
    reads them as literal text)."""
    document = policy_document([Grant("B", ("sqs:SendMessage",), ("arn:q",)), Grant("A", ("sns:Publish",), ("arn:t",)),
                                Grant("B", ("sqs:GetQueueUrl",), ("arn:q",))])
    document = encode_to_dict(document)
    assert document == {"Version": "2012-10-17", "Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": ["arn:t"]},
        {"Sid": "B", "Effect": "Allow", "Action": ["sqs:GetQueueUrl", "sqs:SendMessage"], "Resource": ["arn:q"]}]}


def test_each_role_policy_is_attached_to_its_role_only(write_spec) -> None:
    """The policy of a role names that role (and no other): two functions using the same table share statements in
    memory, never in the template."""
    template = _compile(write_spec, {"tables": {"orders": "read"}})
    for function in ("Target", "Worker"):
        policy = template["Resources"][f"{function}Policy"]
        assert policy["Type"] == "AWS::IAM::Policy"
        assert policy["Properties"]["PolicyName"] == f"{function}Policy"
        assert policy["Properties"]["Roles"] == [{"Ref": f"{function}Role"}]
        assert policy["Properties"]["PolicyDocument"]["Version"] == "2012-10-17"
    assert "OrdersTableRead" in _statements(template, "Worker") and "OrdersTableRead" not in _statements(template,
                                                                                                         "Target")


def test_the_logs_service_may_use_a_key_only_for_this_accounts_log_groups_in_this_region(write_spec) -> None:
    """CloudWatch Logs' service principal is the same for every account in the region: without the encryption
    context condition, a log group in any account could be encrypted with (and so make use of) this key. The
    condition (AWS's documented key policy for encrypted log groups) names this service's log groups, here its
    functions' family, not every log group of the account."""
    template = _compile(write_spec, {})
    statements = {s["Sid"]: s for s in template["Resources"]["DataKey"]["Properties"]["KeyPolicy"]["Statement"]}
    assert statements["LogsServiceUsesKey"] == {
        "Sid": "LogsServiceUsesKey", "Effect": "Allow",
        "Principal": {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}},
        "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
                   "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"],
        "Resource": ["*"],
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": [{"Fn::Sub": (
            "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/svc-*-dev")}]}}}
    assert list(LOGS_KEY_ACTIONS) == statements["LogsServiceUsesKey"]["Action"]


def test_data_stores_deny_every_principal_requests_without_tls() -> None:
    statement = encode_to_dict(deny_insecure_transport([Action("sqs", "SendMessage")], [_arn("JobsQueue")]))
    assert statement == {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
                         "Action": ["sqs:SendMessage"], "Resource": [{"Fn::GetAtt": ["JobsQueue", "Arn"]}],
                         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def test_a_key_grant_names_the_key_by_its_entry() -> None:
    grant = key_grant("order_data", ("kms:Decrypt",), sid_prefix="Environment")
    assert (grant.sid, grant.actions, grant.key) == ("EnvironmentKeyOrderData", ("kms:Decrypt",), "order_data")
    assert [r.to_dict() for r in grant.resources] == [{"Fn::GetAtt": ["OrderDataKey", "Arn"]}]


def test_merge_keeps_the_reason_a_broad_statement_was_given_whichever_kind_granted_it_first() -> None:
    """Two kinds grant one Sid and only one of them says why it is broad: the merged statement keeps that reason (a
    reviewer reads it beside the statement), in either order."""
    why = "EC2 Describe APIs do not support resource-level permissions"
    plain = Grant("DescribeNetworkInterfaces", ("ec2:DescribeNetworkInterfaces",), ("*",))
    explained = Grant("DescribeNetworkInterfaces", ("ec2:DescribeSubnets",), ("*",), reason=why)
    for grants in ([plain, explained], [explained, plain]):
        [merged] = merge(grants)
        assert merged.reason == why
        assert merged.actions == ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets")
    assert merge([plain, plain])[0].reason == ""
    # a lone grant whose actions needed sorting keeps its reason too
    [alone] = merge([Grant("WriteTraces", ("xray:PutTraceSegments", "xray:PutTelemetryRecords"), ("*",), reason=why)])
    assert (alone.actions, alone.reason) == (("xray:PutTelemetryRecords", "xray:PutTraceSegments"), why)


def _attached(grants: dict[str, list[Grant]]) -> dict[str, Any]:
    """The IAM pass alone over hand-made grants, one role each: the policy resources it adds, by logical ID."""
    from specc.build.context import BuildContext
    from specc.build.iam import attach

    ctx = BuildContext(spec=None, source=None, artifacts={})
    for role, role_grants in grants.items():
        ctx.grants[(f"{role}Role", f"{role}Policy")] = list(role_grants)
        ctx.origins[f"{role}Role"] = ("functions", role.lower())
    attach(ctx)
    assert not ctx.problems
    return dict(ctx.template.resources)


def test_a_policy_says_why_each_broad_statement_is_broad_beside_it() -> None:
    """`Metadata.specc.statement_reasons`, by Sid: what a reviewer reads where AWS leaves no narrower resource. A
    policy whose statements all name their resources carries no such note."""
    why = "X-Ray trace APIs do not support resource-level permissions"
    policies = _attached({
        "Traced": [Grant("WriteTraces", ("xray:PutTraceSegments", "xray:PutTelemetryRecords"), ("*",), reason=why),
                   Grant("OrdersTableRead", ("dynamodb:GetItem",), (_arn("OrdersTable"),))],
        "Plain": [Grant("OrdersTableRead", ("dynamodb:GetItem",), (_arn("OrdersTable"),))]})
    traced = policies["TracedPolicy"].to_dict()
    assert traced["Metadata"] == {"specc": {"statement_reasons": {"WriteTraces": why}}}
    assert [s["Action"] for s in traced["Properties"]["PolicyDocument"]["Statement"]] == [
        ["dynamodb:GetItem"], ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]]
    assert "Metadata" not in policies["PlainPolicy"].to_dict()


def test_roles_granted_equal_statements_share_one_statement_built_once() -> None:
    """A service of 2,000 functions has 16,001 statements, 6,205 of them distinct: each distinct one is built once
    and shared by every role that has it (encoding only reads it), which keeps such a compile within seconds and
    memory. Equal means equal in value, whatever kind of resource (names, Ref, GetAtt, Sub with variables, plain
    JSON); a statement that differs in anything is its own."""

    def grants(table: str = "OrdersTable") -> list[Grant]:  # fresh objects for each role: equal values, not one object
        return [Grant("UseOrders", ("dynamodb:GetItem",), (_arn(table), Sub("${OrdersTable.Arn}/index/*"))),
                Grant("PublishEvents", ("sns:Publish",), (Ref("EventsTopic"), "arn:aws:sns:us-east-1:1:other")),
                Grant("ReadObjects", ("s3:GetObject",), (Sub("arn:${P}:s3:::b/*", P="aws"),
                                                         {"Fn::Join": ["", ["arn:aws:s3:::", {"Ref": "B"}, "/*"]]}))]

    policies = _attached({"A": grants(), "B": grants(), "C": grants("StockTable")})
    statements = {role: policies[f"{role}Policy"].PolicyDocument.Statement for role in "ABC"}
    assert len(statements["A"]) == 3
    assert all(a is b for a, b in zip(statements["A"], statements["B"], strict=True))
    by_sid = {role: {s.Sid: s for s in found} for role, found in statements.items()}
    assert by_sid["C"]["UseOrders"] is not by_sid["A"]["UseOrders"]  # another table: its own statement
    assert by_sid["C"]["PublishEvents"] is by_sid["A"]["PublishEvents"]
    # sharing is in memory only: each policy's JSON has its own copy, naming its own role
    assert policies["APolicy"].to_dict()["Properties"]["Roles"] == [{"Ref": "ARole"}]
    assert (policies["APolicy"].to_dict()["Properties"]["PolicyDocument"]
            == policies["BPolicy"].to_dict()["Properties"]["PolicyDocument"])
