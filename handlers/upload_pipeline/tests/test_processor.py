"""The upload processor against moto: an upload becomes a `received` status and one workflow execution (a duplicate
S3 event starts none), an upload that can never be processed is `rejected`, other failures raise for Lambda's
retries and on-failure destination."""

from __future__ import annotations

import json

import pytest


def test_an_upload_is_recorded_and_starts_one_execution(pipeline) -> None:
    record = pipeline.upload("uploads/batch 7.json", json.dumps({"data": [{"id": 1}, {"id": 2}]}))
    assert pipeline.process(record) == {"received": 1}
    (status,) = pipeline.statuses("batch 7")
    assert (status["status"], status["record_count"], status["key"]) == ("received", 2, "uploads/batch 7.json")
    (execution,) = pipeline.executions()
    started = json.loads(execution["input"])
    assert started == {"upload_id": "batch 7", "bucket": "pipeline-uploads-test", "key": "uploads/batch 7.json",
                       "version": record["s3"]["object"]["versionId"], "records": 2}
    assert pipeline.process(record) == {"received": 1}  # S3 delivers at least once: same name, no new execution
    assert len(pipeline.executions()) == 1


def test_a_new_version_of_the_same_key_is_a_new_execution(pipeline) -> None:
    pipeline.process(pipeline.upload("uploads/a.json", "[]"))
    pipeline.process(pipeline.upload("uploads/a.json", '[{"id": 1}]'))
    assert len(pipeline.executions()) == 2


@pytest.mark.parametrize("body, reason", [
    (b"{not json", "not valid JSON"),
    (b'{"data": "x"}', "list of objects"),
    (b"[1, 2]", "list of objects"),
    (b"NaN", "not valid JSON"),
])
def test_an_upload_that_can_never_be_processed_is_rejected_without_a_workflow(pipeline, body, reason) -> None:
    assert pipeline.process(pipeline.upload("uploads/bad.json", body)) == {"rejected": 1}
    (status,) = pipeline.statuses("bad")
    assert status["status"] == "rejected" and reason in status["reason"]
    assert pipeline.executions() == []


def test_too_large_uploads_are_rejected(pipeline, monkeypatch) -> None:
    monkeypatch.setattr(pipeline.modules.common, "MAX_UPLOAD_BYTES", 10)
    pipeline.process(pipeline.upload("uploads/big.json", json.dumps([{"id": 1}, {"id": 2}])))
    assert "more than the 10 allowed" in pipeline.statuses("big")[0]["reason"]


def test_other_events_are_ignored_and_failures_raise_for_lambda_retries(pipeline, monkeypatch) -> None:
    assert pipeline.process({"eventSource": "aws:sns"}) == {}
    record = pipeline.upload("uploads/ok.json", "[]")
    monkeypatch.setenv("WORKFLOW_PIPELINE", pipeline.machine_arn + "-gone")
    with pytest.raises(Exception, match="StateMachineDoesNotExist"):
        pipeline.process(record)
    missing = pipeline.upload("uploads/gone.json", "[]")
    pipeline.s3.delete_object(Bucket="pipeline-uploads-test", Key="uploads/gone.json")
    with pytest.raises(Exception, match="NoSuch"):
        pipeline.process({**missing, "s3": {**missing["s3"], "object": {**missing["s3"]["object"], "versionId": None}}})


def _destination_message(message_id: str, payload: dict) -> dict:
    """An SQS message holding Lambda's on-failure destination record for an asynchronous invocation."""
    body = {"version": "1.0", "timestamp": "2026-11-28T06:00:00.000Z",
            "requestContext": {"requestId": "r-1", "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:p",
                               "condition": "RetriesExhausted", "approximateInvokeCount": 3},
            "requestPayload": payload, "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": "ThrottlingException", "errorType": "ClientError"}}
    return {"messageId": message_id, "eventSource": "aws:sqs", "body": json.dumps(body)}


def test_failed_events_come_back_from_the_queue_and_only_failures_return_to_it(pipeline) -> None:
    good = pipeline.upload("uploads/late.json", '[{"id": 1}]')
    gone = pipeline.upload("uploads/gone.json", "[]")
    pipeline.s3.delete_object(Bucket="pipeline-uploads-test", Key="uploads/gone.json",
                              VersionId=gone["s3"]["object"]["versionId"])
    result = pipeline.process(_destination_message("m-1", {"Records": [good]}),
                              _destination_message("m-2", {"Records": [gone]}),
                              {"messageId": "m-3", "eventSource": "aws:sqs", "body": '{"unexpected": true}'})
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-2"}, {"itemIdentifier": "m-3"}]}
    assert pipeline.statuses("late")[0]["status"] == "received" and len(pipeline.executions()) == 1
    errors = [line for line in pipeline.logs() if line["level"] == "ERROR"]
    assert [line["message_id"] for line in errors] == ["m-2", "m-3"]
