"""`specc invoke`, `specc logs` and `specc destroy` against moto server, checked through the services' own APIs.

moto does not run Lambda functions here (its Lambda needs Docker): `invoke` runs the handler locally anyway, and
`logs` reads events put into the function's log group through the Logs API, as Lambda would have written them.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from specc.aws.invoke import PASSED_THROUGH
from specc.cli.app import main
from specc.cli.ship import EXIT_AWS

pytestmark = pytest.mark.slow

ADMIN, WORKLOADS = "123456789012", ("111111111111", "222222222222")
STACK = "inner-test"
HANDLER = '''
import logging
import os
import time

import boto3

logging.getLogger().setLevel(logging.INFO)


def handler(event, context):
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_ORDERS"])
    table.put_item(Item={"id": event["id"], "by": context.function_name})
    print("stored", event["id"])
    logging.info("remaining %s ms", context.get_remaining_time_in_millis())
    return {"stored": event["id"], "function": context.function_name, "memory": context.memory_limit_in_mb,
            "arn": context.invoked_function_arn,
            "env": {k: v for k, v in os.environ.items() if not k.startswith(("AWS_SECRET", "AWS_SESSION"))}}


def fail(event, context):
    raise ValueError("no such order: " + event.get("id", "?"))


def uses_yaml(event, context):
    import yaml  # installed where specc runs, not shipped with the function: Lambda would not find it

    return yaml.__version__


def version(event, context):
    import sys

    return "python%d.%d" % sys.version_info[:2]


def slow(event, context):
    print("going to sleep")
    time.sleep(60)
'''


def _spec(root: Path, policy: str = "Retain", regions: str = "[us-east-1]", accounts: str = "") -> Path:
    (root / "handlers").mkdir(parents=True, exist_ok=True)
    (root / "handlers" / "app.py").write_text(HANDLER)
    (root / "handlers" / "broken.py").write_text("import yaml  # not shipped\n\n\ndef handler(event, context):\n"
                                                 "    return yaml.__version__\n")
    spec = root / "spec.yaml"
    spec.write_text(textwrap.dedent(f"""\
        specc: 1
        service: inner
        environment: test
        regions: {regions}
        {accounts}
        security: {{deletion_policy: {policy}}}
        tables:
          orders: {{partition_key: {{name: id, type: S}}}}
          audit: {{partition_key: {{name: id, type: S}}}}
        functions:
          put_order:
            handler: handlers/app.py:handler
            timeout: 5
            memory: 256
            uses: {{tables: {{orders: read_write, audit: write}}}}
          fail_order:
            handler: handlers/app.py:fail
          slow:
            handler: handlers/app.py:slow
            timeout: 1
          uses_yaml:
            handler: handlers/app.py:uses_yaml
          version:
            handler: handlers/app.py:version
          broken:
            handler: handlers/broken.py:handler
        """))
    return spec


@pytest.fixture
def deployed_spec(aws, runner, tmp_path) -> Any:
    def deploy(policy: str = "Retain") -> Path:
        spec = _spec(tmp_path / "project", policy)
        assert runner.invoke(main, ["bootstrap", str(spec)]).exit_code == 0
        result = runner.invoke(main, ["deploy", str(spec)])
        assert result.exit_code == 0, result.output
        return spec

    return deploy


def test_invoke_runs_the_handler_with_the_deployed_environment_and_it_writes_to_its_table(deployed_spec, runner,
                                                                                         session, tmp_path) -> None:
    spec = deployed_spec()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"id": "o-1"}))
    result = runner.invoke(main, ["invoke", str(spec), "put_order", "--event", str(event)])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["stored"] == "o-1"
    dynamodb = session().client("dynamodb", region_name="us-east-1")
    item = dynamodb.get_item(TableName="inner-orders-test", Key={"id": {"S": "o-1"}})["Item"]
    assert item == {"id": {"S": "o-1"}, "by": {"S": "inner-put-order-test"}}

    # The environment: the template's variables resolved to what is deployed, plus Lambda's own.
    tables = set(dynamodb.list_tables()["TableNames"])
    env = answer["env"]
    assert {env["TABLE_ORDERS"], env["TABLE_AUDIT"]} <= tables
    assert (env["TABLE_ORDERS"], env["TABLE_AUDIT"]) == ("inner-orders-test", "inner-audit-test")
    deployed = session().client("lambda", region_name="us-east-1").get_function_configuration(
        FunctionName="inner-put-order-test")["Environment"]["Variables"]
    assert {k: env[k] for k in deployed} == deployed  # what Lambda itself holds for the function
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == answer["function"] == "inner-put-order-test"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == answer["memory"] == "256"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/inner-put-order-test"
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert answer["arn"] == f"arn:aws:lambda:us-east-1:{ADMIN}:function:inner-put-order-test"
    lambdas = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
               "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
               "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_EXECUTION_ENV", "_HANDLER", "LANG", "TZ", "PATH"}
    passed = {"AWS_ACCESS_KEY_ID"} | {k for k in os.environ if k.startswith(PASSED_THROUGH)}  # endpoint, proxy, CA
    assert set(env) - {"LC_CTYPE"} == set(deployed) | lambdas | passed  # nothing else of the caller's environment
    logs = result.stderr.splitlines()
    if logs[0].startswith("note: "):  # no working python3.12 on PATH: specc's own Python, and it says so
        assert logs.pop(0) == (f"note: put_order runs on python3.12 in Lambda; here on python3.11 ({sys.executable}): "
                               "no working python3.12 on PATH")
    assert logs[0].startswith("START RequestId: ")
    assert "stored o-1" in logs
    assert any(line.startswith("[INFO]\t") and "remaining" in line for line in logs)
    assert logs[-1].startswith("REPORT RequestId: ")

    from_stdin = runner.invoke(main, ["invoke", str(spec), "put_order", "--event", "-"], input='{"id": "o-2"}')
    assert from_stdin.exit_code == 0, from_stdin.output
    assert dynamodb.get_item(TableName="inner-orders-test", Key={"id": {"S": "o-2"}})["Item"]["id"] == {"S": "o-2"}


def test_invoke_reports_what_the_handler_raised(deployed_spec, runner) -> None:
    spec = deployed_spec()
    result = runner.invoke(main, ["invoke", str(spec), "fail_order", "--event", "-"], input='{"id": "o-9"}')
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"errorMessage": "no such order: o-9", "errorType": "ValueError"}
    logs = result.stderr.splitlines()
    assert logs[-1] == "error: fail_order (inner-fail-order-test) raised ValueError: no such order: o-9"
    error = logs.index("[ERROR] ValueError: no such order: o-9")  # logged as Lambda logs it, with its traceback
    assert logs[error + 1] == "Traceback (most recent call last):"
    assert logs[error + 2].endswith(', in fail') and "app.py" in logs[error + 2]
    assert "lambda_runtime.py" not in result.stderr  # the handler's frames only, not the runtime's


def test_invoke_sees_only_what_lambda_would_and_prefers_the_runtimes_python(deployed_spec, runner, monkeypatch,
                                                                            tmp_path) -> None:
    spec = deployed_spec()
    missing = runner.invoke(main, ["invoke", str(spec), "uses_yaml"])
    assert missing.exit_code == 1
    assert json.loads(missing.stdout) == {"errorMessage": "No module named 'yaml'", "errorType": "ModuleNotFoundError"}

    at_import = runner.invoke(main, ["invoke", str(spec), "broken"])
    assert at_import.exit_code == 1
    assert json.loads(at_import.stdout) == {"errorMessage": "Unable to import module 'broken': No module named 'yaml'",
                                            "errorType": "Runtime.ImportModuleError"}
    assert '  File "' in at_import.stderr and "broken.py\", line 1, in <module>" in at_import.stderr

    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")  # no python3.12 to be found
    fallback = runner.invoke(main, ["invoke", str(spec), "version"])
    assert fallback.exit_code == 0, fallback.output
    assert json.loads(fallback.stdout) == f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert "no working python3.12 on PATH" in fallback.stderr.splitlines()[0]

    import shutil

    pyenv = Path.home() / ".pyenv" / "versions"
    found = sorted(pyenv.glob("3.12*/bin/python3.12")) if pyenv.is_dir() else []
    on_path = shutil.which("python3.12", path=os.environ.get("PATH"))
    if not found and not on_path:
        pytest.skip("no python3.12 installed here")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python3.12").symlink_to(found[-1] if found else Path(on_path or ""))
    preferred = runner.invoke(main, ["invoke", str(spec), "version"])
    assert preferred.exit_code == 0, preferred.output
    assert json.loads(preferred.stdout) == "python3.12"
    assert not preferred.stderr.startswith("note:")


def test_invoke_kills_a_handler_past_its_timeout(deployed_spec, runner) -> None:
    spec = deployed_spec()
    started = time.monotonic()
    result = runner.invoke(main, ["invoke", str(spec), "slow"])
    assert time.monotonic() - started < 20
    assert result.exit_code == 1
    assert "going to sleep" in result.stderr
    assert result.stderr.splitlines()[-1] == ("error: slow (inner-slow-test): Task timed out after 1.00 seconds; the "
                                              "process was killed.")
    assert result.stdout == ""


def test_invoke_needs_a_deployed_stack_and_a_function_of_the_spec(aws, runner, tmp_path) -> None:
    spec = _spec(tmp_path / "project")
    result = runner.invoke(main, ["invoke", str(spec), "put_order"])
    assert result.exit_code == EXIT_AWS
    assert result.stderr == (f"error: stack inner-test is not deployed in us-east-1 ({ADMIN}): deploy it first with "
                             f"`specc deploy {spec} --region us-east-1`\n")
    unknown = runner.invoke(main, ["invoke", str(spec), "put_ordr"])
    assert unknown.exit_code == 2
    assert "put_ordr is not a function of the spec (its functions: broken, fail_order, put_order, slow, " \
           "uses_yaml, version); did you mean put_order?" in unknown.stderr


def test_logs_reads_the_functions_log_group(deployed_spec, runner, session) -> None:
    spec = deployed_spec()
    logs = session().client("logs", region_name="us-east-1")
    group = "/aws/lambda/inner-put-order-test"
    logs.create_log_stream(logGroupName=group, logStreamName="2026/12/03/[$LATEST]abc")
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName="2026/12/03/[$LATEST]abc", logEvents=[
        {"timestamp": now - 3 * 3600 * 1000, "message": "too old"},
        {"timestamp": now - 2000, "message": "START RequestId: r-1"},
        {"timestamp": now - 1000, "message": "stored o-1\n"}])
    result = runner.invoke(main, ["logs", str(spec), "put_order"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == ["START RequestId: r-1", "stored o-1"]
    assert all(line.split(" ")[1] == "2026/12/03/[$LATEST]abc" for line in lines)
    older = runner.invoke(main, ["logs", str(spec), "put_order", "--since", "4h"])
    assert older.stdout.splitlines()[0].endswith(" too old")
    other = runner.invoke(main, ["logs", str(spec), "fail_order"])
    assert other.exit_code == 0 and other.stdout == ""


def test_logs_follow_stops_on_ctrl_c_with_130(deployed_spec, runner, session, monkeypatch) -> None:
    from specc.aws import logs as aws_logs

    spec = deployed_spec()
    client = session().client("logs", region_name="us-east-1")
    group = "/aws/lambda/inner-put-order-test"
    client.create_log_stream(logGroupName=group, logStreamName="s")
    polls = []

    def sleep(_: float) -> None:  # a new event arrives between polls; Ctrl-C after the second poll
        polls.append(1)
        if len(polls) == 2:
            raise KeyboardInterrupt
        client.put_log_events(logGroupName=group, logStreamName="s",
                              logEvents=[{"timestamp": int(time.time() * 1000), "message": "later"}])

    original = aws_logs.follow
    monkeypatch.setattr(aws_logs, "follow", lambda *a, **k: original(*a, **k, sleep=sleep))
    client.put_log_events(logGroupName=group, logStreamName="s",
                          logEvents=[{"timestamp": int(time.time() * 1000), "message": "first"}])
    result = runner.invoke(main, ["logs", str(spec), "put_order", "--follow"])
    assert result.exit_code == 130
    assert [line.rsplit(" ", 1)[1] for line in result.stdout.splitlines()] == ["first", "later"]
    assert "Traceback" not in result.output


def test_destroy_removes_the_stack_and_lists_what_it_retains(deployed_spec, runner, session) -> None:
    spec = deployed_spec()
    cfn = session().client("cloudformation", region_name="us-east-1")
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["EnableTerminationProtection"] is True
    result = runner.invoke(main, ["destroy", str(spec), "--yes"])
    assert result.exit_code == 0, result.output
    assert "DATA LOSS" not in result.output  # everything that holds data is retained
    assert not [s for s in cfn.describe_stacks()["Stacks"] if s["StackName"] == STACK]
    assert "turned off termination protection of stack inner-test (specc deploy turned it on)" in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"inner-test in us-east-1 ({ADMIN}): deleted (DELETE_COMPLETE)"
    assert lines[1] == "retained (DeletionPolicy Retain), left in place and no longer managed by any stack: 15"
    listed = {line.split()[-1].strip("()"): line.split()[:2] for line in lines[2:]}
    assert all(line.endswith(f" in us-east-1 {ADMIN} ({logical})")
               for line, logical in zip(lines[2:], listed, strict=True))
    entries = ("broken", "fail_order", "put_order", "slow", "uses_yaml", "version")
    camel = {name: "".join(word.title() for word in name.split("_")) for name in entries}
    assert listed == {
        "AuditTable": ["AWS::DynamoDB::Table", "inner-audit-test"],
        "OrdersTable": ["AWS::DynamoDB::Table", "inner-orders-test"],
        "MainKey": ["AWS::KMS::Key", listed["MainKey"][1]],
        **{f"{camel[name]}LogGroup": ["AWS::Logs::LogGroup", f"/aws/lambda/inner-{name.replace('_', '-')}-test"]
           for name in entries},
        **{f"{camel[name]}DeadLetterQueue": ["AWS::SQS::Queue", listed[f"{camel[name]}DeadLetterQueue"][1]]
           for name in entries}}
    # What is retained is still there, through each service's API.
    kms = session().client("kms", region_name="us-east-1")
    assert kms.describe_key(KeyId=listed["MainKey"][1])["KeyMetadata"]["Enabled"] is True
    sqs = session().client("sqs", region_name="us-east-1")
    queues = sorted(url.rsplit("/", 1)[1] for url in sqs.list_queues()["QueueUrls"])  # moto answers with its endpoint
    assert queues == sorted(listed[q][1].rsplit("/", 1)[1] for q in listed if q.endswith("Queue"))
    assert queues == sorted(f"inner-{name.replace('_', '-')}-test-dlq" for name in entries)
    # The functions and roles are gone.
    functions = session().client("lambda", region_name="us-east-1").list_functions()["Functions"]
    assert [f["FunctionName"] for f in functions] == []
    tables = session().client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]
    assert {"inner-orders-test", "inner-audit-test"} <= set(tables)
    groups = [g["logGroupName"] for g in session().client("logs", region_name="us-east-1").describe_log_groups(
        logGroupNamePrefix="/aws/lambda/inner-")["logGroups"]]
    assert len(groups) == len(entries)
    roles = [r["RoleName"] for r in session().client("iam").list_roles()["Roles"] if "PutOrder" in r["RoleName"]
             or r["RoleName"].startswith("inner-")]
    assert roles == []

    again = runner.invoke(main, ["destroy", str(spec), "--yes"])
    assert again.exit_code == EXIT_AWS
    assert again.stderr == f"error: stack inner-test does not exist in us-east-1 ({ADMIN}); nothing to destroy.\n"


def test_destroy_refuses_data_loss_without_the_flag(deployed_spec, runner, session) -> None:
    spec = deployed_spec("Delete")
    refused = runner.invoke(main, ["destroy", str(spec), "--yes"])
    assert refused.exit_code == 1, refused.output
    errors = refused.stderr.splitlines()
    assert errors[-1] == (f"error: E270 {spec}: refusing the deletion of stack inner-test in us-east-1: 15 changes "
                          "would delete or replace stored data (DATA LOSS above); nothing was changed. Rerun with "
                          "--allow-data-loss to accept the loss.")
    assert (f"  DATA LOSS: table orders (AWS::DynamoDB::Table OrdersTable) in stack inner-test in us-east-1 {ADMIN} "
            "will be DELETED with its items (DeletionPolicy Delete)") in errors
    assert ("    to keep its items, give it DeletionPolicy Retain (`security.deletion_policy: Retain` in the spec) "
            "and deploy before destroying, or copy the data elsewhere first") in errors
    cfn = session().client("cloudformation", region_name="us-east-1")
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["EnableTerminationProtection"] is True  # untouched
    dynamodb = session().client("dynamodb", region_name="us-east-1")
    assert "inner-orders-test" in dynamodb.list_tables()["TableNames"]

    accepted = runner.invoke(main, ["destroy", str(spec), "--yes", "--allow-data-loss"])
    assert accepted.exit_code == 0, accepted.output
    assert "--allow-data-loss: going ahead with the deletion of stack inner-test in us-east-1." in accepted.stderr
    assert accepted.stdout.splitlines()[-1] == "nothing was retained."
    assert dynamodb.list_tables()["TableNames"] == []
    assert session().client("lambda", region_name="us-east-1").list_functions()["Functions"] == []


def test_destroy_rollout_removes_every_instance_then_the_stack_set(aws, runner, session, tmp_path) -> None:
    spec = _spec(tmp_path / "project", "Delete", regions="[us-east-1, eu-west-1]",
                 accounts=f'accounts: ["{WORKLOADS[0]}", "{WORKLOADS[1]}"]')
    assert runner.invoke(main, ["bootstrap", str(spec)]).exit_code == 0
    rolled = runner.invoke(main, ["rollout", str(spec)])
    assert rolled.exit_code == 0, rolled.output
    for account in WORKLOADS:
        for region in ("us-east-1", "eu-west-1"):
            assert "inner-orders-test" in session(account).client("dynamodb", region_name=region).list_tables()[
                "TableNames"]

    refused = runner.invoke(main, ["destroy", str(spec), "--rollout", "--yes"])
    assert refused.exit_code == 1, refused.output
    assert "refusing the deletion of stack set inner-test and its instances" in refused.stderr.splitlines()[-1]
    assert "DATA LOSS: table orders (AWS::DynamoDB::Table OrdersTable) in stack set instance eu-west-1 " \
           f"{WORKLOADS[1]} will be DELETED with its items" in refused.stderr

    result = runner.invoke(main, ["destroy", str(spec), "--rollout", "--yes", "--allow-data-loss"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["stack set inner-test in us-east-1: deleted with its 4 instance(s)",
                                          "nothing was retained."]
    cfn = session().client("cloudformation", region_name="us-east-1")
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="StackSetNotFound"):
        status = cfn.describe_stack_set(StackSetName="inner-test")["StackSet"]["Status"]
        assert status == "DELETED"  # moto keeps deleted stack sets, marked so
        raise ClientError({"Error": {"Code": "StackSetNotFoundException"}}, "DescribeStackSet")
    for account in WORKLOADS:
        for region in ("us-east-1", "eu-west-1"):
            client = session(account).client("dynamodb", region_name=region)
            assert "inner-orders-test" not in client.list_tables()["TableNames"], (account, region)
            functions = session(account).client("lambda", region_name=region).list_functions()["Functions"]
            assert functions == [], (account, region)


def test_destroy_asks_at_a_terminal_and_a_no_changes_nothing(deployed_spec, runner, session, monkeypatch) -> None:
    import specc.cli.ship

    spec = deployed_spec()
    monkeypatch.setattr(specc.cli.ship, "_can_ask", lambda: True)
    declined = runner.invoke(main, ["destroy", str(spec)], input="n\n")
    assert declined.exit_code == 2, declined.output
    assert "Delete stack inner-test in us-east-1 (123456789012)? [y/N]" in declined.stderr
    assert declined.stderr.splitlines()[-1] == f"error: {spec}: not confirmed; nothing was changed."
    cfn = session().client("cloudformation", region_name="us-east-1")
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["EnableTerminationProtection"] is True
    accepted = runner.invoke(main, ["destroy", str(spec)], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert not [s for s in cfn.describe_stacks()["Stacks"] if s["StackName"] == STACK]


def test_destroy_asks_about_data_loss_at_a_terminal(deployed_spec, runner, session, monkeypatch) -> None:
    import specc.cli.ship

    spec = deployed_spec("Delete")
    monkeypatch.setattr(specc.cli.ship, "_can_ask", lambda: True)
    declined = runner.invoke(main, ["destroy", str(spec)], input="n\n")
    assert declined.exit_code == 1, declined.output
    assert "Go ahead with the deletion of stack inner-test in us-east-1 and lose this data? [y/N]" in declined.stderr
    assert "inner-orders-test" in session().client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]
    accepted = runner.invoke(main, ["destroy", str(spec)], input="y\n")  # one question: the loss was the question
    assert accepted.exit_code == 0, accepted.output
    assert "Delete stack" not in accepted.stderr
    assert session().client("dynamodb", region_name="us-east-1").list_tables()["TableNames"] == []


def test_destroy_with_allow_data_loss_still_asks_at_a_terminal(deployed_spec, runner, session, monkeypatch) -> None:
    import specc.cli.ship

    spec = deployed_spec("Delete")
    monkeypatch.setattr(specc.cli.ship, "_can_ask", lambda: True)
    declined = runner.invoke(main, ["destroy", str(spec), "--allow-data-loss"], input="n\n")
    assert declined.exit_code == 2, declined.output
    assert "Delete stack inner-test in us-east-1 (123456789012)? [y/N]" in declined.stderr
    assert "inner-orders-test" in session().client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]
    tables = session().client("dynamodb", region_name="us-east-1")
    assert tables.describe_table(TableName="inner-orders-test")["Table"]["DeletionProtectionEnabled"] is True


def test_invoke_and_destroy_a_split_service(aws, runner, session, tmp_path) -> None:
    """A function in a nested stack: its variables are the nested stack's parameters (what the parent passed);
    destroy deletes the parent with every nested stack and lists what they retained."""
    import shutil

    root = tmp_path / "split"
    shutil.copytree(Path(__file__).parent / "split_service", root)
    (root / "handlers" / "app.py").write_text("import os\n\n\ndef handler(event, context):\n"
                                              "    return dict(os.environ)\n")
    spec = root / "spec.yaml"
    assert runner.invoke(main, ["bootstrap", str(spec), "--region", "us-east-1"]).exit_code == 0
    assert runner.invoke(main, ["deploy", str(spec), "--region", "us-east-1"]).exit_code == 0
    result = runner.invoke(main, ["invoke", str(spec), "fn1", "--region", "us-east-1"])
    assert result.exit_code == 0, result.output
    env = json.loads(result.stdout)
    topics = [t["TopicArn"] for t in session().client("sns", region_name="us-east-1").list_topics()["Topics"]]
    assert [env["TOPIC_ALERTS"]] == [t for t in topics if t.endswith(":bigsvc-alerts-test")]
    assert env["TABLE_ORDERS"] == "bigsvc-orders-test"
    assert env["FUNCTION_FN2"] == "bigsvc-fn2-test"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "bigsvc-fn1-test"

    cfn = session().client("cloudformation", region_name="us-east-1")
    nested = [r["PhysicalResourceId"] for r in cfn.describe_stack_resources(StackName="bigsvc-test")["StackResources"]
              if r.get("ResourceType") == "AWS::CloudFormation::Stack"]
    assert len(nested) >= 3
    destroyed = runner.invoke(main, ["destroy", str(spec), "--region", "us-east-1", "--yes"])
    assert destroyed.exit_code == 0, destroyed.output
    assert f"in it and its {len(nested)} nested stack(s) will be deleted." in destroyed.stderr
    left = [s["StackName"] for s in cfn.describe_stacks()["Stacks"]]
    assert left == ["specc-artifacts-bootstrap"]  # neither the parent nor any of its nested stacks
    assert session().client("lambda", region_name="us-east-1").list_functions()["Functions"] == []
    kept = [line for line in destroyed.stdout.splitlines() if line.startswith("  AWS::DynamoDB::Table ")]
    assert sorted(kept) == [f"  AWS::DynamoDB::Table bigsvc-orders-test in us-east-1 {ADMIN} (OrdersTable)",
                            f"  AWS::DynamoDB::Table bigsvc-stock-test in us-east-1 {ADMIN} (StockTable)"]
    assert sorted(session().client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]) == [
        "bigsvc-orders-test", "bigsvc-stock-test"]
