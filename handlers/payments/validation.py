"""Request parsing and validation, so handlers only ever see well-formed values and clients get precise 400s."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any, NoReturn

from common import ApiError, Event

MERCHANT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
PAYMENT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # str(uuid.uuid4())
CURRENCY = re.compile(r"[A-Z]{3}")
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,128}")  # no '#': it separates the key from its API-key scope
LIMIT = re.compile(r"[0-9]{1,3}")
MAX_AMOUNT = 10**9
MAX_DESCRIPTION = 256
CREATE_FIELDS = frozenset({"amount", "currency", "merchant_id", "description"})


@dataclass(frozen=True)
class CreateRequest:
    merchant_id: str
    amount: int
    currency: str
    description: str | None


def invalid(message: str) -> ApiError:
    return ApiError(400, "validation_error", message)


def header(event: Event, name: str) -> str | None:
    """HTTP header names are case-insensitive; API Gateway passes them as the client sent them."""
    wanted = name.lower()
    return next((v for k, v in (event.get("headers") or {}).items() if k.lower() == wanted), None)


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def json_object_body(event: Event) -> dict[str, Any]:
    raw = event.get("body")
    if raw is None or raw == "":
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    try:
        text = base64.b64decode(raw, validate=True).decode() if event.get("isBase64Encoded") else raw
        body = json.loads(text, parse_constant=_reject_constant)  # refuse NaN and Infinity
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError and binascii.Error are ValueErrors
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return body


def _is_utf8(text: str) -> bool:
    """JSON may carry lone surrogates ("\\ud800"), which DynamoDB cannot store."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def create_request(body: dict[str, Any], default_currency: str | None) -> CreateRequest:
    """Unknown fields are refused: a misspelt optional field must not be dropped silently from a payment."""
    unknown = sorted(set(body) - CREATE_FIELDS)
    if unknown:
        raise invalid(f"Unknown field(s): {', '.join(name[:64] for name in unknown[:5])}.")
    amount = body.get("amount")
    if type(amount) is not int:  # excludes bool, float and numeric strings
        raise invalid("amount is required and must be an integer number of minor units.")
    if not 0 < amount <= MAX_AMOUNT:
        raise invalid(f"amount must be between 1 and {MAX_AMOUNT}.")
    currency = body.get("currency")
    if currency is None:
        currency = default_currency
        if not currency:
            raise invalid("currency is required.")
    if not isinstance(currency, str) or not CURRENCY.fullmatch(currency):
        raise invalid("currency must be a three-letter uppercase ISO 4217 code.")
    merchant_id = body.get("merchant_id")
    if not isinstance(merchant_id, str) or not MERCHANT_ID.fullmatch(merchant_id):
        raise invalid("merchant_id is required: 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'.")
    description = body.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > MAX_DESCRIPTION
                                    or not _is_utf8(description)):
        raise invalid(f"description must be a string of at most {MAX_DESCRIPTION} characters.")
    return CreateRequest(merchant_id=merchant_id, amount=amount, currency=currency, description=description)


def path_param(event: Event, name: str, pattern: re.Pattern[str]) -> str:
    value = (event.get("pathParameters") or {}).get(name)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise invalid(f"The path parameter {name} is malformed.")
    return value


def idempotency_key(event: Event) -> str:
    value = header(event, "Idempotency-Key")
    if value is None or not value.strip():
        raise ApiError(400, "missing_idempotency_key", "The Idempotency-Key header is required.")
    if not IDEMPOTENCY_KEY.fullmatch(value):
        raise ApiError(400, "invalid_idempotency_key",
                       "The Idempotency-Key header must be 1 to 128 characters of A-Z, a-z, 0-9, '_', '.', ':' and '-'.")
    return value


def limit(event: Event, default: int, maximum: int) -> int:
    value = (event.get("queryStringParameters") or {}).get("limit")
    if value is None:
        return default
    if not isinstance(value, str) or not LIMIT.fullmatch(value) or not 1 <= int(value) <= maximum:
        raise invalid(f"limit must be an integer between 1 and {maximum}.")
    return int(value)
