"""POST /items: store an item once; report unexpected failures to the critical alerts topic.

The WAF-protected API of seed 002. A client error (bad JSON, a missing or malformed id, an oversized body)
is a 4xx with a stable code; an id that exists already is 409 (the write is conditional, so an item is never
silently overwritten); anything unexpected is logged with its traceback, published to the topic, and returned
as a JSON 500 without internal details.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import sys
import time
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ITEM_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
MAX_DATA_BYTES = 64 * 1024
_CONFIG = Config(connect_timeout=2, read_timeout=3, retries={"mode": "standard"})
_clients: dict[str, Any] = {}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id, so CloudWatch Logs Insights can filter on fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"level": record.levelname, "message": record.getMessage(), "service": os.environ.get("SERVICE"),
                 "environment": os.environ.get("ENVIRONMENT"), **getattr(record, "fields", {})}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, separators=(",", ":"))


def _logger() -> logging.Logger:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    built = logging.getLogger("items")
    built.handlers[:] = [handler]
    built.setLevel(logging.INFO)
    built.propagate = False
    return built


logger = _logger()


def client(service: str) -> Any:
    if service not in _clients:
        _clients[service] = boto3.client(service, config=_CONFIG)
    return _clients[service]


class ClientFault(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
            "body": json.dumps(body, separators=(",", ":"))}


def parse(event: dict[str, Any]) -> tuple[str, Any]:
    raw = event.get("body")
    if not raw:
        raise ClientFault(400, "invalid_json", "The request body must be a JSON object.")
    try:
        text = base64.b64decode(raw, validate=True).decode() if event.get("isBase64Encoded") else raw
        body = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise ClientFault(400, "invalid_json", "The request body must be a JSON object.") from None
    if not isinstance(body, dict):
        raise ClientFault(400, "invalid_json", "The request body must be a JSON object.")
    unknown = sorted(set(body) - {"id", "data"})
    if unknown:
        raise ClientFault(400, "validation_error", f"Unknown field(s): {', '.join(unknown)}.")
    item_id = body.get("id")
    if not isinstance(item_id, str) or not ITEM_ID.fullmatch(item_id):
        raise ClientFault(400, "validation_error", "id must be 1 to 128 letters, digits, '.', '_' or '-'.")
    data = body.get("data", "")
    if len(json.dumps(data).encode()) > MAX_DATA_BYTES:
        raise ClientFault(413, "payload_too_large", f"data must serialise to at most {MAX_DATA_BYTES} bytes.")
    return item_id, data


def _alert(context: Any, error: BaseException) -> None:
    """Tell the on-call topic; an alert that cannot be sent is logged, never raised over the real failure."""
    try:
        client("sns").publish(
            TopicArn=os.environ["TOPIC_CRITICAL_ALERTS"],
            Subject="Lambda Function Error",
            Message=json.dumps({"function": getattr(context, "function_name", None),
                                "request_id": getattr(context, "aws_request_id", None),
                                "error": type(error).__name__, "detail": str(error)[:1000]}),
        )
    except Exception:
        logger.exception("could not publish the error alert")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    fields = {"request_id": getattr(context, "aws_request_id", None)}
    try:
        item_id, data = parse(event or {})
        table = boto3.resource("dynamodb", config=_CONFIG).Table(os.environ["TABLE_ITEMS"])
        try:
            table.put_item(Item={"id": item_id, "data": data, "created_at": int(time.time() * 1000)},
                           ConditionExpression="attribute_not_exists(id)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ClientFault(409, "item_exists", f"An item with id {item_id} exists already.") from None
            raise
        logger.info("item created", extra={"fields": {**fields, "item_id": item_id}})
        return response(201, {"message": "Item created successfully", "id": item_id})
    except ClientFault as fault:
        logger.info("request rejected", extra={"fields": {**fields, "status": fault.status, "code": fault.code}})
        return response(fault.status, {"error": {"code": fault.code, "message": fault.message}})
    except Exception as error:
        logger.exception("unhandled error", extra={"fields": fields})
        _alert(context, error)
        return response(500, {"error": {"code": "internal_error", "message": "An internal error occurred."}})
