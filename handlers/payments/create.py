"""POST /payments: create a pending payment exactly once per Idempotency-Key.

The idempotency record and the payment are written in one DynamoDB transaction, so a key never points at a
payment that does not exist. The record keeps a snapshot of the payment because this function may write
`transactions` but not read it, and a flag saying whether the `payment.created` event went out, so a retry
after a failed publish sends it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Any

from botocore.exceptions import ClientError
from common import ApiError, Event, Response, api_handler, dynamodb, logger, publish_event, response, table
from model import new_payment, public
from validation import create_request, idempotency_key, json_object_body

IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60


def _body_hash(body: dict[str, Any]) -> str:
    """Hash of the canonical JSON, so key order and whitespace differences in a retry do not count as changes."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _scoped_key(event: Event, key: str) -> str:
    """Keys are scoped to the caller's API key: two clients choosing the same key must not see each other's payment."""
    api_key_id = ((event.get("requestContext") or {}).get("identity") or {}).get("apiKeyId")
    return f"{api_key_id}#{key}" if api_key_id else key


def _location(event: Event, payment_id: str) -> str:
    """requestContext.path carries the stage or custom-domain base path (`/v1/payments`); `path` does not."""
    base = (event.get("requestContext") or {}).get("path") or event.get("path") or "/payments"
    return f"{base.rstrip('/')}/{payment_id}"


def _commit(key: str, request_hash: str, payment: dict[str, Any]) -> None:
    now = int(time.time())
    record = {"idempotency_key": key, "request_hash": request_hash, "payment_id": payment["payment_id"],
              "payment": payment, "event_published": False, "expires_at": now + IDEMPOTENCY_TTL_SECONDS}
    dynamodb().meta.client.transact_write_items(TransactItems=[
        # TTL deletion lags expiry by up to days: an expired record counts as absent.
        {"Put": {"TableName": os.environ["TABLE_IDEMPOTENCY"], "Item": record,
                 "ConditionExpression": "attribute_not_exists(idempotency_key) OR expires_at < :now",
                 "ExpressionAttributeValues": {":now": now}}},
        {"Put": {"TableName": os.environ["TABLE_TRANSACTIONS"], "Item": payment,
                 "ConditionExpression": "attribute_not_exists(payment_id)"}},
    ])


def _publish_created(key: str, payment: dict[str, Any]) -> None:
    try:
        publish_event("payment.created", payment)
    except Exception:
        logger.error("payment stored but payment.created not published; a retry with the same key publishes it",
                     extra={"payment_id": payment["payment_id"]})
        raise
    table("TABLE_IDEMPOTENCY").update_item(Key={"idempotency_key": key}, UpdateExpression="SET event_published = :t",
                                           ExpressionAttributeValues={":t": True})


def _replay(event: Event, key: str, request_hash: str) -> Response:
    record = table("TABLE_IDEMPOTENCY").get_item(Key={"idempotency_key": key}, ConsistentRead=True).get("Item")
    if record is None:  # expired and deleted since the transaction was cancelled
        raise ApiError(409, "idempotency_conflict", "The Idempotency-Key is being processed; retry the request.")
    if record["request_hash"] != request_hash:
        raise ApiError(422, "idempotency_key_reused", "The Idempotency-Key was already used with a different body.")
    payment = public(record["payment"])
    if not record.get("event_published"):
        _publish_created(key, payment)
    logger.info("idempotent replay", extra={"payment_id": payment["payment_id"]})
    return response(200, payment, {"Location": _location(event, payment["payment_id"]), "Idempotent-Replayed": "true"})


@api_handler
def handler(event: Event, context: Any) -> Response:
    key = _scoped_key(event, idempotency_key(event))
    body = json_object_body(event)
    request = create_request(body, os.environ.get("CURRENCY"))
    request_hash = _body_hash(body)
    payment = new_payment(request)
    try:
        _commit(key, request_hash, payment)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = [reason.get("Code") for reason in exc.response.get("CancellationReasons", [])]
        if reasons[:1] == ["ConditionalCheckFailed"]:
            return _replay(event, key, request_hash)
        if "TransactionConflict" in reasons:  # a concurrent request with the same key holds the item
            raise ApiError(409, "idempotency_conflict", "The Idempotency-Key is being processed; retry the request.")
        raise
    logger.info("payment created", extra={"payment_id": payment["payment_id"], "merchant_id": request.merchant_id,
                                          "amount": request.amount, "currency": request.currency})
    _publish_created(key, public(payment))
    return response(201, public(payment), {"Location": _location(event, payment["payment_id"])})
