"""How templates are written (output/emit.render_json): indented, until indentation would cost a large template a
third of CloudFormation's 1 MB quota; then one entry per line, the same JSON value, still sorted."""

from __future__ import annotations

import json

from specc.output.emit import COMPACT_ABOVE, render_json


def _template(resources: int) -> dict:
    return {"AWSTemplateFormatVersion": "2010-09-09", "Description": "d",
            "Resources": {f"Queue{i}": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": i, "Tags": [
                {"Key": "a", "Value": "b"}]}} for i in range(resources)},
            "Outputs": {"Z": {"Value": {"Ref": "Queue0"}}, "A": {"Value": "x"}}}


def test_a_small_template_is_indented_json_with_sorted_keys() -> None:
    template = _template(3)
    assert render_json(template) == (json.dumps(template, indent=2, sort_keys=True) + "\n").encode()


def test_a_large_template_is_one_entry_per_line_and_the_same_value() -> None:
    template = _template(6000)
    indented = json.dumps(template, indent=2, sort_keys=True).encode()
    assert len(indented) > COMPACT_ABOVE
    body = render_json(template)
    assert json.loads(body) == template
    assert len(body) < 0.7 * len(indented)
    lines = body.decode().splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    resource_lines = [line for line in lines if line.startswith('"Queue')]
    assert len(resource_lines) == 6000  # each resource on its own line: a change is a one-line diff
    assert resource_lines == sorted(resource_lines)
    assert lines.index('"Outputs": {') < lines.index('"Resources": {')  # sections sorted as in the indented form
    assert render_json(template) == body
