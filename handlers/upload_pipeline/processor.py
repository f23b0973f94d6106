"""The upload processor: S3 `ObjectCreated` events for `uploads/*.json` -> parse -> a status item in `results` ->
one pipeline workflow execution per object version.

An upload that can never be processed (not JSON, too large, wrong shape) is recorded as `rejected` and starts
nothing: retrying it would fail the same way. Anything else that fails (S3, DynamoDB, Step Functions) raises,
so Lambda retries the event and then sends it to the on-failure destination. S3 may deliver an event twice:
the execution is named after the object's version, so a duplicate starts no second execution.

Events that exhausted Lambda's retries land in the `failed_uploads` queue (the on-failure destination), which
feeds them back here: each message is Lambda's destination record, whose `requestPayload` is the original S3
event. A message that fails again is reported in `batchItemFailures`, so only it returns to the queue, and after
the queue's receive limit it moves to the queue's own dead-letter queue for a person to look at.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.parse
from typing import Any

from botocore.exceptions import ClientError
from common import Event, UploadRejected, client, logger, read_upload, table


def _execution_name(bucket: str, key: str, version: str) -> str:
    """At most 80 characters of [A-Za-z0-9-_]: a digest of what identifies this object version."""
    return hashlib.sha256(f"{bucket}/{key}#{version}".encode()).hexdigest()[:64]


def _record_status(upload_id: str, status: str, **fields: Any) -> None:
    table("TABLE_RESULTS").put_item(Item={"id": upload_id, "timestamp": time.time_ns() // 1_000_000,
                                          "status": status, **fields})


def _start(upload_id: str, bucket: str, key: str, version: str, records: int) -> None:
    execution_input = {"upload_id": upload_id, "bucket": bucket, "key": key, "version": version, "records": records}
    try:
        client("stepfunctions").start_execution(
            stateMachineArn=os.environ["WORKFLOW_PIPELINE"], name=_execution_name(bucket, key, version),
            input=json.dumps(execution_input, separators=(",", ":")))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
        logger.info("duplicate event: pipeline already started", extra={"upload_id": upload_id})


def process_record(record: dict[str, Any]) -> str:
    s3 = record["s3"]
    bucket = s3["bucket"]["name"]
    key = urllib.parse.unquote_plus(s3["object"]["key"])  # S3 event keys are URL-encoded
    version = s3["object"].get("versionId") or s3["object"].get("sequencer") or ""
    upload_id = key.rsplit("/", 1)[-1].removesuffix(".json")
    try:
        records = read_upload(bucket, key, s3["object"].get("versionId"))
    except UploadRejected as exc:
        logger.warning("upload rejected", extra={"upload_id": upload_id, "key": key, "reason": str(exc)})
        _record_status(upload_id, "rejected", bucket=bucket, key=key, reason=str(exc))
        return "rejected"
    _record_status(upload_id, "received", bucket=bucket, key=key, size=int(s3["object"].get("size", 0)),
                   record_count=len(records))
    _start(upload_id, bucket, key, version, len(records))
    logger.info("upload received", extra={"upload_id": upload_id, "records": len(records)})
    return "received"


def _s3_records(records: list[dict[str, Any]]) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    for record in records:
        if record.get("eventSource") != "aws:s3" or not record.get("eventName", "").startswith("ObjectCreated:"):
            logger.warning("ignored record", extra={"event_source": record.get("eventSource"),
                                                    "event_name": record.get("eventName")})
            continue
        outcome = process_record(record)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _redrive(messages: list[dict[str, Any]]) -> dict[str, Any]:
    failures = []
    for message in messages:
        try:
            payload = json.loads(message["body"]).get("requestPayload")
            if not isinstance(payload, dict) or not isinstance(payload.get("Records"), list):
                raise ValueError("the message is not a Lambda destination record of an S3 event")
            outcomes = _s3_records(payload["Records"])
            logger.info("failed upload event processed again", extra={"message_id": message["messageId"],
                                                                      "outcomes": outcomes})
        except Exception:
            logger.exception("failed upload event failed again", extra={"message_id": message.get("messageId")})
            failures.append({"itemIdentifier": message.get("messageId")})
    return {"batchItemFailures": failures}


def handler(event: Event, context: Any) -> dict[str, Any]:
    records = (event or {}).get("Records", [])
    if records and records[0].get("eventSource") == "aws:sqs":
        return _redrive(records)
    return _s3_records(records)
