"""POST /process and GET /status/{upload_id}: submit records through the API, and follow an upload's progress.

POST writes the records to the uploads bucket as `uploads/<id>.json`, where the bucket's trigger hands them to the
processor like any other upload; it answers 202 with the id to poll. GET returns the upload's latest status
and its history (every status is an item keyed by id and time, newest first).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from typing import Any

from boto3.dynamodb.conditions import Key
from common import (
    ApiError,
    Event,
    Response,
    api_handler,
    client,
    invalid,
    json_body,
    only_fields,
    path_parameter,
    plain,
    response,
    table,
)

UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
MAX_RECORDS = 10_000
HISTORY = 20


def _submit(event: Event) -> Response:
    body = json_body(event)
    only_fields(body, frozenset({"data"}))
    records = body.get("data")
    if not isinstance(records, list) or not 1 <= len(records) <= MAX_RECORDS:
        raise invalid(f"data is required and must list 1 to {MAX_RECORDS} records.")
    if not all(isinstance(r, dict) for r in records):
        raise invalid("every record in data must be an object.")
    upload_id = str(uuid.uuid4())
    client("s3").put_object(Bucket=os.environ["BUCKET_UPLOADS"], Key=f"uploads/{upload_id}.json",
                            Body=json.dumps({"data": records}, separators=(",", ":")).encode(),
                            ContentType="application/json")
    return response(202, {"upload_id": upload_id, "status": "submitted", "records": len(records)},
                    {"Location": f"/status/{upload_id}"})


def _status(event: Event) -> Response:
    upload_id = path_parameter(event, "upload_id")
    if not UPLOAD_ID.fullmatch(upload_id):
        raise ApiError(404, "not_found", "No such upload.")
    items = table("TABLE_RESULTS").query(KeyConditionExpression=Key("id").eq(upload_id), ScanIndexForward=False,
                                         Limit=HISTORY)["Items"]
    if not items:
        raise ApiError(404, "not_found", "No such upload (it may still be on its way from the bucket).")
    history = [{k: v for k, v in plain(i).items() if k not in ("id", "bucket", "key")} for i in items]
    return response(200, {"upload_id": upload_id, "status": history[0]["status"], "history": history})


@api_handler
def handler(event: Event, context: Any) -> Response:
    route = (event.get("httpMethod"), event.get("resource"))
    if route == ("POST", "/process"):
        return _submit(event)
    if route == ("GET", "/status/{upload_id}"):
        return _status(event)
    raise ApiError(405, "method_not_allowed", "This route is not served by the api_handler function.")
