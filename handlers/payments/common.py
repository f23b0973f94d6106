"""The payments handlers' plumbing: the shared part (JSON logs, HTTP responses, error mapping) comes from the
`common` layer (service_common); this module adds this service's logger, its AWS clients (shorter read timeout)
and its events."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from botocore.config import Config
from service_common import ApiError, Event, Response, api_handler_for, build_logger, error_response, now_ms, response

__all__ = ["ApiError", "Event", "Response", "api_handler", "dynamodb", "error_response", "logger", "now_ms",
           "publish_event", "response", "s3", "sns", "table"]

logger = build_logger("payments", "LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL")
api_handler = api_handler_for(logger, "path")

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


def publish_event(event_type: str, payment: dict[str, Any]) -> None:
    """At-least-once event on the payment_events topic; consumers deduplicate on (type, payment_id)."""
    message = {"type": event_type, "payment_id": payment["payment_id"], "occurred_at": now_ms(), "payment": payment}
    sns().publish(
        TopicArn=os.environ["TOPIC_PAYMENT_EVENTS"],
        Message=json.dumps(message, separators=(",", ":")),
        MessageAttributes={"event_type": {"DataType": "String", "StringValue": event_type}},
    )
    logger.info("event published", extra={"event_type": event_type, "payment_id": payment["payment_id"]})
