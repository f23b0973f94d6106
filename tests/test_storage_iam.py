"""IAM of the storage and messaging kinds: the exact statements each `uses` level, consumer and trigger gives a
role, what the keys' policies admit in return, and what no policy may contain (as tests/test_iam.py does for
tables and topics)."""

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
  store: {{}}
buckets:
  files: {{encryption: store}}
queues:
  jobs: {{encryption: store}}
functions:
  worker:
    handler: handlers/app.py:handler
    uses: {uses}
"""

FILES = "arn:${AWS::Partition}:s3:::svc-files-dev-${AWS::AccountId}-${AWS::Region}"
JOBS = {"Fn::GetAtt": ["JobsQueue", "Arn"]}
# (section, entry, access) -> {Sid: (actions, resources)} it adds, and the actions it needs on the `store` key
CASES = {
    ("buckets", "files", "read"): ({
        "FilesBucketReadObjects": ({"s3:GetObject"}, [{"Fn::Sub": FILES + "/*"}]),
        "FilesBucketList": ({"s3:ListBucket"}, [{"Fn::Sub": FILES}]),
    }, {"kms:Decrypt"}),
    ("buckets", "files", "write"): ({
        "FilesBucketWriteObjects": ({"s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"},
                                    [{"Fn::Sub": FILES + "/*"}]),
    }, {"kms:Decrypt", "kms:GenerateDataKey"}),
    ("buckets", "files", "read_write"): ({
        "FilesBucketReadWriteObjects": ({"s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"},
                                        [{"Fn::Sub": FILES + "/*"}]),
        "FilesBucketList": ({"s3:ListBucket"}, [{"Fn::Sub": FILES}]),
    }, {"kms:Decrypt", "kms:GenerateDataKey"}),
    ("queues", "jobs", "send"): ({"SendToJobsQueue": ({"sqs:SendMessage"}, [JOBS])},
                                 {"kms:Decrypt", "kms:GenerateDataKey"}),
    ("queues", "jobs", "consume"): ({"ConsumeJobsQueue": (
        {"sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"}, [JOBS])}, {"kms:Decrypt"}),
}
# What every function has whatever it uses (its logs, traces, DLQ, environment key and two guardrails).
BASELINE_SIDS = {"EnvironmentKeyData", "KeyData", "SendToDeadLetterQueue", "WriteOwnLogs", "WriteTraces",
                 "DenyDestructiveActions", "DenyInsecureTransport"}


def _compile(write_spec, uses: dict[str, dict[str, str]], base: str = BASE) -> dict:
    return compile_uses(write_spec, base, uses)


def _key_users(template: dict, key: str) -> dict[str, set[str]]:
    """Role logical ID -> the actions the key's policy lets it use."""
    users: dict[str, set[str]] = {}
    for statement in template["Resources"][key]["Properties"]["KeyPolicy"]["Statement"]:
        principals = statement["Principal"].get("AWS") if isinstance(statement["Principal"], dict) else None
        if not isinstance(principals, list):
            continue
        for principal in principals:
            users.setdefault(principal["Fn::GetAtt"][0], set()).update(statement["Action"])
    return users


@pytest.mark.parametrize("case", sorted(CASES), ids=lambda c: "-".join(c))
def test_single_use_gives_exactly_its_statements(case, write_spec) -> None:
    section, entry, access = case
    expected, key_actions = CASES[case]
    template = _compile(write_spec, {section: {entry: access}})
    statements = _statements(template)
    assert set(statements) == BASELINE_SIDS | set(expected) | {"KeyStore"}
    for sid, (actions, resources) in expected.items():
        assert set(statements[sid]["Action"]) == actions
        assert statements[sid]["Resource"] == resources
    assert set(statements["KeyStore"]["Action"]) == key_actions
    assert statements["KeyStore"]["Resource"] == [{"Fn::GetAtt": ["StoreKey", "Arn"]}]
    assert _key_users(template, "StoreKey") == {"WorkerRole": key_actions}  # the key admits exactly that use
    denied = set(statements["DenyInsecureTransport"]["Action"])
    assert set().union(*(a for a, _ in expected.values())) <= denied  # and never without TLS


@pytest.mark.parametrize("pair", [(a, b) for a, b in itertools.combinations(sorted(CASES), 2) if a[:2] != b[:2]],
                         ids=lambda p: "+".join("-".join(c) for c in p))
