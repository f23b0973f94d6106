"""Amazon States Language from a workflow spec: a pure function, so its output is testable on its own.

Functions and topics are named in the spec and resolved to CloudFormation references here, as `Fn::Sub`
placeholders (`${ValidateOrderFunction.Arn}`, `${AlertsTopic}`): the definition is one `Fn::Sub` string,
which CloudFormation (and moto, which ignores `DefinitionSubstitutions`) resolves. Text that comes from
the spec is escaped (`${` becomes `${!`) so a payload can never inject a reference. Keys are sorted and
the JSON compact, so the same spec always gives the same bytes.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from specc.build.naming import camel
from specc.language.workflow_states import COMBINATORS, Branch, ChoiceCondition, Retrier, StateSpec, comparisons_of

# (section, name) -> the `Fn::Sub` text of that entry's ARN, like `${ValidateOrderFunction.Arn}`.
Resolve = Callable[[str, str], str]

SNS_PUBLISH = "arn:${AWS::Partition}:states:::sns:publish"


def uses_references(states: dict[str, StateSpec]) -> bool:
    """Whether a definition needs `Fn::Sub`: it calls a function or a topic somewhere."""
    for state in states.values():
        if state.task is not None or state.publish is not None:
            return True
        if any(uses_references(branch.states) for _, branch in state.branches()):
            return True
    return False


class Renderer:
    def __init__(self, resolve: Resolve, substitute: bool) -> None:
        self.resolve = resolve
        self.substitute = substitute  # the text becomes a Fn::Sub body: escape `${` in spec text

    def text(self, value: str) -> str:
        return value.replace("${", "${!") if self.substitute else value

    def data(self, value: Any) -> Any:
        """Spec-supplied JSON (payloads, messages, results) with every string escaped."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v) for v in value]
        return value

    def branch(self, start: str, states: dict[str, StateSpec]) -> dict[str, Any]:
        return {"StartAt": start, "States": {name: self.state(state) for name, state in states.items()}}

    def state(self, state: StateSpec) -> dict[str, Any]:
        kind = state.type()
        out: dict[str, Any] = getattr(self, f"_{kind}")(state)
        if state.comment:
            out["Comment"] = self.text(state.comment)
        for field, key in (("input_path", "InputPath"), ("result_path", "ResultPath"), ("output_path", "OutputPath")):
            if getattr(state, field) is not None:
                out[key] = self.text(getattr(state, field))
        if state.timeout_seconds is not None:
            out["TimeoutSeconds"] = state.timeout_seconds
        if state.retry:
            out["Retry"] = [self.retrier(r) for r in state.retry]
        if state.catch:
            out["Catch"] = [self.catcher(c) for c in state.catch]
        if kind not in ("choice", "succeed", "fail"):
            if state.next is not None:
                out["Next"] = state.next
            else:
                out["End"] = True
        return out

    def _task(self, state: StateSpec) -> dict[str, Any]:
        assert state.task is not None
        out: dict[str, Any] = {"Type": "Task", "Resource": self.resolve("functions", state.task)}
        if state.payload is not None:
            out["Parameters"] = self.data(state.payload)
        return out

    def _publish(self, state: StateSpec) -> dict[str, Any]:
        assert state.publish is not None
        parameters: dict[str, Any] = {"TopicArn": self.resolve("topics", state.publish)}
        if state.message is None:
            parameters["Message.$"] = "$"
        else:
            parameters["Message"] = self.data(state.message)
        return {"Type": "Task", "Resource": SNS_PUBLISH, "Parameters": parameters}

    def _choice(self, state: StateSpec) -> dict[str, Any]:
        out: dict[str, Any] = {"Type": "Choice",
                               "Choices": [{**self.condition(rule), "Next": rule.next} for rule in state.choice or []]}
        if state.default is not None:
            out["Default"] = state.default
        return out

    def condition(self, condition: ChoiceCondition) -> dict[str, Any]:
        for combinator in COMBINATORS:
            value = getattr(condition, combinator)
            if value is None:
                continue
            key = camel(combinator)
            return {key: self.condition(value) if combinator == "not_" else [self.condition(c) for c in value]}
        (operator,) = comparisons_of(condition)
        value = getattr(condition, operator)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        assert condition.variable is not None  # the model requires it with a comparison
        return {"Variable": self.text(condition.variable), camel(operator): self.data(value)}

    def _parallel(self, state: StateSpec) -> dict[str, Any]:
        return {"Type": "Parallel", "Branches": [self.branch(b.start, b.states) for b in state.parallel or []]}

    def _map(self, state: StateSpec) -> dict[str, Any]:
        spec = state.map
        assert spec is not None
        iterator: Branch = spec.iterator
        out: dict[str, Any] = {
            "Type": "Map",
            "ItemsPath": self.text(spec.items_path),
            "MaxConcurrency": spec.max_concurrency,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **self.branch(iterator.start, iterator.states)},
        }
        if spec.item is not None:
            out["ItemSelector"] = self.data(spec.item)
        return out

    def _wait(self, state: StateSpec) -> dict[str, Any]:
        assert state.wait is not None
        (field,) = state.wait.model_fields_set
        value = getattr(state.wait, field)
        return {"Type": "Wait", camel(field): self.text(value) if isinstance(value, str) else value}

    def _pass(self, state: StateSpec) -> dict[str, Any]:
        assert state.pass_ is not None
        out: dict[str, Any] = {"Type": "Pass"}
        if "result" in state.pass_.model_fields_set:
            out["Result"] = self.data(state.pass_.result)
        return out

    def _succeed(self, state: StateSpec) -> dict[str, Any]:
        return {"Type": "Succeed"}

    def _fail(self, state: StateSpec) -> dict[str, Any]:
        assert state.fail is not None
        out: dict[str, Any] = {"Type": "Fail", "Error": state.fail.error}
        if state.fail.cause:
            out["Cause"] = self.text(state.fail.cause)
        return out

    def retrier(self, retrier: Retrier) -> dict[str, Any]:
        out: dict[str, Any] = {"ErrorEquals": list(retrier.errors), "IntervalSeconds": retrier.interval_seconds,
                               "MaxAttempts": retrier.max_attempts, "BackoffRate": retrier.backoff_rate}
        if retrier.max_delay_seconds is not None:
            out["MaxDelaySeconds"] = retrier.max_delay_seconds
        if retrier.jitter is not None:
            out["JitterStrategy"] = retrier.jitter.upper()
        return out

    def catcher(self, catcher: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"ErrorEquals": list(catcher.errors), "Next": catcher.next}
        if catcher.result_path is not None:
            out["ResultPath"] = self.text(catcher.result_path)
        return out


def definition(workflow: Any, resolve: Resolve) -> tuple[dict[str, Any], bool]:
    """The ASL document of `workflow` and whether it is a `Fn::Sub` body (it refers to functions or topics)."""
    substitute = uses_references(workflow.states)
    renderer = Renderer(resolve, substitute)
    document = renderer.branch(workflow.start, workflow.states)
    if workflow.description:
        document["Comment"] = renderer.text(workflow.description)
    if workflow.timeout_seconds is not None:
        document["TimeoutSeconds"] = workflow.timeout_seconds
    return document, substitute


def definition_text(workflow: Any, resolve: Resolve) -> tuple[str, bool]:
    """The definition as compact JSON with sorted keys (byte-identical for the same spec)."""
    document, substitute = definition(workflow, resolve)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False), substitute
