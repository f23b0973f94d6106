"""What both secure-data functions share: configuration from the environment specc sets, clients, JSON logs.

specc injects `TABLE_RECORDS` (and `BUCKET_DATA` once the spec's `data` bucket is declared) into each
function's environment; a function is only granted what its `uses` says, so the read-only analytics
function never gets a client call that writes.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from decimal import Decimal
from functools import cache
from typing import Any

import boto3

Event = dict[str, Any]
Response = dict[str, Any]


class ClientError(Exception):
    """A bad request: reported to the caller as 400 with its message, never as a crash."""


def _logger() -> logging.Logger:
    log = logging.getLogger("secure_data")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
    return log


logger = _logger()


def log(level: int, message: str, **fields: Any) -> None:
    """One JSON object per line, so CloudWatch Logs Insights and metric filters can select fields."""
    logger.log(level, json.dumps({"level": logging.getLevelName(level), "message": message,
                                  "service": os.environ.get("SERVICE"), **fields}, default=str, sort_keys=True))


@cache
def _resource(name: str) -> Any:
    return boto3.resource(name)


@cache
def _client(name: str) -> Any:
    return boto3.client(name)


def table() -> Any:
    return _resource("dynamodb").Table(os.environ["TABLE_RECORDS"])


def s3() -> Any:
    return _client("s3")


def data_bucket() -> str | None:
    """The data bucket, when the spec declares it (`uses: {buckets: {data: ...}}` sets BUCKET_DATA)."""
    return os.environ.get("BUCKET_DATA") or None


def response(status: int, body: Any) -> Response:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body, default=_plain, sort_keys=True)}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def reset_clients() -> None:
    """Tests start each case with clients bound to that case's mock."""
    _resource.cache_clear()
    _client.cache_clear()
