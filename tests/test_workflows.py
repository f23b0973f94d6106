"""Workflows: the ASL each state renders to, the role's exact policy, starting a workflow from a function, the
secure defaults and their recorded opt-outs, and the definitions cfn-lint checks inside Fn::Sub."""

from __future__ import annotations

import json
from typing import Any

import pytest

from specc.build.asl import definition
from specc.build.iam import WILDCARD_RESOURCE_REASONS
from specc.compiler import compile_spec
from specc.kinds.workflows import WorkflowSpec
from specc.lint.cfn import lint_templates

BASE = """
specc: 1
service: shop
environment: dev
regions: [us-east-1]
topics:
  alerts: {{}}
functions:
  work:
    handler: handlers/app.py:handler
  other:
    handler: handlers/app.py:handler
  starter:
    handler: handlers/app.py:handler
    uses: {{workflows: {{flow: start}}}}
workflows:
  flow:
{workflow}
"""
SIMPLE = """    start: step
    states:
      step: {task: work}"""


def _compile(write_spec, workflow: str = SIMPLE, extra: str = "") -> dict[str, Any]:
    return compile_spec(write_spec(BASE.format(workflow=workflow) + extra)).templates["service.json"]


def _asl(states: dict[str, Any], **fields: Any) -> dict[str, Any]:
    spec = WorkflowSpec.model_validate({"start": next(iter(states)), "states": states, **fields})
    document, _ = definition(spec, lambda section, name: f"<{section}.{name}>")
    return document


def _definition(template: dict[str, Any], machine: str = "FlowStateMachine") -> dict[str, Any]:
    body = template["Resources"][machine]["Properties"]["DefinitionString"]
    return json.loads(body["Fn::Sub"] if isinstance(body, dict) else body)


def test_task_renders_resource_parameters_paths_retry_and_catch() -> None:
    states = _asl({
        "a": {"task": "work", "payload": {"action": "go", "id.$": "$.id"}, "input_path": "$.in",
              "result_path": "$.out", "output_path": "$", "timeout_seconds": 30, "next": "b",
              "retry": [{"errors": ["Lambda.ServiceException"], "interval_seconds": 2, "max_attempts": 5,
                         "backoff_rate": 1.5, "max_delay_seconds": 60, "jitter": "full"},
                        {"errors": ["States.ALL"]}],
              "catch": [{"errors": ["States.ALL"], "next": "b", "result_path": "$.error"}]},
        "b": {"succeed": True}})["States"]
    assert states["a"] == {
        "Type": "Task", "Resource": "<functions.work>", "Parameters": {"action": "go", "id.$": "$.id"},
        "InputPath": "$.in", "ResultPath": "$.out", "OutputPath": "$", "TimeoutSeconds": 30, "Next": "b",
        "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 2, "MaxAttempts": 5,
                   "BackoffRate": 1.5, "MaxDelaySeconds": 60, "JitterStrategy": "FULL"},
                  {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2.0}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "b", "ResultPath": "$.error"}]}
    assert states["b"] == {"Type": "Succeed"}


def test_a_state_without_next_ends_and_choice_succeed_fail_never_do() -> None:
    states = _asl({"a": {"pass": {}, "next": "c"}, "c": {"choice": [{"variable": "$.x", "is_present": True,
                                                                      "next": "d"}], "default": "e"},
                   "d": {"wait": {"seconds": 0}}, "e": {"fail": {"error": "Nope", "cause": "because"}}})["States"]
    assert states["a"] == {"Type": "Pass", "Next": "c"}
    assert "End" not in states["c"] and "Next" not in states["c"]
    assert states["d"] == {"Type": "Wait", "Seconds": 0, "End": True}
    assert states["e"] == {"Type": "Fail", "Error": "Nope", "Cause": "because"}


