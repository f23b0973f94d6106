"""POST /items against moto: creation, client errors, conflicts, and alerts on unexpected failures."""

from __future__ import annotations

import base64
import importlib
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

HANDLER_DIR = Path(__file__).resolve().parents[1]
TABLE, TOPIC = "serverless-app-items-test", "serverless-app-critical-alerts-test"
ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
       "AWS_DEFAULT_REGION": "us-west-2", "SERVICE": "serverless-app", "ENVIRONMENT": "test", "TABLE_ITEMS": TABLE}
CONTEXT = SimpleNamespace(aws_request_id="req-1", function_name="serverless-app-api-handler-test")


class Harness:
    def __init__(self, module: Any, queue_url: str) -> None:
        self.module, self.queue_url = module, queue_url
        self.table = boto3.resource("dynamodb").Table(TABLE)
        self.log_stream = io.StringIO()
        module.logger.handlers[0].setStream(self.log_stream)

    def post(self, body: Any = None, *, raw: str | None = None, base64_encoded: bool = False) -> SimpleNamespace:
        text = raw if raw is not None else json.dumps(body)
        if base64_encoded:
            text = base64.b64encode(text.encode()).decode()
        result = self.module.handler({"httpMethod": "POST", "path": "/items", "body": text,
                                      "isBase64Encoded": base64_encoded}, CONTEXT)
        assert result["headers"]["Content-Type"] == "application/json"
        return SimpleNamespace(status=result["statusCode"], json=json.loads(result["body"]))

    def alerts(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs")
        messages = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    def logs(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log_stream.getvalue().splitlines()]


@pytest.fixture
def items(monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
        topic = boto3.client("sns").create_topic(Name=TOPIC)["TopicArn"]
        sqs = boto3.client("sqs")
        queue_url = sqs.create_queue(QueueName="alerts-probe")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        boto3.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                                      Attributes={"RawMessageDelivery": "true"})
        monkeypatch.setenv("TOPIC_CRITICAL_ALERTS", topic)
        sys.modules.pop("app", None)
        sys.path.insert(0, str(HANDLER_DIR))
        try:
            yield Harness(importlib.import_module("app"), queue_url)
        finally:
            sys.path.remove(str(HANDLER_DIR))
            sys.modules.pop("app", None)


def test_creates_the_item_once(items):
    created = items.post({"id": "sku-1", "data": {"colour": "red"}})
    again = items.post({"id": "sku-1", "data": "other"})

    assert created.status == 201 and created.json == {"message": "Item created successfully", "id": "sku-1"}
    assert again.status == 409 and again.json["error"]["code"] == "item_exists"
    stored = items.table.get_item(Key={"id": "sku-1"})["Item"]
    assert stored["data"] == {"colour": "red"} and int(stored["created_at"]) > 0
    assert items.alerts() == []  # client errors are not incidents


@pytest.mark.parametrize("body, raw, status, code", [
    (None, "", 400, "invalid_json"),
    (None, "{not json", 400, "invalid_json"),
    ([1, 2], None, 400, "invalid_json"),
    ({}, None, 400, "validation_error"),
    ({"id": ""}, None, 400, "validation_error"),
    ({"id": "a/b"}, None, 400, "validation_error"),
    ({"id": 7}, None, 400, "validation_error"),
    ({"id": "x", "admin": True}, None, 400, "validation_error"),
    ({"id": "x", "data": "y" * 70000}, None, 413, "payload_too_large"),
])
def test_client_errors_are_precise_4xx(items, body, raw, status, code):
    result = items.post(body, raw=raw)

    assert result.status == status and result.json["error"]["code"] == code
    assert items.table.scan()["Items"] == []


def test_base64_bodies_are_decoded(items):
    assert items.post({"id": "b64"}, base64_encoded=True).status == 201


def test_unexpected_failure_is_a_500_and_an_alert(items, monkeypatch):
    monkeypatch.setenv("TABLE_ITEMS", "no-such-table")

    result = items.post({"id": "sku-2"})

    assert result.status == 500
    assert result.json == {"error": {"code": "internal_error", "message": "An internal error occurred."}}
    [alert] = items.alerts()
    assert alert["function"] == "serverless-app-api-handler-test" and alert["request_id"] == "req-1"
    assert alert["error"] == "ResourceNotFoundException"
    assert [line["level"] for line in items.logs()] == ["ERROR"]


def test_a_failed_alert_never_hides_the_error(items, monkeypatch):
    monkeypatch.setenv("TABLE_ITEMS", "no-such-table")
    monkeypatch.setenv("TOPIC_CRITICAL_ALERTS", "arn:aws:sns:us-west-2:123456789012:missing")

    result = items.post({"id": "sku-3"})

    assert result.status == 500
    assert [line["message"] for line in items.logs()] == ["unhandled error", "could not publish the error alert"]
