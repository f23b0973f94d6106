"""`specc diff`: resource by resource against the committed output or a deployed stack, replacements
from CloudFormation's provider schemas, IAM permission changes called out, and its exit codes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from specc.aws import stack_diff
from specc.cli.app import main
from specc.output import diff

SPEC = """\
specc: 1
service: shop
environment: dev
regions: [us-east-1]
tables:
  orders:
    partition_key: {name: order_id, type: S}
topics:
  events: {}
functions:
  place_order:
    handler: handlers/app.py:handler
    uses: {tables: {orders: read}}
"""


@pytest.fixture
def project(tmp_path: Path, write_spec, runner, monkeypatch) -> Path:
    """A spec whose output is compiled into templates_out/, as it would be committed."""
    monkeypatch.chdir(tmp_path)
    spec = write_spec(SPEC, name="shop.yaml")
    assert runner.invoke(main, ["compile", str(spec), "--out", "templates_out/shop"]).exit_code == 0
    return spec


def edit(spec: Path, old: str, new: str) -> None:
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new))


def run_diff(runner, *args: str):
    result = runner.invoke(main, ["diff", *args])
    assert result.exit_code in (0, 5), result.output
    return result


def test_nothing_changes_right_after_a_compile(runner, project) -> None:
    result = run_diff(runner, str(project), "--exit-code")
    assert result.exit_code == 0
    assert result.output == f"{project}: no changes.\n"


def test_modified_added_and_removed_resources_with_their_properties(runner, project) -> None:
    edit(project, "  place_order:\n    handler", "  place_order:\n    memory: 512\n    handler")
    edit(project, "topics:\n  events: {}\n", "")
    result = run_diff(runner, str(project), "--format", "json")
    changes = {r["logical_id"]: r for t in json.loads(result.output)["templates"] for r in t["resources"]}
    assert changes["PlaceOrderFunction"]["action"] == "modified"
    assert changes["PlaceOrderFunction"]["properties"] == ["MemorySize"]
    assert changes["PlaceOrderFunction"]["values"] == [["MemorySize", "256", "512"]]  # old -> new
    assert changes["EventsTopic"]["action"] == "removed"
    assert {k for k, v in changes.items() if v["action"] == "removed"} >= {"EventsTopic", "EventsTopicPolicy"}
    edit(project, "tables:\n", "topics:\n  audit: {}\ntables:\n")
    text = run_diff(runner, str(project)).output
    assert "+ AuditTopic" in text and "added" in text
    assert "- EventsTopic " in text and "~ PlaceOrderFunction" in text and "modified: MemorySize" in text
    assert "\n      MemorySize: 256 -> 512\n" in text


def _service(body: dict) -> dict:
    """The service template's diff (compile also writes stackset.json and bootstrap.json)."""
    (found,) = [t for t in body["templates"] if t["template"].endswith("service.json")]
    return found


def test_a_changed_name_forces_replacement(runner, project) -> None:
    """Every physical name carries the environment: changing it replaces what is named (create-only names)."""
    edit(project, "environment: dev", "environment: test")
    changes = {r["logical_id"]: r for r in _service(json.loads(run_diff(runner, str(project), "--format",
                                                                         "json").output))["resources"]}
    function = changes["PlaceOrderFunction"]
    assert (function["action"], function["replacement"], function["because"]) == ("replaced", "always",
                                                                                  ["FunctionName"])
    assert function["warning"] == ""  # the name changes, so CloudFormation can create the new one first
    assert changes["OrdersTable"]["because"] == ["TableName"]


def test_a_changed_key_schema_may_replace_and_warns_about_the_fixed_name(runner, project) -> None:
    edit(project, "{name: order_id, type: S}", "{name: id, type: S}")
    result = run_diff(runner, str(project), "--exit-code")
    assert result.exit_code == 5
    line = next(row for row in result.output.splitlines() if row.startswith("  ! OrdersTable"))
    assert "may be replaced (conditionally create-only: KeySchema[0].AttributeName" in line
    assert "TableName is a custom name that does not change" in result.output


def test_replacement_rules_come_from_cfn_lint_provider_schemas() -> None:
    from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::SQS::Queue").schema
    always, _conditional = diff.create_only("AWS::SQS::Queue")
    assert always == tuple(tuple(p.split("/")[2:]) for p in schema["createOnlyProperties"])
    assert ("QueueName",) in always and ("FifoQueue",) in always
    assert ("KeySchema",) in diff.create_only("AWS::DynamoDB::Table")[1]
    old = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": False, "DelaySeconds": 0}}}}
    new = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True, "DelaySeconds": 5}}}}
    (change,) = diff.diff_templates("t", old, new).resources
    assert (change.action, change.because, change.properties) == ("replaced", ("FifoQueue",),
                                                                  ("DelaySeconds", "FifoQueue"))


