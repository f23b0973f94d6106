"""data_processor: store one record (read-write function).

Input (direct or asynchronous invocation): `{"id": "<optional, 1-128 safe characters>", "data": {...}}`.
The record is written to the `records` table under (id, timestamp in milliseconds) exactly once (a
conditional put: a retried event with the same id and timestamp does not write twice) and, when the
spec gives the function the `data` bucket, as JSON to `records/<id>/<timestamp>.json` (encrypted by the
bucket's default key). Bad input is a 400; an AWS failure is logged and raised, so asynchronous
invocations are retried and finally land in the function's dead-letter queue.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from botocore.exceptions import ClientError as AwsError
from store import ClientError, Event, Response, data_bucket, log, response, s3, table

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
MAX_DATA_BYTES = 64 * 1024


def parse(event: Event) -> tuple[str, int, dict[str, Any]]:
    if not isinstance(event, dict):
        raise ClientError("the event must be a JSON object")
    record_id = event.get("id") or str(uuid.uuid4())
    if not isinstance(record_id, str) or not ID_PATTERN.match(record_id):
        raise ClientError("`id` must be 1 to 128 letters, digits, '_', '.', ':' or '-'")
    data = event.get("data")
    if not isinstance(data, dict):
        raise ClientError("`data` must be a JSON object")
    if len(json.dumps(data)) > MAX_DATA_BYTES:
        raise ClientError(f"`data` is larger than {MAX_DATA_BYTES} bytes")
    timestamp = event.get("timestamp", int(time.time() * 1000))
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or timestamp < 0:
        raise ClientError("`timestamp` must be a non-negative whole number of milliseconds")
    return record_id, timestamp, data


def handler(event: Event, context: Any) -> Response:
    try:
        record_id, timestamp, data = parse(event)
    except ClientError as error:
        log(logging.WARNING, "rejected", reason=str(error))
        return response(400, {"error": str(error)})
    function = getattr(context, "function_name", "data_processor")
    item = {"id": record_id, "timestamp": timestamp, "data": json.dumps(data, sort_keys=True), "function": function}
    try:
        table().put_item(Item=item, ConditionExpression="attribute_not_exists(id)")
        created = True
    except AwsError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            log(logging.ERROR, "table write failed", id=record_id, error=error.response["Error"]["Code"])
            raise
        created = False  # the same event again: already stored
    bucket = data_bucket()
    if bucket and created:
        s3().put_object(Bucket=bucket, Key=f"records/{record_id}/{timestamp}.json",
                        Body=json.dumps(data, sort_keys=True).encode(), ContentType="application/json")
    log(logging.INFO, "stored" if created else "duplicate", id=record_id, timestamp=timestamp)
    return response(201 if created else 200, {"id": record_id, "timestamp": timestamp, "created": created})
