"""`specc init --template pci`: a payments API in PCI DSS scope, built from the kinds registered today.

Separate customer-managed keys for cardholder data and for logs, a year of encrypted logs, deletion
protection, API keys for merchants, SigV4 (`authorization: iam`) for the refund route, compliance
tags, and alarms to a security topic. The handler keeps only the last four digits of a card number.
"""

from __future__ import annotations

DESCRIPTION = "payments API in PCI DSS scope: separate CMKs, 1-year encrypted logs, iam-authorised refunds"
SECTIONS = ("keys", "tables", "topics", "functions", "api", "routes", "usage_plans", "api_keys", "monitoring",
            "alarms")

SPEC = """\
# yaml-language-server: $schema=../schema/specc.schema.json
# {{service}}: a payments API in PCI DSS scope (made by `specc init --template pci`).
#   specc compile specs/{{service}}.yaml   # CloudFormation into templates_out/{{service}}/
#   specc lint specs/{{service}}.yaml      # cfn-lint in every region below
specc: 1
service: {{service}}
environment: prod
regions: [us-east-1]
code_root: ..
tags:
  ComplianceScope: pci-dss
  DataClassification: confidential

security:                           # `specc check` (compile runs it too)
  profile: baseline                 # `pci` also wants the functions in a VPC (`network`) and a mutual-TLS domain,
  required_tags:                    # as specs/examples/pci-payments.yaml has
    - ComplianceScope
    - DataClassification

defaults:
  key: cardholder                   # tables, queues and topics
  logs_key: logs                    # a separate key for CloudWatch Logs
  log_retention_days: 365           # PCI DSS 10.5.1: keep audit logs for a year

keys:
  cardholder: {description: "cardholder data environment: payments table, queues and topics"}
  logs: {description: "CloudWatch Logs of functions and the API"}

tables:
  payments:
    partition_key: {name: payment_id, type: S}
    deletion_protection: true       # point-in-time recovery is on by default

topics:
  security_alerts:
    subscriptions:
      - {protocol: email, endpoint: security@example.com}

functions:
  authorize_payment:
    handler: handlers/{{package}}/app.py:authorize_payment
    uses: {tables: {payments: write}}
  get_payment:
    handler: handlers/{{package}}/app.py:get_payment
    uses: {tables: {payments: read}}
  refund_payment:
    handler: handlers/{{package}}/app.py:refund_payment
    uses: {tables: {payments: read_write}}

api:
  stage: v1
  throttle: {rate: 100, burst: 50}

routes:
  POST /payments: {function: authorize_payment, api_key: true}
  GET /payments/{payment_id}: {function: get_payment, api_key: true}
  POST /payments/{payment_id}/refund: {function: refund_payment, authorization: iam}   # staff tools sign requests

usage_plans:
  merchants:
    throttle: {rate: 20, burst: 10}
    quota: {limit: 100000, period: MONTH}

api_keys:
  first_merchant: {usage_plan: merchants}

monitoring:
  notify: security_alerts

alarms:
  refunds_failing:
    metric: functions.refund_payment.Errors
    threshold: "> 0"
    description: Refunds are failing.
"""