def test_combinations_union_without_widening(pair, write_spec) -> None:
    uses: dict[str, dict[str, str]] = {}
    for section, entry, access in pair:
        uses.setdefault(section, {})[entry] = access
    statements = _statements(_compile(write_spec, uses))
    assert set(statements) == BASELINE_SIDS | {"KeyStore"} | {sid for c in pair for sid in CASES[c][0]}
    assert set(statements["KeyStore"]["Action"]) == CASES[pair[0]][1] | CASES[pair[1]][1]


def test_no_wildcard_actions_and_only_documented_wildcard_resources(write_spec) -> None:
    template = _compile(write_spec, {"buckets": {"files": "read_write"}, "queues": {"jobs": "send"}})
    statements = [statement for resource in template["Resources"].values() if resource["Type"] == "AWS::IAM::Policy"
                  for statement in resource["Properties"]["PolicyDocument"]["Statement"]]
    assert len(statements) >= 8  # the worker's policy: an empty list would pass every assertion below
    assert any(s["Effect"] == "Allow" and s["Resource"] == ["*"] for s in statements)  # X-Ray: the `*` branch runs
    for statement in statements:
        assert all("*" not in action for action in statement["Action"])
        if statement["Effect"] == "Allow" and "*" in statement["Resource"]:
            assert all(action in WILDCARD_RESOURCE_REASONS for action in statement["Action"])


CONSUMER = """
specc: 1
service: svc
environment: dev
regions: [us-east-1]
keys: {{store: {{}}}}
queues:
  jobs: {{consumers: [{{function: worker}}]}}
functions:
  worker:
    handler: handlers/app.py:handler
    uses: {uses}
"""


def test_a_consumer_role_gets_exactly_polling_and_decrypt(write_spec) -> None:
    template = _compile(write_spec, {}, CONSUMER)
    statements = _statements(template)
    assert set(statements["ConsumeJobsQueue"]["Action"]) == {"sqs:DeleteMessage", "sqs:GetQueueAttributes",
                                                              "sqs:ReceiveMessage"}
    assert statements["ConsumeJobsQueue"]["Resource"] == [JOBS]
    assert set(statements["KeyStore"]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}  # its own DLQ's sends
    mapping = template["Resources"]["JobsQueueWorkerMapping"]
    assert mapping["DependsOn"] == ["WorkerPolicy"]
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_consume_through_uses_and_as_a_consumer_is_one_statement(write_spec) -> None:
    statements = _statements(_compile(write_spec, {"queues": {"jobs": "consume"}}, CONSUMER))
    assert [sid for sid in statements if "Jobs" in sid] == ["ConsumeJobsQueue"]


TRIGGERED = """
specc: 1
service: svc
environment: dev
regions: [us-east-1]
buckets:
  files: {{triggers: [{{function: worker, prefix: in/}}]}}
functions:
  worker:
    handler: handlers/app.py:handler
    uses: {uses}
"""


