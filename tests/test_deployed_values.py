"""aws/deployed.resolve: a template's expressions as the deployed stack resolves them (what `specc invoke` passes
to a handler), and a clear error for what cannot be worked out locally."""

from __future__ import annotations

import pytest

from specc.aws.deployed import StackValues, resolve
from specc.aws.session import AwsError

STACK = StackValues(
    stack_id="arn:aws:cloudformation:eu-west-1:123456789012:stack/shop-dev/abc", region="eu-west-1",
    account="123456789012", partition="aws", name="shop-dev", status="CREATE_COMPLETE",
    parameters={"AlertsTopic": "arn:aws:sns:eu-west-1:123456789012:shop-alerts-dev"},
    physical={"OrdersTable": "shop-orders-dev", "DataKey": "1234abcd-key", "JobsQueue":
              "https://sqs.eu-west-1.amazonaws.com/123456789012/shop-jobs-dev", "Service": "shop-service-dev"},
    types={"OrdersTable": "AWS::DynamoDB::Table", "DataKey": "AWS::KMS::Key", "JobsQueue": "AWS::SQS::Queue",
           "Service": "AWS::ECS::Service"})


@pytest.mark.parametrize(("value", "expected"), [
    ("plain", "plain"),
    ({"Ref": "OrdersTable"}, "shop-orders-dev"),
    ({"Ref": "AlertsTopic"}, "arn:aws:sns:eu-west-1:123456789012:shop-alerts-dev"),  # a nested stack's parameter
    ({"Fn::GetAtt": ["OrdersTable", "Arn"]}, "arn:aws:dynamodb:eu-west-1:123456789012:table/shop-orders-dev"),
    ({"Fn::GetAtt": "DataKey.Arn"}, "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-key"),
    ({"Fn::GetAtt": ["JobsQueue", "Arn"]}, "arn:aws:sqs:eu-west-1:123456789012:shop-jobs-dev"),
    ({"Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:shop-order-dev"},
     "arn:aws:states:eu-west-1:123456789012:stateMachine:shop-order-dev"),
    ({"Fn::Sub": "${OrdersTable}/${OrdersTable.Arn}/${!Literal}"},
     "shop-orders-dev/arn:aws:dynamodb:eu-west-1:123456789012:table/shop-orders-dev/${Literal}"),
    ({"Fn::Sub": ["${Name}-x", {"Name": {"Ref": "OrdersTable"}}]}, "shop-orders-dev-x"),
    ({"Fn::Join": ["", ["Hello ${name} from ", {"Ref": "AWS::Region"}]]}, "Hello ${name} from eu-west-1"),
    ({"Fn::Select": [1, {"Fn::Split": ["-", {"Ref": "OrdersTable"}]}]}, "orders"),
])
def test_expressions_resolve_to_the_deployed_values(value: object, expected: str) -> None:
    assert resolve(value, STACK, "TABLE") == expected


def test_a_name_the_stack_does_not_hold_says_to_deploy_again() -> None:
    with pytest.raises(AwsError, match="refers to NewTable, which stack shop-dev in eu-west-1 does not hold: the "
                                       "deployed stack is older than the spec; deploy again"):
        resolve({"Ref": "NewTable"}, STACK, "function x's environment (TABLE_NEW)")


def test_an_attribute_that_cannot_be_built_is_named() -> None:
    with pytest.raises(AwsError, match=r"reads Service.Name \(AWS::ECS::Service\), which specc cannot work out"):
        resolve({"Fn::GetAtt": ["Service", "Name"]}, STACK, "X")
    with pytest.raises(AwsError, match="uses Fn::If, which specc cannot resolve outside CloudFormation"):
        resolve({"Fn::If": ["C", "a", "b"]}, STACK, "X")