@pytest.mark.parametrize("rule, expected", [
    ({"variable": "$.s", "string_equals": "x"}, {"Variable": "$.s", "StringEquals": "x"}),
    ({"variable": "$.s", "string_matches": "*.json"}, {"Variable": "$.s", "StringMatches": "*.json"}),
    ({"variable": "$.n", "numeric_equals": 3}, {"Variable": "$.n", "NumericEquals": 3}),
    ({"variable": "$.n", "numeric_less_than_equals": 2.5}, {"Variable": "$.n", "NumericLessThanEquals": 2.5}),
    ({"variable": "$.n", "numeric_greater_than": 100}, {"Variable": "$.n", "NumericGreaterThan": 100}),
    ({"variable": "$.b", "boolean_equals": False}, {"Variable": "$.b", "BooleanEquals": False}),
    ({"variable": "$.t", "timestamp_less_than": "2026-01-01T00:00:00Z"},
     {"Variable": "$.t", "TimestampLessThan": "2026-01-01T00:00:00Z"}),
    ({"variable": "$.p", "is_present": False}, {"Variable": "$.p", "IsPresent": False}),
    ({"and": [{"variable": "$.a", "is_null": False}, {"not": {"variable": "$.b", "is_string": True}}]},
     {"And": [{"Variable": "$.a", "IsNull": False}, {"Not": {"Variable": "$.b", "IsString": True}}]}),
    ({"or": [{"variable": "$.a", "is_numeric": True}, {"variable": "$.a", "is_boolean": True}]},
     {"Or": [{"Variable": "$.a", "IsNumeric": True}, {"Variable": "$.a", "IsBoolean": True}]}),
])
def test_choice_rules(rule: dict[str, Any], expected: dict[str, Any]) -> None:
    states = _asl({"c": {"choice": [{**rule, "next": "d"}], "default": "d"}, "d": {"succeed": True}})["States"]
    assert states["c"] == {"Type": "Choice", "Choices": [{**expected, "Next": "d"}], "Default": "d"}


def test_parallel_map_and_publish() -> None:
    document = _asl({
        "fan": {"parallel": [{"start": "x", "states": {"x": {"task": "work"}}},
                             {"start": "y", "states": {"y": {"pass": {"result": {"k": 1}}}}}],
                "result_path": "$.both", "next": "each"},
        "each": {"map": {"items_path": "$.items", "max_concurrency": 3, "item": {"v.$": "$$.Map.Item.Value"},
                         "iterator": {"start": "one", "states": {"one": {"task": "other"}}}}, "next": "tell"},
        "tell": {"publish": "alerts", "message": {"done.$": "$.both"}, "next": "shout"},
        "shout": {"publish": "alerts"}}, description="flow", timeout_seconds=600)
    assert document["Comment"] == "flow" and document["TimeoutSeconds"] == 600 and document["StartAt"] == "fan"
    states = document["States"]
    assert states["fan"]["Branches"] == [
        {"StartAt": "x", "States": {"x": {"Type": "Task", "Resource": "<functions.work>", "End": True}}},
        {"StartAt": "y", "States": {"y": {"Type": "Pass", "Result": {"k": 1}, "End": True}}}]
    assert states["each"] == {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 3, "ItemSelector": {"v.$": "$$.Map.Item.Value"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "one",
                          "States": {"one": {"Type": "Task", "Resource": "<functions.other>", "End": True}}},
        "Next": "tell"}
    assert states["tell"]["Resource"] == "arn:${AWS::Partition}:states:::sns:publish"
    assert states["tell"]["Parameters"] == {"TopicArn": "<topics.alerts>", "Message": {"done.$": "$.both"}}
    assert states["shout"]["Parameters"] == {"TopicArn": "<topics.alerts>", "Message.$": "$"}


def test_definition_is_a_sub_with_function_and_topic_references_and_escaped_spec_text(write_spec) -> None:
    template = _compile(write_spec, """    start: step
    states:
      step: {task: work, payload: {note: "costs ${amount}"}, next: tell}
      tell: {publish: alerts}""")
    body = template["Resources"]["FlowStateMachine"]["Properties"]["DefinitionString"]["Fn::Sub"]
    assert "${WorkFunction.Arn}" in body and "${AlertsTopic}" in body
    assert '"costs ${!amount}"' in body  # spec text can never become a reference
    assert body == json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))


def test_definition_without_references_is_a_plain_string(write_spec) -> None:
    template = _compile(write_spec, """    start: only
    states:
      only: {pass: {result: "${not a reference}"}}""")
    body = template["Resources"]["FlowStateMachine"]["Properties"]["DefinitionString"]
    assert isinstance(body, str) and json.loads(body)["States"]["only"]["Result"] == "${not a reference}"


def test_a_function_with_provisioned_concurrency_is_invoked_through_its_alias(write_spec) -> None:
    text = BASE.format(workflow=SIMPLE).replace("  work:\n    handler: handlers/app.py:handler\n",
                                                "  work:\n    handler: handlers/app.py:handler\n"
                                                "    provisioned_concurrency: 1\n")
    template = compile_spec(write_spec(text)).templates["service.json"]
    assert _definition(template)["States"]["step"]["Resource"] == "${WorkAlias}"


