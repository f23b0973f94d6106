"""Fixtures for the secure-data handlers: a moto-backed table and bucket, the handler modules loaded in isolation.

The handlers import their siblings as top-level modules (`import store`), as in the Lambda zip; other
handler directories may ship modules with the same names, so the modules are imported fresh for each test
with `handlers/secure_data` at the front of sys.path, and sys.path and sys.modules are restored afterwards.
"""

from __future__ import annotations

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
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    saved = {name: sys.modules.pop(name) for name in MODULES if name in sys.modules}
    sys.path.insert(0, str(HANDLER_DIR))
    importlib.invalidate_caches()
    try:
        with mock_aws():
            boto3.client("dynamodb").create_table(
                TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "timestamp", "KeyType": "RANGE"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                                      {"AttributeName": "timestamp", "AttributeType": "N"}])
            boto3.client("s3").create_bucket(Bucket=BUCKET)
            modules = SimpleNamespace(**{name: importlib.import_module(name) for name in MODULES})
            modules.store.reset_clients()
            yield Harness(modules)
    finally:
        for name in MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
        sys.path.remove(str(HANDLER_DIR))


@pytest.fixture
def with_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    """As when the spec gives the function `uses: {buckets: {data: ...}}`."""
    monkeypatch.setenv("BUCKET_DATA", BUCKET)
