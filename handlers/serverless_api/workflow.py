"""The order workflow's steps (Step Functions invokes each directly; see `workflows.order` in the spec).

validate_user -> reserve_stock -> confirm_order, and on any failure fail_order, which releases reserved stock.
Each step is idempotent, because Step Functions retries a step whose invocation failed for a transient reason:
stock is taken in the same transaction that moves the order from `pending` to `reserved`, so a retried
reservation finds the order reserved and takes nothing twice. Failures that the workflow handles are raised
as exceptions whose class names its `catch` lists (UserNotFound, ProductNotFound, OutOfStock).
"""

from __future__ import annotations

import os
from typing import Any

from botocore.exceptions import ClientError
from common import Event, client, logger, now_ms, plain, step_handler, table


class UserNotFound(Exception):
    """The order names a user that does not exist."""


class ProductNotFound(Exception):
    """The order names a product that does not exist."""


class OutOfStock(Exception):
    """A product has less stock than the order asks for."""


class OrderStateError(Exception):
    """The order is not in a state this step can act on (for example already failed)."""


@step_handler
def validate_user(event: Event, context: Any) -> dict[str, Any]:
    user = table("TABLE_USERS").get_item(Key={"id": event["user_id"]}).get("Item")
    if user is None or "email" not in user:
        raise UserNotFound(f"user {event['user_id']} does not exist")
    return {"user_id": user["id"], "email": user["email"]}


def _prices(items: list[dict[str, Any]]) -> dict[str, int]:
    keys = [{"id": i["product_id"]} for i in items]
    found = client("dynamodb").batch_get_item(RequestItems={os.environ["TABLE_PRODUCTS"]: {
        "Keys": [{"id": {"S": k["id"]}} for k in keys], "ProjectionExpression": "id, price_cents"}})
    prices = {p["id"]["S"]: int(p["price_cents"]["N"]) for p in found["Responses"][os.environ["TABLE_PRODUCTS"]]}
    missing = sorted(i["product_id"] for i in items if i["product_id"] not in prices)
    if missing:
        raise ProductNotFound(f"products {', '.join(missing)} do not exist")
    return prices


def _order(order_id: str) -> dict[str, Any]:
    return plain(table("TABLE_ORDERS").get_item(Key={"id": order_id}, ConsistentRead=True)["Item"])


@step_handler
def reserve_stock(event: Event, context: Any) -> dict[str, Any]:
    order_id, items = event["order_id"], event["items"]
    total = sum(_prices(items)[i["product_id"]] * int(i["quantity"]) for i in items)
    transaction: list[dict[str, Any]] = [{"Update": {
        "TableName": os.environ["TABLE_ORDERS"], "Key": {"id": {"S": order_id}},
        "UpdateExpression": "SET #status = :reserved, total_cents = :total, reserved_at = :now",
        "ConditionExpression": "#status = :pending",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {":reserved": {"S": "reserved"}, ":pending": {"S": "pending"},
                                      ":total": {"N": str(total)}, ":now": {"N": str(now_ms())}}}}]
    for item in items:
        transaction.append({"Update": {
            "TableName": os.environ["TABLE_PRODUCTS"], "Key": {"id": {"S": item["product_id"]}},
            "UpdateExpression": "SET stock = stock - :quantity",
            "ConditionExpression": "attribute_exists(id) AND stock >= :quantity",
            "ExpressionAttributeValues": {":quantity": {"N": str(int(item["quantity"]))}}}})
    try:
        client("dynamodb").transact_write_items(TransactItems=transaction)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        order = _order(order_id)
        if order["status"] in ("reserved", "confirmed"):  # a retry of a reservation that went through
            logger.info("stock already reserved", extra={"order_id": order_id})
            return {"order_id": order_id, "total_cents": order["total_cents"]}
        if order["status"] != "pending":
            raise OrderStateError(f"order {order_id} is {order['status']}") from None
        raise OutOfStock(f"order {order_id}: not enough stock for at least one product") from None
    logger.info("stock reserved", extra={"order_id": order_id, "total_cents": total})
    return {"order_id": order_id, "total_cents": total}


@step_handler
def confirm_order(event: Event, context: Any) -> dict[str, Any]:
    order_id = event["order_id"]
    try:
        table("TABLE_ORDERS").update_item(
            Key={"id": order_id}, UpdateExpression="SET #status = :confirmed, confirmed_at = :now",
            ConditionExpression="#status IN (:reserved, :confirmed)", ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":confirmed": "confirmed", ":reserved": "reserved", ":now": now_ms()})
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise OrderStateError(f"order {order_id} is {_order(order_id)['status']}, not reserved") from None
        raise
    return {"order_id": order_id, "status": "confirmed"}


def _reason(event: Event) -> str:
    error = event.get("error") or {}
    return str(error.get("Error") or "WorkflowError")[:256]


@step_handler
def fail_order(event: Event, context: Any) -> dict[str, Any]:
    """Mark the order failed, and give back its stock if it was reserved (in one transaction)."""
    order_id = event["order_id"]
    order = _order(order_id)
    reason = _reason(event)
    if order["status"] == "failed":
        return {"order_id": order_id, "status": "failed", "reason": order.get("failure_reason", reason)}
    if order["status"] == "confirmed":
        raise OrderStateError(f"order {order_id} is confirmed; it cannot fail")
    transaction: list[dict[str, Any]] = [{"Update": {
        "TableName": os.environ["TABLE_ORDERS"], "Key": {"id": {"S": order_id}},
        "UpdateExpression": "SET #status = :failed, failure_reason = :reason",
        "ConditionExpression": "#status = :seen",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {":failed": {"S": "failed"}, ":reason": {"S": reason},
                                      ":seen": {"S": order["status"]}}}}]
    if order["status"] == "reserved":
        for item in order["items"]:
            transaction.append({"Update": {
                "TableName": os.environ["TABLE_PRODUCTS"], "Key": {"id": {"S": item["product_id"]}},
                "UpdateExpression": "SET stock = stock + :quantity",
                "ExpressionAttributeValues": {":quantity": {"N": str(int(item["quantity"]))}}}})
    client("dynamodb").transact_write_items(TransactItems=transaction)
    logger.info("order failed", extra={"order_id": order_id, "reason": reason,
                                       "stock_released": order["status"] == "reserved"})
    return {"order_id": order_id, "status": "failed", "reason": reason}