def _statements(template: dict[str, Any], policy: str) -> dict[str, dict[str, Any]]:
    document = template["Resources"][policy]["Properties"]["PolicyDocument"]
    return {s["Sid"]: s for s in document["Statement"]}


def test_role_policy_is_exactly_its_functions_topics_key_logs_and_traces(write_spec) -> None:
    template = _compile(write_spec, """    start: step
    states:
      step: {task: work, next: tell}
      tell: {publish: alerts}""")
    statements = _statements(template, "FlowWorkflowPolicy")
    machine_arn = {"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
                              "shop-flow-dev"}
    assert set(statements) == {"InvokeWork", "AlertsTopicPublish", "KeyMain", "StateMachineKey",
                               "StateMachineKeyForLogs", "DeliverLogs", "WriteTraces"}
    assert statements["InvokeWork"]["Action"] == ["lambda:InvokeFunction"]
    assert statements["InvokeWork"]["Resource"] == [{"Fn::GetAtt": ["WorkFunction", "Arn"]},
                                                    {"Fn::Sub": "${WorkFunction.Arn}:*"}]
    assert statements["AlertsTopicPublish"]["Resource"] == [{"Ref": "AlertsTopic"}]
    assert statements["StateMachineKey"]["Condition"] == {
        "StringEquals": {"kms:EncryptionContext:aws:states:stateMachineArn": machine_arn}}
    assert statements["StateMachineKey"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert statements["StateMachineKeyForLogs"]["Action"] == ["kms:GenerateDataKey"]
    for statement in statements.values():
        assert all("*" not in action for action in statement["Action"])
        if statement["Resource"] == ["*"]:
            assert all(action in WILDCARD_RESOURCE_REASONS for action in statement["Action"]), statement["Sid"]
    other = [s for s in statements.values() if s["Sid"] not in ("DeliverLogs", "WriteTraces")]
    assert all(s["Resource"] != ["*"] for s in other)
    trust = template["Resources"]["FlowWorkflowRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": machine_arn}


def test_only_the_functions_the_states_name_may_be_invoked(write_spec) -> None:
    statements = _statements(_compile(write_spec), "FlowWorkflowPolicy")
    invoked = [r for s in statements.values() if "lambda:InvokeFunction" in s["Action"] for r in s["Resource"]]
    assert invoked == [{"Fn::GetAtt": ["WorkFunction", "Arn"]}, {"Fn::Sub": "${WorkFunction.Arn}:*"}]


def test_key_policy_lets_the_role_and_log_delivery_use_the_workflow_key(write_spec) -> None:
    template = _compile(write_spec)
    statements = template["Resources"]["MainKey"]["Properties"]["KeyPolicy"]["Statement"]
    roles = [p for s in statements for p in (s["Principal"].get("AWS") or []) if isinstance(p, dict)]
    assert {"Fn::GetAtt": ["FlowWorkflowRole", "Arn"]} in roles
    delivery = [s for s in statements if s["Principal"].get("Service") == "delivery.logs.amazonaws.com"]
    assert delivery and delivery[0]["Action"] == ["kms:Decrypt"]


def test_uses_start_grants_start_execution_and_the_key_for_this_state_machine_only(write_spec) -> None:
    template = _compile(write_spec)
    statements = _statements(template, "StarterPolicy")
    arn = {"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:shop-flow-dev"}
    assert statements["FlowWorkflowStart"] == {"Sid": "FlowWorkflowStart", "Effect": "Allow",
                                               "Action": ["states:StartExecution"], "Resource": [arn]}
    assert statements["FlowWorkflowKey"]["Condition"] == {
        "StringEquals": {"kms:EncryptionContext:aws:states:stateMachineArn": arn}}
    variables = template["Resources"]["StarterFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["WORKFLOW_FLOW"] == arn


def test_a_function_the_workflow_calls_may_also_start_it_without_a_cycle(write_spec) -> None:
    text = BASE.format(workflow="""    start: step
    states:
      step: {task: starter}""")
    compiled = compile_spec(write_spec(text))
    assert lint_templates(compiled.templates, ["us-east-1"]) == []  # E3004 would name a circular dependency


def test_secure_defaults(write_spec) -> None:
    machine = _compile(write_spec)["Resources"]["FlowStateMachine"]
    properties = machine["Properties"]
    assert properties["StateMachineType"] == "STANDARD" and properties["StateMachineName"] == "shop-flow-dev"
    assert properties["EncryptionConfiguration"] == {"Type": "CUSTOMER_MANAGED_KMS_KEY", "KmsDataKeyReusePeriodSeconds":
                                                     300, "KmsKeyId": {"Fn::GetAtt": ["MainKey", "Arn"]}}
    assert properties["TracingConfiguration"] == {"Enabled": True}
    assert properties["LoggingConfiguration"] == {
        "Level": "ALL", "IncludeExecutionData": False,
        "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": ["FlowWorkflowLogGroup", "Arn"]}}}]}
    assert machine["DependsOn"] == ["FlowWorkflowPolicy"]
    assert "Metadata" not in machine


