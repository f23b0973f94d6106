"""POST /orders and GET /orders/{order_id}: an order is stored once per Idempotency-Key, then handed to the order
workflow (validate the user, reserve stock, confirm; or fail and release the stock).

The order id is derived from the caller's API key and its Idempotency-Key, and it is also the workflow execution
name: a retried request finds the same order and starts no second execution (Step Functions keeps names unique).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from typing import Any

from botocore.exceptions import ClientError
from common import (
    ApiError,
    Event,
    Response,
    api_handler,
    client,
    header,
    invalid,
    json_body,
    logger,
    now_ms,
    only_fields,
    path_parameter,
    plain,
    response,
    table,
)

FIELDS = frozenset({"user_id", "items"})
ITEM_FIELDS = frozenset({"product_id", "quantity"})
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
ORDER_NAMESPACE = uuid.UUID("6f1c1f9e-3c55-4d8e-9a8f-2b7a3f1d9c42")
MAX_ITEMS, MAX_QUANTITY = 50, 100


def public(item: dict[str, Any]) -> dict[str, Any]:
    order = {"order_id": item["id"], "user_id": item["user_id"], "status": item["status"],
             "items": [{"product_id": i["product_id"], "quantity": int(i["quantity"])} for i in item["items"]],
             "created_at": int(item["created_at"])}
    for optional in ("total_cents", "failure_reason"):
        if optional in item:
            order[optional] = item[optional]
    return order


def _request(body: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    only_fields(body, FIELDS)
    user_id, items = body.get("user_id"), body.get("items")
    if not isinstance(user_id, str) or not UUID.fullmatch(user_id):
        raise invalid("user_id is required and must be a user id.")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise invalid(f"items is required and must list 1 to {MAX_ITEMS} products.")
    seen: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid(f"items[{index}] must be an object.")
        only_fields(item, ITEM_FIELDS)
        product_id, quantity = item.get("product_id"), item.get("quantity")
        if not isinstance(product_id, str) or not UUID.fullmatch(product_id):
            raise invalid(f"items[{index}].product_id must be a product id.")
        if product_id in seen:
            raise invalid(f"items[{index}].product_id is listed twice; give one line per product.")
        seen.add(product_id)
        if type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
            raise invalid(f"items[{index}].quantity must be an integer from 1 to {MAX_QUANTITY}.")
    return user_id, [{"product_id": i["product_id"], "quantity": i["quantity"]} for i in items]


def _order_id(event: Event) -> str:
    key = header(event, "Idempotency-Key")
    if key is None or not IDEMPOTENCY_KEY.fullmatch(key):
        raise invalid("The Idempotency-Key header is required: 1 to 128 letters, digits, '_', '.', ':' or '-'.")
    caller = ((event.get("requestContext") or {}).get("identity") or {}).get("apiKeyId") or "anonymous"
    return str(uuid.uuid5(ORDER_NAMESPACE, f"{caller}#{key}"))  # two callers never share a key's order


def _start_workflow(order: dict[str, Any]) -> None:
    """Idempotent: the execution is named after the order, and Step Functions refuses a second one."""
    execution_input = plain({"order_id": order["id"], "user_id": order["user_id"], "items": order["items"]})
    try:
        client("stepfunctions").start_execution(stateMachineArn=os.environ["WORKFLOW_ORDER"], name=order["id"],
                                                input=json.dumps(execution_input, separators=(",", ":")))
        logger.info("order workflow started", extra={"order_id": order["id"]})
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
        logger.info("order workflow already started", extra={"order_id": order["id"]})


def _create(event: Event) -> Response:
    order_id = _order_id(event)
    body = json_body(event)
    user_id, items = _request(body)
    request_hash = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    order = {"id": order_id, "user_id": user_id, "items": items, "status": "pending", "created_at": now_ms(),
             "request_hash": request_hash}
    orders = table("TABLE_ORDERS")
    try:
        orders.put_item(Item=order, ConditionExpression="attribute_not_exists(id)")
        status = 202
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        order = orders.get_item(Key={"id": order_id}, ConsistentRead=True)["Item"]
        if order["request_hash"] != request_hash:
            raise ApiError(422, "idempotency_key_reused", "The Idempotency-Key was already used with another body.")
        status = 200
    _start_workflow(order)  # on a replay too: the first attempt may have stored the order and then failed here
    return response(status, public(order), {"Location": f"/orders/{order_id}"})


def _get(event: Event) -> Response:
    order_id = path_parameter(event, "order_id")
    item = table("TABLE_ORDERS").get_item(Key={"id": order_id}).get("Item") if UUID.fullmatch(order_id) else None
    if item is None:
        raise ApiError(404, "not_found", "No such order.")
    return response(200, public(item))


@api_handler
def handler(event: Event, context: Any) -> Response:
    route = (event.get("httpMethod"), event.get("resource"))
    if route == ("POST", "/orders"):
        return _create(event)
    if route == ("GET", "/orders/{order_id}"):
        return _get(event)
    raise ApiError(405, "method_not_allowed", "This route is not served by the orders function.")
