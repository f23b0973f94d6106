"""`specc init --template api`: an HTTP API over one table, each route its own least-privilege function."""

from __future__ import annotations

DESCRIPTION = "REST API (API key + usage plan) with two functions over one DynamoDB table, alarms to a topic"
SECTIONS = ("tables", "topics", "functions", "routes", "usage_plans", "api_keys", "monitoring")

SPEC = """\
# yaml-language-server: $schema=../schema/specc.schema.json
# {{service}}: an HTTP API over one DynamoDB table (made by `specc init --template api`).
#   specc compile specs/{{service}}.yaml   # CloudFormation into templates_out/{{service}}/
#   specc lint specs/{{service}}.yaml      # cfn-lint in every region below
specc: 1
service: {{service}}
environment: dev                    # the suffix of every physical name
regions: [us-east-1]
code_root: ..                       # handler paths are relative to the project root

tables:
  items:
    partition_key: {name: item_id, type: S}

topics:
  alerts:
    subscriptions:
      - {protocol: email, endpoint: oncall@example.com}   # who hears about alarms

functions:
  create_item:
    handler: handlers/{{package}}/app.py:create_item
    uses: {tables: {items: write}}      # its IAM policy: write to `items`, nothing else
  get_item:
    handler: handlers/{{package}}/app.py:get_item
    uses: {tables: {items: read}}

routes:
  POST /items: {function: create_item, api_key: true}
  GET /items/{item_id}: {function: get_item, api_key: true}

usage_plans:
  standard:
    throttle: {rate: 50, burst: 20}
    quota: {limit: 100000, period: MONTH}

api_keys:
  first_client: {usage_plan: standard}

monitoring:
  notify: alerts                    # standard alarms for every function, queue, the API and the table
"""

HANDLER = '''\
"""The {{service}} API: create and read items in the `items` table.

API Gateway (REST, Lambda proxy integration) calls `create_item` and `get_item`. specc sets
TABLE_ITEMS because the functions `use` the table. boto3 comes with the Lambda runtime; the tests
replace `table()` with an in-memory fake, so they need nothing but pytest.
"""

from __future__ import annotations

import json
import os
import uuid
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def table() -> Any:
    import boto3

    return boto3.resource("dynamodb").Table(os.environ["TABLE_ITEMS"])


def create_item(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        body = json.loads(event.get("body") or "{}")
    except json.JSONDecodeError:
        return respond(400, {"error": "the body must be JSON"})
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        return respond(400, {"error": "`name` is required"})
    item = {"item_id": str(uuid.uuid4()), "name": name.strip()}
    table().put_item(Item=item, ConditionExpression="attribute_not_exists(item_id)")
    return respond(201, item)


def get_item(event: dict[str, Any], context: Any) -> dict[str, Any]:
    item_id = (event.get("pathParameters") or {}).get("item_id", "")
    found = table().get_item(Key={"item_id": item_id}).get("Item")
    return respond(200, found) if found else respond(404, {"error": f"no item {item_id}"})


def respond(status: int, body: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
'''

TEST = '''\
"""The {{service}} handlers, called the way API Gateway calls them, against an in-memory table."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

# Loaded under a name of its own, so the tests of several services can run in one pytest session.
_SPEC = importlib.util.spec_from_file_location("{{package}}_app", Path(__file__).resolve().parents[1] / "app.py")
app = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(app)


class FakeTable:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def put_item(self, Item: dict[str, Any], ConditionExpression: str = "") -> None:
        assert Item["item_id"] not in self.items, "put_item must not overwrite"
        self.items[Item["item_id"]] = Item

    def get_item(self, Key: dict[str, str]) -> dict[str, Any]:
        found = self.items.get(Key["item_id"])
        return {"Item": found} if found else {}


@pytest.fixture
def items(monkeypatch: pytest.MonkeyPatch) -> FakeTable:
    fake = FakeTable()
    monkeypatch.setattr(app, "table", lambda: fake)
    return fake


def call(handler: Any, **event: Any) -> tuple[int, Any]:
    response = handler(event, None)
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


def test_create_then_get(items: FakeTable) -> None:
    status, created = call(app.create_item, body=json.dumps({"name": " lamp "}))
    assert status == 201 and created["name"] == "lamp"
    assert call(app.get_item, pathParameters={"item_id": created["item_id"]}) == (200, created)


@pytest.mark.parametrize("body", [None, "not json", "[]", json.dumps({"name": "  "})])
def test_create_refuses_a_missing_name(items: FakeTable, body: Any) -> None:
    assert call(app.create_item, body=body)[0] == 400
    assert items.items == {}


def test_unknown_item_is_404(items: FakeTable) -> None:
    assert call(app.get_item, pathParameters={"item_id": "nope"}) == (404, {"error": "no item nope"})
'''


def files() -> dict[str, str]:
    return {
        "specs/{{service}}.yaml": SPEC,
        "handlers/{{package}}/app.py": HANDLER,
        "handlers/{{package}}/tests/test_app.py": TEST,
    }
