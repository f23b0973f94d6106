"""Event buses (`event_buses:`) and event rules on them (`events.<name>.pattern`, `bus`), through the CLI as a user
runs them: least privilege for a publisher, StackSet-neutral templates, the security profiles, and the located
refusals that would otherwise surface only when the stack deploys (docs/outputs-and-existing-resources.md)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from specc.cli.app import main

GOLDEN = Path(__file__).parent / "golden" / "event_buses"

SPEC = """
specc: 1
service: shop
environment: dev
regions: {regions}
event_buses:
  orders: {{}}
  shared: {{existing: "{shared}"}}
functions:
  worker:
    handler: handlers/app.py:handler
    uses: {uses}
  other:
    handler: handlers/app.py:handler
events:
  placed: {{bus: orders, pattern: {{source: [shop]}}, function: other}}
"""


def _project(tmp_path: Path, uses: str = "{event_buses: {orders: publish}}", regions: str = "[us-east-1]",
             shared: str = "shared-events") -> Path:
    (tmp_path / "handlers").mkdir(exist_ok=True)
    (tmp_path / "handlers" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(uses=uses, regions=regions, shared=shared))
    return spec


def _compile(runner, spec: Path, tmp_path: Path) -> dict:
    out = tmp_path / "out"
    result = runner.invoke(main, ["compile", str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads((out / "service.json").read_text())


def _events_statements(template: dict, function: str = "Worker") -> list[tuple[str, list[str], list]]:
    """The function's Allow statements that grant anything of EventBridge."""
    policy = template["Resources"][f"{function}Policy"]["Properties"]["PolicyDocument"]
    return [(s["Sid"], s["Action"], s["Resource"]) for s in policy["Statement"]
            if s["Effect"] == "Allow" and any(a.startswith("events:") for a in s["Action"])]


