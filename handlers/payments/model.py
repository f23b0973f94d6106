"""The payment item as stored in `transactions` and as returned to clients, defined once for every handler."""

from __future__ import annotations

import uuid
from typing import Any

from common import now_ms
from validation import CreateRequest

PENDING, SETTLED = "pending", "settled"


def new_payment(request: CreateRequest) -> dict[str, Any]:
    """A pending payment item; `description` is left out rather than stored as NULL when absent."""
    item: dict[str, Any] = {
        "payment_id": str(uuid.uuid4()),
        "merchant_id": request.merchant_id,
        "amount": request.amount,
        "currency": request.currency,
        "status": PENDING,
        "created_at": now_ms(),
    }
    if request.description is not None:
        item["description"] = request.description
    return item


def public(item: dict[str, Any]) -> dict[str, Any]:
    """The API representation: a fixed set of fields with plain ints (DynamoDB hands numbers back as Decimal)."""
    payment = {
        "payment_id": item["payment_id"],
        "merchant_id": item["merchant_id"],
        "amount": int(item["amount"]),
        "currency": item["currency"],
        "description": item.get("description"),
        "status": item["status"],
        "created_at": int(item["created_at"]),
    }
    if "settled_at" in item:
        payment["settled_at"] = int(item["settled_at"])
    return payment
