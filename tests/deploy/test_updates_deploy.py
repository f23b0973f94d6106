"""Updates deploy on moto server: every example spec (and specs/prod.yaml) is deployed, then changed the way a
team changes a service (one more function, one more table it reads, one more route to it) and deployed again.

The update must complete, and every resource moto models must still be there afterwards, checked through each
service's own API (DynamoDB, Lambda, KMS, API Gateway, IAM, ...), not through the stack's word: before the patches
in scripts/moto_server.py, the new role changed the KMS key policy, moto has no update path for keys, and the key
silently left the stack while `deploy` and `status` reported success.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from specc.cli.app import main
from specc.cli.ship import EXIT_CHANGES

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ADMIN, WORKLOADS = "123456789012", ("111111111111", "222222222222")
EXAMPLES = sorted(p.name for p in (REPO / "specs" / "examples").glob("*.yaml"))
PROBE = "update_probe"  # the function and the table every update adds


def with_a_new_function_table_and_route(source: Path, root: Path) -> Path:
    """A copy of `source` under `root` (at the same depth, beside a copy of the handlers, so code_root still holds)
    with one more table, one more function that reads it, and one more route to that function."""
    if not (root / "handlers").exists():
        shutil.copytree(REPO / "handlers", root / "handlers",
                        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    spec = yaml.safe_load(source.read_text())
    spec["tables"] = {**spec.get("tables", {}), PROBE: {"partition_key": {"name": "id", "type": "S"}}}
    first = next(iter(spec["functions"].values()))
    spec["functions"] = {**spec["functions"], PROBE: {**{k: v for k, v in first.items() if k != "uses"},
                                                      "uses": {"tables": {PROBE: "read"}}}}
    if spec.get("routes"):
        options = next(iter(spec["routes"].values()))
        spec["routes"] = {**spec["routes"], "GET /update-probe/{id}": (
            {**options, "function": PROBE} if isinstance(options, dict) else PROBE)}
    target = root / source.relative_to(REPO)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(spec, sort_keys=False))
    return target


def _copy(source: Path, root: Path) -> Path:
    target = root / source.relative_to(REPO)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    if not (root / "handlers").exists():
        shutil.copytree(REPO / "handlers", root / "handlers",
                        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return target


def _without_cdn_domain_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto has no CloudFront model, so the cdn kind's GetAtt DomainName output fails the stack on moto (as in
    test_examples.py): compile without that one output."""
    from specc.build.context import BuildContext

    output = BuildContext.output
    monkeypatch.setattr(BuildContext, "output", lambda ctx, title, value, description: None if title ==
                        "WebDomainName" else output(ctx, title, value, description))


def present(session: Any, region: str, stack: str, template: dict[str, Any], skips: dict[str, str]) -> dict[str, str]:
    """Every resource of `template` that moto models, read through its own service API; returns logical → physical.
    Fails naming what the stack lost, or what its service does not find."""
    cfn = session.client("cloudformation", region_name=region)
    listed = {r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]
              if "LogicalResourceId" in r}
    wanted = {name: r["Type"] for name, r in template["Resources"].items() if r["Type"] not in skips}
    lost = sorted(f"{name} ({kind})" for name, kind in wanted.items() if name not in listed)
    assert lost == [], f"the stack lost these in the update: {lost}"
    physical = {name: listed[name].get("PhysicalResourceId", "") for name in wanted}
    template = _without_references_to_skipped(template, skips)
    absent = [f"{name} ({wanted[name]})" for name in wanted
              if wanted[name] in EXISTS and not EXISTS[wanted[name]](session, region, physical[name],
                                                                     template["Resources"][name].get("Properties", {}))]
    assert absent == [], f"the stack lists these but their service does not find them: {absent}"
    return physical


def _without_references_to_skipped(template: dict[str, Any], skips: dict[str, str]) -> dict[str, Any]:
    """moto resolves a `Ref` to a type it skips (a secret) to nothing and drops the function variable holding it."""
    copy = json.loads(json.dumps(template))
    skipped = {name for name, r in copy["Resources"].items() if r["Type"] in skips}
    for resource in copy["Resources"].values():
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        for name in [n for n, v in variables.items() if isinstance(v, dict) and v.get("Ref") in skipped]:
            del variables[name]
    return copy