def test_opt_outs_are_recorded(write_spec) -> None:
    template = _compile(write_spec, SIMPLE + """
    tracing: false
    logging: {level: "off"}""")
    machine = template["Resources"]["FlowStateMachine"]
    assert machine["Metadata"]["specc"]["opt_outs"] == [
        {"control": "logging", "spec": "workflows.flow.logging.level"},
        {"control": "tracing", "spec": "workflows.flow.tracing"}]
    assert "LoggingConfiguration" not in machine["Properties"] and "FlowWorkflowLogGroup" not in template["Resources"]
    assert {"DeliverLogs", "WriteTraces"}.isdisjoint(_statements(template, "FlowWorkflowPolicy"))
    data = _compile(write_spec, SIMPLE + """
    logging: {include_execution_data: true, level: error}""")["Resources"]["FlowStateMachine"]
    assert data["Properties"]["LoggingConfiguration"]["Level"] == "ERROR"
    assert data["Metadata"]["specc"]["opt_outs"][0]["control"] == "logging.exclude_execution_data"


def test_standard_alarms_on_failed_and_timed_out_executions_can_be_turned_off(write_spec) -> None:
    monitoring = "monitoring:\n  notify: alerts\n"
    resources = _compile(write_spec, extra=monitoring)["Resources"]
    failures = resources["FlowWorkflowFailuresAlarm"]["Properties"]
    assert (failures["Namespace"], failures["MetricName"], failures["Threshold"]) == ("AWS/States", "ExecutionsFailed", 0)
    assert failures["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": "FlowStateMachine"}}]
    assert resources["FlowWorkflowTimeoutsAlarm"]["Properties"]["MetricName"] == "ExecutionsTimedOut"
    off = monitoring + "  standard_alarms: {workflow_failures: {enabled: false}}\n"
    assert "FlowWorkflowFailuresAlarm" not in _compile(write_spec, extra=off)["Resources"]


def test_same_spec_in_another_order_gives_the_same_bytes(write_spec) -> None:
    first = _compile(write_spec, """    start: a
    states:
      a: {task: work, next: b}
      b: {task: other}""")
    second = _compile(write_spec, """    states:
      b: {task: other}
      a: {next: b, task: work}
    start: a""")
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_lint_validates_definitions_inside_fn_sub(write_spec) -> None:
    compiled = compile_spec(write_spec(BASE.format(workflow=SIMPLE)))
    template = json.loads(json.dumps(compiled.templates["service.json"]))
    properties = template["Resources"]["FlowStateMachine"]["Properties"]
    broken = json.loads(properties["DefinitionString"]["Fn::Sub"])
    broken["States"]["step"]["Type"] = "Taks"
    properties["DefinitionString"]["Fn::Sub"] = json.dumps(broken)
    findings = lint_templates({"service.json": template}, ["us-east-1"])
    assert [(f.rule, f.message.split(":")[0]) for f in findings] == [("E3601", "FlowStateMachine definition")]
    assert "'Taks' is not one of" in findings[0].message


