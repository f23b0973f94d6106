"""POST /users and GET /users/{user_id}: customer accounts, one per email address.

An email address belongs to one user: the user and a guard item keyed by the address are written in one
transaction, so two concurrent sign-ups with the same address cannot both succeed.
"""

from __future__ import annotations

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
    invalid,
    json_body,
    now_ms,
    only_fields,
    path_parameter,
    response,
    table,
)

EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
USER_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FIELDS = frozenset({"email", "name"})


def public(item: dict[str, Any]) -> dict[str, Any]:
    return {"user_id": item["id"], "email": item["email"], "name": item["name"], "created_at": item["created_at"]}


def _create(event: Event) -> Response:
    body = json_body(event)
    only_fields(body, FIELDS)
    email, name = body.get("email"), body.get("name")
    if not isinstance(email, str) or not EMAIL.fullmatch(email):
        raise invalid("email is required and must be an email address.")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        raise invalid("name is required and must be 1 to 100 characters.")
    user = {"id": str(uuid.uuid4()), "email": email.lower(), "name": name.strip(), "created_at": now_ms()}
    table_name = os.environ["TABLE_USERS"]
    try:
        client("dynamodb").transact_write_items(TransactItems=[
            {"Put": {"TableName": table_name, "Item": {"id": {"S": f"email#{user['email']}"},
                                                       "user_id": {"S": user["id"]}},
                     "ConditionExpression": "attribute_not_exists(id)"}},
            {"Put": {"TableName": table_name, "Item": {"id": {"S": user["id"]}, "email": {"S": user["email"]},
                                                       "name": {"S": user["name"]},
                                                       "created_at": {"N": str(user["created_at"])}},
                     "ConditionExpression": "attribute_not_exists(id)"}},
        ])
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            raise ApiError(409, "email_taken", "A user with this email address already exists.") from None
        raise
    return response(201, public(user), {"Location": f"/users/{user['id']}"})


def _get(event: Event) -> Response:
    user_id = path_parameter(event, "user_id")
    if not USER_ID.fullmatch(user_id):  # also keeps the email guard items out of reach
        raise ApiError(404, "not_found", "No such user.")
    item = table("TABLE_USERS").get_item(Key={"id": user_id}).get("Item")
    if item is None:
        raise ApiError(404, "not_found", "No such user.")
    return response(200, public(item))


@api_handler
def handler(event: Event, context: Any) -> Response:
    route = (event.get("httpMethod"), event.get("resource"))
    if route == ("POST", "/users"):
        return _create(event)
    if route == ("GET", "/users/{user_id}"):
        return _get(event)
    raise ApiError(405, "method_not_allowed", "This route is not served by the users function.")
