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
    assert pipeline.process({"eventSource": "aws:sqs"}) == {}
    record = pipeline.upload("uploads/ok.json", "[]")
    monkeypatch.setenv("WORKFLOW_PIPELINE", pipeline.machine_arn + "-gone")
    with pytest.raises(Exception, match="StateMachineDoesNotExist"):
        pipeline.process(record)
    missing = pipeline.upload("uploads/gone.json", "[]")
    pipeline.s3.delete_object(Bucket="pipeline-uploads-test", Key="uploads/gone.json")
    with pytest.raises(Exception, match="NoSuch"):
        pipeline.process({**missing, "s3": {**missing["s3"], "object": {**missing["s3"]["object"], "versionId": None}}})
