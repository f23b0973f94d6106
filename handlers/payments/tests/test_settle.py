"""POST /payments/{payment_id}/settle."""

from __future__ import annotations

import uuid


def test_settle_then_settle_again_is_409(payments_env):
    created = payments_env.create({"amount": 4200, "merchant_id": "shop-1"}).json
    payments_env.events()  # drop payment.created

    first = payments_env.settle(created["payment_id"])
    second = payments_env.settle(created["payment_id"])

    assert first.status == 200
    assert first.json["status"] == "settled"
    assert first.json["settled_at"] >= created["created_at"]
    assert {k: first.json[k] for k in created if k != "status"} == {k: v for k, v in created.items() if k != "status"}
    assert second.status == 409
    assert second.json["error"]["code"] == "payment_not_pending"
    assert "settled" in second.json["error"]["message"]
    stored = payments_env.transactions.get_item(Key={"payment_id": created["payment_id"]})["Item"]
    assert stored["status"] == "settled" and int(stored["settled_at"]) == first.json["settled_at"]
    assert payments_env.get(created["payment_id"]).json == first.json


def test_settle_publishes_one_settled_event(payments_env):
    created = payments_env.create({"amount": 10, "merchant_id": "shop-1"}).json
    settled = payments_env.settle(created["payment_id"]).json
    payments_env.settle(created["payment_id"])

    events = [e for e in payments_env.events() if e["message"]["type"] == "payment.settled"]

    assert len(events) == 1
    assert events[0]["message"]["payment"] == settled
    assert events[0]["attributes"] == {"event_type": "payment.settled"}


def test_settle_unknown_payment_is_404_and_creates_nothing(payments_env):
    result = payments_env.settle(str(uuid.uuid4()))

    assert result.status == 404
    assert result.json["error"]["code"] == "payment_not_found"
    assert payments_env.transactions.scan()["Count"] == 0
    assert payments_env.events() == []


def test_settle_malformed_id_is_400(payments_env):
    result = payments_env.settle("12345")

    assert result.status == 400
    assert result.json["error"]["code"] == "validation_error"


def test_settle_survives_a_failed_publish(payments_env, monkeypatch):
    created = payments_env.create({"amount": 10, "merchant_id": "shop-1"}).json

    def broken_publish(**kwargs):
        raise RuntimeError("SNS is down")

    monkeypatch.setattr(payments_env.modules.common.sns(), "publish", broken_publish)
    result = payments_env.settle(created["payment_id"])

    assert result.status == 200
    assert result.json["status"] == "settled"
    [error] = [line for line in payments_env.logs() if line["level"] == "ERROR"]
    assert error["payment_id"] == created["payment_id"]
    assert "SNS is down" in error["exception"]
