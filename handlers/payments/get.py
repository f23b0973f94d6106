"""GET /payments/{payment_id}: one payment, read consistently so a client sees its own create at once."""

from __future__ import annotations

from typing import Any

from common import ApiError, Event, Response, api_handler, response, table
from model import public
from validation import PAYMENT_ID, path_param


@api_handler
def handler(event: Event, context: Any) -> Response:
    payment_id = path_param(event, "payment_id", PAYMENT_ID)
    item = table("TABLE_TRANSACTIONS").get_item(Key={"payment_id": payment_id}, ConsistentRead=True).get("Item")
    if item is None:
        raise ApiError(404, "payment_not_found", "No payment has this id.")
    return response(200, public(item))