def _client(session: Any, service: str, region: str) -> Any:
    return session.client(service, region_name=region)


def _answers(call: Any) -> bool:
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError:
        return False
    return True


def _table(s: Any, region: str, name: str, props: dict[str, Any]) -> bool:
    table = _client(s, "dynamodb", region).describe_table(TableName=name)["Table"]
    return sorted(i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])) == sorted(
        i["IndexName"] for i in props.get("GlobalSecondaryIndexes", []))


def _key(s: Any, region: str, key: str, props: dict[str, Any]) -> bool:
    kms = _client(s, "kms", region)
    if not kms.describe_key(KeyId=key)["KeyMetadata"]["Enabled"]:
        return False
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    wanted = props["KeyPolicy"] if isinstance(props["KeyPolicy"], dict) else json.loads(props["KeyPolicy"])
    return len(policy["Statement"]) == len(wanted["Statement"])  # the update's policy, not the first one


def _function(s: Any, region: str, name: str, props: dict[str, Any]) -> bool:
    config = _client(s, "lambda", region).get_function(FunctionName=name)["Configuration"]
    return sorted(config.get("Environment", {}).get("Variables", {})) == sorted(
        props.get("Environment", {}).get("Variables", {}))


def _rest_api(s: Any, region: str, api: str, props: dict[str, Any]) -> bool:
    paths = {r["path"] for r in _client(s, "apigateway", region).get_resources(restApiId=api)["items"]}
    return "/update-probe/{id}" in paths


def _policy(s: Any, region: str, physical: str, props: dict[str, Any]) -> bool:
    iam = _client(s, "iam", region)
    return all(_answers(lambda role=role: iam.get_role_policy(RoleName=role, PolicyName=props["PolicyName"]))
               for role in props.get("Roles", []) if isinstance(role, str))


EXISTS = {
    "AWS::DynamoDB::Table": _table, "AWS::KMS::Key": _key, "AWS::Lambda::Function": _function,
    "AWS::IAM::Policy": _policy,
    "AWS::IAM::Role": lambda s, r, name, p: _answers(lambda: _client(s, "iam", r).get_role(RoleName=name)),
    "AWS::SQS::Queue": lambda s, r, url, p: _answers(lambda: _client(s, "sqs", r).get_queue_attributes(QueueUrl=url)),
    "AWS::SNS::Topic": lambda s, r, arn, p: _answers(lambda: _client(s, "sns", r).get_topic_attributes(TopicArn=arn)),
    "AWS::S3::Bucket": lambda s, r, name, p: _answers(lambda: _client(s, "s3", r).head_bucket(Bucket=name)),
    "AWS::Logs::LogGroup": lambda s, r, name, p: any(
        g["logGroupName"] == name for g in _client(s, "logs", r).describe_log_groups(
            logGroupNamePrefix=name)["logGroups"]),
    "AWS::StepFunctions::StateMachine": lambda s, r, arn, p: _answers(
        lambda: _client(s, "stepfunctions", r).describe_state_machine(stateMachineArn=arn)),
}


def _deploy(runner: Any, spec: Path, region: str, outcome: str) -> None:
    result = runner.invoke(main, ["deploy", str(spec), "--region", region])
    assert result.exit_code == 0, result.output
    assert f": {outcome} (" in result.stdout.splitlines()[0], result.stdout


def _stack_name(spec: Path) -> str:
    source = yaml.safe_load(spec.read_text())
    return f"{source['service']}-{source['environment']}"