def test_a_triggered_function_that_reads_its_bucket_has_no_cycle(write_spec) -> None:
    """bucket → permission → function → policy: the policy and environment name the bucket by name, not by Ref."""
    template = _compile(write_spec, {"buckets": {"files": "read"}}, TRIGGERED)
    resources = template["Resources"]
    assert resources["FilesBucket"]["DependsOn"] == ["FilesBucketWorkerPermission"]
    permission = resources["FilesBucketWorkerPermission"]["Properties"]
    assert permission["SourceArn"] == {"Fn::Sub": FILES}
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"} and permission["Principal"] == "s3.amazonaws.com"
    text = str({k: v for k, v in resources.items() if k in ("WorkerPolicy", "WorkerFunction")})
    assert "'FilesBucket'" not in text and "FilesBucket.Arn" not in text
    variables = resources["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["BUCKET_FILES"] == {"Fn::Sub": "svc-files-dev-${AWS::AccountId}-${AWS::Region}"}


SECRETS = """
specc: 1
service: svc
environment: dev
regions: [us-east-1]
defaults: {{key: data}}
keys: {{data: {{}}, store: {{}}}}
secrets:
  token: {{encryption: store}}
  other: {{encryption: store}}
functions:
  worker:
    handler: handlers/app.py:handler
    uses: {uses}
"""


def test_reading_a_secret_gives_that_secret_and_decrypt_only(write_spec) -> None:
    template = _compile(write_spec, {"secrets": {"token": "read"}}, SECRETS)
    statements = _statements(template)
    assert set(statements) == BASELINE_SIDS | {"ReadTokenSecret", "KeyStore"}
    assert set(statements["ReadTokenSecret"]["Action"]) == {"secretsmanager:DescribeSecret",
                                                             "secretsmanager:GetSecretValue"}
    assert statements["ReadTokenSecret"]["Resource"] == [{"Ref": "TokenSecret"}]  # not the other secret
    assert statements["KeyStore"]["Action"] == ["kms:Decrypt"]
    assert _key_users(template, "StoreKey") == {"WorkerRole": {"kms:Decrypt"}}
    variables = template["Resources"]["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["SECRET_TOKEN"] == {"Ref": "TokenSecret"} and "SECRET_OTHER" not in variables


STREAM = """
specc: 1
service: svc
environment: dev
regions: [us-east-1]
keys: {{data: {{}}}}
tables:
  entries: {{partition_key: {{name: id, type: S}}, stream: new_image}}
  other: {{partition_key: {{name: id, type: S}}, stream: new_image}}
queues:
  failures: {{}}
functions:
  worker:
    handler: handlers/app.py:handler
    uses: {uses}
events:
  changed: {{stream: {{table: entries, function: worker, on_failure: queues.failures}}}}
"""


def test_a_stream_trigger_reads_that_stream_only_and_sends_failures(write_spec) -> None:
    template = _compile(write_spec, {}, STREAM)
    statements = _statements(template)
    assert set(statements) == BASELINE_SIDS | {"ReadEntriesTableStream", "SendToFailuresQueue"}
    assert set(statements["ReadEntriesTableStream"]["Action"]) == {
        "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}
    assert statements["ReadEntriesTableStream"]["Resource"] == [{"Fn::GetAtt": ["EntriesTable", "StreamArn"]}]
    assert statements["SendToFailuresQueue"]["Resource"] == [{"Fn::GetAtt": ["FailuresQueue", "Arn"]}]
    dynamodb = [sid for sid, s in statements.items()
                if s["Effect"] == "Allow" and any(a.startswith("dynamodb:") for a in s["Action"])]
    assert dynamodb == ["ReadEntriesTableStream"]  # nothing on the table itself, nor on the other stream
    mapping = template["Resources"]["ChangedStreamMapping"]
    assert mapping["DependsOn"] == ["WorkerPolicy"]
    assert mapping["Properties"]["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": ["FailuresQueue", "Arn"]}}}


def test_a_rotation_function_may_rotate_that_secret_only(write_spec) -> None:
    spec = SECRETS.replace("  token: {{encryption: store}}",
                           "  token: {{encryption: store, rotation: {{function: worker}}}}")
    template = _compile(write_spec, {}, spec)
    statements = _statements(template)
    assert set(statements) == BASELINE_SIDS | {"RotateTokenSecret", "GenerateRandomPasswords", "KeyStore"}
    assert set(statements["RotateTokenSecret"]["Action"]) == {
        "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage"}
    assert statements["RotateTokenSecret"]["Resource"] == [{"Ref": "TokenSecret"}]
    assert statements["GenerateRandomPasswords"] == {"Action": ["secretsmanager:GetRandomPassword"],
                                                     "Effect": "Allow", "Resource": ["*"],
                                                     "Sid": "GenerateRandomPasswords"}
    resources = template["Resources"]
    assert resources["TokenSecretRotationPermission"]["Properties"]["SourceArn"] == {"Ref": "TokenSecret"}
    schedule = resources["TokenSecretRotationSchedule"]
    assert schedule["DependsOn"] == ["TokenSecretRotationPermission"]
    assert schedule["Properties"]["RotationRules"] == {"AutomaticallyAfterDays": 30}
    assert "checkov" not in resources["TokenSecret"].get("Metadata", {})  # rotated: no skip needed
    assert "CKV2_AWS_57" in str(resources["OtherSecret"]["Metadata"]["checkov"])


def test_a_private_rotation_function_passes_the_secrets_manager_endpoint(write_spec) -> None:
    """The rotation grants exist before the network kind derives its endpoint policies from the private roles."""
    spec = """
specc: 1
service: svc
environment: dev
regions: [us-east-1]
secrets:
  token: {rotation: {function: rotate}}
functions:
  rotate: {handler: handlers/app.py:handler, network: private}
network: {interface_endpoints: [secretsmanager]}
"""
    template = compile_spec(write_spec(spec)).templates["service.json"]
    policy = template["Resources"]["SecretsmanagerInterfaceEndpoint"]["Properties"]["PolicyDocument"]
    allowed = {action: statement["Resource"] for statement in policy["Statement"] for action in statement["Action"]}
    assert allowed["secretsmanager:PutSecretValue"] == [{"Ref": "TokenSecret"}]
    assert allowed["secretsmanager:GetRandomPassword"] == ["*"]
