"""Fixtures for the secure-data handlers: a moto-backed table and bucket, the handler modules loaded in isolation
(handlers/handler_testing.py: imported fresh, as in the Lambda zip, and put back afterwards)."""

from __future__ import annotations

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

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # handlers/handler_testing.py
from handler_testing import function_environment, handler_modules

HANDLER_DIR = Path(__file__).resolve().parents[1]
MODULES = ("store", "processor", "analytics")
TABLE, BUCKET = "secureinfra-records-test", "secureinfra-data-test-123456789012-us-east-1"
ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
       "AWS_DEFAULT_REGION": "us-east-1", "SERVICE": "secureinfra", "ENVIRONMENT": "test", "TABLE_RECORDS": TABLE}
UNSET = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3", "AWS_REGION",
         "LOG_LEVEL", "BUCKET_DATA")


class Harness:
    def __init__(self, modules: SimpleNamespace) -> None:
        self.modules, self.bucket = modules, BUCKET
        self.table = boto3.resource("dynamodb").Table(TABLE)
        self.s3 = boto3.client("s3")
        self.stream = io.StringIO()
        modules.store.logger.handlers[0].setStream(self.stream)

    def logs(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    @staticmethod
    def _call(handler: Any, event: Any) -> SimpleNamespace:
        result = handler(event, SimpleNamespace(function_name="secureinfra-data-processor-test"))
        return SimpleNamespace(status=result["statusCode"], json=json.loads(result["body"]))

    def process(self, event: Any) -> SimpleNamespace:
        return self._call(self.modules.processor.handler, event)

    def analyse(self, event: Any) -> SimpleNamespace:
        return self._call(self.modules.analytics.handler, event)

    def objects(self) -> list[str]:
        return [o["Key"] for o in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


@pytest.fixture
def secure_data(monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    function_environment(monkeypatch, ENV, UNSET)
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "timestamp", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                                  {"AttributeName": "timestamp", "AttributeType": "N"}])
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        with handler_modules(HANDLER_DIR, MODULES) as modules:
            modules.store.reset_clients()
            yield Harness(modules)


@pytest.fixture
def with_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    """As when the spec gives the function `uses: {buckets: {data: ...}}`."""
    monkeypatch.setenv("BUCKET_DATA", BUCKET)
