"""The order workflow's steps against moto: validation, stock reserved in one transaction with the order (and only
once on a retry), confirmation, and failure that gives the stock back."""

from __future__ import annotations

import pytest


@pytest.fixture
def order(shop):
    user_id, first, second = shop.add_user(), shop.add_product(stock=5, price=100), shop.add_product(stock=1, price=7)
    placed = shop.api("orders", "POST", "/orders", "/orders", headers={"Idempotency-Key": "k1"},
                      body={"user_id": user_id, "items": [{"product_id": first, "quantity": 2},
                                                          {"product_id": second, "quantity": 1}]})
    event = {"order_id": placed.json["order_id"], "user_id": user_id, "items": placed.json["items"]}
    return event, first, second


def _stock(shop, product_id):
    return int(shop.item("products", product_id)["stock"])


def test_happy_path(shop, order) -> None:
    event, first, second = order
    assert shop.step("validate_user", event) == {"user_id": event["user_id"], "email": "ada@example.com"}
    assert shop.step("reserve_stock", event) == {"order_id": event["order_id"], "total_cents": 207}
    assert (_stock(shop, first), _stock(shop, second)) == (3, 0)
    assert shop.step("reserve_stock", event)["total_cents"] == 207  # a retried step takes nothing twice
    assert (_stock(shop, first), _stock(shop, second)) == (3, 0)
    assert shop.step("confirm_order", event) == {"order_id": event["order_id"], "status": "confirmed"}
    assert shop.item("orders", event["order_id"])["status"] == "confirmed"
    with pytest.raises(shop.modules.workflow.OrderStateError):
        shop.step("fail_order", {**event, "error": {"Error": "Late"}})


def test_unknown_user_is_a_named_error_the_workflow_catches(shop, order) -> None:
    event, _, _ = order
    with pytest.raises(shop.modules.workflow.UserNotFound):
        shop.step("validate_user", {**event, "user_id": "00000000-0000-4000-8000-000000000000"})
    assert any(line.get("error_type") == "UserNotFound" for line in shop.logs())


def test_out_of_stock_takes_nothing(shop, order) -> None:
    event, first, second = order
    greedy = {**event, "items": [{"product_id": first, "quantity": 2}, {"product_id": second, "quantity": 2}]}
    with pytest.raises(shop.modules.workflow.OutOfStock):
        shop.step("reserve_stock", greedy)
    assert (_stock(shop, first), _stock(shop, second)) == (5, 1)
    assert shop.item("orders", event["order_id"])["status"] == "pending"


def test_unknown_product(shop, order) -> None:
    event, _, _ = order
    with pytest.raises(shop.modules.workflow.ProductNotFound):
        shop.step("reserve_stock", {**event, "items": [{"product_id": "00000000-0000-4000-8000-000000000009",
                                                        "quantity": 1}]})


def test_failing_a_reserved_order_gives_the_stock_back_once(shop, order) -> None:
    event, first, second = order
    shop.step("reserve_stock", event)
    failed = shop.step("fail_order", {**event, "error": {"Error": "States.Timeout", "Cause": "..."}})
    assert failed == {"order_id": event["order_id"], "status": "failed", "reason": "States.Timeout"}
    assert (_stock(shop, first), _stock(shop, second)) == (5, 1)
    assert shop.step("fail_order", {**event, "error": {"Error": "Again"}})["reason"] == "States.Timeout"
    assert (_stock(shop, first), _stock(shop, second)) == (5, 1)
    with pytest.raises(shop.modules.workflow.OrderStateError):
        shop.step("confirm_order", event)


def test_failing_a_pending_order_touches_no_stock(shop, order) -> None:
    event, first, _ = order
    assert shop.step("fail_order", {**event, "error": {"Error": "UserNotFound"}})["status"] == "failed"
    assert _stock(shop, first) == 5
    with pytest.raises(shop.modules.workflow.OrderStateError):
        shop.step("reserve_stock", event)
