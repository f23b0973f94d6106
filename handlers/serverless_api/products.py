"""GET /products, GET /products/{product_id} and POST /products: the catalogue with its stock.

Adding a product takes the admin token kept in Secrets Manager (`SECRET_API_CREDENTIALS`), compared in
constant time; reads are open to any API key. Listing pages through the table with an opaque token.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import uuid
from typing import Any

from common import (
    ApiError,
    Event,
    Response,
    api_handler,
    header,
    invalid,
    json_body,
    now_ms,
    only_fields,
    path_parameter,
    response,
    secret,
    table,
)

PRODUCT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FIELDS = frozenset({"name", "price_cents", "stock"})
MAX_PAGE = 100


def public(item: dict[str, Any]) -> dict[str, Any]:
    return {"product_id": item["id"], "name": item["name"], "price_cents": int(item["price_cents"]),
            "stock": int(item["stock"]), "created_at": int(item["created_at"])}


def _authorised(event: Event) -> None:
    given = header(event, "X-Admin-Token") or ""
    expected = secret("SECRET_API_CREDENTIALS").get("admin_token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(403, "forbidden", "Adding products takes the admin token.")


def _create(event: Event) -> Response:
    _authorised(event)
    body = json_body(event)
    only_fields(body, FIELDS)
    name, price, stock = body.get("name"), body.get("price_cents"), body.get("stock")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        raise invalid("name is required and must be 1 to 200 characters.")
    if type(price) is not int or not 0 < price <= 10**8:
        raise invalid("price_cents is required and must be an integer from 1 to 100000000.")
    if type(stock) is not int or not 0 <= stock <= 10**6:
        raise invalid("stock is required and must be an integer from 0 to 1000000.")
    item = {"id": str(uuid.uuid4()), "name": name.strip(), "price_cents": price, "stock": stock,
            "created_at": now_ms()}
    table("TABLE_PRODUCTS").put_item(Item=item, ConditionExpression="attribute_not_exists(id)")
    return response(201, public(item), {"Location": f"/products/{item['id']}"})


def _decode_token(token: str) -> dict[str, Any]:
    try:
        start = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error):
        raise invalid("next is not a token this API returned.") from None
    if not (isinstance(start, dict) and set(start) == {"id"} and PRODUCT_ID.fullmatch(str(start["id"]))):
        raise invalid("next is not a token this API returned.")
    return start


def _list(event: Event) -> Response:
    query = event.get("queryStringParameters") or {}
    limit_text = query.get("limit", "20")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_PAGE:
        raise invalid(f"limit must be an integer from 1 to {MAX_PAGE}.")
    arguments: dict[str, Any] = {"Limit": int(limit_text)}
    if query.get("next"):
        arguments["ExclusiveStartKey"] = _decode_token(query["next"])
    page = table("TABLE_PRODUCTS").scan(**arguments)
    body: dict[str, Any] = {"products": [public(i) for i in page.get("Items", [])]}
    if "LastEvaluatedKey" in page:
        body["next"] = base64.urlsafe_b64encode(json.dumps(page["LastEvaluatedKey"]).encode()).decode()
    return response(200, body)


def _get(event: Event) -> Response:
    product_id = path_parameter(event, "product_id")
    item = table("TABLE_PRODUCTS").get_item(Key={"id": product_id}).get("Item") if PRODUCT_ID.fullmatch(
        product_id) else None
    if item is None:
        raise ApiError(404, "not_found", "No such product.")
    return response(200, public(item))


@api_handler
def handler(event: Event, context: Any) -> Response:
    route = (event.get("httpMethod"), event.get("resource"))
    if route == ("GET", "/products"):
        return _list(event)
    if route == ("POST", "/products"):
        return _create(event)
    if route == ("GET", "/products/{product_id}"):
        return _get(event)
    raise ApiError(405, "method_not_allowed", "This route is not served by the products function.")
