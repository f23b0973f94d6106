"""The upload processor's, the upload API's and the pipeline steps' plumbing: the shared part (JSON logs, AWS
clients, request parsing, HTTP responses, error mapping) comes from the `common` layer (service_common), and
this module adds this service's logger and reading uploads."""

from __future__ import annotations

import json
from typing import Any

from service_common import (
    ApiError,
    Event,
    Response,
    api_handler_for,
    build_logger,
    client,
    header,
    invalid,
    json_body,
    now_ms,
    only_fields,
    path_parameter,
    plain,
    reject_constant,
    response,
    step_handler_for,
    table,
)

__all__ = ["ApiError", "Event", "Response", "UploadRejected", "api_handler", "client", "header", "invalid",
           "json_body", "logger", "now_ms", "only_fields", "path_parameter", "plain", "read_upload", "response",
           "step_handler", "table"]

logger = build_logger("upload_pipeline")
api_handler = api_handler_for(logger)
step_handler = step_handler_for(logger, "upload_id")  # Retry and Catch match `UploadRejected`

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class UploadRejected(Exception):
    """An upload that can never be processed (too large, not JSON, wrong shape): retrying will not help."""


def read_upload(bucket: str, key: str, version: str | None = None) -> list[dict[str, Any]]:
    """The records of an upload: a JSON object `{"data": [...]}` (or a bare list) of objects, at most 5 MB."""
    arguments: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version:
        arguments["VersionId"] = version
    obj = client("s3").get_object(**arguments)
    if obj["ContentLength"] > MAX_UPLOAD_BYTES:
        raise UploadRejected(f"{obj['ContentLength']} bytes is more than the {MAX_UPLOAD_BYTES} allowed")
    try:
        document = json.loads(obj["Body"].read(), parse_constant=reject_constant)
    except (ValueError, RecursionError):
        raise UploadRejected("the upload is not valid JSON") from None
    records = document.get("data") if isinstance(document, dict) else document
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise UploadRejected("the upload must be a list of objects, or an object whose `data` is one")
    return records
