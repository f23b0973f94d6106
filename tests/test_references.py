"""References in values (`${tables.orders.name}`, `${aws.region}`: src/specc/checks/expressions.py) through the CLI,
as a property of the escaping, and across the stacks of a split service."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from specc.cli.app import main
from specc.compiler import compile_spec
from specc.kinds.expressions import parse, resolve

SPLIT_SERVICE = Path(__file__).parent / "deploy" / "split_service"

SPEC = """
specc: 1
service: shop
environment: dev
regions: [eu-west-1]
tables:
  orders: {partition_key: {name: id, type: S}}
queues:
  jobs: {}
functions:
  api:
    handler: handlers/app.py:handler
    environment:
      TABLE_NAME: ${tables.orders.name}
      QUEUE_URL: ${queues.jobs.url}
    uses: {tables: {orders: read}}
"""


def test_compile_prints_a_note_for_a_reference_the_function_does_not_use(runner, write_spec, tmp_path) -> None:
    spec = write_spec(SPEC)
    result = runner.invoke(main, ["compile", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"{spec}:14:18 E285 [note] functions.api.environment.QUEUE_URL: '${{queues.jobs.url}}' names queue 'jobs', "
        "which function 'api' does not `use`: the value is set, but a reference grants no access (if the function "
        "calls it, add `uses: {queues: {jobs: send|consume}}`)\n")
    variables = json.loads((tmp_path / "out" / "service.json").read_text())["Resources"]["ApiFunction"][
        "Properties"]["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == {"Ref": "OrdersTable"} and variables["QUEUE_URL"] == {"Ref": "JobsQueue"}


def test_validate_reports_notes_without_failing(runner, write_spec) -> None:
    spec = write_spec(SPEC)
    text = runner.invoke(main, ["validate", str(spec)])
    assert text.exit_code == 0 and text.stdout == f"{spec}: ok\n"
    assert " E285 [note] functions.api.environment.QUEUE_URL: " in text.stderr
    as_json = runner.invoke(main, ["validate", str(spec), "--format", "json"])
    assert as_json.exit_code == 0
    report = json.loads(as_json.stdout)
    assert report["summary"] == {"error": 0, "note": 1, "warning": 0}
    assert [(r["rule"], r["level"], r["subject"]) for r in report["results"]] == [
        ("E285", "note", "functions.api.environment.QUEUE_URL")]


def test_using_what_it_names_silences_the_note(runner, write_spec) -> None:
    spec = write_spec(SPEC.replace("uses: {tables: {orders: read}}",
                                   "uses: {tables: {orders: read}, queues: {jobs: send}}"))
    result = runner.invoke(main, ["validate", str(spec)])
    assert result.exit_code == 0 and result.stderr == ""


def test_an_intrinsic_in_a_value_fails_the_compile_with_a_located_error(runner, write_spec) -> None:
    spec = write_spec(SPEC.replace("${tables.orders.name}", "orders-${AWS::Region}"))
    result = runner.invoke(main, ["compile", str(spec)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{spec}:13:19 E280 functions.api.environment.TABLE_NAME: '${{AWS::Region}}' is CloudFormation's spelling, "
        "which a spec does not use; write '${aws.region}' (references are ${section.entry.attribute}, ${aws.region}, "
        "${aws.account_id}, ${aws.partition} or ${aws.url_suffix}; write $${ for a literal ${)",
        "1 error; nothing was written."]


# --- escaping, as a property ---------------------------------------------------------------------------------

PSEUDO = {"AWS::Region": "eu-west-1", "AWS::AccountId": "111111111111", "AWS::URLSuffix": "amazonaws.com"}
REFERENCES = {"${aws.region}": "eu-west-1", "${aws.account_id}": "111111111111", "${aws.url_suffix}": "amazonaws.com"}
LITERAL = st.text(alphabet="ab-/:${}! ", max_size=12).filter(lambda t: "${" not in t and not t.endswith("$"))


def _evaluate(value: Any) -> str:
    """What CloudFormation makes of a plain string, a pseudo parameter Ref or a variable-free Fn::Sub."""
    if isinstance(value, str):
        return value
    data = value.to_dict()
    if "Ref" in data:
        return PSEUDO[data["Ref"]]
    if "Fn::Join" in data:
        separator, pieces = data["Fn::Join"]
        return separator.join(p if isinstance(p, str) else PSEUDO[p["Ref"]] for p in pieces)
    assert isinstance(data["Fn::Sub"], str) and "${!" not in data["Fn::Sub"]  # no escapes, no variable map
    return re.sub(r"\$\{([^}]*)\}", lambda m: PSEUDO[m.group(1)], data["Fn::Sub"])


@given(pieces=st.lists(st.one_of(LITERAL, st.sampled_from(sorted(REFERENCES)), st.just("$${")), max_size=6))
def test_a_value_resolves_to_its_text_with_references_replaced(pieces: list[str]) -> None:
    value = "".join(pieces)
    expected = "".join(REFERENCES.get(p, "${" if p == "$${" else p) for p in pieces)
    if re.search(r"\$\$\{", "".join(p for p in pieces if p not in REFERENCES and p != "$${")):
        return  # two literal pieces that join into `$${`: a different value, covered by its own pieces
    _, problems = parse(value)
    assert problems == []
    assert _evaluate(resolve(None, value)) == expected  # type: ignore[arg-type]  (aws references need no context)


# --- a split service ------------------------------------------------------------------------------------------


def test_references_cross_the_stacks_of_a_split_service(tmp_path: Path) -> None:
    """A function in a nested stack that names what lives in the parent gets it the way split.py wires every
    reference between stacks: a parameter the parent passes (the topic), or, for a table, the ARN or name built
    from its deterministic name (no parameter, no dependency)."""
    shutil.copytree(SPLIT_SERVICE, tmp_path / "svc")
    spec_path = tmp_path / "svc" / "spec.yaml"
    spec_path.write_text(spec_path.read_text().replace(
        "  fn11: {handler: handlers/app.py:handler, ",
        "  fn11: {handler: handlers/app.py:handler, environment: {ORDERS_ARN: '${tables.orders.arn}', "
        "STOCK: 'table ${tables.stock.name} in ${aws.region}', ALERTS: '${topics.alerts.arn}'}, "))
    compiled = compile_spec(spec_path)
    assert compiled.layout is not None and compiled.layout.split
    home = compiled.layout.placement["Fn11Function"]
    assert home and all(compiled.layout.placement[t] == "" for t in ("OrdersTable", "StockTable", "AlertsTopic"))
    template = compiled.templates[compiled.layout.stacks[home].file]
    variables = template["Resources"]["Fn11Function"]["Properties"]["Environment"]["Variables"]
    assert variables["ALERTS"] == {"Ref": "AlertsTopic"} and "AlertsTopic" in template["Parameters"]
    passed = compiled.templates["service.json"]["Resources"][home]["Properties"]["Parameters"]
    assert passed["AlertsTopic"] == {"Ref": "AlertsTopic"}
    assert variables["ORDERS_ARN"] == {
        "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/bigsvc-orders-test"}
    assert variables["STOCK"] == {"Fn::Sub": "table bigsvc-stock-test in ${AWS::Region}"}
    # Unsplit, the same values are plain references to the tables.
    spec_path.write_text(spec_path.read_text().replace("limits: {margin: 0.8, shards: 3}", "limits: {margin: 0}"))
    whole = compile_spec(spec_path)
    assert whole.layout is not None and not whole.layout.split
    variables = whole.templates["service.json"]["Resources"]["Fn11Function"]["Properties"]["Environment"]["Variables"]
    assert variables["ORDERS_ARN"] == {"Fn::GetAtt": ["OrdersTable", "Arn"]}
    assert variables["STOCK"] == {"Fn::Sub": "table ${StockTable} in ${AWS::Region}"}
