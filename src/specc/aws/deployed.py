"""A deployed stack's values (physical IDs, parameters, outputs) and the template expressions they resolve.

`specc invoke` runs a handler with the environment its template gives it: `{"Ref": "OrdersTable"}` there is the
table's physical name here. CloudFormation resolves those expressions only inside AWS, so they are resolved
again from what the stack reports (describe_stacks, describe_stack_resources), for the stack a resource is in:
a nested stack's `Ref` to one of its parameters is the value its parent passed, as the nested stack lists it.
`Fn::GetAtt` is built from the physical ID for the attributes the compiled templates read (ARNs, names, URLs);
an attribute that cannot be built is one clear error rather than a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from specc.aws.session import Aws, AwsError, explained

_SUB = re.compile(r"\$\{([^}]+)\}")


@dataclass
class StackValues:
    """What one deployed stack (or nested stack) says of itself."""

    stack_id: str
    region: str
    account: str
    partition: str
    name: str
    status: str
    parameters: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    physical: dict[str, str] = field(default_factory=dict)  # logical ID -> physical ID
    types: dict[str, str] = field(default_factory=dict)  # logical ID -> resource type
    aws: Aws | None = field(default=None, repr=False)  # the session it was read with (for its nested stacks)


def read(aws: Aws, stack: str, region: str) -> StackValues | None:
    """The stack `stack` (a name or a stack ID) in `region`, or None when there is none."""
    from specc.aws.stacks import describe

    cfn = aws.client("cloudformation", region)
    where = f"stack {stack} in {region}"
    described = describe(cfn, stack, where)
    if described is None or described.get("StackStatus") == "DELETE_COMPLETE":
        return None
    arn = described["StackId"].split(":")
    values = StackValues(aws=aws, stack_id=described["StackId"], region=region, account=arn[4], partition=arn[1],
                         name=described["StackName"], status=described["StackStatus"],
                         parameters={p["ParameterKey"]: p.get("ParameterValue", "")
                                     for p in described.get("Parameters") or []},
                         outputs={o["OutputKey"]: o.get("OutputValue", "") for o in described.get("Outputs") or []})
    with explained(f"listing the resources of {where}"):
        for resource in cfn.describe_stack_resources(StackName=described["StackId"])["StackResources"]:
            logical = resource.get("LogicalResourceId")
            if logical:  # moto lists the resources it does not model without one
                values.physical[logical] = resource.get("PhysicalResourceId", "")
                values.types[logical] = resource.get("ResourceType", "")
    return values


def nested(aws: Aws, parent: StackValues, logical_id: str) -> StackValues:
    """The nested stack `logical_id` of `parent`."""
    stack_id = parent.physical.get(logical_id)
    found = read(aws, stack_id, parent.region) if stack_id else None
    if found is None:
        raise AwsError(f"the nested stack {logical_id} of stack {parent.name} in {parent.region} is not deployed: "
                       "deploy again")
    return found


def resolve(value: Any, stack: StackValues, what: str) -> Any:
    """`value` from a template of `stack`, with every intrinsic function replaced by what the stack holds."""
    if isinstance(value, list):
        return [resolve(item, stack, what) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        return {key: resolve(item, stack, what) for key, item in value.items()}
    (function, argument), = value.items()
    if function == "Ref":
        return _ref(argument, stack, what)
    if function == "Fn::GetAtt":
        target, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
        return _get_att(target, attribute, stack, what)
    if function == "Fn::Sub":
        text, extra = (argument, {}) if isinstance(argument, str) else argument
        names = {key: str(resolve(item, stack, what)) for key, item in extra.items()}
        return _SUB.sub(lambda match: _substitute(match.group(1), names, stack, what), text)
    if function == "Fn::Join":
        separator, items = argument
        return separator.join(str(item) for item in resolve(items, stack, what))
    if function == "Fn::Select":
        index, items = argument
        return resolve(items, stack, what)[int(resolve(index, stack, what))]
    if function == "Fn::Split":
        separator, text = argument
        return str(resolve(text, stack, what)).split(separator)
    if function.startswith("Fn::") or function == "Condition":
        raise AwsError(f"{what} uses {function}, which specc cannot resolve outside CloudFormation")
    return {function: resolve(argument, stack, what)}


def _substitute(name: str, names: dict[str, str], stack: StackValues, what: str) -> str:
    if name.startswith("!"):
        return "${" + name[1:] + "}"
    if name in names:
        return names[name]
    if "." in name and not name.startswith("AWS::"):
        target, attribute = name.split(".", 1)
        return str(_get_att(target, attribute, stack, what))
    return str(_ref(name, stack, what))


def _ref(name: str, stack: StackValues, what: str) -> str:
    pseudo = {"AWS::Region": stack.region, "AWS::AccountId": stack.account, "AWS::Partition": stack.partition,
              "AWS::StackName": stack.name, "AWS::StackId": stack.stack_id,
              "AWS::URLSuffix": "amazonaws.com.cn" if stack.region.startswith("cn-") else "amazonaws.com"}
    if name in pseudo:
        return pseudo[name]
    if name in stack.parameters:
        return stack.parameters[name]
    if name in stack.physical:
        return stack.physical[name]
    raise AwsError(f"{what} refers to {name}, which stack {stack.name} in {stack.region} does not hold: the deployed "
                   "stack is older than the spec; deploy again")


def _get_att(target: str, attribute: str, stack: StackValues, what: str) -> str:
    physical = _ref(target, stack, what)
    kind = stack.types.get(target, "")
    arn = f"arn:{stack.partition}:{{}}:{stack.region}:{stack.account}:{{}}"
    built: dict[tuple[str, str], str] = {
        ("AWS::DynamoDB::Table", "Arn"): arn.format("dynamodb", f"table/{physical}"),
        ("AWS::KMS::Key", "Arn"): arn.format("kms", f"key/{physical}"),
        ("AWS::KMS::Key", "KeyId"): physical,
        ("AWS::SQS::Queue", "Arn"): arn.format("sqs", physical.rstrip("/").rsplit("/", 1)[-1]),
        ("AWS::SQS::Queue", "QueueName"): physical.rstrip("/").rsplit("/", 1)[-1],
        ("AWS::SQS::Queue", "QueueUrl"): physical,
        ("AWS::SNS::Topic", "TopicArn"): physical,
        ("AWS::SNS::Topic", "TopicName"): physical.rsplit(":", 1)[-1],
        ("AWS::Lambda::Function", "Arn"): arn.format("lambda", f"function:{physical}"),
        ("AWS::S3::Bucket", "Arn"): f"arn:{stack.partition}:s3:::{physical}",
        ("AWS::S3::Bucket", "DomainName"): f"{physical}.s3.amazonaws.com",
        ("AWS::S3::Bucket", "RegionalDomainName"): f"{physical}.s3.{stack.region}.amazonaws.com",
        ("AWS::StepFunctions::StateMachine", "Arn"): physical,
        ("AWS::StepFunctions::StateMachine", "Name"): physical.rsplit(":", 1)[-1],
        ("AWS::SecretsManager::Secret", "Id"): physical,
        ("AWS::Logs::LogGroup", "Arn"): arn.format("logs", f"log-group:{physical}:*"),
        ("AWS::Cognito::UserPool", "Arn"): arn.format("cognito-idp", f"userpool/{physical}"),
        ("AWS::Cognito::UserPool", "UserPoolId"): physical,
        ("AWS::IAM::Role", "Arn"): f"arn:{stack.partition}:iam::{stack.account}:role/{physical}",
        ("AWS::Kinesis::Stream", "Arn"): arn.format("kinesis", f"stream/{physical}"),
        ("AWS::Events::EventBus", "Arn"): arn.format("events", f"event-bus/{physical}"),
        ("AWS::Events::EventBus", "Name"): physical,
    }
    if (kind, attribute) in built:
        return built[(kind, attribute)]
    if kind == "AWS::CloudFormation::Stack" and attribute.startswith("Outputs."):
        return _nested_output(stack, physical, attribute.split(".", 1)[1], what)
    raise AwsError(f"{what} reads {target}.{attribute} ({kind or 'unknown type'}), which specc cannot work out from "
                   "the deployed stack")


def _nested_output(stack: StackValues, stack_id: str, output: str, what: str) -> str:
    """An output of a nested stack, as its parent reads it (a split service wires values through them)."""
    inner = read(stack.aws, stack_id, stack.region) if stack.aws else None
    if inner is None or output not in inner.outputs:
        raise AwsError(f"{what} reads output {output} of a nested stack of {stack.name}, which it does not hold: "
                       "deploy again")
    return inner.outputs[output]