def test_publishing_grants_exactly_put_events_on_the_bus(runner, tmp_path) -> None:
    template = _compile(runner, _project(tmp_path), tmp_path)
    assert _events_statements(template) == [
        ("OrdersEventBusPutEvents", ["events:PutEvents"], [{"Fn::GetAtt": ["OrdersEventBus", "Arn"]}])]
    assert _events_statements(template, "Other") == []  # the rule's target is invoked by EventBridge, not granted
    variables = template["Resources"]["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["EVENT_BUS_ORDERS"] == {"Fn::GetAtt": ["OrdersEventBus", "Arn"]}


def test_publishing_to_an_existing_bus_names_its_arn_and_creates_nothing(runner, tmp_path) -> None:
    template = _compile(runner, _project(tmp_path, uses="{event_buses: {shared: publish}}"), tmp_path)
    assert _events_statements(template) == [("SharedEventBusPutEvents", ["events:PutEvents"], [
        {"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/shared-events"}])]
    buses = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::Events::EventBus"]
    assert buses == ["OrdersEventBus"]


def test_a_rule_on_a_bus_is_invoked_by_exactly_that_rule(runner, tmp_path) -> None:
    template = _compile(runner, _project(tmp_path), tmp_path)
    rule = template["Resources"]["PlacedRule"]["Properties"]
    assert rule["EventBusName"] == {"Fn::GetAtt": ["OrdersEventBus", "Name"]}
    assert rule["EventPattern"] == {"source": ["shop"]}
    permission = template["Resources"]["PlacedRulePermission"]["Properties"]
    assert permission["SourceArn"] == {"Fn::GetAtt": ["PlacedRule", "Arn"]}
    assert permission["Principal"] == "events.amazonaws.com"


def test_templates_name_no_account_and_no_region(runner, tmp_path) -> None:
    """A StackSet deploys the same template everywhere: the golden (two regions, a created and an existing bus)
    holds no literal account ID or region."""
    shutil.copytree(GOLDEN, tmp_path / "case", ignore=shutil.ignore_patterns("expected"))
    out = tmp_path / "out"
    assert runner.invoke(main, ["compile", str(tmp_path / "case" / "spec.yaml"), "--out", str(out)]).exit_code == 0
    text = (out / "service.json").read_text()
    assert "event-bus/partner-events" in text
    assert not re.search(r"\b[0-9]{12}\b", text)
    assert not re.search(r"\b(us|eu)-(east|west)-[0-9]\b", text)


def test_the_golden_passes_the_pci_and_baseline_profiles(runner, tmp_path) -> None:
    shutil.copytree(GOLDEN, tmp_path / "case", ignore=shutil.ignore_patterns("expected"))
    spec = tmp_path / "case" / "spec.yaml"
    result = runner.invoke(main, ["check", str(spec)])
    assert result.exit_code == 0 and "passes the pci profile" in result.output, result.output
    spec.write_text(spec.read_text().replace("security: {profile: pci}", "security: {profile: baseline}"))
    result = runner.invoke(main, ["check", str(spec)])
    assert result.exit_code == 0 and "passes the baseline profile" in result.output, result.output


def test_an_existing_bus_with_a_literal_region_in_a_service_of_two_regions(runner, tmp_path) -> None:
    spec = _project(tmp_path, regions="[us-east-1, eu-west-1]",
                    shared="arn:aws:events:us-east-1:${aws.account_id}:event-bus/shared-events")
    result = runner.invoke(main, ["validate", str(spec)])
    assert result.exit_code == 1
    assert "E355 event_buses.shared.existing: the ARN names region us-east-1" in result.output


def test_a_rule_on_an_existing_bus_is_allowed(runner, tmp_path) -> None:
    spec = _project(tmp_path)
    spec.write_text(spec.read_text().replace("bus: orders", "bus: shared"))
    template = _compile(runner, spec, tmp_path)
    assert template["Resources"]["PlacedRule"]["Properties"]["EventBusName"] == {
        "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/shared-events"}


def test_a_private_publisher_needs_the_events_endpoint(runner, tmp_path) -> None:
    spec = _project(tmp_path)
    spec.write_text(spec.read_text().replace("    uses:", "    network: private\n    uses:")
                    + "network: {interface_endpoints: [logs]}\n")
    result = runner.invoke(main, ["validate", str(spec)])
    assert result.exit_code == 1
    assert ("E209 functions.worker.uses.event_buses: this function runs in the private subnets, which have no NAT "
            "and no events endpoint") in result.output


def test_the_docs_example_compiles(write_spec) -> None:
    """docs/outputs-and-existing-resources.md's event buses example, as written (with its handlers)."""
    from specc.compiler import compile_spec

    page = (Path(__file__).resolve().parent.parent / "docs" / "outputs-and-existing-resources.md").read_text()
    example = page.split("## Event buses\n\n```yaml\n", 1)[1].split("```", 1)[0]
    head = "specc: 1\nservice: shop\nenvironment: prod\nregions: [us-east-1]\n"
    compiled = compile_spec(write_spec(head + example, handlers=("src/checkout.py", "src/fulfil.py")))
    resources = compiled.templates["service.json"]["Resources"]
    assert resources["OrdersEventBus"]["Properties"]["Name"] == "shop-orders-prod"
    assert resources["OrderPlacedRule"]["Properties"]["EventBusName"] == {"Fn::GetAtt": ["OrdersEventBus", "Name"]}


def test_a_rule_listens_on_an_existing_partner_bus(runner, tmp_path) -> None:
    """A SaaS partner's bus is named `aws.partner/<partner>/<id>/<name>`: the `/` are part of its name."""
    spec = _project(tmp_path, shared="aws.partner/saas.example/1234/orders")
    spec.write_text(spec.read_text().replace("bus: orders", "bus: shared"))
    template = _compile(runner, spec, tmp_path)
    assert template["Resources"]["PlacedRule"]["Properties"]["EventBusName"] == {"Fn::Sub": (
        "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/aws.partner/saas.example/1234/orders")}
