"""Fixtures for the payments handlers: moto-backed tables and topic, and the handler modules loaded in isolation.

The handlers import their siblings as top-level modules (`import common`), exactly as in the Lambda zip. Other
handler directories may ship modules with the same names, so the modules are imported fresh for each test with
`handlers/payments` at the front of sys.path, and both sys.path and sys.modules are restored afterwards.
"""

from __future__ import annotations

import io
import json
import sys
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.session
import pytest
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # handlers/handler_testing.py
from handler_testing import function_environment, lambda_context
from handler_testing import handler_modules as load_handler_modules

HANDLER_DIR = Path(__file__).resolve().parents[1]
MODULES = ("common", "validation", "model", "create", "get", "list_by_merchant", "settle", "receipt")
API_KEY_ID = "k3y1d2345"
ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "SERVICE": "payments", "ENVIRONMENT": "test", "CURRENCY": "EUR",
    "TABLE_TRANSACTIONS": "payments-transactions-test", "TABLE_IDEMPOTENCY": "payments-idempotency-test",
    "BUCKET_DOCUMENTS": "payments-documents-test-123456789012-us-east-1",
}
# Anything that could send the clients somewhere other than moto's in-process mock.
UNSET = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SNS",
         "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "LOG_LEVEL")


_data_loader: object | None = None


def shared_botocore_session() -> botocore.session.Session:
    """mock_aws() starts every test with a fresh default session, which re-reads the service models (~0.2 s a
    test). Each test gets a new botocore session (boto3 registers its client-class handlers, such as S3's
    upload_file, once per session: sharing one session would register them twice) that shares the first one's
    data loader, which keeps the parsed models; clients, and so their binding to the mock, are still new."""
    global _data_loader
    session = botocore.session.get_session()
    if _data_loader is None:
        _data_loader = session.get_component("data_loader")
    else:
        session.register_component("data_loader", _data_loader)
    return session


def handler_modules() -> AbstractContextManager[SimpleNamespace]:
    return load_handler_modules(HANDLER_DIR, MODULES)


def rest_event(method: str, resource: str, path: str, *, path_params: dict[str, str] | None = None,
               query: dict[str, str] | None = None, headers: dict[str, str] | None = None,
               body: str | None = None, api_key_id: str = API_KEY_ID) -> dict[str, Any]:
    """An API Gateway REST API Lambda proxy event, shaped like the ones the v1 stage sends."""
    headers = {"Accept": "application/json", "Host": "abc123.execute-api.us-east-1.amazonaws.com",
               "User-Agent": "pytest", "X-Api-Key": "secret-api-key-value", **(headers or {})}
    return {
        "resource": resource, "path": path, "httpMethod": method,
        "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_params, "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123", "stage": "v1", "resourcePath": resource,
            "httpMethod": method, "path": f"/v1{path}", "requestId": str(uuid.uuid4()), "protocol": "HTTP/1.1",
            "identity": {"apiKey": "secret-api-key-value", "apiKeyId": api_key_id, "sourceIp": "203.0.113.9",
                         "userAgent": "pytest"},
        },
        "body": body, "isBase64Encoded": False,
    }


