"""Fixtures for the upload_pipeline handlers: moto-backed bucket, results table and state machine, and the handler
modules imported in isolation (other handler directories ship modules with the same names, like `common`)."""

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
import pytest
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # handlers/handler_testing.py
from handler_testing import function_environment, lambda_context
from handler_testing import handler_modules as load_handler_modules

HANDLER_DIR = Path(__file__).resolve().parents[1]
MODULES = ("common", "processor", "api", "steps")
BUCKET = "pipeline-uploads-test"
ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "SERVICE": "pipeline", "ENVIRONMENT": "test",
    "TABLE_RESULTS": "pipeline-results-test", "BUCKET_UPLOADS": BUCKET,
}
UNSET = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3",
         "AWS_ENDPOINT_URL_SFN", "AWS_REGION", "LOG_LEVEL")


def handler_modules() -> AbstractContextManager[SimpleNamespace]:
    return load_handler_modules(HANDLER_DIR, MODULES)


class Pipeline:
    """Puts uploads in the bucket, hands the processor their S3 events, and reads the table and executions."""

    def __init__(self, modules: SimpleNamespace, machine_arn: str) -> None:
        self.modules, self.machine_arn = modules, machine_arn
        self.s3 = boto3.client("s3")
        self.stepfunctions = boto3.client("stepfunctions")
        self.results = boto3.resource("dynamodb").Table(ENV["TABLE_RESULTS"])
        self.log_stream = io.StringIO()
        modules.common.logger.handlers[0].setStream(self.log_stream)

    def logs(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log_stream.getvalue().splitlines()]

    def upload(self, key: str, body: bytes | str) -> dict[str, Any]:
        """Store an object and return the S3 event record the bucket's notification would send for it."""
        put = self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        size = self.s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
        return {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": BUCKET}, "object": {"key": key.replace(" ", "+"), "size": size,
                                                              "versionId": put.get("VersionId"),
                                                              "sequencer": "0055AED6DCD90281E5"}}}

    def process(self, *records: dict[str, Any]) -> Any:
        return self.modules.processor.handler({"Records": list(records)}, lambda_context())

    def statuses(self, upload_id: str) -> list[dict[str, Any]]:
        items = self.results.query(KeyConditionExpression="id = :id", ExpressionAttributeValues={":id": upload_id})
        return items["Items"]

    def executions(self) -> list[dict[str, Any]]:
        found = self.stepfunctions.list_executions(stateMachineArn=self.machine_arn)["executions"]
        return [self.stepfunctions.describe_execution(executionArn=e["executionArn"]) for e in found]

    def step(self, name: str, event: dict[str, Any]) -> Any:
        return getattr(self.modules.steps, name)(event, lambda_context())

    def api(self, method: str, resource: str, **kwargs: Any) -> SimpleNamespace:
        body = kwargs.pop("body", None)
        event = {"httpMethod": method, "resource": resource, "headers": {"Content-Type": "application/json"},
                 "requestContext": {"requestId": str(uuid.uuid4())}, "isBase64Encoded": False,
                 "body": body if body is None or isinstance(body, str) else json.dumps(body), **kwargs}
        result = self.modules.api.handler(event, lambda_context())
        return SimpleNamespace(status=result["statusCode"], headers=result["headers"], json=json.loads(result["body"]))


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    function_environment(monkeypatch, ENV, UNSET)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        boto3.client("dynamodb").create_table(
            TableName=ENV["TABLE_RESULTS"], BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                                  {"AttributeName": "timestamp", "AttributeType": "N"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "timestamp", "KeyType": "RANGE"}])
        machine = boto3.client("stepfunctions").create_state_machine(
            name="pipeline-pipeline-test", roleArn="arn:aws:iam::123456789012:role/pipeline",
            definition=json.dumps({"StartAt": "done", "States": {"done": {"Type": "Succeed"}}}))["stateMachineArn"]
        monkeypatch.setenv("WORKFLOW_PIPELINE", machine)
        with handler_modules() as modules:
            yield Pipeline(modules, machine)
