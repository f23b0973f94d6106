"""`specc status` checks what is deployed, not only the template: a table deleted behind the stack's back (through
the DynamoDB API) makes the stack, or the StackSet instance, "drifted", named in the RESOURCES section, and
`--exit-code` exits 5. moto has no drift detection (DetectStackDrift answers HTTP 500), so on the emulator every
resource is read through its own service's API (specc.aws.existence). The StackSet instance case is part of
test_updates_deploy.py (it needs a rollout, the costly part)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from specc.cli.app import main
from specc.cli.ship import EXIT_CHANGES

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ADMIN, WORKLOADS = "123456789012", ("111111111111", "222222222222")
TABLE = "payments-idempotency-prod"


def _delete_table_behind_the_stacks_back(session: Any, region: str) -> None:
    dynamodb = session.client("dynamodb", region_name=region)
    dynamodb.update_table(TableName=TABLE, DeletionProtectionEnabled=False)
    dynamodb.delete_table(TableName=TABLE)


def _resource_lines(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    return lines[lines.index("RESOURCES") + 1:-1]


def _verdict(stdout: str, region: str, account: str, what: str) -> str:
    found = [line for line in stdout.splitlines() if line.startswith(f"{region}  {account}  {what} ")]
    assert len(found) == 1, stdout
    return found[0].split()[-1]


def test_status_reports_a_table_deleted_behind_the_stacks_back(aws, runner, session, project) -> None:
    spec = project()
    assert runner.invoke(main, ["bootstrap", str(spec), "--region", "us-east-1"]).exit_code == 0
    assert runner.invoke(main, ["deploy", str(spec), "--region", "us-east-1"]).exit_code == 0
    before = runner.invoke(main, ["status", str(spec), "--region", "us-east-1", "--exit-code"])
    assert before.exit_code == 0, before.output
    assert _verdict(before.stdout, "us-east-1", ADMIN, "stack payments-prod") == "matches"
    line = next(r for r in _resource_lines(before.stdout) if "stack payments-prod:" in r)
    assert line.startswith(f"  us-east-1 {ADMIN} stack payments-prod: service APIs: ")
    assert "MISSING" not in line and " not checked (" in line and " not created by the emulator" in line
    present = int(line.split("service APIs: ")[1].split()[0])
    assert present >= 20  # tables, functions, keys, queues, topics, roles, log groups, the REST API...

    _delete_table_behind_the_stacks_back(session(), "us-east-1")
    after = runner.invoke(main, ["status", str(spec), "--region", "us-east-1", "--exit-code"])
    assert after.exit_code == EXIT_CHANGES, after.output
    assert _verdict(after.stdout, "us-east-1", ADMIN, "stack payments-prod") == "drifted"
    line = next(r for r in _resource_lines(after.stdout) if "stack payments-prod:" in r)
    assert f"1 MISSING: IdempotencyTable (AWS::DynamoDB::Table {TABLE})" in line
    assert int(line.split("service APIs: ")[1].split()[0]) == present - 1
    assert after.stdout.splitlines()[-1].startswith(f"{spec}: 3 of 5 match the compiled output, 1 drifted, ")

    templates_only = runner.invoke(main, ["status", str(spec), "--region", "us-east-1", "--templates-only"])
    assert _verdict(templates_only.stdout, "us-east-1", ADMIN, "stack payments-prod") == "matches"
    assert "RESOURCES" not in templates_only.stdout.splitlines()