def test_iam_changes_are_called_out_per_role_policy_and_key_policy(runner, project) -> None:
    edit(project, "uses: {tables: {orders: read}}", "uses: {tables: {orders: read_write}}")
    body = json.loads(run_diff(runner, str(project), "--format", "json").output)
    permissions = {p["logical_id"]: p for p in _service(body)["permissions"]}
    role = permissions["PlaceOrderPolicy"]
    assert role["kind"] == "role policy" and role["attached_to"] == ["PlaceOrderRole"]
    assert "Allow dynamodb:PutItem on OrdersTable" in role["added"] and role["removed"] == []
    key = permissions["MainKey"]
    assert key["kind"] == "key policy" and key["added"] == ["Allow kms:Encrypt to PlaceOrderRole"]
    text = run_diff(runner, str(project)).output
    assert "IAM permissions:\n    MainKey (key policy)\n      + Allow kms:Encrypt to PlaceOrderRole" in text
    assert "      + Allow dynamodb:DeleteItem on OrdersTable" in text


def test_against_another_directory_and_without_any_committed_output(runner, project, tmp_path) -> None:
    result = run_diff(runner, str(project), "--against", str(tmp_path / "nowhere"), "--exit-code")
    assert result.exit_code == 5
    assert "no committed template at" in result.output and "+ OrdersTable" in result.output


def test_usage_errors(runner, project) -> None:
    assert runner.invoke(main, ["diff", str(project), "--region", "us-east-1"]).exit_code == 2
    assert runner.invoke(main, ["diff", str(project), "--stack", "s", "--against", "x"]).exit_code == 2


# ------------------------------------------------------------------------------- against a deployed stack


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 and a free port, stopped by its PID."""
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("moto server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def aws(moto_server, monkeypatch) -> str:
    """Dummy credentials, and the endpoint boto3 honours. moto 5.2.5 fails to create a KMS key with Tags
    from CloudFormation (KeyError 'TagKey'), so compiled templates lose their keys' tags on both sides."""
    from specc import compiler

    real = compiler.compile_checked

    def without_key_tags(spec_model, source):
        compiled = real(spec_model, source)
        for resource in compiled.templates["service.json"]["Resources"].values():
            if resource["Type"] == "AWS::KMS::Key":
                resource["Properties"].pop("Tags", None)
        return compiled

    monkeypatch.setattr(compiler, "compile_checked", without_key_tags)
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server


STORE = """\
specc: 1
service: store
environment: dev
regions: [us-east-1]
tables:
  orders:
    partition_key: {name: order_id, type: S}
topics:
  events: {}
"""


def references(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str):
            yield value["Ref"]
        if "Fn::GetAtt" in value:
            yield value["Fn::GetAtt"][0]
        for inner in value.values():
            yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)


def dependencies_first(template: dict) -> dict:
    """moto resolves Fn::GetAtt only on resources it has already created, in template order (CloudFormation
    orders by the references themselves): list each resource after the ones it refers to."""
    resources, ordered = template["Resources"], {}

    def visit(name: str) -> None:
        if name in ordered or name not in resources:  # done, or a pseudo parameter like AWS::Region
            return
        depends = resources[name].get("DependsOn", [])
        for dependency in sorted(set(references(resources[name])) | set([depends] if isinstance(depends, str)
                                                                        else depends)):
            visit(dependency)  # CloudFormation templates have no cycles, so this ends
        ordered[name] = resources[name]

    for name in sorted(resources):
        visit(name)
    return {**template, "Resources": ordered}


