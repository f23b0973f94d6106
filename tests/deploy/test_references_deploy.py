"""References in environment values deploy to moto server (the golden spec tests/golden/references): the function's
environment, read back with Lambda's own API (get_function_configuration, not the stack), holds the resolved names,
ARNs, URL, region and account, and the literal `${` of an escaped `$${`; each trigger's permission is in the
function's resource policy, scoped to its skill ID or source ARN.

moto has no CloudFormation model of secrets (MOTO_SKIPS): it resolves a `Ref` to one to nothing and drops the
variables that hold it (`${secrets.api_token.arn}`, like the injected SECRET_API_TOKEN; see
test_storage_deploy.test_secrets_deploy_as_far_as_moto_models_them). When moto keeps them, assert the ARNs here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from specc.cli.app import main
from specc.compiler import compile_spec

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SPEC = "tests/golden/references/spec.yaml"
ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.fixture(autouse=True)
def _at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_environment_holds_the_resolved_references(aws, runner, session, deployed, template) -> None:
    assert runner.invoke(main, ["bootstrap", SPEC, "--region", REGION]).exit_code == 0
    result = runner.invoke(main, ["deploy", SPEC, "--region", REGION])
    assert result.exit_code == 0, result.output
    service = template(spec=REPO / SPEC)
    physical = deployed(session(), REGION, "porting-test", service)

    functions = session().client("lambda", region_name=REGION)
    variables = functions.get_function_configuration(FunctionName="porting-process-test")["Environment"]["Variables"]
    sqs = session().client("sqs", region_name=REGION)
    queue_arn = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="porting-jobs-test")["QueueUrl"],
                                         AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/porting-jobs-test"  # the queue's URL on AWS
    assert physical["JobsQueue"] == queue_url
    table_arn = session().client("dynamodb", region_name=REGION).describe_table(
        TableName="porting-orders-test")["Table"]["TableArn"]
    key_arn = session().client("kms", region_name=REGION).describe_key(KeyId=physical["DataKey"])["KeyMetadata"]["Arn"]
    assert {name: variables[name] for name in sorted(variables) if name not in ("SERVICE", "ENVIRONMENT")} == {
        "ACCOUNT": ACCOUNT,
        "ALERTS_TOPIC": f"arn:aws:sns:{REGION}:{ACCOUNT}:porting-alerts-test",
        "BUCKET": f"porting-uploads-test-{ACCOUNT}-{REGION}",
        "BUCKET_UPLOADS": f"porting-uploads-test-{ACCOUNT}-{REGION}",
        "DATA_KEY": key_arn,
        "GREETING": f"Hello ${{name}} from {REGION}",
        "QUEUE_ARN": queue_arn,
        "QUEUE_ENDPOINT": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/porting-jobs-test",
        "QUEUE_JOBS": queue_url,
        "QUEUE_URL": queue_url,
        "REGION": REGION,
        "SKILL_FUNCTION": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:porting-skill-test",
        "TABLE_ARN": table_arn,
        "TABLE_NAME": "porting-orders-test",
        "TABLE_ORDERS": "porting-orders-test",
        "TEMPLATE": "Hello ${name}, that costs $5",
        "TOPIC_ALERTS": f"arn:aws:sns:{REGION}:{ACCOUNT}:porting-alerts-test",
    }
    assert variables["SKILL_FUNCTION"] == functions.get_function_configuration(
        FunctionName="porting-skill-test")["FunctionArn"], "the name-built ARN is the function's own"
    skill = functions.get_function_configuration(FunctionName="porting-skill-test")["Environment"]["Variables"]
    assert skill["PROCESS_FUNCTION"] == "porting-process-test"

    policy = json.loads(functions.get_policy(FunctionName="porting-skill-test")["Policy"])
    by_principal = {str(statement["Principal"].get("Service") if isinstance(statement["Principal"], dict)
                        else statement["Principal"]): statement for statement in policy["Statement"]}
    assert sorted(by_principal) == ["alexa-appkit.amazon.com", "alexa-connectedhome.amazon.com", "iot.amazonaws.com"]
    assert by_principal["iot.amazonaws.com"]["Condition"]["ArnLike"]["AWS:SourceArn"] == (
        f"arn:aws:iot:{REGION}:{ACCOUNT}:rule/device_events")
    # moto drops EventSourceToken from the resource policy (the golden template holds it: tests/golden/references).
    # When moto keeps it, assert `Condition.StringEquals["lambda:EventSourceToken"]` is each skill's ID here.
    alexa = ("alexa-appkit.amazon.com", "alexa-connectedhome.amazon.com")
    assert all("Condition" not in by_principal[p] for p in alexa)


def test_references_resolve_across_the_stacks_of_a_split_service(aws, runner, session, tmp_path, monkeypatch) -> None:
    """tests/deploy/split_service with references in one function's environment: the function lives in a nested
    stack, the table and topic it names in the parent; Lambda holds the resolved values."""
    shutil.copytree(REPO / "tests" / "deploy" / "split_service", tmp_path / "svc")
    spec = tmp_path / "svc" / "spec.yaml"
    spec.write_text(spec.read_text().replace(
        "  fn11: {handler: handlers/app.py:handler, ",
        "  fn11: {handler: handlers/app.py:handler, environment: {ORDERS_ARN: '${tables.orders.arn}', "
        "STOCK: 'table ${tables.stock.name} in ${aws.region}', ALERTS: '${topics.alerts.arn}'}, "))
    monkeypatch.chdir(tmp_path / "svc")
    assert runner.invoke(main, ["bootstrap", "spec.yaml", "--region", REGION]).exit_code == 0
    result = runner.invoke(main, ["deploy", "spec.yaml", "--region", REGION])
    assert result.exit_code == 0, result.output
    compiled = compile_spec(spec)
    assert compiled.layout is not None and compiled.layout.placement["Fn11Function"], "fn11 is in a nested stack"
    variables = session().client("lambda", region_name=REGION).get_function_configuration(
        FunctionName="bigsvc-fn11-test")["Environment"]["Variables"]
    table_arn = session().client("dynamodb", region_name=REGION).describe_table(
        TableName="bigsvc-orders-test")["Table"]["TableArn"]
    assert variables["ORDERS_ARN"] == table_arn
    assert variables["STOCK"] == f"table bigsvc-stock-test in {REGION}"
    assert variables["ALERTS"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:bigsvc-alerts-test"
