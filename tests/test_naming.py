"""Names users and CloudFormation rely on (src/specc/build/naming.py): a logical ID that changes replaces the resource
on the next deploy (a table, a queue, an API resource), so each rule is pinned with literal values."""

from __future__ import annotations

import hashlib

from specc.build import naming
from specc.build.naming import camel, env_var_name, logical_id, physical_name, short_hash
from specc.compiler import compile_spec


def test_camel_keeps_the_capitals_inside_a_part() -> None:
    """`orderId` stays `OrderId`: lower-casing the rest of a part would rename every resource of a route or entry
    with a camelCase name (and so replace it)."""
    assert camel("orderId") == "OrderId"
    assert camel("createPaymentV2") == "CreatePaymentV2"
    assert camel("create_payment") == "CreatePayment"
    assert camel("{payment_id}") == "PaymentId"
    assert camel("orders-by.day/2") == "OrdersByDay2"
    assert camel("__x__") == "X" and camel("") == ""


def test_logical_ids_are_the_camel_name_then_the_suffix() -> None:
    assert logical_id("orders", "Table") == "OrdersTable"
    assert logical_id("orderId", "") == "OrderId"


def test_a_camel_case_path_parameter_keeps_its_resource_logical_ids(write_spec) -> None:
    """`/orders/{orderId}`: the API resource and the method keep `OrderId` in their logical IDs."""
    spec = ("specc: 1\nservice: shop\nenvironment: dev\nregions: [eu-west-1]\n"
            "functions:\n  orders:\n    handler: handlers/app.py:handler\n"
            "routes:\n  GET /orders/{orderId}: orders\n")
    resources = compile_spec(write_spec(spec)).templates["service.json"]["Resources"]
    assert resources["ApiResourceOrdersOrderIdParam"]["Properties"]["PathPart"] == "{orderId}"
    assert resources["RouteGetOrdersOrderIdParam"]["Type"] == "AWS::ApiGateway::Method"
    assert not [title for title in resources if "Orderid" in title]


def test_physical_names_use_dashes_and_end_with_the_environment() -> None:
    assert physical_name("payments", "create_payment", "prod") == "payments-create-payment-prod"
    assert physical_name("pay_ments", "x", "dev_1") == "pay-ments-x-dev-1"


def test_short_hash_is_a_prefix_of_the_sha256_of_the_parts_joined_by_a_unit_separator() -> None:
    assert short_hash("a", "b") == hashlib.sha256(b"a\x1fb").hexdigest()[:10] == "f04cdced97"
    assert short_hash("a", "b", length=4) == "f04c"
    assert short_hash("ab") != short_hash("a", "b")  # the separator keeps ("a", "b") apart from ("ab",)
    assert len(short_hash("x", length=16)) == 16


def test_environment_variable_names_are_upper_case_singular_then_name() -> None:
    assert env_var_name("table", "transactions") == "TABLE_TRANSACTIONS"
    assert env_var_name("Topic", "order-events") == "TOPIC_ORDER-EVENTS"


def test_artifact_buckets_are_named_by_prefix_account_and_region() -> None:
    """`specc bootstrap` creates these buckets and `specc deploy`/`rollout` upload to them, in every account and
    region; the access-log bucket beside each: a change of either name strands every deployed service's code."""
    assert naming.artifact_bucket("specc-artifacts", "123456789012", "us-east-1") == \
        "specc-artifacts-123456789012-us-east-1"
    assert naming.bucket_names("acme", "210987654321", "eu-west-1") == (
        "acme-210987654321-eu-west-1", "acme-logs-210987654321-eu-west-1")
