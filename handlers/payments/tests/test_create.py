"""POST /payments: creation, idempotency and validation."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest

VALID = {"amount": 1250, "currency": "USD", "merchant_id": "merchant_42", "description": "Order #1001"}


def test_create_stores_payment_and_publishes_event(payments_env):
    before = time.time() * 1000
    result = payments_env.create(VALID)

    assert result.status == 201
    payment = result.json
    assert uuid.UUID(payment["payment_id"]).version == 4
    assert {k: payment[k] for k in VALID} == VALID
    assert payment["status"] == "pending"
    assert isinstance(payment["created_at"], int) and before - 1 <= payment["created_at"] <= time.time() * 1000 + 1
    assert result.headers["Location"] == f"/v1/payments/{payment['payment_id']}"

    stored = payments_env.transactions.get_item(Key={"payment_id": payment["payment_id"]})["Item"]
    assert stored == {**VALID, "payment_id": payment["payment_id"], "status": "pending",
                      "created_at": payment["created_at"]}

    [event] = payments_env.events()
    assert event["message"]["type"] == "payment.created"
    assert event["message"]["payment"] == payment
    assert event["attributes"] == {"event_type": "payment.created"}


def test_create_records_idempotency_key_for_24_hours(payments_env):
    payment = payments_env.create(VALID, key="order-1001").json

    record = payments_env.idempotency.get_item(Key={"idempotency_key": "k3y1d2345#order-1001"})["Item"]
    assert record["payment_id"] == payment["payment_id"]
    assert len(record["request_hash"]) == 64
    assert record["event_published"] is True
    assert abs(int(record["expires_at"]) - (time.time() + 24 * 3600)) < 60


def test_default_currency_and_optional_description(payments_env):
    result = payments_env.create({"amount": 1, "merchant_id": "m-1"})

    assert result.status == 201
    assert result.json["currency"] == "EUR"
    assert result.json["description"] is None
    stored = payments_env.transactions.get_item(Key={"payment_id": result.json["payment_id"]})["Item"]
    assert "description" not in stored


def test_retry_with_same_key_and_body_returns_original_payment(payments_env):
    first = payments_env.create(VALID, key="retry-me")
    # Same content, different key order and whitespace: still the same request.
    retry = payments_env.create(None, key="retry-me", raw=json.dumps(dict(reversed(VALID.items())), indent=2))

    assert first.status == 201 and retry.status == 200
    assert retry.json == first.json
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert payments_env.transactions.scan()["Count"] == 1
    assert len(payments_env.events()) == 1  # the retry does not announce the payment again


def test_idempotency_key_header_is_case_insensitive(payments_env):
    first = payments_env.create(VALID, key="abc", key_header="idempotency-key")
    retry = payments_env.create(VALID, key="abc", key_header="IDEMPOTENCY-KEY")

    assert (first.status, retry.status) == (201, 200)
    assert retry.json["payment_id"] == first.json["payment_id"]


def test_same_key_with_different_body_is_422(payments_env):
    first = payments_env.create(VALID, key="reused")
    second = payments_env.create({**VALID, "amount": 999}, key="reused")

    assert first.status == 201
    assert second.status == 422
    assert second.json["error"]["code"] == "idempotency_key_reused"
    assert payments_env.transactions.scan()["Count"] == 1


def test_keys_are_scoped_to_the_api_key(payments_env):
    mine = payments_env.create(VALID, key="shared")
    theirs = payments_env.create(VALID, key="shared", api_key_id="another1")

    assert (mine.status, theirs.status) == (201, 201)
    assert mine.json["payment_id"] != theirs.json["payment_id"]


def test_expired_idempotency_record_is_replaced(payments_env):
    first = payments_env.create(VALID, key="old")
    payments_env.idempotency.update_item(Key={"idempotency_key": "k3y1d2345#old"},
                                         UpdateExpression="SET expires_at = :past",
                                         ExpressionAttributeValues={":past": int(time.time()) - 1})
    again = payments_env.create(VALID, key="old")

    assert again.status == 201
    assert again.json["payment_id"] != first.json["payment_id"]


@pytest.mark.parametrize("key", [None, "", "   "])
def test_missing_idempotency_key_is_400(payments_env, key):
    result = payments_env.create(VALID, key=key)

    assert result.status == 400
    assert result.json["error"]["code"] == "missing_idempotency_key"
    assert payments_env.transactions.scan()["Count"] == 0


@pytest.mark.parametrize("key", ["a" * 129, "has space", "hash#sign", "ünïcode"])
def test_invalid_idempotency_key_is_400(payments_env, key):
    result = payments_env.create(VALID, key=key)

    assert result.status == 400
    assert result.json["error"]["code"] == "invalid_idempotency_key"


@pytest.mark.parametrize("raw", ["{", "not json", "", "[1, 2]", "\"text\"", "null", '{"amount": NaN}'])
def test_malformed_json_is_400(payments_env, raw):
    result = payments_env.create(None, raw=raw)

    assert result.status == 400
    assert result.json["error"]["code"] == "invalid_json"
    assert set(result.json["error"]) == {"code", "message"}


def test_base64_encoded_body_is_decoded(payments_env):
    event = payments_env.create_event(VALID)
    event["body"], event["isBase64Encoded"] = base64.b64encode(event["body"].encode()).decode(), True

    result = payments_env._call(payments_env.modules.create.handler, event)

    assert result.status == 201
    assert result.json["amount"] == VALID["amount"]


@pytest.mark.parametrize("change, field", [
    ({"amount": None}, "amount"),
    ({"amount": 0}, "amount"),
    ({"amount": -5}, "amount"),
    ({"amount": 10**9 + 1}, "amount"),
    ({"amount": 12.5}, "amount"),
    ({"amount": "100"}, "amount"),
    ({"amount": True}, "amount"),
    ({"currency": "usd"}, "currency"),
    ({"currency": "EURO"}, "currency"),
    ({"currency": 978}, "currency"),
    ({"merchant_id": ""}, "merchant_id"),
    ({"merchant_id": "m" * 65}, "merchant_id"),
    ({"merchant_id": "bad/id"}, "merchant_id"),
    ({"merchant_id": None}, "merchant_id"),
    ({"description": "x" * 257}, "description"),
    ({"description": ["list"]}, "description"),
    ({"description": "\ud800"}, "description"),
    ({"ammount": 5}, "ammount"),
])
def test_each_validation_failure_is_400(payments_env, change, field):
    body = {k: v for k, v in {**VALID, **change}.items() if v is not None or k == "description"}

    result = payments_env.create(body)

    assert result.status == 400
    assert result.json["error"]["code"] == "validation_error"
    assert field in result.json["error"]["message"]
    assert payments_env.transactions.scan()["Count"] == 0
    assert payments_env.idempotency.scan()["Count"] == 0


def test_boundary_values_are_accepted(payments_env):
    result = payments_env.create({**VALID, "amount": 10**9, "merchant_id": "A" * 64, "description": "d" * 256})

    assert result.status == 201


def test_missing_default_currency_requires_currency(payments_env, monkeypatch):
    monkeypatch.delenv("CURRENCY")

    result = payments_env.create({"amount": 5, "merchant_id": "m1"})

    assert result.status == 400
    assert "currency" in result.json["error"]["message"]


def test_failed_publish_is_500_and_retry_publishes(payments_env, monkeypatch):
    sns = payments_env.modules.common.sns()
    real_publish, calls = sns.publish, []

    def publish_failing_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("SNS is down")
        return real_publish(**kwargs)

    monkeypatch.setattr(sns, "publish", publish_failing_once)
    failed = payments_env.create(VALID, key="flaky")
    retry = payments_env.create(VALID, key="flaky")

    assert failed.status == 500
    assert failed.json == {"error": {"code": "internal_error", "message": "An internal error occurred."}}
    assert retry.status == 200
    assert len(calls) == 2
    [event] = payments_env.events()
    assert event["message"]["payment_id"] == retry.json["payment_id"]
    assert payments_env.transactions.scan()["Count"] == 1
    errors = [line for line in payments_env.logs() if line["level"] == "ERROR"]
    assert any(line.get("payment_id") == retry.json["payment_id"] for line in errors)