HANDLER = '''\
"""The {{service}} payments API. A card number is checked (Luhn) and then dropped: only its last four
digits are stored or returned, so the table never holds a primary account number.

specc sets TABLE_PAYMENTS from the functions' `uses`. boto3 comes with the Lambda runtime; the tests
replace `payments()` with an in-memory fake.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from functools import lru_cache
from typing import Any

CURRENCY = re.compile(r"^[A-Z]{3}$")


@lru_cache(maxsize=1)
def payments() -> Any:
    import boto3

    return boto3.resource("dynamodb").Table(os.environ["TABLE_PAYMENTS"])


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, digit in enumerate(int(d) for d in reversed(number)):
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def authorize_payment(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        body = json.loads(event.get("body") or "{}")
    except json.JSONDecodeError:
        return respond(400, {"error": "the body must be JSON"})
    if not isinstance(body, dict):
        return respond(400, {"error": "the body must be a JSON object"})
    card, amount, currency = str(body.get("card_number", "")).replace(" ", ""), body.get("amount"), body.get("currency")
    if not luhn_valid(card):
        return respond(400, {"error": "invalid card number"})
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        return respond(400, {"error": "`amount` must be a positive integer in minor units"})
    if not isinstance(currency, str) or not CURRENCY.match(currency):
        return respond(400, {"error": "`currency` must be an ISO 4217 code like EUR"})
    payment = {"payment_id": str(uuid.uuid4()), "status": "authorized", "amount": amount, "currency": currency,
               "card_last4": card[-4:]}
    payments().put_item(Item=payment, ConditionExpression="attribute_not_exists(payment_id)")
    return respond(201, payment)


def get_payment(event: dict[str, Any], context: Any) -> dict[str, Any]:
    payment_id = (event.get("pathParameters") or {}).get("payment_id", "")
    found = payments().get_item(Key={"payment_id": payment_id}).get("Item")
    return respond(200, found) if found else respond(404, {"error": f"no payment {payment_id}"})


def refund_payment(event: dict[str, Any], context: Any) -> dict[str, Any]:
    payment_id = (event.get("pathParameters") or {}).get("payment_id", "")
    found = payments().get_item(Key={"payment_id": payment_id}).get("Item")
    if not found:
        return respond(404, {"error": f"no payment {payment_id}"})
    if found["status"] != "authorized":
        return respond(409, {"error": f"payment {payment_id} is {found['status']}"})
    payments().update_item(Key={"payment_id": payment_id}, UpdateExpression="SET #status = :refunded",
                           ConditionExpression="#status = :authorized",
                           ExpressionAttributeNames={"#status": "status"},
                           ExpressionAttributeValues={":refunded": "refunded", ":authorized": "authorized"})
    return respond(200, {**found, "status": "refunded"})


def respond(status: int, body: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
'''

TEST = '''\
"""The {{service}} payments handlers against an in-memory table: validation, refunds, and no stored PAN."""

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

CARD = "4111 1111 1111 1111"


class FakeTable:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def put_item(self, Item: dict[str, Any], ConditionExpression: str = "") -> None:
        self.items[Item["payment_id"]] = dict(Item)

    def get_item(self, Key: dict[str, str]) -> dict[str, Any]:
        found = self.items.get(Key["payment_id"])
        return {"Item": dict(found)} if found else {}

    def update_item(self, Key: dict[str, str], ExpressionAttributeValues: dict[str, Any], **_: Any) -> None:
        self.items[Key["payment_id"]]["status"] = ExpressionAttributeValues[":refunded"]


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> FakeTable:
    fake = FakeTable()
    monkeypatch.setattr(app, "payments", lambda: fake)
    return fake


def call(handler: Any, **event: Any) -> tuple[int, Any]:
    response = handler(event, None)
    return response["statusCode"], json.loads(response["body"])


def authorize(**overrides: Any) -> tuple[int, Any]:
    body = {"card_number": CARD, "amount": 1250, "currency": "EUR", **overrides}
    return call(app.authorize_payment, body=json.dumps(body))


def test_an_authorized_payment_keeps_only_the_last_four_digits(table: FakeTable) -> None:
    status, payment = authorize()
    assert status == 201 and payment["card_last4"] == "1111"
    assert "4111111111111111" not in json.dumps(table.items) and "card_number" not in json.dumps(table.items)
    assert call(app.get_payment, pathParameters={"payment_id": payment["payment_id"]}) == (200, payment)


@pytest.mark.parametrize("overrides", [{"card_number": "4111 1111 1111 1112"}, {"card_number": "abc"},
                                       {"amount": 0}, {"amount": 12.5}, {"amount": True}, {"currency": "euro"}])
def test_invalid_payments_are_refused(table: FakeTable, overrides: dict[str, Any]) -> None:
    assert authorize(**overrides)[0] == 400
    assert table.items == {}


def test_a_payment_is_refunded_once(table: FakeTable) -> None:
    _, payment = authorize()
    path = {"payment_id": payment["payment_id"]}
    assert call(app.refund_payment, pathParameters=path)[1]["status"] == "refunded"
    assert call(app.refund_payment, pathParameters=path)[0] == 409
    assert call(app.refund_payment, pathParameters={"payment_id": "nope"})[0] == 404
'''


def files() -> dict[str, str]:
    return {
        "specs/{{service}}.yaml": SPEC,
        "handlers/{{package}}/app.py": HANDLER,
        "handlers/{{package}}/tests/test_app.py": TEST,
    }
