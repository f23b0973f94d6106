"""The upload API and the pipeline's steps against moto: submitting records through the API lands them where the
bucket's trigger picks them up; validation, parallel batches that split the work, aggregation and failures are
recorded as the upload's status history."""

from __future__ import annotations

import json

import pytest

BUCKET = "pipeline-uploads-test"  # as in conftest.py


def test_submitted_records_land_in_the_bucket_and_status_follows_them(pipeline) -> None:
    submitted = pipeline.api("POST", "/process", body={"data": [{"id": "a", "n": 2}, {"id": "b", "n": 3}]})
    assert submitted.status == 202
    upload_id = submitted.json["upload_id"]
    key = f"uploads/{upload_id}.json"
    stored = json.loads(pipeline.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    assert stored == {"data": [{"id": "a", "n": 2}, {"id": "b", "n": 3}]}
    missing = pipeline.api("GET", "/status/{upload_id}", pathParameters={"upload_id": upload_id})
    assert missing.status == 404
    pipeline.process(pipeline.upload(key, json.dumps(stored)))  # what the bucket's trigger does
    status = pipeline.api("GET", "/status/{upload_id}", pathParameters={"upload_id": upload_id})
    assert status.status == 200 and status.json["status"] == "received"
    assert status.json["history"][0]["record_count"] == 2


@pytest.mark.parametrize("body", [{}, {"data": []}, {"data": [1]}, {"data": [{}], "extra": 1}, "[]"])
def test_submit_validation(pipeline, body) -> None:
    assert pipeline.api("POST", "/process", body=body).status == 400


def _event(pipeline, records, key="uploads/u1.json"):
    record = pipeline.upload(key, json.dumps({"data": records}))
    return {"upload_id": "u1", "bucket": BUCKET, "key": key, "version": record["s3"]["object"]["versionId"]}


def test_validation(pipeline) -> None:
    assert pipeline.step("validate_upload", _event(pipeline, [{"id": 1}])) == {
        "is_valid": True, "record_count": 1, "reason": ""}
    assert pipeline.step("validate_upload", _event(pipeline, []))["reason"] == "the upload has no records"
    assert pipeline.step("validate_upload", _event(pipeline, [{"id": 1}, {"x": 2}]))["reason"] == \
        "1 record(s) have no id"


def test_batches_split_the_records_and_aggregation_records_completion(pipeline) -> None:
    event = _event(pipeline, [{"id": i, "n": i} for i in range(5)])
    first = pipeline.step("process_batch", {**event, "batch": 1, "batches": 2})
    second = pipeline.step("process_batch", {**event, "batch": 2, "batches": 2})
    assert (first["processed"], second["processed"]) == (3, 2)
    assert first["numeric_total"] + second["numeric_total"] == 2 * sum(range(5))  # id and n both count
    summary = pipeline.step("aggregate_results", {"upload_id": "u1", "results": [first, second]})
    assert summary == {"processed": 5, "fields": ["id", "n"], "numeric_total": 20, "batches": 2}
    (status,) = pipeline.statuses("u1")
    assert status["status"] == "completed" and status["processed"] == 5
    with pytest.raises(ValueError):
        pipeline.step("process_batch", {**event, "batch": 3, "batches": 2})


def test_failures_are_recorded_with_their_reason(pipeline) -> None:
    assert pipeline.step("record_failure", {"upload_id": "u2", "validation": {"reason": "no records"}})["reason"] == \
        "no records"
    pipeline.step("record_failure", {"upload_id": "u3", "error": {"Error": "States.Timeout", "Cause": "..."}})
    assert pipeline.statuses("u3")[0]["reason"] == "States.Timeout"
    assert any(line.get("step") == "record_failure" for line in pipeline.logs())
