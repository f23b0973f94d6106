"""Whether a stack's resource still exists, asked of its own service (not of CloudFormation).

`specc status` uses it where CloudFormation drift detection is not available (a local emulator): a table
deleted behind the stack's back is still CREATE_COMPLETE in the stack, but DynamoDB no longer has it. One
entry per resource type: the call that reads the resource by its physical ID, and the error codes that
mean "not there". A type without an entry is reported as not checked, never as present.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from specc.aws.session import explained

if TYPE_CHECKING:
    from specc.aws.session import Aws


@dataclass(frozen=True)
class Check:
    service: str
    read: Callable[[Any, str], Any]  # (client, physical ID) → the answer (raises when the resource is gone)
    gone: frozenset[str]  # error codes that mean the resource does not exist
    present: Callable[[Any, str], bool] = lambda answer, physical: True  # for reads that list rather than fail


def _check(service: str, read: Callable[[Any, str], Any], *gone: str,
           present: Callable[[Any, str], bool] = lambda answer, physical: True) -> Check:
    return Check(service, read, frozenset(gone), present)


def _alias(client: Any, arn: str) -> Any:
    function, name = arn.split(":")[-2:]
    return client.get_alias(FunctionName=function, Name=name)


def _log_group_listed(answer: Any, name: str) -> bool:
    return any(group.get("logGroupName") == name for group in answer.get("logGroups", []))


def _key_usable(answer: Any, physical: str) -> bool:
    return answer["KeyMetadata"].get("KeyState") not in ("PendingDeletion", "PendingReplicaDeletion")


def _stack_live(answer: Any, physical: str) -> bool:
    return bool(answer["Stacks"]) and answer["Stacks"][0]["StackStatus"] != "DELETE_COMPLETE"


NOT_FOUND = "ResourceNotFoundException"
CHECKS: dict[str, Check] = {
    "AWS::DynamoDB::Table": _check("dynamodb", lambda c, name: c.describe_table(TableName=name), NOT_FOUND),
    "AWS::Lambda::Function": _check("lambda", lambda c, name: c.get_function(FunctionName=name), NOT_FOUND),
    "AWS::Lambda::Alias": _check("lambda", _alias, NOT_FOUND),
    "AWS::KMS::Alias": _check("kms", lambda c, alias: c.describe_key(KeyId=alias), "NotFoundException"),
    "AWS::Lambda::Version": _check("lambda", lambda c, arn: c.get_function(FunctionName=arn), NOT_FOUND),
    "AWS::KMS::Key": _check("kms", lambda c, key: c.describe_key(KeyId=key), "NotFoundException",
                            present=_key_usable),
    "AWS::SQS::Queue": _check("sqs", lambda c, url: c.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]),
                              "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"),
    "AWS::SNS::Topic": _check("sns", lambda c, arn: c.get_topic_attributes(TopicArn=arn), "NotFound",
                              "NotFoundException"),
    "AWS::S3::Bucket": _check("s3", lambda c, name: c.head_bucket(Bucket=name), "404", "NoSuchBucket", "NotFound"),
    "AWS::IAM::Role": _check("iam", lambda c, name: c.get_role(RoleName=name), "NoSuchEntity"),
    "AWS::Logs::LogGroup": _check("logs", lambda c, name: c.describe_log_groups(logGroupNamePrefix=name),
                                  NOT_FOUND, present=_log_group_listed),
    "AWS::StepFunctions::StateMachine": _check(
        "stepfunctions", lambda c, arn: c.describe_state_machine(stateMachineArn=arn), "StateMachineDoesNotExist"),
    "AWS::ApiGateway::RestApi": _check("apigateway", lambda c, api: c.get_rest_api(restApiId=api),
                                       "NotFoundException"),
    "AWS::ApiGatewayV2::Api": _check("apigatewayv2", lambda c, api: c.get_api(ApiId=api), "NotFoundException"),
    "AWS::Cognito::UserPool": _check("cognito-idp", lambda c, pool: c.describe_user_pool(UserPoolId=pool),
                                     NOT_FOUND),
    "AWS::SecretsManager::Secret": _check("secretsmanager", lambda c, arn: c.describe_secret(SecretId=arn),
                                          NOT_FOUND),
    "AWS::Events::EventBus": _check("events", lambda c, name: c.describe_event_bus(Name=name), NOT_FOUND),
    "AWS::EC2::VPC": _check("ec2", lambda c, vpc: c.describe_vpcs(VpcIds=[vpc]), "InvalidVpcID.NotFound"),
    "AWS::EC2::Subnet": _check("ec2", lambda c, subnet: c.describe_subnets(SubnetIds=[subnet]),
                               "InvalidSubnetID.NotFound"),
    "AWS::EC2::SecurityGroup": _check("ec2", lambda c, group: c.describe_security_groups(GroupIds=[group]),
                                      "InvalidGroup.NotFound"),
    "AWS::CloudFormation::Stack": _check("cloudformation", lambda c, arn: c.describe_stacks(StackName=arn),
                                         "ValidationError", present=_stack_live),
}


def exists(aws: Aws, region: str, resource_type: str, physical_id: str) -> bool | None:
    """True or False from the resource's own service; None when specc has no check for its type."""
    check = CHECKS.get(resource_type)
    if check is None or not physical_id:
        return None
    with explained(f"reading {resource_type} {physical_id} in {region}"):
        try:
            answer = check.read(aws.client(check.service, region), physical_id)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if error.get("Code") in check.gone or (status == "404" and "404" in check.gone):
                return False
            raise
        return check.present(answer, physical_id)