def test_a_split_service_keeps_its_definition_linted(write_spec) -> None:
    """Past the budget the state machine reads function ARNs from nested stacks (a list-form Fn::Sub)."""
    workflow = """    start: a
    states:
      a: {task: work, next: b}
      b: {task: other}"""
    more = "".join(f"  extra{i}:\n    handler: handlers/app.py:handler\n" for i in range(4))
    text = BASE.format(workflow=workflow).replace("functions:\n", "functions:\n" + more)
    compiled = compile_spec(write_spec(text + "limits: {margin: 0.9, shards: 4}\n"))
    templates = json.loads(json.dumps(compiled.templates))
    machines = [(name, t["Resources"]["FlowStateMachine"]) for name, t in templates.items()
                if "FlowStateMachine" in t.get("Resources", {})]
    assert len(machines) == 1 and len(templates) > 3  # split into nested stacks
    name, machine = machines[0]
    text, variables = machine["Properties"]["DefinitionString"]["Fn::Sub"]
    assert variables and all(f"${{{v}}}" in text for v in variables)
    assert lint_templates(templates, ["us-east-1"]) == []
    broken = json.loads(text)
    broken["States"]["a"]["Type"] = "Taks"
    machine["Properties"]["DefinitionString"]["Fn::Sub"][0] = json.dumps(broken)
    assert [f.rule for f in lint_templates({name: templates[name]}, ["us-east-1"])] == ["E3601"]


def test_the_cached_parallel_lint_sees_definitions_too(write_spec) -> None:
    """`specc lint` runs cfn-lint through lint_cache.run_cfn_lint: definition findings are part of a template's."""
    from specc.lint.cache import run_cfn_lint
    from specc.output.emit import render_json

    template = json.loads(json.dumps(compile_spec(write_spec(BASE.format(workflow=SIMPLE))).templates["service.json"]))
    assert run_cfn_lint(render_json(template).decode(), ["us-east-1"]) == []
    properties = template["Resources"]["FlowStateMachine"]["Properties"]
    broken = json.loads(properties["DefinitionString"]["Fn::Sub"])
    broken["States"]["step"]["Nxt"] = "step"
    properties["DefinitionString"]["Fn::Sub"] = json.dumps(broken)
    body = render_json(template).decode()
    (finding,) = run_cfn_lint(body, ["us-east-1"])
    assert finding["rule"] == "E3601" and finding["message"].startswith("FlowStateMachine definition: ")
    assert body.splitlines()[finding["line"] - 1].strip() == '"FlowStateMachine": {'


# Property: the graph checks accept exactly what Step Functions' schema accepts, as far as cfn-lint knows it.
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

STATE_NAMES = ["a", "b", "c", "d", "e"]


@st.composite
def workflows(draw: Any) -> dict[str, Any]:
    """Random states with random transitions (sometimes to unknown states), one type each."""
    names = STATE_NAMES[:draw(st.integers(1, len(STATE_NAMES)))]
    states: dict[str, Any] = {}
    for index, name in enumerate(names):
        following = names[index + 1:index + 2]  # mostly a chain, so that many drawn graphs are valid
        target = st.sampled_from(following * 6 + names + ["zz"])
        middle = ["task", "pass", "wait", "choice"] * (3 if following else 1)
        kind = draw(st.sampled_from(middle + ["succeed", "fail"]))
        ends = not following or draw(st.integers(0, 4)) == 0
        if kind == "task":
            state: dict[str, Any] = {"task": "work"}
            if draw(st.booleans()):
                state["catch"] = [{"errors": ["States.ALL"], "next": draw(target)}]
        elif kind == "pass":
            state = {"pass": {}}
        elif kind == "wait":
            state = {"wait": {"seconds": draw(st.integers(0, 5))}}
        elif kind == "choice":
            state = {"choice": [{"variable": "$.x", "is_present": True, "next": draw(target)}]}
            if draw(st.booleans()):
                state["default"] = draw(target)
        elif kind == "succeed":
            state = {"succeed": True}
        else:
            state = {"fail": {"error": "Failed"}}
        if kind in ("task", "pass", "wait") and not ends:
            state["next"] = draw(target)
        states[name] = state
    return {"start": draw(st.sampled_from(["a"] * 8 + names + ["zz"])), "states": states}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(workflow=workflows())
def test_accepted_graphs_are_valid_asl_and_refused_ones_are_located(write_spec, workflow) -> None:
    from specc.language.diagnostics import SpecError

    body = "\n".join("    " + line for line in json.dumps(workflow).splitlines())
    try:
        compiled = compile_spec(write_spec(BASE.format(workflow=body)))
    except SpecError as exc:
        codes = {d.code for d in exc.diagnostics}
        assert codes and codes <= {"E220", "E221", "E222"}, exc.render()
        assert all(d.position.line > 0 for d in exc.diagnostics)
        event("refused")
        return
    event("accepted")
    assert lint_templates({"service.json": compiled.templates["service.json"]}, ["us-east-1"]) == []
