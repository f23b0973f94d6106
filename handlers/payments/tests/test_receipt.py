"""GET /payments/{payment_id}/receipt: a stored, unchanging receipt document for settled payments only."""

from __future__ import annotations

import json
import uuid

import boto3

BUCKET = "payments-documents-test-123456789012-us-east-1"  # ENV["BUCKET_DOCUMENTS"] in conftest.py


def _objects() -> list[dict]:
    return boto3.client("s3").list_object_versions(Bucket=BUCKET).get("Versions", [])


def test_receipt_of_a_settled_payment_is_stored_once_and_returned_the_same(payments_env):
    created = payments_env.create({"amount": 1250, "merchant_id": "shop-7", "description": "books"}).json
    settled = payments_env.settle(created["payment_id"]).json

    first = payments_env.receipt(created["payment_id"])
    second = payments_env.receipt(created["payment_id"])

    assert first.status == 200 and second.status == 200
    assert first.json == second.json
    receipt = first.json["receipt"]
    assert receipt == {"receipt_id": f"rcpt-{created['payment_id']}", "payment_id": created["payment_id"],
                       "merchant_id": "shop-7", "amount": 1250, "currency": "EUR", "description": "books",
                       "settled_at": settled["settled_at"], "issued_at": settled["settled_at"]}
    key = f"receipts/shop-7/{created['payment_id']}.json"
    assert first.json["document"] == key
    versions = _objects()
    assert [v["Key"] for v in versions] == [key]  # the second call wrote no new version
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key=key)
    assert json.loads(body["Body"].read()) == receipt and body["ContentType"] == "application/json"
    assert any(line["message"] == "receipt stored" for line in payments_env.logs())


def test_pending_payment_has_no_receipt(payments_env):
    created = payments_env.create({"amount": 5, "merchant_id": "shop-1"}).json

    result = payments_env.receipt(created["payment_id"])

    assert result.status == 409
    assert result.json["error"]["code"] == "payment_not_settled"
    assert "pending" in result.json["error"]["message"]
    assert _objects() == []


def test_unknown_and_malformed_payments(payments_env):
    assert payments_env.receipt(str(uuid.uuid4())).status == 404
    malformed = payments_env.receipt("../secrets")
    assert malformed.status == 400 and malformed.json["error"]["code"] == "validation_error"


def test_storage_failure_is_a_json_500_without_details(payments_env, monkeypatch):
    created = payments_env.create({"amount": 9, "merchant_id": "shop-1"}).json
    payments_env.settle(created["payment_id"])
    monkeypatch.setenv("BUCKET_DOCUMENTS", "no-such-bucket-anywhere")

    result = payments_env.receipt(created["payment_id"])

    assert result.status == 500
    assert result.json == {"error": {"code": "internal_error", "message": "An internal error occurred."}}
    assert any(line["level"] == "ERROR" and "NoSuchBucket" in line.get("exception", "")
               for line in payments_env.logs())
