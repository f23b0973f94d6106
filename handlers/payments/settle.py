"""POST /payments/{payment_id}/settle: move a payment from pending to settled, once, and announce it.

One conditional update does the check and the write, so two concurrent settles cannot both succeed.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from common import ApiError, Event, Response, api_handler, logger, now_ms, publish_event, response, table
from model import PENDING, SETTLED, public
from validation import PAYMENT_ID, path_param


def _settle(payment_id: str) -> dict[str, Any]:
    try:
        return table("TABLE_TRANSACTIONS").update_item(
            Key={"payment_id": payment_id},
            UpdateExpression="SET #status = :settled, settled_at = :now",
            ConditionExpression="attribute_exists(payment_id) AND #status = :pending",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":settled": SETTLED, ":pending": PENDING, ":now": now_ms()},
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",  # tells "missing" from "not pending" without a read
        )["Attributes"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        old = exc.response.get("Item")  # low-level attribute values: {"status": {"S": "settled"}}
        if not old:
            raise ApiError(404, "payment_not_found", "No payment has this id.") from None
        status = old.get("status", {}).get("S", "unknown")
        raise ApiError(409, "payment_not_pending", f"Only pending payments can be settled; this one is {status}.") from None


@api_handler
def handler(event: Event, context: Any) -> Response:
    payment = public(_settle(path_param(event, "payment_id", PAYMENT_ID)))
    logger.info("payment settled", extra={"payment_id": payment["payment_id"], "merchant_id": payment["merchant_id"]})
    try:
        publish_event("payment.settled", payment)
    except Exception:
        # The settlement is committed and a retry would get 409, so report success and leave a loud trace.
        logger.exception("payment settled but payment.settled not published", extra={"payment_id": payment["payment_id"]})
    return response(200, payment)
