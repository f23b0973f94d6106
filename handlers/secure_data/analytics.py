"""data_analytics: read-only views of the records (the function's role can read, never write).

Input: `{"id": "<record id>", "limit": 1-100}` returns that id's newest records; `{}` counts the records
(a paginated COUNT scan, bounded by `max_pages`) and, when the function has the `data` bucket, the
stored objects.
"""

from __future__ import annotations

import logging
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError as AwsError
from processor import ID_PATTERN
from store import ClientError, Event, Response, data_bucket, log, response, s3, table

MAX_PAGES = 50


def _history(record_id: str, limit: int) -> Response:
    result = table().query(KeyConditionExpression=Key("id").eq(record_id), ScanIndexForward=False, Limit=limit)
    return response(200, {"id": record_id, "records": result.get("Items", [])})


def _summary() -> Response:
    count, pages, kwargs = 0, 0, {"Select": "COUNT"}
    while pages < MAX_PAGES:
        page = table().scan(**kwargs)
        count += page.get("Count", 0)
        pages += 1
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    body: dict[str, Any] = {"records": count, "complete": "LastEvaluatedKey" not in page}
    bucket = data_bucket()
    if bucket:
        objects = 0
        for listing in s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="records/",
                                                                       PaginationConfig={"MaxItems": 100000}):
            objects += listing.get("KeyCount", 0)
        body["objects"] = objects
    return response(200, body)


def handler(event: Event, context: Any) -> Response:
    try:
        if not isinstance(event, dict):
            raise ClientError("the event must be a JSON object")
        record_id = event.get("id")
        limit = event.get("limit", 10)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100:
            raise ClientError("`limit` must be a whole number from 1 to 100")
        if record_id is not None and (not isinstance(record_id, str) or not ID_PATTERN.match(record_id)):
            raise ClientError("`id` must be 1 to 128 letters, digits, '_', '.', ':' or '-'")
    except ClientError as error:
        log(logging.WARNING, "rejected", reason=str(error))
        return response(400, {"error": str(error)})
    try:
        return _history(record_id, limit) if record_id else _summary()
    except AwsError as error:
        log(logging.ERROR, "read failed", error=error.response["Error"]["Code"])
        return response(500, {"error": "the records could not be read"})
