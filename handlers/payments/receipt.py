"""GET /payments/{payment_id}/receipt: the receipt of a settled payment, kept as a document in the documents bucket.

A receipt is derived from the settled payment only (issued at the settlement time), so every call produces the
same document: the first call stores it, later calls return the stored one without writing a new object version.
The bucket's default encryption (its customer-managed key) encrypts it; the handler names no key.
"""

from __future__ import annotations

import json
import os
from typing import Any

from botocore.exceptions import ClientError
from common import ApiError, Event, Response, api_handler, logger, response, s3, table
from model import SETTLED, public
from validation import PAYMENT_ID, path_param


def receipt_of(payment: dict[str, Any]) -> dict[str, Any]:
    return {
        "receipt_id": f"rcpt-{payment['payment_id']}",
        "payment_id": payment["payment_id"],
        "merchant_id": payment["merchant_id"],
        "amount": payment["amount"],
        "currency": payment["currency"],
        "description": payment["description"],
        "settled_at": payment["settled_at"],
        "issued_at": payment["settled_at"],
    }


def document_key(payment: dict[str, Any]) -> str:
    return f"receipts/{payment['merchant_id']}/{payment['payment_id']}.json"


def _stored(bucket: str, key: str) -> dict[str, Any] | None:
    try:
        body = s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise
    return json.loads(body)


@api_handler
def handler(event: Event, context: Any) -> Response:
    payment_id = path_param(event, "payment_id", PAYMENT_ID)
    item = table("TABLE_TRANSACTIONS").get_item(Key={"payment_id": payment_id}, ConsistentRead=True).get("Item")
    if item is None:
        raise ApiError(404, "payment_not_found", "No payment has this id.")
    payment = public(item)
    if payment["status"] != SETTLED:
        raise ApiError(409, "payment_not_settled", f"Only settled payments have a receipt; this one is "
                                                   f"{payment['status']}.")
    bucket, key = os.environ["BUCKET_DOCUMENTS"], document_key(payment)
    receipt = _stored(bucket, key)
    if receipt is None:
        receipt = receipt_of(payment)
        s3().put_object(Bucket=bucket, Key=key, Body=json.dumps(receipt, separators=(",", ":")).encode(),
                        ContentType="application/json")
        logger.info("receipt stored", extra={"payment_id": payment_id, "document": key})
    return response(200, {"receipt": receipt, "document": key})
