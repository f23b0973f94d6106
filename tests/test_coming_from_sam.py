"""docs/coming-from-sam.md puts a SAM template beside a specc spec: the spec must compile and lint clean, and
both must describe the same service (the same functions, routes, table and API key)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from specc.cli.app import main

DOC = Path(__file__).resolve().parent.parent / "docs" / "coming-from-sam.md"


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)


class SamLoader(yaml.SafeLoader):
    """Reads CloudFormation's short tags (!Ref...) as plain values: enough to compare shapes."""


SamLoader.add_multi_constructor("!", lambda loader, suffix, node: loader.construct_scalar(node)
                                if isinstance(node, yaml.ScalarNode) else None)


def test_the_specc_spec_compiles_and_lints_clean(runner, tmp_path, monkeypatch) -> None:
    (spec_text,) = [b for b in yaml_blocks() if b.startswith("# yaml-language-server:")]
    (tmp_path / "specs").mkdir()
    for handler in ("create", "get"):
        path = tmp_path / "src" / "orders" / f"{handler}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("def handler(event, context):\n    return {}\n")
    (tmp_path / "specs" / "orders.yaml").write_text(spec_text)
    monkeypatch.chdir(tmp_path)
    compiled = runner.invoke(main, ["compile", "specs/orders.yaml"])
    assert compiled.exit_code == 0, compiled.output
    (service,) = [line for line in compiled.output.splitlines() if "/service.json: " in line]
    resources = int(service.split(": ")[1].split()[0])
    assert f"a service template of {resources} resources" in DOC.read_text()
    linted = runner.invoke(main, ["lint", "specs/orders.yaml"])
    assert linted.exit_code == 0 and "clean under cfn-lint" in linted.output


def test_the_sam_template_describes_the_same_service() -> None:
    (sam_text,) = [b for b in yaml_blocks() if "Transform: AWS::Serverless-2016-10-31" in b]
    sam = yaml.load(sam_text, Loader=SamLoader)
    (spec,) = [yaml.safe_load(b) for b in yaml_blocks() if b.startswith("# yaml-language-server:")]
    functions = {k: v for k, v in sam["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert len(functions) == len(spec["functions"]) == 2
    sam_routes = {f"{e['Properties']['Method'].upper()} {e['Properties']['Path']}"
                  for f in functions.values() for e in f["Properties"]["Events"].values()}
    assert sam_routes == set(spec["routes"])
    api = next(v for v in sam["Resources"].values() if v["Type"] == "AWS::Serverless::Api")
    plan = api["Properties"]["Auth"]["UsagePlan"]
    assert plan["Quota"]["Limit"] == spec["usage_plans"]["standard"]["quota"]["limit"]
    assert api["Properties"]["Auth"]["ApiKeyRequired"] and all(r["api_key"] for r in spec["routes"].values())
    assert {v["Type"] for v in sam["Resources"].values()} >= {"AWS::DynamoDB::Table"} and len(spec["tables"]) == 1
