"""A service split into nested stacks deploys to moto server, as users deploy it (`specc bootstrap`, `specc deploy`,
`specc rollout`): the parent uploads its nested templates to the artifact bucket by content hash, passes values
down as parameters, reads nested outputs back with GetAtt, and every nested stack holds what its template says.

The spec (split_service/spec.yaml) keeps 80% of every quota free, so 12 functions do not fit one template.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from specc.cli.app import main
from specc.compiler import compile_spec

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
SPEC = HERE / "split_service" / "spec.yaml"
ADMIN = "123456789012"


@pytest.fixture(autouse=True)
def _at_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE / "split_service")


def _nested(session: Any, region: str, parent: str) -> dict[str, str]:
    """Nested stack logical ID -> its stack ID, as CloudFormation lists them in the parent."""
    cfn = session.client("cloudformation", region_name=region)
    resources = cfn.describe_stack_resources(StackName=parent)["StackResources"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources
            if r.get("ResourceType") == "AWS::CloudFormation::Stack"}


def _check_all_stacks(session: Any, region: str, parent: str, compiled: Any, deployed: Any) -> None:
    templates = json.loads(json.dumps(compiled.templates))
    nested = _nested(session, region, parent)
    stacks = {name: r for name, r in templates["service.json"]["Resources"].items()
              if r["Type"] == "AWS::CloudFormation::Stack"}
    assert sorted(nested) == sorted(stacks)
    deployed(session, region, parent, templates["service.json"])  # the nested stacks too, as resources
    cfn = session.client("cloudformation", region_name=region)
    for logical, stack_id in nested.items():
        template = templates[compiled.layout.stacks[logical].file]
        deployed(session, region, stack_id, template)
        status = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
        assert status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), (logical, status)


def test_split_service_deploys_as_parent_and_nested_stacks(aws, runner, session, deployed) -> None:
    compiled = compile_spec(SPEC)
    templates = json.loads(json.dumps(compiled.templates))
    nested_files = sorted(name for name in templates if name.startswith("nested/"))
    assert len(nested_files) >= 3 and compiled.layout is not None and compiled.layout.split

    assert runner.invoke(main, ["bootstrap", str(SPEC), "--region", "us-east-1"]).exit_code == 0
    result = runner.invoke(main, ["deploy", str(SPEC), "--region", "us-east-1"])
    assert result.exit_code == 0, result.output
    assert f"uploaded {len(nested_files) + 2} new object(s)" in result.stderr  # code, each nested template, parent
    _check_all_stacks(session(), "us-east-1", "bigsvc-test", compiled, deployed)

    functions = session().client("lambda", region_name="us-east-1").list_functions()["Functions"]
    assert sorted(f["FunctionName"] for f in functions) == sorted(f"bigsvc-fn{i}-test" for i in range(12))
    by_name = {f["FunctionName"]: f for f in functions}
    variables = by_name["bigsvc-fn0-test"]["Environment"]["Variables"]
    assert variables["FUNCTION_FN1"] == "bigsvc-fn1-test"  # another stack's function, by its name
    assert variables["TABLE_STOCK"] == "bigsvc-stock-test"  # a parent table, through a parameter
    tables = session().client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]
    assert sorted(tables) == ["bigsvc-orders-test", "bigsvc-stock-test"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in session().client(
        "cloudformation", region_name="us-east-1").describe_stacks(StackName="bigsvc-test")["Stacks"][0]["Outputs"]}
    assert outputs["Fn7FunctionName"] == "bigsvc-fn7-test"  # read back from a nested stack's outputs

    again = runner.invoke(main, ["deploy", str(SPEC), "--region", "us-east-1"])
    assert again.exit_code == 0, again.output
    assert "unchanged" in again.stdout


def test_split_service_rolls_out_with_nested_templates_in_every_region(aws, runner, session, deployed) -> None:
    compiled = compile_spec(SPEC)
    assert runner.invoke(main, ["bootstrap", str(SPEC)]).exit_code == 0
    result = runner.invoke(main, ["rollout", str(SPEC)])
    assert result.exit_code == 0, result.output
    for region in ("us-east-1", "eu-west-1"):
        cfn = session().client("cloudformation", region_name=region)
        parents = [s["StackName"] for s in cfn.list_stacks()["StackSummaries"]
                   if s["StackName"].startswith("StackSet") and s["StackStatus"] == "CREATE_COMPLETE"
                   and not any(f"-{nested}-" in s["StackName"] for nested in compiled.layout.stacks)]
        assert len(parents) == 1, parents
        _check_all_stacks(session(), region, parents[0], compiled, deployed)
        functions = session().client("lambda", region_name=region).list_functions()["Functions"]
        assert len(functions) == 12


def test_diff_against_a_deployed_split_service_reads_every_nested_stack(aws, runner, tmp_path) -> None:
    """`specc diff --stack` compares each nested stack too: unchanged is unchanged, and functions that change shard
    are reported as moves between the deployed nested stacks, not as unrelated additions and removals."""
    assert runner.invoke(main, ["bootstrap", str(SPEC), "--region", "us-east-1"]).exit_code == 0
    assert runner.invoke(main, ["deploy", str(SPEC), "--region", "us-east-1"]).exit_code == 0

    same = runner.invoke(main, ["diff", str(SPEC), "--stack", "bigsvc-test", "--format", "json"])
    assert same.exit_code == 0, same.output
    unchanged = json.loads(same.stdout)
    assert len(unchanged["templates"]) == 1 + len(compile_spec(SPEC).layout.stacks)  # the root and each nested
    assert [t["resources"] for t in unchanged["templates"][1:]] == [[]] * (len(unchanged["templates"]) - 1)

    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "app.py").write_text((HERE / "split_service" / "handlers" / "app.py").read_text())
    regrown = tmp_path / "spec.yaml"  # more shards: about half the functions change stack
    regrown.write_text(SPEC.read_text().replace("shards: 3", "shards: 8"))
    moved = runner.invoke(main, ["diff", str(regrown), "--stack", "bigsvc-test", "--format", "json"])
    assert moved.exit_code == 0, moved.output
    report = json.loads(moved.stdout)
    functions = [m for m in report["moves"] if m["type"] == "AWS::Lambda::Function"]
    assert functions, report["summary"]
    for move in functions:
        assert move["source"] != move["target"]
        assert "nested stack Functions" in move["source"] and "nested stack Functions" in move["target"]
    assert not [loss for loss in report["data_loss"] if loss["type"] == "AWS::DynamoDB::Table"]  # tables stay put


def test_tables_in_table_stacks_deploy_and_functions_find_them_by_name(aws, runner, session, deployed,
                                                                       tmp_path) -> None:
    """limits.table_stacks: the tables are created inside their nested `Tables` stacks, and the functions of other
    nested stacks read them by their deterministic names."""
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "app.py").write_text((HERE / "split_service" / "handlers" / "app.py").read_text())
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.read_text().replace("shards: 3}", "shards: 3, table_stacks: true}"))
    compiled = compile_spec(spec)
    tables_stacks = sorted(s for s in compiled.layout.stacks if s.startswith("Tables"))
    assert tables_stacks
    assert runner.invoke(main, ["bootstrap", str(spec), "--region", "us-east-1"]).exit_code == 0
    result = runner.invoke(main, ["deploy", str(spec), "--region", "us-east-1"])
    assert result.exit_code == 0, result.output
    _check_all_stacks(session(), "us-east-1", "bigsvc-test", compiled, deployed)

    dynamodb = session().client("dynamodb", region_name="us-east-1")
    assert sorted(dynamodb.list_tables()["TableNames"]) == ["bigsvc-orders-test", "bigsvc-stock-test"]
    nested = _nested(session(), "us-east-1", "bigsvc-test")
    cfn = session().client("cloudformation", region_name="us-east-1")
    held = {r["PhysicalResourceId"] for name in tables_stacks
            for r in cfn.describe_stack_resources(StackName=nested[name])["StackResources"]
            if r["ResourceType"] == "AWS::DynamoDB::Table"}
    assert held == {"bigsvc-orders-test", "bigsvc-stock-test"}  # created by the table stacks, not the parent
    function = session().client("lambda", region_name="us-east-1").get_function(FunctionName="bigsvc-fn0-test")
    assert function["Configuration"]["Environment"]["Variables"]["TABLE_STOCK"] == "bigsvc-stock-test"