def deploy(spec: Path, stack: str) -> None:
    import boto3

    from specc.compiler import compile_spec

    body = json.dumps(dependencies_first(compile_spec(spec).templates["service.json"]))
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    cfn.create_stack(StackName=stack, TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
    cfn.get_waiter("stack_create_complete").wait(StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def test_against_a_deployed_stack_through_a_change_set(runner, aws, write_spec) -> None:
    import boto3

    spec = write_spec(STORE, name="store.yaml")
    deploy(spec, "store-dev")
    same = runner.invoke(main, ["diff", str(spec), "--stack", "store-dev", "--region", "us-east-1", "--exit-code"])
    assert same.exit_code == 0, same.output
    assert same.output.endswith("no changes.\n")

    edit(spec, "topics:\n  events: {}\n", "topics:\n  audit: {}\n")
    edit(spec, "{name: order_id, type: S}", "{name: id, type: S}")
    result = runner.invoke(main, ["diff", str(spec), "--stack", "store-dev", "--format", "json", "--exit-code"])
    assert result.exit_code == 5, result.output
    (template,) = json.loads(result.output)["templates"]
    changes = {r["logical_id"]: r["action"] for r in template["resources"]}
    assert changes["AuditTopic"] == "added" and changes["EventsTopic"] == "removed"
    assert changes["OrdersTable"] == "replaced"  # moto gives no Replacement: the provider schema decides
    assert template["template"] == "service.json → stack store-dev (us-east-1)"
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    assert cfn.list_change_sets(StackName="store-dev")["Summaries"] == []  # read, then deleted
    assert cfn.describe_stacks(StackName="store-dev")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def test_a_missing_stack_is_one_line_and_exit_6(runner, aws, write_spec) -> None:
    """Like every command that talks to AWS (it exited 4 before)."""
    spec = write_spec(STORE, name="store.yaml")
    result = runner.invoke(main, ["diff", str(spec), "--stack", "nope"])
    assert result.exit_code == 6
    assert result.stderr.startswith("error: ValidationError while reading the template of stack nope in us-east-1: ")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output


def test_a_large_template_goes_through_the_artifact_bucket_or_the_named_one(runner, aws, write_spec,
                                                                          monkeypatch) -> None:
    import boto3

    spec = write_spec(STORE.replace("service: store", "service: bulk"), name="bulk.yaml")  # names of its own
    deploy(spec, "store-big")
    monkeypatch.setattr(stack_diff, "_INLINE_LIMIT", 100)  # as if the template were over 51,200 bytes
    s3 = boto3.client("s3", region_name="us-east-1")
    account = boto3.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
    artifacts = f"specc-artifacts-{account}-us-east-1"
    if artifacts in {b["Name"] for b in s3.list_buckets()["Buckets"]}:  # deploy() may have bootstrapped it
        for item in s3.list_objects_v2(Bucket=artifacts).get("Contents", []):
            s3.delete_object(Bucket=artifacts, Key=item["Key"])
        s3.delete_bucket(Bucket=artifacts)
    missing = runner.invoke(main, ["diff", str(spec), "--stack", "store-big"])
    assert missing.exit_code == 6, missing.output  # AWS refused: one line that says what to do
    assert f"the artifact bucket {artifacts}: run `specc bootstrap`, or name a bucket with --bucket" in missing.stderr
    s3.create_bucket(Bucket=artifacts)
    edit(spec, "topics:\n  events: {}\n", "")
    by_default = runner.invoke(main, ["diff", str(spec), "--stack", "store-big"])
    assert by_default.exit_code == 0, by_default.output
    assert "- EventsTopic" in by_default.output
    assert [item["Key"][:11] for item in s3.list_objects_v2(Bucket=artifacts)["Contents"]] == ["specc/diff/"]
    s3.create_bucket(Bucket="templates")
    named = runner.invoke(main, ["diff", str(spec), "--stack", "store-big", "--bucket", "templates"])
    assert named.exit_code == 0, named.output
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="templates")["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("specc/diff/")
    assert os.environ["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")


def test_iam_conditions_are_part_of_each_permission() -> None:
    """A TLS-only Deny must not read as a Deny of everything, and a condition dropped from an Allow widens it."""
    tls = {"Bool": {"aws:SecureTransport": "false"}}
    queue_policy = {"Type": "AWS::SQS::QueuePolicy", "Properties": {"Queues": [{"Ref": "Q"}], "PolicyDocument": {
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*",
                       "Condition": tls}]}}}
    [change] = diff.permission_changes({}, {"QP": queue_policy})
    assert change.added == ("Deny sqs:SendMessage to * when Bool aws:SecureTransport = false",)
    scoped = {"Type": "AWS::Lambda::Permission", "Properties": {
        "Action": "lambda:InvokeFunction", "FunctionName": {"Ref": "F"}, "Principal": "s3.amazonaws.com",
        "SourceArn": {"Fn::GetAtt": ["Uploads", "Arn"]}, "SourceAccount": {"Ref": "AWS::AccountId"}}}
    open_to_s3 = {**scoped, "Properties": {k: v for k, v in scoped["Properties"].items()
                                           if k not in ("SourceArn", "SourceAccount")}}
    [widened] = diff.permission_changes({"P": scoped}, {"P": open_to_s3})
    assert widened.removed == ("Allow lambda:InvokeFunction to s3.amazonaws.com when SourceArn = Uploads and "
                               "SourceAccount = AWS::AccountId",)
    assert widened.added == ("Allow lambda:InvokeFunction to s3.amazonaws.com",)
