"""Orders of signed-in customers, behind an HTTP API whose Cognito authorizer has already checked the token.

API Gateway passes the verified claims in `requestContext.authorizer.jwt.claims` (payload format 2.0): the
customer is the token's `sub`, so one customer never reads another's orders.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import boto3

_TABLE = None


def _table() -> Any:
    global _TABLE
    if _TABLE is None:
        _TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_ORDERS"])
    return _TABLE


def _customer(event: dict[str, Any]) -> str:
    return event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"]


def _answer(status: int, body: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def list_orders(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from boto3.dynamodb.conditions import Key

    found = _table().query(KeyConditionExpression=Key("customer_id").eq(_customer(event)))["Items"]
    return _answer(200, [{"order_id": item["order_id"], "item": item["item"]} for item in found])


def create_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        item = str(json.loads(event.get("body") or "{}")["item"])
    except (ValueError, KeyError, TypeError):
        return _answer(400, {"error": "a JSON body with `item` is required"})
    order = {"customer_id": _customer(event), "order_id": str(uuid.uuid4()), "item": item}
    _table().put_item(Item=order)
    return _answer(201, order)


def health(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _answer(200, {"ok": True})
