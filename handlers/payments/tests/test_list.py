"""GET /merchants/{merchant_id}/payments: order, paging and the pagination token."""

from __future__ import annotations

import base64
import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.fixture
def three_payments(payments_env, monkeypatch):
    """Three payments of merchant m-1 one millisecond apart, plus one of another merchant."""
    clock = itertools.count(1_700_000_000_000)
    monkeypatch.setattr(payments_env.modules.model, "now_ms", lambda: next(clock))
    ids = [payments_env.create({"amount": n, "merchant_id": "m-1"}, key=f"k{n}").json["payment_id"]
           for n in (1, 2, 3)]
    payments_env.create({"amount": 9, "merchant_id": "m-2"}, key="other")
    return ids


def test_list_pages_newest_first(payments_env, three_payments):
    first = payments_env.list("m-1", limit="2")
    second = payments_env.list("m-1", limit="2", next=first.json["next"])

    assert first.status == 200 and second.status == 200
    assert [p["payment_id"] for p in first.json["items"]] == three_payments[:0:-1]
    assert [p["payment_id"] for p in second.json["items"]] == three_payments[:1]
    assert second.json["next"] is None
    assert "=" not in first.json["next"]
    assert json.loads(base64.urlsafe_b64decode(first.json["next"] + "==")) == {
        "merchant_id": "m-1", "created_at": first.json["items"][-1]["created_at"],
        "payment_id": three_payments[1]}


def test_exact_last_page_has_no_next(payments_env, three_payments):
    result = payments_env.list("m-1", limit="3")

    assert len(result.json["items"]) == 3
    assert result.json["next"] is None


def test_default_limit_and_other_merchants(payments_env, three_payments):
    assert [p["amount"] for p in payments_env.list("m-1").json["items"]] == [3, 2, 1]
    assert [p["amount"] for p in payments_env.list("m-2").json["items"]] == [9]
    assert payments_env.list("nobody").json == {"items": [], "next": None}


def test_equal_timestamps_do_not_lose_items(payments_env, monkeypatch):
    monkeypatch.setattr(payments_env.modules.model, "now_ms", lambda: 1_700_000_000_000)
    ids = {payments_env.create({"amount": 5, "merchant_id": "m-1"}, key=f"same{n}").json["payment_id"]
           for n in range(3)}

    first = payments_env.list("m-1", limit="2")
    second = payments_env.list("m-1", limit="2", next=first.json["next"])

    assert {p["payment_id"] for p in first.json["items"] + second.json["items"]} == ids


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "", "2.5", "1000"])
def test_invalid_limit_is_400(payments_env, limit):
    result = payments_env.list("m-1", limit=limit)

    assert result.status == 400
    assert "limit" in result.json["error"]["message"]


@pytest.mark.parametrize("token", [
    "", "!!!", "bm90IGpzb24", base64.urlsafe_b64encode(b"[1]").decode(), "A" * 600,
    base64.urlsafe_b64encode(json.dumps({"merchant_id": "m-2", "created_at": 1,
                                         "payment_id": "9059efab-d2a2-48c4-9ffe-b72b0e331e71"}).encode()).decode(),
    base64.urlsafe_b64encode(json.dumps({"merchant_id": "m-1", "created_at": "1",
                                         "payment_id": "a7867e56-45db-46b5-8d35-d72757f6c7a1"}).encode()).decode(),
])
def test_invalid_token_is_400(payments_env, three_payments, token):
    result = payments_env.list("m-1", next=token)

    assert result.status == 400
    assert result.json["error"]["code"] == "invalid_token"


def test_malformed_merchant_id_is_400(payments_env):
    result = payments_env.list("bad merchant")

    assert result.status == 400
    assert "merchant_id" in result.json["error"]["message"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(merchant_id=st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
       created_at=st.integers(min_value=0, max_value=2**53), payment_id=st.uuids().map(str))
def test_token_round_trips(payments_modules, merchant_id, created_at, payment_id):
    module = payments_modules.list_by_merchant
    key = {"merchant_id": merchant_id, "created_at": created_at, "payment_id": payment_id}

    token = module.encode_token(key)

    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert module.decode_token(token, merchant_id) == key


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=st.text(max_size=80) | st.binary(max_size=60).map(lambda b: base64.urlsafe_b64encode(b).decode()))
def test_arbitrary_tokens_are_refused_cleanly(payments_modules, token):
    with pytest.raises(payments_modules.common.ApiError) as refused:
        payments_modules.list_by_merchant.decode_token(token, "m-1")

    assert refused.value.status == 400
