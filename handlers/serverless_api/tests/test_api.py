"""The users, products and orders API against moto: validation, HTTP errors, the admin token from Secrets Manager,
paging, and orders stored once per Idempotency-Key with exactly one workflow execution."""

from __future__ import annotations

import json

import pytest


def test_user_is_created_and_read_back(shop) -> None:
    user_id = shop.add_user()
    found = shop.api("users", "GET", "/users/{user_id}", f"/users/{user_id}", path_params={"user_id": user_id})
    assert found.status == 200 and found.json["email"] == "ada@example.com" and found.json["name"] == "Ada"


def test_an_email_address_belongs_to_one_user(shop) -> None:
    shop.add_user("Ada@Example.com")
    again = shop.api("users", "POST", "/users", "/users", body={"email": "ada@example.com", "name": "Other"})
    assert again.status == 409 and again.json["error"]["code"] == "email_taken"


@pytest.mark.parametrize("body, message", [
    ({"email": "not-an-email", "name": "Ada"}, "email"),
    ({"email": "ada@example.com", "name": ""}, "name"),
    ({"email": "ada@example.com", "name": "Ada", "admin": True}, "Unknown field"),
])
def test_user_validation(shop, body, message) -> None:
    result = shop.api("users", "POST", "/users", "/users", body=body)
    assert result.status == 400 and message in result.json["error"]["message"]


def test_unknown_and_malformed_ids_are_404_and_bad_json_is_400(shop) -> None:
    guard = shop.api("users", "GET", "/users/{user_id}", "/users/x", path_params={"user_id": "email#ada@example.com"})
    assert guard.status == 404  # the email guard items are not users
    assert shop.api("users", "POST", "/users", "/users", body="{not json").status == 400
    assert shop.api("users", "POST", "/users", "/users", body="[1]").json["error"]["code"] == "invalid_json"


def test_products_need_the_admin_token_from_secrets_manager(shop) -> None:
    body = {"name": "Widget", "price_cents": 100, "stock": 1}
    assert shop.api("products", "POST", "/products", "/products", body=body).status == 403
    wrong = shop.api("products", "POST", "/products", "/products", body=body, headers={"X-Admin-Token": "nope"})
    assert wrong.status == 403 and wrong.json["error"]["code"] == "forbidden"
    product_id = shop.add_product(stock=3, price=999)
    found = shop.api("products", "GET", "/products/{product_id}", "/", path_params={"product_id": product_id})
    assert found.json == {**found.json, "price_cents": 999, "stock": 3}


def test_product_validation(shop) -> None:
    headers = {"X-Admin-Token": "s3cr3t-admin-token"}
    for body in ({"name": "W", "price_cents": 0, "stock": 1}, {"name": "W", "price_cents": 1.5, "stock": 1},
                 {"name": "W", "price_cents": 1, "stock": -1}, {"name": "W", "price_cents": True, "stock": 1}):
        assert shop.api("products", "POST", "/products", "/products", body=body, headers=headers).status == 400


def test_products_are_listed_page_by_page(shop) -> None:
    created = {shop.add_product() for _ in range(5)}
    seen, token, pages = set(), None, 0
    while True:
        query = {"limit": "2", **({"next": token} if token else {})}
        page = shop.api("products", "GET", "/products", "/products", query=query)
        assert page.status == 200
        seen |= {p["product_id"] for p in page.json["products"]}
        pages += 1
        token = page.json.get("next")
        if not token:
            break
    assert seen == created and pages >= 3
    assert shop.api("products", "GET", "/products", "/products", query={"limit": "500"}).status == 400
    assert shop.api("products", "GET", "/products", "/products", query={"next": "!!"}).status == 400


def _order(shop, body, key="order-1", **kwargs):
    return shop.api("orders", "POST", "/orders", "/orders", body=body, headers={"Idempotency-Key": key}, **kwargs)


def test_an_order_is_stored_once_and_starts_one_workflow_execution(shop) -> None:
    user_id, product_id = shop.add_user(), shop.add_product()
    body = {"user_id": user_id, "items": [{"product_id": product_id, "quantity": 2}]}
    first = _order(shop, body)
    assert first.status == 202 and first.json["status"] == "pending"
    order_id = first.json["order_id"]
    replay = _order(shop, {"items": body["items"], "user_id": user_id})  # same body, other key order
    assert replay.status == 200 and replay.json["order_id"] == order_id
    executions = shop.executions()
    assert [e["name"] for e in executions] == [order_id]
    started = shop.stepfunctions.describe_execution(executionArn=executions[0]["executionArn"])
    assert json.loads(started["input"]) == {"order_id": order_id, "user_id": user_id, "items": body["items"]}
    reused = _order(shop, {**body, "items": [{"product_id": product_id, "quantity": 1}]})
    assert reused.status == 422 and reused.json["error"]["code"] == "idempotency_key_reused"
    other_caller = _order(shop, body, api_key_id="another-key")
    assert other_caller.status == 202 and other_caller.json["order_id"] != order_id
    found = shop.api("orders", "GET", "/orders/{order_id}", "/", path_params={"order_id": order_id})
    assert found.status == 200 and found.json["items"] == body["items"]


@pytest.mark.parametrize("body, key, message", [
    ({"user_id": "u", "items": []}, "k", "user_id"),
    ({"user_id": "00000000-0000-4000-8000-000000000000", "items": []}, "k", "items"),
    ({"user_id": "00000000-0000-4000-8000-000000000000",
      "items": [{"product_id": "00000000-0000-4000-8000-000000000001", "quantity": 0}]}, "k", "quantity"),
    ({"user_id": "00000000-0000-4000-8000-000000000000",
      "items": [{"product_id": "00000000-0000-4000-8000-000000000001", "quantity": 1}] * 2}, "k", "twice"),
    ({"user_id": "00000000-0000-4000-8000-000000000000", "items": []}, "bad key#", "Idempotency-Key"),
])
def test_order_validation(shop, body, key, message) -> None:
    result = _order(shop, body, key=key)
    assert result.status == 400 and message in result.json["error"]["message"]
    assert shop.executions() == []


def test_a_workflow_that_cannot_start_is_a_json_500_and_the_replay_starts_it(shop, monkeypatch) -> None:
    user_id, product_id = shop.add_user(), shop.add_product()
    body = {"user_id": user_id, "items": [{"product_id": product_id, "quantity": 1}]}
    monkeypatch.setenv("WORKFLOW_ORDER", shop.machine_arn + "-missing")
    failed = _order(shop, body)
    assert failed.status == 500 and failed.json["error"]["code"] == "internal_error"
    assert any(line["level"] == "ERROR" for line in shop.logs())
    monkeypatch.setenv("WORKFLOW_ORDER", shop.machine_arn)
    assert _order(shop, body).status == 200
    assert len(shop.executions()) == 1
