"""Shared plumbing for the payments handlers: JSON logs, AWS clients, HTTP responses and error mapping.

Lives inside the code directory because the Lambda zip holds only `handlers/payments/`.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import boto3
from botocore.config import Config

Event = dict[str, Any]
Response = dict[str, Any]

# The Lambda and API Gateway request ids of the invocation being served, stamped on every log line.
_request_ids: contextvars.ContextVar[dict[str, str | None]] = contextvars.ContextVar(
    "request_ids", default={"request_id": None, "api_request_id": None})
# Attributes every LogRecord has; anything else on a record was passed as `extra=` and becomes a field.
_RESERVED = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, so CloudWatch Logs Insights can filter on fields without parsing text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "service": os.environ.get("SERVICE"),
            "environment": os.environ.get("ENVIRONMENT"),
            **_request_ids.get(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, separators=(",", ":"))


def _build_logger() -> logging.Logger:
    """Own handler and no propagation: the Lambda runtime's root handler would print each line a second time."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    built = logging.getLogger("payments")
    built.handlers[:] = [handler]  # idempotent when the module is imported again
    level = (os.environ.get("LOG_LEVEL") or os.environ.get("AWS_LAMBDA_LOG_LEVEL") or "INFO").upper()
    built.setLevel(level if level in logging.getLevelNamesMapping() else "INFO")
    built.propagate = False
    return built


logger = _build_logger()

# Created on first use and kept for the life of the execution environment; boto3 reads the region and
# AWS_ENDPOINT_URL(_<SERVICE>) from the environment itself. Short timeouts (botocore waits 60 s by default) let
# a stuck call fail inside the function timeout and still produce a JSON 500 instead of an API Gateway 502.
_CONFIG = Config(connect_timeout=2, read_timeout=3, retries={"mode": "standard"})
_dynamodb: Any = None
_sns: Any = None
_s3: Any = None


def dynamodb() -> Any:
    global _dynamodb
    if _dynamodb is None:
        _dynamodb = boto3.resource("dynamodb", config=_CONFIG)
    return _dynamodb


def sns() -> Any:
    global _sns
    if _sns is None:
        _sns = boto3.client("sns", config=_CONFIG)
    return _sns


def s3() -> Any:
    global _s3
    if _s3 is None:
        _s3 = boto3.client("s3", config=_CONFIG)
    return _s3


def table(env_var: str) -> Any:
    """The table whose physical name specc injected as `env_var` (read per call: cheap, and testable)."""
    return dynamodb().Table(os.environ[env_var])


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def publish_event(event_type: str, payment: dict[str, Any]) -> None:
    """At-least-once event on the payment_events topic; consumers deduplicate on (type, payment_id)."""
    message = {"type": event_type, "payment_id": payment["payment_id"], "occurred_at": now_ms(), "payment": payment}
    sns().publish(
        TopicArn=os.environ["TOPIC_PAYMENT_EVENTS"],
        Message=json.dumps(message, separators=(",", ":")),
        MessageAttributes={"event_type": {"DataType": "String", "StringValue": event_type}},
    )
    logger.info("event published", extra={"event_type": event_type, "payment_id": payment["payment_id"]})


class ApiError(Exception):
    """An expected failure that maps to one HTTP status and a stable machine-readable code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):  # DynamoDB numbers; ours are all integers
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """An API Gateway Lambda proxy response; `no-store` because payment data must not sit in caches."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store", **(headers or {})},
        "body": json.dumps(body, default=_json_default, separators=(",", ":")),
    }


def error_response(status: int, code: str, message: str) -> Response:
    return response(status, {"error": {"code": code, "message": message}})


def api_handler(func: Callable[[Event, Any], Response]) -> Callable[[Event, Any], Response]:
    """Tag logs with the request ids and turn every failure into a JSON error response, never a stack trace."""

    @functools.wraps(func)
    def wrapper(event: Event, context: Any) -> Response:
        event = event or {}
        token = _request_ids.set({"request_id": getattr(context, "aws_request_id", None),
                                  "api_request_id": (event.get("requestContext") or {}).get("requestId")})
        try:
            logger.info("request", extra={"http_method": event.get("httpMethod"), "path": event.get("path")})
            result = func(event, context)
            logger.info("response", extra={"status": result["statusCode"]})
            return result
        except ApiError as exc:
            logger.info("request rejected", extra={"status": exc.status, "error_code": exc.code})
            return error_response(exc.status, exc.code, exc.message)
        except Exception:
            logger.exception("unhandled error")
            return error_response(500, "internal_error", "An internal error occurred.")
        finally:
            _request_ids.reset(token)

    return wrapper
