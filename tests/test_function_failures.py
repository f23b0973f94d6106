"""Asynchronous failures: the function's own queue, or an on-failure destination on a topic or another function."""

from __future__ import annotations

import pytest

from specc.compiler import compile_spec
from specc.language.diagnostics import SpecError

SPEC = """
specc: 1
service: svc
environment: dev
regions: [us-east-1]
topics:
  failures: {{}}
functions:
  fallback:
    handler: handlers/app.py:handler
  worker:
    handler: handlers/app.py:handler
    async_invocation: {async_invocation}
monitoring: {{notify: failures}}
"""


def _compile(write_spec, async_invocation: str) -> dict:
    return compile_spec(write_spec(SPEC.format(async_invocation=async_invocation))).templates["service.json"]


def _statements(template: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in template["Resources"]["WorkerPolicy"]["Properties"]["PolicyDocument"]["Statement"]}


def test_destination_on_a_topic_replaces_the_own_queue_and_grants_publish(write_spec) -> None:
    template = _compile(write_spec, "{on_failure: destination, destination: topics.failures, retries: 1}")
    resources = template["Resources"]
    config = resources["WorkerEventInvokeConfig"]["Properties"]
    assert config["DestinationConfig"] == {"OnFailure": {"Destination": {"Ref": "FailuresTopic"}}}
    assert config["MaximumRetryAttempts"] == 1
    assert "WorkerDeadLetterQueue" not in resources and "DeadLetterConfig" not in resources["WorkerFunction"]["Properties"]
    assert "WorkerDlqDepthAlarm" not in resources and "FallbackDlqDepthAlarm" in resources
    statements = _statements(template)
    assert statements["FailuresTopicPublish"]["Action"] == ["sns:Publish"]
    assert statements["FailuresTopicPublish"]["Resource"] == [{"Ref": "FailuresTopic"}]
    assert "SendToDeadLetterQueue" not in statements
    assert {"kms:Decrypt", "kms:GenerateDataKey"} <= set(statements["KeyMain"]["Action"])  # the topic's key


def test_destination_on_another_function_grants_invoke(write_spec) -> None:
    template = _compile(write_spec, "{on_failure: destination, destination: functions.fallback}")
    config = template["Resources"]["WorkerEventInvokeConfig"]["Properties"]
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["FallbackFunction", "Arn"]}
    assert _statements(template)["InvokeFallback"]["Action"] == ["lambda:InvokeFunction"]


def test_destination_without_a_target_is_the_own_queue(write_spec) -> None:
    template = _compile(write_spec, "{on_failure: destination}")
    config = template["Resources"]["WorkerEventInvokeConfig"]["Properties"]
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["WorkerDeadLetterQueue", "Arn"]}
    assert "DeadLetterConfig" not in template["Resources"]["WorkerFunction"]["Properties"]


@pytest.mark.parametrize(("async_invocation", "message"), [
    ("{destination: topics.failures}", "`destination` applies only with `on_failure: destination`"),
    ("{on_failure: destination, destination: topics.failure}", "unknown topic 'failure'; did you mean 'failures'?"),
    ("{on_failure: destination, destination: buckets.x}", "does not have the expected form"),
])
def test_bad_destinations_are_located_errors(write_spec, async_invocation: str, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        _compile(write_spec, async_invocation)
    rendered = [d.render() for d in caught.value.diagnostics]
    assert len(rendered) == 1 and message in rendered[0], rendered
    assert ":12:" in rendered[0]  # the async_invocation line
