"""Cross-cutting behaviour: JSON logs, request ids, and the 500 path."""

from __future__ import annotations

import json

SECRET_DESCRIPTION = "customer note 4111-1111"


def test_logs_are_one_json_object_per_line_with_request_ids(payments_env):
    event = payments_env.create_event({"amount": 5, "merchant_id": "m-1", "description": SECRET_DESCRIPTION})
    context = type("Context", (), {"aws_request_id": "req-123"})()

    result = payments_env.modules.create.handler(event, context)

    payment_id = json.loads(result["body"])["payment_id"]
    lines = payments_env.log_stream.getvalue().splitlines()
    records = [json.loads(line) for line in lines]
    assert records and all({"timestamp", "level", "message", "request_id"} <= set(r) for r in records)
    assert {r["request_id"] for r in records} == {"req-123"}
    assert {r["api_request_id"] for r in records} == {event["requestContext"]["requestId"]}
    created = next(r for r in records if r["message"] == "payment created")
    assert created["payment_id"] == payment_id and created["level"] == "INFO"
    assert created["service"] == "payments" and created["environment"] == "test"
    assert SECRET_DESCRIPTION not in payments_env.log_stream.getvalue()  # bodies are never logged


def test_request_id_is_optional(payments_env):
    result = payments_env.modules.get.handler(
        {"httpMethod": "GET", "path": "/payments/x", "pathParameters": {"payment_id": "x"}}, None)

    assert result["statusCode"] == 400
    assert all(line["request_id"] is None for line in payments_env.logs())


def test_unexpected_error_is_a_generic_500_and_logged(payments_env, monkeypatch):
    created = payments_env.create({"amount": 5, "merchant_id": "m-1"}).json

    def broken_table(env_var):
        raise RuntimeError("boom: internal detail")

    monkeypatch.setattr(payments_env.modules.get, "table", broken_table)
    result = payments_env.get(created["payment_id"])

    assert result.status == 500
    assert result.json == {"error": {"code": "internal_error", "message": "An internal error occurred."}}
    assert result.headers["Content-Type"] == "application/json"
    [error] = [line for line in payments_env.logs() if line["level"] == "ERROR"]
    assert "boom: internal detail" in error["exception"] and "Traceback" in error["exception"]


def test_decimal_numbers_serialise_as_integers(payments_modules):
    from decimal import Decimal

    result = payments_modules.common.response(200, {"amount": Decimal("1250"), "rate": Decimal("0.5")})

    assert json.loads(result["body"]) == {"amount": 1250, "rate": 0.5}
    assert result["body"] == '{"amount":1250,"rate":0.5}'
