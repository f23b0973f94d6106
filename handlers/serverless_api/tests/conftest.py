"""Fixtures for the serverless_api handlers: moto-backed tables, secret and state machine, and the handler modules
imported in isolation (other handler directories ship modules with the same names, like `common`)."""

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
MODULES = ("common", "users", "products", "orders", "workflow")
API_KEY_ID = "key-id-1"
ADMIN_TOKEN = "s3cr3t-admin-token"
ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "SERVICE": "shop", "ENVIRONMENT": "test",
    "TABLE_USERS": "shop-users-test", "TABLE_ORDERS": "shop-orders-test", "TABLE_PRODUCTS": "shop-products-test",
}
UNSET = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SFN",
         "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_REGION", "LOG_LEVEL")


def handler_modules() -> AbstractContextManager[SimpleNamespace]:
    return load_handler_modules(HANDLER_DIR, MODULES)


def rest_event(method: str, resource: str, path: str, *, path_params: dict[str, str] | None = None,
               query: dict[str, str] | None = None, headers: dict[str, str] | None = None,
               body: Any = None, api_key_id: str = API_KEY_ID) -> dict[str, Any]:
    """An API Gateway REST API Lambda proxy event, as the stage sends it."""
    return {
        "resource": resource, "path": path, "httpMethod": method,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "queryStringParameters": query, "pathParameters": path_params,
        "requestContext": {"requestId": str(uuid.uuid4()), "resourcePath": resource, "httpMethod": method,
                           "identity": {"apiKeyId": api_key_id, "sourceIp": "203.0.113.9"}},
        "body": body if body is None or isinstance(body, str) else json.dumps(body), "isBase64Encoded": False,
    }


class Shop:
    """Calls the handlers as API Gateway and Step Functions do, and reads what they left in moto."""

    def __init__(self, modules: SimpleNamespace, machine_arn: str) -> None:
        self.modules, self.machine_arn = modules, machine_arn
        self.dynamodb = boto3.resource("dynamodb")
        self.stepfunctions = boto3.client("stepfunctions")
        self.log_stream = io.StringIO()
        modules.common.logger.handlers[0].setStream(self.log_stream)

    def logs(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log_stream.getvalue().splitlines()]

    def call(self, handler: Any, event: dict[str, Any]) -> SimpleNamespace:
        result = handler(event, lambda_context())
        assert result["headers"]["Content-Type"] == "application/json"
        return SimpleNamespace(status=result["statusCode"], headers=result["headers"], json=json.loads(result["body"]))

    def api(self, function: str, method: str, resource: str, path: str, **kwargs: Any) -> SimpleNamespace:
        return self.call(getattr(self.modules, function).handler, rest_event(method, resource, path, **kwargs))

    def step(self, name: str, event: dict[str, Any]) -> Any:
        return getattr(self.modules.workflow, name)(event, lambda_context())

    def item(self, table: str, key: str) -> dict[str, Any] | None:
        return self.dynamodb.Table(ENV[f"TABLE_{table.upper()}"]).get_item(Key={"id": key}).get("Item")

    def add_user(self, email: str = "ada@example.com") -> str:
        created = self.api("users", "POST", "/users", "/users", body={"email": email, "name": "Ada"})
        assert created.status == 201, created.json
        return created.json["user_id"]

    def add_product(self, stock: int = 10, price: int = 250) -> str:
        created = self.api("products", "POST", "/products", "/products", headers={"X-Admin-Token": ADMIN_TOKEN},
                           body={"name": "Widget", "price_cents": price, "stock": stock})
        assert created.status == 201, created.json
        return created.json["product_id"]

    def executions(self) -> list[dict[str, Any]]:
        return self.stepfunctions.list_executions(stateMachineArn=self.machine_arn)["executions"]


def _create_resources() -> tuple[str, str]:
    client = boto3.client("dynamodb")
    for name in ("TABLE_USERS", "TABLE_ORDERS", "TABLE_PRODUCTS"):
        client.create_table(TableName=ENV[name], BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    secret = boto3.client("secretsmanager").create_secret(
        Name="shop/api-credentials", SecretString=json.dumps({"admin_token": ADMIN_TOKEN}))["ARN"]
    machine = boto3.client("stepfunctions").create_state_machine(
        name="shop-order-test", roleArn="arn:aws:iam::123456789012:role/shop-order-test",
        definition=json.dumps({"StartAt": "done", "States": {"done": {"Type": "Succeed"}}}))["stateMachineArn"]
    return secret, machine


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    function_environment(monkeypatch, ENV, UNSET)
    with mock_aws():
        secret_arn, machine_arn = _create_resources()
        monkeypatch.setenv("SECRET_API_CREDENTIALS", secret_arn)
        monkeypatch.setenv("WORKFLOW_ORDER", machine_arn)
        with handler_modules() as modules:
            yield Shop(modules, machine_arn)