class PaymentsHarness:
    """Calls the handlers the way API Gateway does and reads what they left in moto."""

    def __init__(self, modules: SimpleNamespace, topic_arn: str, queue_url: str) -> None:
        self.modules, self.topic_arn, self.queue_url = modules, topic_arn, queue_url
        resource = boto3.resource("dynamodb")
        self.transactions = resource.Table(ENV["TABLE_TRANSACTIONS"])
        self.idempotency = resource.Table(ENV["TABLE_IDEMPOTENCY"])
        self.sqs = boto3.client("sqs")
        self.log_stream = io.StringIO()  # the handlers' JSON log lines, for assertions
        modules.common.logger.handlers[0].setStream(self.log_stream)

    def logs(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log_stream.getvalue().splitlines()]

    @staticmethod
    def _call(handler: Any, event: dict[str, Any]) -> SimpleNamespace:
        result = handler(event, lambda_context("payments-create-payment-test"))
        assert result["headers"]["Content-Type"] == "application/json"
        return SimpleNamespace(status=result["statusCode"], headers=result["headers"], json=json.loads(result["body"]))

    def create_event(self, body: Any, key: str | None = "key-1", *, raw: str | None = None,
                     key_header: str = "Idempotency-Key", **kwargs: Any) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", **({key_header: key} if key is not None else {})}
        return rest_event("POST", "/payments", "/payments", headers=headers,
                          body=raw if raw is not None else json.dumps(body), **kwargs)

    def create(self, body: Any, key: str | None = "key-1", **kwargs: Any) -> SimpleNamespace:
        return self._call(self.modules.create.handler, self.create_event(body, key, **kwargs))

    def get(self, payment_id: str) -> SimpleNamespace:
        return self._call(self.modules.get.handler, rest_event(
            "GET", "/payments/{payment_id}", f"/payments/{payment_id}", path_params={"payment_id": payment_id}))

    def list(self, merchant_id: str, **query: str) -> SimpleNamespace:
        return self._call(self.modules.list_by_merchant.handler, rest_event(
            "GET", "/merchants/{merchant_id}/payments", f"/merchants/{merchant_id}/payments",
            path_params={"merchant_id": merchant_id}, query=query or None))

    def settle(self, payment_id: str) -> SimpleNamespace:
        return self._call(self.modules.settle.handler, rest_event(
            "POST", "/payments/{payment_id}/settle", f"/payments/{payment_id}/settle",
            path_params={"payment_id": payment_id}))

    def receipt(self, payment_id: str) -> SimpleNamespace:
        return self._call(self.modules.receipt.handler, rest_event(
            "GET", "/payments/{payment_id}/receipt", f"/payments/{payment_id}/receipt",
            path_params={"payment_id": payment_id}))

    def events(self) -> list[dict[str, Any]]:
        """Drain the queue subscribed to the topic: the decoded message and its SNS attributes, per event."""
        found = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                             MessageAttributeNames=["All"]).get("Messages", [])
            if not batch:
                return found
            for message in batch:
                attributes = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
                found.append({"message": json.loads(message["Body"]), "attributes": attributes})
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def _create_resources() -> tuple[str, str]:
    client = boto3.client("dynamodb")
    client.create_table(
        TableName=ENV["TABLE_TRANSACTIONS"], BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"},
                              {"AttributeName": "merchant_id", "AttributeType": "S"},
                              {"AttributeName": "created_at", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "by_merchant", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "merchant_id", "KeyType": "HASH"},
                          {"AttributeName": "created_at", "KeyType": "RANGE"}]}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    client.create_table(
        TableName=ENV["TABLE_IDEMPOTENCY"], BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "idempotency_key", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "idempotency_key", "KeyType": "HASH"}],
    )
    client.update_time_to_live(TableName=ENV["TABLE_IDEMPOTENCY"],
                               TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=ENV["BUCKET_DOCUMENTS"])
    s3.put_bucket_versioning(Bucket=ENV["BUCKET_DOCUMENTS"], VersioningConfiguration={"Status": "Enabled"})
    topic_arn = boto3.client("sns").create_topic(Name="payments-payment-events-test")["TopicArn"]
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="payment-events-probe")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # Raw delivery: the queue gets the message as published (and moto skips signing an envelope, which is slow).
    boto3.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                                  Attributes={"RawMessageDelivery": "true"})
    return topic_arn, queue_url


@pytest.fixture
def payments_modules(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """The handler modules with the injected environment set, but no AWS resources (for pure-function tests)."""
    function_environment(monkeypatch, ENV, UNSET)
    with handler_modules() as modules:
        yield modules


@pytest.fixture
def payments_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[PaymentsHarness]:
    """Tables, topic and a probe queue in moto; handler modules imported inside the mock so their clients bind to it."""
    function_environment(monkeypatch, ENV, UNSET)
    with mock_aws():
        boto3.setup_default_session(botocore_session=shared_botocore_session())  # mock_aws restores it on exit
        topic_arn, queue_url = _create_resources()
        monkeypatch.setenv("TOPIC_PAYMENT_EVENTS", topic_arn)
        with handler_modules() as modules:
            yield PaymentsHarness(modules, topic_arn, queue_url)