@pytest.mark.parametrize("example", [*EXAMPLES, "prod.yaml"])
def test_an_update_that_adds_a_function_a_table_and_a_route_deploys(example, aws, runner, session, tmp_path,
                                                                     monkeypatch, moto_skips) -> None:
    from specc.compiler import compile_spec

    if example == "serverless-api.yaml":
        _without_cdn_domain_output(monkeypatch)
    source = REPO / "specs" / ("examples" if example != "prod.yaml" else "") / example
    spec = _copy(source, tmp_path / "first")
    region = yaml.safe_load(spec.read_text())["regions"][0]
    assert runner.invoke(main, ["bootstrap", str(spec), "--region", region]).exit_code == 0
    _deploy(runner, spec, region, "created")

    changed = with_a_new_function_table_and_route(source, tmp_path / "first")
    _deploy(runner, changed, region, "updated")
    name = _stack_name(changed)
    cfn = session().client("cloudformation", region_name=region)
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    templates = {k: json.loads(json.dumps(v)) for k, v in compile_spec(changed).templates.items()}
    assert "nested" not in " ".join(templates)  # none of these is split (nested updates: test_moto_patches.py)
    present(session(), region, name, templates["service.json"], moto_skips)
    tables = session().client("dynamodb", region_name=region).list_tables()["TableNames"]
    assert any("update-probe" in t for t in tables), tables
    functions = [f["FunctionName"] for f in session().client("lambda", region_name=region).list_functions()[
        "Functions"]]
    assert any("update-probe" in f for f in functions), functions


def test_a_stack_set_update_that_adds_a_function_a_table_and_a_route_reaches_every_instance(
        aws, runner, session, tmp_path, moto_skips) -> None:
    """Also what `specc status` then says: every instance matches, until a table goes behind its stack's back."""
    from specc.compiler import compile_spec

    source = REPO / "specs" / "prod.yaml"
    spec = _copy(source, tmp_path / "project")
    assert runner.invoke(main, ["bootstrap", str(spec)]).exit_code == 0
    assert runner.invoke(main, ["rollout", str(spec)]).exit_code == 0
    changed = with_a_new_function_table_and_route(source, tmp_path / "project")
    changed.write_text(changed.read_text().replace("    memory: 512\n", "    memory: 768\n"))  # and a change
    result = runner.invoke(main, ["rollout", str(changed)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "stack set payments-prod in us-west-2: updated; 6 instance(s), 0 new"
    assert sorted(result.stdout.splitlines()[1:]) == sorted(
        f"  {r} {a} SUCCEEDED" for r in ("us-west-2", "us-east-1", "eu-west-1") for a in WORKLOADS)
    service = json.loads(json.dumps(compile_spec(changed).templates["service.json"]))
    for account in WORKLOADS:
        for region in ("us-west-2", "us-east-1", "eu-west-1"):
            cfn = session(account).client("cloudformation", region_name=region)
            stacks = [s for s in cfn.describe_stacks()["Stacks"] if s["StackName"].startswith("StackSet")]
            assert [s["StackStatus"] for s in stacks] == ["UPDATE_COMPLETE"], (account, region)
            physical = present(session(account), region, stacks[0]["StackName"], service, moto_skips)
            assert "update-probe" in physical["UpdateProbeTable"] and "update-probe" in physical[
                "UpdateProbeFunction"], (account, region)
            config = session(account).client("lambda", region_name=region).get_function_configuration(
                FunctionName="payments-create-payment-prod")
            assert config["MemorySize"] == 768, (account, region)

    status = runner.invoke(main, ["status", str(changed), "--exit-code"])
    assert status.exit_code == 0, status.output
    instances = [line for line in status.stdout.splitlines() if "  instance  " in line]
    assert len(instances) == 6 and all(line.endswith("  matches") for line in instances), status.stdout
    table = "payments-idempotency-prod"  # deleted behind its stack's back in one instance
    dynamodb = session(WORKLOADS[1]).client("dynamodb", region_name="eu-west-1")
    dynamodb.update_table(TableName=table, DeletionProtectionEnabled=False)
    dynamodb.delete_table(TableName=table)
    drifted = runner.invoke(main, ["status", str(changed), "--exit-code"])
    assert drifted.exit_code == EXIT_CHANGES, drifted.output
    lines = drifted.stdout.splitlines()
    assert [line.split()[:2] for line in lines if line.endswith("  drifted")] == [["eu-west-1", WORKLOADS[1]]]
    missing = [line for line in lines if "MISSING" in line]
    assert len(missing) == 1 and missing[0].startswith(f"  eu-west-1 {WORKLOADS[1]} instance: service APIs: ")
    assert f"1 MISSING: IdempotencyTable (AWS::DynamoDB::Table {table})" in missing[0]
