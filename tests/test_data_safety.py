"""Data safety in `specc diff`: every change that deletes or replaces a resource holding data is called out first,
as DATA LOSS, with the DeletionPolicy or UpdateReplacePolicy that decides what happens to the data and the
way that keeps it; a rename of an entry is recognised as one, never shown as a plain removal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specc.cli.app import main
from specc.output import data_loss

SPEC = """\
specc: 1
service: shop
environment: dev
regions: [us-east-1]
tables:
  orders:
    partition_key: {name: order_id, type: S}
queues:
  jobs: {}
functions:
  place_order:
    handler: handlers/app.py:handler
    uses: {tables: {orders: read}}
"""


@pytest.fixture
def project(tmp_path: Path, write_spec, runner, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    spec = write_spec(SPEC, name="shop.yaml")
    assert runner.invoke(main, ["compile", str(spec), "--out", "templates_out/shop"]).exit_code == 0
    return spec


def edit(spec: Path, *pairs: tuple[str, str]) -> None:
    text = spec.read_text()
    for old, new in pairs:
        assert old in text
        text = text.replace(old, new)
    spec.write_text(text)


def diff(runner, spec: Path, *args: str):
    result = runner.invoke(main, ["diff", str(spec), "--against", "templates_out/shop", *args])
    assert result.exit_code == 0, result.output
    return result.output


RENAME = (("  orders:\n", "  purchases:\n"), ("{orders: read}", "{purchases: read}"))


def test_a_renamed_table_is_data_loss_first_and_said_to_look_like_a_rename(runner, project) -> None:
    edit(project, *RENAME)
    lines = diff(runner, project).splitlines()
    assert lines[:4] == [
        "DATA LOSS: 1 change would delete or replace a resource that holds data; `specc deploy` and `specc rollout` "
        "refuse without --allow-data-loss:",
        "  DATA LOSS: table orders (AWS::DynamoDB::Table OrdersTable) will be DELETED from the stack; DeletionPolicy "
        "Retain keeps the data in the account but the stack will no longer manage it",
        "    this looks like a rename to PurchasesTable (same type and properties once the names are swapped): "
        "CloudFormation cannot rename, so the new table starts empty. To keep the data, keep the entry's old name "
        "(orders); to move to purchases for real, copy the data into the new table before removing the old entry "
        "(see docs/data-safety.md)",
        "",
    ]
    assert lines[-1] == (f"{project}: 9 resources change (3 added, 3 modified, 3 removed); 1 policy change "
                         "permissions; DATA LOSS in 1.")


def test_with_deletion_policy_delete_the_data_goes_with_it(runner, project) -> None:
    edit(project, ("regions: [us-east-1]\n", "regions: [us-east-1]\nsecurity: {deletion_policy: Delete}\n"))
    assert runner.invoke(main, ["compile", str(project), "--out", "templates_out/shop"]).exit_code == 0
    edit(project, ("queues:\n  jobs: {}\n", ""))
    output = diff(runner, project)
    assert ("  DATA LOSS: queue jobs (AWS::SQS::Queue JobsQueue) will be DELETED with its messages (DeletionPolicy "
            "Delete)\n    if jobs was not meant to go, put its entry back\n") in output
    assert "rename" not in output  # nothing was added that looks like it


def test_a_key_change_is_a_replacement_and_the_advice_keeps_the_data(runner, project) -> None:
    edit(project, ("{name: order_id, type: S}", "{name: id, type: S}"))
    output = diff(runner, project)
    assert output.startswith("DATA LOSS: 1 change")
    assert ("  DATA LOSS: table orders (AWS::DynamoDB::Table OrdersTable) may be REPLACED by a new, empty table "
            "(conditionally create-only: KeySchema[0].AttributeName); UpdateReplacePolicy Retain keeps the old one's "
            "items in the account but the stack will no longer manage it\n"
            "    to keep the data, leave KeySchema[0].AttributeName as it was; to change it, add a new entry beside "
            "this one, copy the data over, move its users to it, then remove the old entry") in output
    assert "add it back" not in output  # the old advice (remove, then add back) destroyed the table


def test_json_lists_the_losses(runner, project) -> None:
    edit(project, *RENAME)
    body = json.loads(diff(runner, project, "--format", "json"))
    (loss,) = body["data_loss"]
    assert {k: loss[k] for k in ("logical_id", "type", "action", "policy", "renamed_to")} == {
        "logical_id": "OrdersTable", "type": "AWS::DynamoDB::Table", "action": "deleted", "policy": "Retain",
        "renamed_to": "PurchasesTable"}
    (service,) = [t for t in body["templates"] if t["template"].endswith("service.json")]
    assert service["data_loss"] == [loss]


def test_changes_that_keep_the_data_say_nothing_about_it(runner, project) -> None:
    edit(project, ("  place_order:\n    handler", "  place_order:\n    memory: 512\n    handler"),
         ("queues:\n", "topics:\n  alerts: {}\nqueues:\n"))
    output = diff(runner, project)
    assert "DATA LOSS" not in output and "~ PlaceOrderFunction" in output


def resource(kind: str, **properties) -> dict:
    return {"Type": kind, "Properties": properties}


def test_a_removal_without_a_policy_and_a_type_change_are_losses_too() -> None:
    from specc.output.diff import diff_templates

    old = {"Resources": {"LogsBucket": resource("AWS::S3::Bucket"), "Cache": resource("AWS::SQS::Queue"),
                         "Topic": resource("AWS::SNS::Topic")}}
    new = {"Resources": {"Cache": resource("AWS::SNS::Topic")}}
    losses = {loss.logical_id: loss for loss in diff_templates("t.json", old, new).data_loss}
    assert sorted(losses) == ["Cache", "LogsBucket"]  # a topic holds no data
    assert losses["LogsBucket"].message == (
        "DATA LOSS: bucket logs (AWS::S3::Bucket LogsBucket) will be DELETED with its objects (no DeletionPolicy: "
        "CloudFormation's default deletes it)")
    assert losses["Cache"].action == "replaced" and losses["Cache"].because == ("Type",)


def test_a_rename_needs_the_same_properties_once_the_names_are_swapped() -> None:
    from specc.output.diff import diff_templates

    def table(name: str, key: str) -> dict:
        return {**resource("AWS::DynamoDB::Table", TableName=f"shop-{name}-dev",
                           KeySchema=[{"AttributeName": key, "KeyType": "HASH"}]), "DeletionPolicy": "Retain"}

    old = {"Resources": {"OrderItemsTable": table("order-items", "id")}}
    renamed = diff_templates("t", old, {"Resources": {"LineItemsTable": table("line-items", "id")}}).data_loss
    assert renamed[0].renamed_to == "LineItemsTable"
    different = diff_templates("t", old, {"Resources": {"LineItemsTable": table("line-items", "sku")}}).data_loss
    assert different[0].renamed_to == ""


def test_the_stateful_types_are_the_data_stores_sec011_protects() -> None:
    from specc.build.retention import DATA_STORES

    assert set(data_loss.STATEFUL) == set(DATA_STORES)
    assert {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::SecretsManager::Secret",
            "AWS::SQS::Queue", "AWS::Logs::LogGroup", "AWS::Cognito::UserPool"} <= set(data_loss.STATEFUL)


def test_tables_are_protected_from_deletion_unless_the_spec_says_so_visibly(write_spec) -> None:
    from specc.compiler import compile_spec

    spec = write_spec(SPEC.replace("    partition_key: {name: order_id, type: S}\n",
                                   "    partition_key: {name: order_id, type: S}\n  carts:\n"
                                   "    partition_key: {name: cart_id, type: S}\n    deletion_protection: false\n"))
    resources = compile_spec(spec).templates["service.json"]["Resources"]
    orders, carts = resources["OrdersTable"], resources["CartsTable"]
    assert orders["Properties"]["DeletionProtectionEnabled"] is True and "Metadata" not in orders
    assert carts["Properties"]["DeletionProtectionEnabled"] is False
    assert carts["Metadata"]["specc"]["opt_outs"] == [{"control": "deletion_protection",
                                                       "spec": "tables.carts.deletion_protection"}]


class RecordingCloudFormation:
    """The two calls stack_policy makes, recorded: a root stack with one nested stack."""

    def __init__(self) -> None:
        self.policies: list[tuple[str, dict]] = []

    def describe_stack_resources(self, StackName: str) -> dict:
        nested = [{"ResourceType": "AWS::CloudFormation::Stack", "LogicalResourceId": "Functions0Stack",
                   "PhysicalResourceId": "nested-0"}]
        return {"StackResources": nested if StackName == "root" else []}

    def set_stack_policy(self, StackName: str, StackPolicyBody: str) -> None:
        self.policies.append((StackName, json.loads(StackPolicyBody)))


def test_allowing_data_loss_lifts_the_policy_for_one_update_and_puts_it_back_even_when_it_fails() -> None:
    from specc.aws import stack_policy

    cfn = RecordingCloudFormation()
    with pytest.raises(RuntimeError), stack_policy.lifted(cfn, "root", "stack root"):
        assert cfn.policies == [("root", stack_policy.ALLOW_ALL), ("nested-0", stack_policy.ALLOW_ALL)]
        raise RuntimeError("the update failed")
    assert cfn.policies[2:] == [("root", stack_policy.PROTECT), ("nested-0", stack_policy.PROTECT)]


def test_a_loss_inside_a_nested_template_shows_too(runner, tmp_path, monkeypatch, repo) -> None:
    """A split service's function log groups live in nested/ templates: diff reads those too."""
    import shutil

    root = tmp_path / "split"
    shutil.copytree(repo / "tests" / "deploy" / "split_service", root, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(root)
    assert runner.invoke(main, ["compile", "spec.yaml", "--out", "out"]).exit_code == 0
    assert diff_of(runner, "spec.yaml", "out").endswith("spec.yaml: no changes.\n")  # nested templates compared
    edit(root / "spec.yaml", (", functions: {fn11: invoke}}}", "}}"),
         ("  fn11: {handler: handlers/app.py:handler, uses: {tables: {orders: read_write}, topics: {alerts: "
          "publish}}}\n", ""), ("  POST /orders/{id}/step11: fn11\n", ""))
    output = diff_of(runner, "spec.yaml", "out")
    assert ("  DATA LOSS: log group fn11 (AWS::Logs::LogGroup Fn11LogGroup) in nested/functions-0000.json will be "
            "DELETED from the stack; DeletionPolicy Retain keeps the data") in output
    assert "  DATA LOSS: queue fn11_dead_letter (AWS::SQS::Queue Fn11DeadLetterQueue) in nested/functions-0000.json" \
        in output


def diff_of(runner, spec: str, against: str) -> str:
    result = runner.invoke(main, ["diff", spec, "--against", against])
    assert result.exit_code == 0, result.output
    return result.output
