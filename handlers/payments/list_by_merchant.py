"""GET /merchants/{merchant_id}/payments: a merchant's payments, newest first, in pages.

The `next` token is the base64url (unpadded) JSON of the index key of the last payment on the page. It is
checked before use so a tampered token gives 400, not a DynamoDB validation error (500).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from boto3.dynamodb.conditions import Key
from common import ApiError, Event, Response, api_handler, logger, response, table
from model import public
from validation import MERCHANT_ID, PAYMENT_ID, limit, path_param

INDEX = "by_merchant"
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
MAX_TOKEN_LENGTH = 512
_KEY_FIELDS = frozenset({"merchant_id", "created_at", "payment_id"})


def encode_token(item: dict[str, Any]) -> str:
    key = {"merchant_id": item["merchant_id"], "created_at": int(item["created_at"]), "payment_id": item["payment_id"]}
    raw = json.dumps(key, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_token(token: str, merchant_id: str) -> dict[str, Any]:
    """The ExclusiveStartKey in a token, which must belong to the merchant being listed."""
    bad = ApiError(400, "invalid_token", "The pagination token is invalid.")
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise bad
    try:
        key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, RecursionError):  # binascii.Error, UnicodeDecodeError and JSONDecodeError
        raise bad from None
    if (not isinstance(key, dict) or set(key) != _KEY_FIELDS or key["merchant_id"] != merchant_id
            or type(key["created_at"]) is not int or key["created_at"] < 0
            or not isinstance(key["payment_id"], str) or not PAYMENT_ID.fullmatch(key["payment_id"])):
        raise bad
    return key


@api_handler
def handler(event: Event, context: Any) -> Response:
    merchant_id = path_param(event, "merchant_id", MERCHANT_ID)
    page_size = limit(event, DEFAULT_LIMIT, MAX_LIMIT)
    query: dict[str, Any] = {"IndexName": INDEX, "KeyConditionExpression": Key("merchant_id").eq(merchant_id),
                             "ScanIndexForward": False, "Limit": page_size + 1}  # one extra: is there a next page?
    token = (event.get("queryStringParameters") or {}).get("next")
    if token is not None:
        query["ExclusiveStartKey"] = decode_token(token, merchant_id)
    result = table("TABLE_TRANSACTIONS").query(**query)
    items = result["Items"][:page_size]
    more = len(result["Items"]) > page_size or "LastEvaluatedKey" in result  # the 1 MB page cap can end a page early
    logger.info("payments listed", extra={"merchant_id": merchant_id, "count": len(items)})
    return response(200, {"items": [public(item) for item in items],
                          "next": encode_token(items[-1]) if more and items else None})
