"""A workflow deploys to moto server: the state machine exists with its definition resolved by CloudFormation
(function, alias and topic ARNs in place, spec text unescaped), its role, and the function that starts it holds
the state machine's ARN, which starts an execution. moto keeps the definition, role and type, and drops the
logging, tracing and encryption settings (checked still dropped, so a moto that keeps them shows up here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specc.cli.app import main

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SPEC = "tests/golden/workflows/spec.yaml"


@pytest.fixture(autouse=True)
def _at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_workflow_deploys_with_its_definition_resolved(aws, runner, session, deployed, services, template) -> None:
    assert runner.invoke(main, ["bootstrap", SPEC, "--region", "us-east-1"]).exit_code == 0
    result = runner.invoke(main, ["deploy", SPEC, "--region", "us-east-1"])
    assert result.exit_code == 0, result.output
    service = template(spec=REPO / SPEC)
    physical = deployed(session(), "us-east-1", "shop-dev", service)
    services(session(), "us-east-1", service, physical)

    states = session().client("stepfunctions", region_name="us-east-1")
    machine = states.describe_state_machine(stateMachineArn=physical["OrderStateMachine"])
    assert machine["name"] == "shop-order-dev" and machine["type"] == "STANDARD"
    assert machine["roleArn"].startswith("arn:aws:iam::123456789012:role/")
    document = json.loads(machine["definition"])
    functions = session().client("lambda", region_name="us-east-1")
    validate_arn = functions.get_function(FunctionName="shop-validate-order-dev")["Configuration"]["FunctionArn"]
    assert document["States"]["validate"]["Resource"] == validate_arn
    charge = document["States"]["fulfil"]["Branches"][0]["States"]["charge_card"]
    assert charge["Resource"] == physical["ChargeAlias"] and charge["Resource"].endswith(":live")
    assert document["States"]["notify_failure"]["Resource"] == "arn:aws:states:::sns:publish"
    assert document["States"]["notify_failure"]["Parameters"]["TopicArn"] == physical["AlertsTopic"]
    assert document["States"]["validate"]["Parameters"]["note"] == "costs ${amount}"  # `${!` unescaped by Sub
    # Dropped by moto: the template asks for ALL-level logging, tracing and a customer-managed key.
    assert machine.get("loggingConfiguration", {}).get("level", "OFF") == "OFF"
    assert machine.get("tracingConfiguration", {}).get("enabled", False) is False
    assert machine.get("encryptionConfiguration", {}).get("type", "AWS_OWNED_KEY") == "AWS_OWNED_KEY"

    environment = functions.get_function_configuration(FunctionName="shop-intake-dev")["Environment"]["Variables"]
    assert environment["WORKFLOW_ORDER"] == physical["OrderStateMachine"]  # the ARN built from the name is right
    execution = states.start_execution(stateMachineArn=environment["WORKFLOW_ORDER"], input='{"order": {}}')
    assert states.describe_execution(executionArn=execution["executionArn"])["stateMachineArn"] == \
        physical["OrderStateMachine"]
