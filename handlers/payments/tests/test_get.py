"""GET /payments/{payment_id}."""

from __future__ import annotations

import uuid

import pytest


def test_get_returns_the_payment(payments_env):
    created = payments_env.create({"amount": 700, "merchant_id": "shop-1", "description": "tea"}).json

    result = payments_env.get(created["payment_id"])

    assert result.status == 200
    assert result.json == created
    assert result.headers["Cache-Control"] == "no-store"


def test_get_unknown_payment_is_404(payments_env):
    result = payments_env.get(str(uuid.uuid4()))

    assert result.status == 404
    assert result.json["error"]["code"] == "payment_not_found"


@pytest.mark.parametrize("payment_id", ["not-a-uuid", "25E7B443-CC46-4E04-A4BA-2840D33A8B0A", "../../etc", "x" * 300])
def test_get_malformed_id_is_400(payments_env, payment_id):
    result = payments_env.get(payment_id)

    assert result.status == 400
    assert result.json["error"]["code"] == "validation_error"
    assert "payment_id" in result.json["error"]["message"]
