"""The local AWS stand-in: moto server on 127.0.0.1, with small documented patches for moto 5.2.5 bugs.

One module for everyone who needs the emulator: `scripts/run-local.sh` (through run_local.py) and the
deploy tests' fixture (tests/deploy/conftest.py) both call `start()`, which runs this file as a child
process (`python scripts/moto_server.py --port N`) and returns its PID, port and endpoint.

We deploy the SAME templates users deploy to AWS, so where moto mishandles a valid template the fix goes
here, into the process that runs moto, never into the template. Each patch names the moto function it
wraps and the bug; tests/deploy/test_moto_patches.py shows each bug on an unpatched server, so we notice
(the test fails) when a moto release fixes it and the patch can go.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
STARTUP_SECONDS = 30.0


@dataclass(frozen=True)
class Patch:
    target: str  # the moto function replaced
    bug: str  # what goes wrong without the patch


PATCHES = (
    Patch("moto.kms.models.Key.create_from_cloudformation_json",
          "AWS::KMS::Key `Tags` arrive in CloudFormation's {Key, Value} form but moto's tagger reads {TagKey, "
          "TagValue}: KeyError 'TagKey', the stack request fails with HTTP 500."),
    Patch("moto.kms.models.Key.create_from_cloudformation_json",
          "AWS::KMS::Key `KeyPolicy` given as a JSON object (what CloudFormation documents) is stored as a dict; "
          "every later DescribeKey/Encrypt evaluates it with json.loads and fails with HTTP 500."),
    Patch("moto.cloudformation.parsing.get_model_map (AWS::Lambda::Alias)",
          "moto has no CloudFormation model for AWS::Lambda::Alias: the alias is silently skipped, a `Ref` to it "
          "resolves to nothing, and the AWS::Lambda::Permission naming it fails the request (KeyError "
          "'FunctionName', HTTP 500). The patch creates the alias through moto's own Lambda backend."),
    Patch("moto.awslambda.models.LambdaVersion.get_cfn_attribute",
          "AWS::Lambda::Version has no get_cfn_attribute: `Fn::GetAtt [Version, Version]` (how an alias names the "
          "version it points to) fails with AttributeError, HTTP 500."),
    Patch("moto.cloudformation.models.CloudFormationBackend.execute_change_set",
          "executing a change set applies the resources but never re-reads the template's Outputs, Description or "
          "Parameters: a stack created through a change set has no Outputs in DescribeStacks, and one updated "
          "through a change set keeps the old ones."),
    Patch("moto.cloudformation.responses.CloudFormationResponse._validate_different_update",
          "CreateChangeSet of an unchanged template that has parameters is refused outright (ValidationError \"No "
          "updates are to be performed.\"); AWS creates the change set and fails it with \"The submitted "
          "information didn't contain changes\", which is what `aws cloudformation deploy "
          "--no-fail-on-empty-changeset` recognises: without the patch it exits 255."),
    Patch("moto.cloudformation.parsing.ResourceMap.build_resource_diff",
          "resources a change set (or an update) adds are created in template order, ignoring DependsOn (stack "
          "creation honours it): an AWS::ApiGateway::Deployment that DependsOn its methods is created before "
          "them and fails with \"The REST API doesn't contain any methods\"."),
    Patch("moto.cloudformation.models.StackInstance.__init__, StackSet.create_stack_instances",
          "when one stack instance's stack fails to create, moto fails the whole CreateStackInstances request "
          "(HTTP 500) and records nothing; AWS records that instance as FAILED with the reason (StatusReason, "
          "StackInstanceStatus.DetailedStatus), marks the operation FAILED and leaves the other instances as they "
          "are."),
    Patch("moto.cloudformation.models.Stack.get_cfn_attribute",
          "AWS::CloudFormation::Stack has no get_cfn_attribute: `Fn::GetAtt [NestedStack, Outputs.Name]` (how a "
          "parent reads a nested stack's outputs, and how split services pass values between stacks) fails with "
          "AttributeError, HTTP 500."),
    Patch("moto.cloudformation.parsing.get_model_map (AWS::ApiGatewayV2::*, AWS::Cognito::UserPool*)",
          "moto has no CloudFormation model for HTTP APIs (AWS::ApiGatewayV2::Api, Authorizer, Integration, Route, "
          "Stage) nor for Cognito user pools and their clients: the stack completes without them, `Ref`s to them "
          "resolve to nothing and `Fn::GetAtt [Pool, Arn]` fails the stack. The patch creates them through moto's "
          "own apigatewayv2 and cognito-idp backends (domains and API mappings stay skipped)."),
    Patch("moto.apigateway.models.Method.create_from_cloudformation_json",
          "a method whose Integration has no IntegrationHttpMethod or Uri (a MOCK integration, as a CORS preflight "
          "is) fails with KeyError, HTTP 500; and a method's AuthorizerId and AuthorizationScopes are dropped."),
    Patch("moto.cloudformation.parsing.get_model_map (AWS::ApiGateway::Authorizer)",
          "moto has no CloudFormation model for REST API authorizers: the authorizer is silently skipped and a "
          "method's `Ref` to it resolves to nothing. The patch creates it through moto's apigateway backend."),
    Patch("moto.cloudformation.models.StackSet.update",
          "UpdateStackSet stores the new template but never updates the existing instances' stacks (AWS updates "
          "every instance, or the accounts and regions given)."),
    Patch("moto.cloudformation.responses.CloudFormationResponse.update_termination_protection, "
          "CloudFormationBackend.delete_stack",
          "UpdateTerminationProtection is not implemented (HTTP 500 \"has not been implemented\"): a stack created "
          "through a change set (which takes no EnableTerminationProtection) can never be protected; and DeleteStack "
          "deletes a protected stack, where AWS refuses with a ValidationError."),
    Patch("moto.cloudformation.parsing.ResourceMap._delete_resource",
          "an update that removes a resource deletes it even with DeletionPolicy Retain (stack deletion honours "
          "Retain; updates do not): a table removed from the template loses its data, and a table with deletion "
          "protection fails the update with HTTP 500. AWS leaves a retained resource in the account."),
    Patch("moto.ssm.models.Parameter.create_from_cloudformation_json",
          "AWS::SSM::Parameter `Tags` are a map in CloudFormation ({Owner: ops}); moto hands the map to "
          "PutParameter, which reads a list of {Key, Value}: the stack request fails with HTTP 500. (specc tags "
          "every raw resource whose type takes tags.)"),
    Patch("moto.awslambda.models.LayerVersion.physical_resource_id, LayerVersion.create_from_cloudformation_json, "
          "LambdaFunction.create_from_cloudformation_json",
          "an AWS::Lambda::LayerVersion has no physical ID, so its `Ref` (the version's ARN) resolves to the "
          "Python object's repr (`<moto.awslambda.models.LayerVersion object at 0x...>`), and it drops LayerName "
          "and CompatibleArchitectures; an AWS::Lambda::Function created from a template drops "
          "its `Layers` (updates keep them): the function runs without its layers."),
    Patch("moto.cloudformation.parsing.get_model_map (AWS::CloudFront::{Distribution,OriginAccessControl})",
          "moto has CloudFront's API but no CloudFormation model: a template's distribution is never created and a "
          "GetAtt on it (its DomainName) or its origin access control (Id) fails the stack with HTTP 500."),
    Patch("moto.cloudformation.parsing.parse_and_update_resource",
          "an update that changes a resource whose model has no update_from_cloudformation_json (KMS keys, DynamoDB "
          "tables, log groups, REST APIs and their resources, methods and deployments, Lambda permissions and "
          "versions, EC2 networking) drops it from the stack: the resource stays in its service with its old "
          "properties, the stack no longer lists it, and a later `Fn::GetAtt` to it fails the update (HTTP 500). "
          "Adding a function changes the data key's policy, so every such update failed. The patch keeps the "
          "resource and applies the new properties through moto's backends (in place for keys, tables and log "
          "groups; as a new resource for permissions, versions, methods and deployments, as AWS replaces them)."),
    Patch("moto.sns.models.Topic.update_from_cloudformation_json",
          "every change to a topic (its key, its display name) deletes the topic and creates it again: its "
          "subscriptions are gone and its attributes reset. AWS updates a topic whose TopicName is unchanged in "
          "place."),
    Patch("moto.sqs.models.Queue.update_from_cloudformation_json",
          "an update applies only a queue's VisibilityTimeout and ReceiveMessageWaitTimeSeconds: a changed "
          "retention period, delay, maximum size, key or dead-letter queue (RedrivePolicy) is silently ignored "
          "while the stack reports UPDATE_COMPLETE. AWS updates them in place."),
    Patch("moto.cloudformation.models.StackInstance.to_dict",
          "ListStackInstances and DescribeStackInstance report a StackId made up anew on every call (a random ID, "
          "not the instance's stack): the instance's stack cannot be found by it (DescribeStacks, "
          "ListStackResources answer ValidationError \"Stack ... does not exist\"). AWS reports the ID of the "
          "stack the instance deployed."),
    Patch("moto.cloudformation.models.Stack.update_from_cloudformation_json (AWS::CloudFormation::Stack)",
          "an update that changes a nested stack deletes that stack and creates it again: every resource in it is "
          "deleted and recreated (a table loses its data) and fails on names still taken. AWS updates the nested "
          "stack in place."),
    Patch("moto.events.models.EventBus.create_from_cloudformation_json, EventBus.physical_resource_id",
          "an AWS::Events::EventBus created from a template drops its `Description` and `Tags` (CreateEventBus "
          "takes both): DescribeEventBus shows no description and ListTagsForResource no tags, so the service's "
          "required tags are missing on the bus; and it has no physical ID (AWS's is the bus's name), so the "
          "stack lists it with an empty PhysicalResourceId and `specc status` cannot read it back."),
)


def apply_patches() -> None:
    """Install every patch in PATCHES into this process's moto."""
    from moto.kms.models import Key

    original: Callable[..., Any] = Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_key_from_cloudformation(cls: type, resource_name: str, cloudformation_json: Any,
                                       account_id: str, region_name: str, **kwargs: Any) -> Any:
        properties = dict(cloudformation_json.get("Properties") or {})
        if isinstance(properties.get("KeyPolicy"), dict):
            properties["KeyPolicy"] = json.dumps(properties["KeyPolicy"])
        properties["Tags"] = [{"TagKey": tag["Key"], "TagValue": tag["Value"]} if "Key" in tag else tag
                              for tag in properties.get("Tags") or []]
        return original(cls, resource_name, {**cloudformation_json, "Properties": properties}, account_id,
                        region_name, **kwargs)

    Key.create_from_cloudformation_json = classmethod(create_key_from_cloudformation)  # type: ignore[method-assign]
    _register_lambda_alias()
    _lambda_version_attributes()
    _change_set_outputs()
    _empty_change_sets()
    _added_resources_in_dependency_order()
    _stack_instance_failures()
    _stack_set_updates()
    _nested_stack_outputs()
    _termination_protection()
    _retain_on_update()
    _register_http_apis_and_user_pools()
    _rest_methods_and_authorizers()
    _ssm_parameter_tags()
    _lambda_layers()
    _register_cloudfront()
    _updates_without_an_update_path()
    _stack_instance_ids()
    _topics_update_in_place()
    _queue_updates()
    _nested_stack_updates_in_place()
    _event_bus_description_and_tags()


def _event_bus_description_and_tags() -> None:
    from moto.events.models import EventBus, events_backends

    def create(cls: type, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str,
               **kwargs: Any) -> Any:
        properties = cloudformation_json.get("Properties") or {}
        return events_backends[account_id][region_name].create_event_bus(
            name=resource_name, event_source_name=properties.get("EventSourceName"),
            description=properties.get("Description"), tags=properties.get("Tags"))

    EventBus.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign]
    EventBus.physical_resource_id = property(lambda self: self.name)  # type: ignore[attr-defined]


def _ssm_parameter_tags() -> None:
    from moto.ssm.models import Parameter

    original: Callable[..., Any] = Parameter.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create(cls: type, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str,
               **kwargs: Any) -> Any:
        properties = dict(cloudformation_json.get("Properties") or {})
        if isinstance(properties.get("Tags"), dict):
            properties["Tags"] = [{"Key": key, "Value": value} for key, value in properties["Tags"].items()]
        return original(cls, resource_name, {**cloudformation_json, "Properties": properties}, account_id,
                        region_name, **kwargs)

    Parameter.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign]


def _lambda_layers() -> None:
    """Layer versions named as the template names them, their `Ref` the version's ARN, and functions created with
    the layers their template lists."""
    from moto.awslambda.models import LambdaFunction, LayerVersion

    create_layer: Callable[..., Any] = LayerVersion.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    create_function: Callable[..., Any] = LambdaFunction.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def layer_from_cloudformation(cls: type, /, resource_name: str, cloudformation_json: Any, account_id: str,
                                  region_name: str, **kwargs: Any) -> Any:
        properties = cloudformation_json.get("Properties") or {}
        layer = create_layer(cls, properties.get("LayerName") or resource_name, cloudformation_json, account_id,
                             region_name, **kwargs)
        layer.compatible_architectures = properties.get("CompatibleArchitectures", [])
        return layer

    def function_from_cloudformation(cls: type, /, resource_name: str, cloudformation_json: Any, account_id: str,
                                     region_name: str, **kwargs: Any) -> Any:
        function = create_function(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        layers = (cloudformation_json.get("Properties") or {}).get("Layers")
        if layers:
            function.layers = function._get_layers_data(layers)
        return function

    patched: dict[str, Any] = {"layer": classmethod(layer_from_cloudformation),
                               "function": classmethod(function_from_cloudformation)}
    LayerVersion.create_from_cloudformation_json = patched["layer"]  # type: ignore[method-assign]
    LayerVersion.physical_resource_id = property(lambda self: self.arn)  # type: ignore[attr-defined]
    LambdaFunction.create_from_cloudformation_json = patched["function"]  # type: ignore[method-assign]


def _update_key(key: Any, props: dict[str, Any], account: str, region: str) -> Any:
    from moto.kms.models import kms_backends

    backend = kms_backends[account][region]
    policy = props.get("KeyPolicy")
    if policy is not None:
        backend.put_key_policy(key.id, policy if isinstance(policy, str) else json.dumps(policy))
    backend.update_key_description(key.id, props.get("Description", ""))
    if props.get("EnableKeyRotation"):
        backend.enable_key_rotation(key.id)
    else:
        backend.disable_key_rotation(key.id)
    if props.get("Tags"):
        backend.tag_resource(key.arn, {tag["Key"]: tag["Value"] for tag in props["Tags"]})
    return key


def _update_table(table: Any, props: dict[str, Any], account: str, region: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[account][region]
    old = {index.name: index for index in table.global_indexes}
    new = {index["IndexName"]: index for index in props.get("GlobalSecondaryIndexes") or []}
    changes = [{"Delete": {"IndexName": name}} for name in old if name not in new]
    changes += [{"Create": index} for name, index in new.items() if name not in old]
    stream = props.get("StreamSpecification")
    wanted_stream = {"StreamEnabled": True, **stream} if stream else {"StreamEnabled": False}
    current_stream = table.stream_specification or {}
    same_stream = bool(current_stream.get("StreamEnabled")) == wanted_stream["StreamEnabled"] and (
        not stream or current_stream.get("StreamViewType") == stream.get("StreamViewType"))
    if changes:
        backend.update_table(name=table.name, attr_definitions=props.get("AttributeDefinitions") or [],
                             global_index=changes, throughput=props.get("ProvisionedThroughput") or {},
                             billing_mode="", stream_spec={}, deletion_protection_enabled=None,
                             warm_throughput=None)
    if not same_stream:
        if current_stream.get("StreamEnabled"):  # AWS: a stream's view type changes by turning it off and on
            table.set_stream_specification({"StreamEnabled": False})
        table.set_stream_specification(wanted_stream)
    if "DeletionProtectionEnabled" in props:
        table.deletion_protection_enabled = bool(props["DeletionProtectionEnabled"])
    return table


def _update_log_group(group: Any, props: dict[str, Any], account: str, region: str) -> Any:
    from moto.logs.models import logs_backends

    backend = logs_backends[account][region]
    if props.get("RetentionInDays"):
        backend.put_retention_policy(group.name, props["RetentionInDays"])
    else:
        backend.delete_retention_policy(group.name)
    return group


# Types AWS updates in place and moto cannot: the new properties, applied through moto's backend.
IN_PLACE_UPDATES: dict[str, Callable[[Any, dict[str, Any], str, str], Any]] = {
    "AWS::KMS::Key": _update_key, "AWS::DynamoDB::Table": _update_table, "AWS::Logs::LogGroup": _update_log_group}
# Types AWS replaces on any property change: a new one through moto's own model. The old permission is removed;
# an old version or deployment stays (AWS deletes it in cleanup; on the emulator it is only an unused leftover).
RECREATED = ("AWS::Lambda::Permission", "AWS::Lambda::Version", "AWS::ApiGateway::Method",
             "AWS::ApiGateway::Deployment")


def _updates_without_an_update_path() -> None:
    """Resources whose moto model cannot update stay in the stack, with their new properties where we can set them
    (IN_PLACE_UPDATES, RECREATED); any other such type is kept as it was (still listed, GetAtt still works)."""
    from moto.cloudformation import parsing

    original = parsing.parse_and_update_resource

    def parse_and_update_resource(logical_id: str, resource_json: dict[str, Any], resources_map: Any,
                                  account_id: str, region_name: str) -> Any:
        updated = original(logical_id, resource_json, resources_map, account_id, region_name)
        if updated is not None:
            return updated
        kept = resources_map._parsed_resources.get(logical_id)
        parsed = parsing.parse_resource_and_generate_name(logical_id, resource_json, resources_map)
        if kept is None or not parsed:
            return kept
        resource_class, resolved, new_name = parsed
        kind = resource_json["Type"]
        if kind in IN_PLACE_UPDATES:
            return IN_PLACE_UPDATES[kind](kept, resolved.get("Properties") or {}, account_id, region_name)
        if kind in RECREATED:
            if kind == "AWS::Lambda::Permission":
                with contextlib.suppress(Exception):  # already gone is fine
                    resources_map._delete_resource(kept, resources_map._resource_json_map.get(logical_id, {}))
            created = resource_class.create_from_cloudformation_json(new_name, resolved, account_id, region_name)
            created.cf_resource_type, created.logical_resource_id = kind, logical_id
            return created
        return kept

    parsing.parse_and_update_resource = parse_and_update_resource


def _topics_update_in_place() -> None:
    """A topic keeping its name is updated in place: new attributes set, new subscriptions added, none lost."""
    from moto.core.utils import camelcase_to_underscores
    from moto.sns.models import Topic, sns_backends

    original = Topic.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def update_from_cloudformation_json(cls: type, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        if new_resource_name != original_resource.name:  # a new TopicName: AWS replaces the topic too
            return original(cls, original_resource, new_resource_name, cloudformation_json, account_id,
                            region_name)
        properties = cloudformation_json.get("Properties") or {}
        for name, value in properties.items():
            if name not in ("TopicName", "Subscription", "Tags"):
                setattr(original_resource, camelcase_to_underscores(name), value)
        backend = sns_backends[account_id][region_name]
        existing = {(s.endpoint, s.protocol) for s in backend.subscriptions.values() if s.topic is original_resource}
        for subscription in properties.get("Subscription") or []:
            if (subscription["Endpoint"], subscription["Protocol"]) not in existing:
                backend.subscribe(original_resource.arn, subscription["Endpoint"], subscription["Protocol"])
        return original_resource

    Topic.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)  # type: ignore[assignment]


def _queue_updates() -> None:
    """Every attribute property of a changed queue is applied (its policy, set by a QueuePolicy, is kept)."""
    from moto.sqs.models import Queue

    original = Queue.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def update_from_cloudformation_json(cls: type, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        queue = original(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
        properties = cloudformation_json.get("Properties") or {}
        attributes = {key: value for key, value in properties.items() if key not in ("QueueName", "Tags", "FifoQueue")}
        policy = queue._policy_json
        queue._set_attributes(attributes)
        queue._policy_json = policy
        return queue

    Queue.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)  # type: ignore[assignment]


def _stack_instance_ids() -> None:
    """A stack instance reports the ID of the stack it deployed (in its own account and region)."""
    from moto.cloudformation.models import StackInstance

    original = StackInstance.to_dict

    def to_dict(self: Any) -> dict[str, Any]:
        summary = original(self)
        if getattr(self, "stack", None) is not None:
            summary["StackId"] = self.stack.stack_id
        return summary

    StackInstance.to_dict = to_dict  # type: ignore[method-assign]


def _nested_stack_updates_in_place() -> None:
    """A changed AWS::CloudFormation::Stack updates the nested stack (its new template and parameters) in place."""
    from moto.cloudformation.models import Stack
    from moto.cloudformation.utils import get_stack_from_s3_url
    from moto.utilities.utils import get_partition

    def update_from_cloudformation_json(cls: type, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        properties = cloudformation_json["Properties"]
        template = get_stack_from_s3_url(properties["TemplateURL"], account_id=account_id,
                                         partition=get_partition(region_name))
        original_resource.update(template, parameters=dict(properties.get("Parameters") or {}))
        return original_resource

    Stack.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)  # type: ignore[assignment]


def _retain_on_update() -> None:
    """Resources an update removes keep existing when their DeletionPolicy is Retain (they only leave the stack)."""
    from moto.cloudformation.parsing import ResourceMap

    original = ResourceMap._delete_resource

    def delete_resource(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
        if resource_json.get("DeletionPolicy") == "Retain":
            return
        original(self, parsed_resource, resource_json)

    ResourceMap._delete_resource = delete_resource  # type: ignore[method-assign]


def _termination_protection() -> None:
    """UpdateTerminationProtection sets the flag DescribeStacks already reports; DeleteStack honours it."""
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import CloudFormationBackend
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import ActionResult

    def update_termination_protection(self: Any) -> Any:
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        if getattr(stack, "parent_stack_id", None):  # AWS: set on the root stack only
            raise ValidationError(message="Termination protection cannot be set on a nested stack")
        stack.enable_termination_protection = self._get_param("EnableTerminationProtection") in (True, "true")
        return ActionResult({"StackId": stack.stack_id})

    original_delete = CloudFormationBackend.delete_stack

    def delete_stack(self: Any, name_or_stack_id: str) -> None:
        for stack in list(self.stacks.values()):
            if name_or_stack_id in (stack.stack_id, stack.name) and stack.enable_termination_protection:
                raise ValidationError(message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection "
                                              "is enabled")
        original_delete(self, name_or_stack_id)

    CloudFormationResponse.update_termination_protection = update_termination_protection  # type: ignore[attr-defined]
    CloudFormationBackend.delete_stack = delete_stack  # type: ignore[method-assign]


def _empty_change_sets() -> None:
    """An unchanged CreateChangeSet yields a FAILED change set (moto's backend already does that) instead of an
    error; UpdateStack keeps refusing an unchanged template, as AWS does."""
    from moto.cloudformation.responses import CloudFormationResponse

    original = CloudFormationResponse._validate_different_update

    def validate_different_update(self: Any, incoming_params: Any, stack_body: str, old_stack: Any) -> None:
        if self._get_action() == "CreateChangeSet":
            return
        original(self, incoming_params, stack_body, old_stack)

    CloudFormationResponse._validate_different_update = validate_different_update  # type: ignore[method-assign]


def _added_resources_in_dependency_order() -> None:
    """Resources added by an update are created after the resources they DependsOn, as at stack creation."""
    from moto.cloudformation.parsing import ResourceMap

    original = ResourceMap.build_resource_diff

    def build_resource_diff(self: Any, other_template: dict[str, Any], parameters: Any = None) -> dict[str, Any]:
        diff = original(self, other_template, parameters)
        order = _dependency_order(other_template.get("Resources") or {})
        diff["Add"] = sorted(diff["Add"], key=order.index)
        return diff

    ResourceMap.build_resource_diff = build_resource_diff  # type: ignore[method-assign]


def _dependency_order(resources: dict[str, Any]) -> list[str]:
    """Logical IDs with every DependsOn target before its dependents, otherwise in template order."""
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in ordered or name in path or name not in resources:
            return
        depends = resources[name].get("DependsOn") or []
        for dependency in [depends] if isinstance(depends, str) else depends:
            visit(dependency, path + (name,))
        ordered.append(name)

    for name in resources:
        visit(name, ())
    return ordered


def _failure(exc: BaseException) -> str:
    return str(getattr(exc, "message", "") or exc) or type(exc).__name__


def _stack_instance_failures() -> None:
    """A stack instance whose stack fails is recorded FAILED with its reason; the operation is FAILED."""
    from moto.cloudformation.models import StackInstance, StackSet

    original_init = StackInstance.__init__
    original_to_dict = StackInstance.to_dict
    original_create = StackSet.create_stack_instances

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        self.failure = None
        try:
            original_init(self, *args, **kwargs)
        except Exception as exc:  # AWS reports it on the instance; the other instances go on
            self.failure = _failure(exc)
            self.stack = None

    def to_dict(self: Any) -> dict[str, Any]:
        summary = original_to_dict(self)
        if self.failure:
            summary.update(Status="OUTDATED", StatusReason=self.failure,
                           StackInstanceStatus={"DetailedStatus": "FAILED"})
        return summary

    def create_stack_instances(self: Any, *args: Any, **kwargs: Any) -> str:
        before = {id(instance) for instance in self.stack_instances}
        operation_id = original_create(self, *args, **kwargs)
        if any(instance.failure for instance in self.stack_instances if id(instance) not in before):
            self.update_operation(operation_id, "FAILED")
        return operation_id

    StackInstance.__init__ = init  # type: ignore[method-assign]
    StackInstance.to_dict = to_dict  # type: ignore[method-assign]
    StackSet.create_stack_instances = create_stack_instances  # type: ignore[method-assign]


def _stack_set_updates() -> None:
    """UpdateStackSet updates the stacks of the instances it targets (all of them unless told otherwise)."""
    from moto.cloudformation.models import StackSet

    original_update = StackSet.update

    def update(self: Any, template: str, description: str, parameters: Any, tags: Any, admin_role: str,
               execution_role: str, accounts: list[str], regions: list[str], operation_id: str) -> dict[str, Any]:
        changed = bool(template) and template != self.template
        operation = original_update(self, template, description, parameters, tags, admin_role, execution_role,
                                    accounts, regions, operation_id)
        if not changed:
            return operation
        for instance in self.stack_instances:
            if instance.stack is None or (accounts and instance.account_id not in accounts) \
                    or (regions and instance.region_name not in regions):
                continue
            try:
                instance.stack.update(template=self.template, parameters=dict(self.parameters or {}))
                instance.template, instance.failure = self.template, None
            except Exception as exc:
                instance.failure = _failure(exc)
                operation["Status"] = "FAILED"
        return operation

    StackSet.update = update  # type: ignore[method-assign]


def _change_set_outputs() -> None:
    """After a change set runs, the stack reads its new template's Outputs, Description and Parameters."""
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.execute_change_set

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        original(self, change_set_name, stack_name)
        change_set = self.describe_change_set(change_set_name)
        stack = self.stacks[change_set.stack_id]
        stack._parse_template()
        stack.description = stack.template_dict.get("Description")
        # what later change sets compare with: every parameter's value, defaults included (as UsePreviousValue sees)
        stack.parameters = dict(stack.resource_map.resolved_parameters)
        stack.output_map = stack._create_output_map()

    CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]


def _lambda_version_attributes() -> None:
    """GetAtt Version (the published version number) on AWS::Lambda::Version."""
    from moto.awslambda.models import LambdaVersion
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

    def get_cfn_attribute(self: Any, attribute_name: str) -> str:
        if attribute_name == "Version":
            return str(self.version)
        raise UnformattedGetAttTemplateException()

    LambdaVersion.get_cfn_attribute = get_cfn_attribute  # type: ignore[attr-defined]
    LambdaVersion.has_cfn_attr = classmethod(lambda cls, attr: attr == "Version")  # type: ignore[method-assign]


def _nested_stack_outputs() -> None:
    """GetAtt Outputs.<name> on a nested stack: the value of that output of the nested stack."""
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
    from moto.cloudformation.models import Stack

    def get_cfn_attribute(self: Any, attribute_name: str) -> Any:
        if attribute_name.startswith("Outputs."):
            output = self.output_map[attribute_name.split(".", 1)[1]]
            if output is not None:
                return output.value
        raise UnformattedGetAttTemplateException()

    Stack.get_cfn_attribute = get_cfn_attribute  # type: ignore[attr-defined]


def _register_lambda_alias() -> None:
    """AWS::Lambda::Alias through moto's Lambda backend (Ref: the alias ARN; GetAtt AliasArn)."""
    from moto.awslambda.models import lambda_backends
    from moto.cloudformation import parsing
    from moto.core.common_models import CloudFormationModel

    class LambdaAliasResource(CloudFormationModel):
        __module__ = "moto.awslambda.models"  # moto's model registry files classes by their service module

        def __init__(self, arn: str, name: str, function_name: str) -> None:
            self.arn, self.name, self.function_name = arn, name, function_name

        @property
        def physical_resource_id(self) -> str:
            return self.arn

        @staticmethod
        def cloudformation_name_type() -> str:
            return ""

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::Lambda::Alias"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "AliasArn"

        def get_cfn_attribute(self, attribute_name: str) -> str:
            from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

            if attribute_name == "AliasArn":
                return self.arn
            raise UnformattedGetAttTemplateException()

        @classmethod
        def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                            region_name: str, **kwargs: Any) -> LambdaAliasResource:
            properties = cloudformation_json["Properties"]
            function = properties["FunctionName"]
            alias = lambda_backends[account_id][region_name].create_alias(
                name=properties["Name"], function_name=function, function_version=str(properties["FunctionVersion"]),
                description=properties.get("Description", ""), routing_config=properties.get("RoutingConfig"))
            return cls(alias.arn, properties["Name"], function)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                            cloudformation_json: Any, account_id: str,
                                            region_name: str) -> LambdaAliasResource:
            properties = cloudformation_json["Properties"]
            backend = lambda_backends[account_id][region_name]
            alias = backend.update_alias(
                name=properties["Name"], function_name=properties["FunctionName"],
                function_version=str(properties["FunctionVersion"]), description=properties.get("Description"),
                routing_config=properties.get("RoutingConfig"))
            return cls(alias.arn, properties["Name"], properties["FunctionName"])

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                            region_name: str) -> None:
            properties = cloudformation_json["Properties"]
            lambda_backends[account_id][region_name].delete_alias(properties["Name"], properties["FunctionName"])

        def is_created(self) -> bool:
            return True

    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()


_MODELS: list[type] = []


def _camel(value: Any) -> Any:
    """CloudFormation's property names (PascalCase) as the service APIs' JSON spells them (camelCase)."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: _camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_camel(item) for item in value]
    return value


Create = Callable[[dict[str, Any], str, str], tuple[str, dict[str, str]]]
Delete = Callable[[str, str, str], None]


def _creator(create: Create) -> Any:
    return classmethod(lambda cls, resource_name, cloudformation_json, account_id, region_name, **kwargs:
                       cls(*create(cloudformation_json.get("Properties") or {}, account_id, region_name)))


def _cloudformation_model(type_name: str, module: str, create: Create, delete: Delete | None = None) -> None:
    """A CloudFormation model for `type_name` that moto lacks: `create(properties, account, region)` makes the
    resource through moto's own backend and returns its physical ID and its GetAtt attributes; `delete(physical
    ID, account, region)` removes it when its stack is deleted (without one, deleting the stack leaves it)."""
    from moto.cloudformation import parsing
    from moto.core.common_models import CloudFormationModel

    class Resource(CloudFormationModel):
        __module__ = module  # moto's model registry files classes by their service module

        def __init__(self, physical_id: str, attributes: dict[str, str]) -> None:
            self.physical_id, self.attributes = physical_id, attributes

        @property
        def physical_resource_id(self) -> str:
            return self.physical_id

        @staticmethod
        def cloudformation_name_type() -> str:
            return ""

        @staticmethod
        def cloudformation_type() -> str:
            return type_name

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return True

        def get_cfn_attribute(self, attribute_name: str) -> str:
            from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

            if attribute_name in self.attributes:
                return self.attributes[attribute_name]
            raise UnformattedGetAttTemplateException()

        def is_created(self) -> bool:
            return True

        def delete(self, account_id: str, region_name: str) -> None:
            if delete is not None:
                delete(self.physical_id, account_id, region_name)

    Resource.__name__ = Resource.__qualname__ = type_name.replace("::", "")
    Resource.create_from_cloudformation_json = _creator(create)  # type: ignore[method-assign]
    _MODELS.append(Resource)  # moto finds models through __subclasses__, which holds them weakly
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()


def _register_http_apis_and_user_pools() -> None:
    """AWS::ApiGatewayV2::{Api,Authorizer,Integration,Route,Stage} and AWS::Cognito::{UserPool,UserPoolClient}
    through moto's own backends, so a deployed HTTP API or user pool can be read back through its service API."""
    from moto.apigatewayv2.models import apigatewayv2_backends
    from moto.cognitoidp.models import cognitoidp_backends

    def http(account_id: str, region_name: str) -> Any:
        return apigatewayv2_backends[account_id][region_name]

    def api(props: dict[str, Any], account: str, region: str) -> tuple[str, dict[str, str]]:
        created = http(account, region).create_api(
            api_key_selection_expression=props.get("ApiKeySelectionExpression"),
            cors_configuration=_camel(props.get("CorsConfiguration")), description=props.get("Description"),
            disable_schema_validation=props.get("DisableSchemaValidation"),
            disable_execute_api_endpoint=props.get("DisableExecuteApiEndpoint"), name=props["Name"],
            protocol_type=props["ProtocolType"], route_selection_expression=props.get("RouteSelectionExpression"),
            tags=props.get("Tags") or {}, version=props.get("Version"))
        return created.api_id, {"ApiEndpoint": created.api_endpoint, "ApiId": created.api_id}

    def authorizer(props: dict[str, Any], account: str, region: str) -> tuple[str, dict[str, str]]:
        created = http(account, region).create_authorizer(
            api_id=props["ApiId"], auth_creds_arn=props.get("AuthorizerCredentialsArn"),
            auth_payload_format_version=props.get("AuthorizerPayloadFormatVersion"),
            auth_result_ttl=props.get("AuthorizerResultTtlInSeconds"), authorizer_uri=props.get("AuthorizerUri"),
            authorizer_type=props["AuthorizerType"], enable_simple_response=props.get("EnableSimpleResponses"),
            identity_source=props.get("IdentitySource"),
            identity_validation_expr=props.get("IdentityValidationExpression"),
            jwt_config=_camel(props.get("JwtConfiguration")), name=props["Name"])
        return created.id, {"AuthorizerId": created.id}

    def integration(props: dict[str, Any], account: str, region: str) -> tuple[str, dict[str, str]]:
        created = http(account, region).create_integration(
            api_id=props["ApiId"], connection_id=props.get("ConnectionId"),
            connection_type=props.get("ConnectionType"),
            content_handling_strategy=props.get("ContentHandlingStrategy"),
            credentials_arn=props.get("CredentialsArn"), description=props.get("Description"),
            integration_method=props.get("IntegrationMethod"), integration_type=props["IntegrationType"],
            integration_uri=props.get("IntegrationUri"), passthrough_behavior=props.get("PassthroughBehavior"),
            payload_format_version=props.get("PayloadFormatVersion"),
            integration_subtype=props.get("IntegrationSubtype"), request_parameters=props.get("RequestParameters"),
            request_templates=props.get("RequestTemplates"), response_parameters=props.get("ResponseParameters"),
            template_selection_expression=props.get("TemplateSelectionExpression"),
            timeout_in_millis=props.get("TimeoutInMillis"), tls_config=props.get("TlsConfig"))
        return created.id, {}

    def route(props: dict[str, Any], account: str, region: str) -> tuple[str, dict[str, str]]:
        created = http(account, region).create_route(
            api_id=props["ApiId"], api_key_required=props.get("ApiKeyRequired", False),
            authorization_scopes=props.get("AuthorizationScopes"),
            authorization_type=props.get("AuthorizationType"), authorizer_id=props.get("AuthorizerId"),
            model_selection_expression=props.get("ModelSelectionExpression"),
            operation_name=props.get("OperationName"), request_models=props.get("RequestModels"),
            request_parameters=props.get("RequestParameters"), route_key=props["RouteKey"],
            route_response_selection_expression=props.get("RouteResponseSelectionExpression"),
            target=props.get("Target"))
        return created.route_id, {}

    def stage(props: dict[str, Any], account: str, region: str) -> tuple[str, dict[str, str]]:
        config = _camel({key: value for key, value in props.items() if key != "ApiId"})
        created = http(account, region).create_stage(props["ApiId"], config)
        return created.name, {}

    def user_pool(props: dict[str, Any], account: str, region: str) -> tuple[str, dict[str, str]]:
        config = {key: value for key, value in props.items() if key != "UserPoolName"}
        created = cognitoidp_backends[account][region].create_user_pool(props["UserPoolName"], config)
        return created.id, {"Arn": created.arn, "ProviderName": f"cognito-idp.{region}.amazonaws.com/{created.id}",
                            "UserPoolId": created.id}

    def user_pool_client(props: dict[str, Any], account: str, region: str) -> tuple[str, dict[str, str]]:
        config = {key: value for key, value in props.items() if key not in ("UserPoolId", "GenerateSecret")}
        created = cognitoidp_backends[account][region].create_user_pool_client(
            props["UserPoolId"], bool(props.get("GenerateSecret")), config)
        return created.id, {"ClientId": created.id, "Name": props.get("ClientName", "")}

    for type_name, create in (("AWS::ApiGatewayV2::Api", api), ("AWS::ApiGatewayV2::Authorizer", authorizer),
                              ("AWS::ApiGatewayV2::Integration", integration), ("AWS::ApiGatewayV2::Route", route),
                              ("AWS::ApiGatewayV2::Stage", stage)):
        _cloudformation_model(type_name, "moto.apigatewayv2.models", create)
    for type_name, create in (("AWS::Cognito::UserPool", user_pool),
                              ("AWS::Cognito::UserPoolClient", user_pool_client)):
        _cloudformation_model(type_name, "moto.cognitoidp.models", create)


def _register_cloudfront() -> None:
    """AWS::CloudFront::Distribution and ::OriginAccessControl through moto's own CloudFront backend (CloudFormation's
    lists become the API's {Quantity, Items}), so a deployed distribution can be read back through its API."""
    import uuid

    from moto.cloudfront.models import cloudfront_backends

    def items(values: list[Any] | None) -> dict[str, Any]:
        return {"Quantity": len(values or []), "Items": list(values or [])}

    def control(props: dict[str, Any], account: str, region: str) -> tuple[str, dict[str, str]]:
        created = cloudfront_backends[account]["aws"].create_origin_access_control(
            dict(props["OriginAccessControlConfig"]))
        return created.id, {"Id": created.id}

    def distribution(props: dict[str, Any], account: str, region: str) -> tuple[str, dict[str, str]]:
        config = json.loads(json.dumps(props["DistributionConfig"]))
        config["Origins"] = items(config.get("Origins"))
        if "Aliases" in config:
            config["Aliases"] = items(config["Aliases"])
        behavior = config.get("DefaultCacheBehavior") or {}
        if "AllowedMethods" in behavior:
            behavior["AllowedMethods"] = {**items(behavior["AllowedMethods"]),
                                          "CachedMethods": items(behavior.pop("CachedMethods", None))}
        geo = (config.get("Restrictions") or {}).get("GeoRestriction") or {}
        if "Locations" in geo:
            geo["Items"] = geo.pop("Locations")
        if "Logging" in config:
            config["Logging"]["Enabled"] = True
        config["IsIPV6Enabled"] = config.pop("IPV6Enabled", True)
        config.setdefault("CallerReference", f"cloudformation-{uuid.uuid4()}")  # unique, as CloudFormation's
        tags = [{"Key": t["Key"], "Value": t["Value"]} for t in props.get("Tags") or []]
        created, _, _ = cloudfront_backends[account]["aws"].create_distribution(config, tags)
        return created.distribution_id, {"DomainName": created.domain_name, "Id": created.distribution_id}

    def delete_control(physical_id: str, account: str, region: str) -> None:
        cloudfront_backends[account]["aws"].delete_origin_access_control(physical_id)

    def delete_distribution(physical_id: str, account: str, region: str) -> None:
        cloudfront_backends[account]["aws"].delete_distribution(physical_id, if_match=True)

    _cloudformation_model("AWS::CloudFront::OriginAccessControl", "moto.cloudfront.models", control, delete_control)
    _cloudformation_model("AWS::CloudFront::Distribution", "moto.cloudfront.models", distribution,
                          delete_distribution)


def _rest_methods_and_authorizers() -> None:
    """REST methods with MOCK integrations and authorizers; AWS::ApiGateway::Authorizer through the backend."""
    from moto.apigateway.models import Method, apigateway_backends

    def create_method(cls: type, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str,
                      **kwargs: Any) -> Any:
        properties = cloudformation_json["Properties"]
        backend = apigateway_backends[account_id][region_name]
        method = backend.put_method(
            function_id=properties["RestApiId"], resource_id=properties["ResourceId"],
            method_type=properties["HttpMethod"], authorization_type=properties["AuthorizationType"],
            api_key_required=properties.get("ApiKeyRequired"), authorizer_id=properties.get("AuthorizerId"),
            authorization_scopes=properties.get("AuthorizationScopes"))
        integration = properties.get("Integration") or {}
        if integration:
            backend.put_integration(
                function_id=properties["RestApiId"], resource_id=properties["ResourceId"],
                method_type=properties["HttpMethod"], integration_type=integration["Type"],
                uri=integration.get("Uri"), integration_method=integration.get("IntegrationHttpMethod"),
                request_templates=integration.get("RequestTemplates"))
        return method

    Method.create_from_cloudformation_json = classmethod(create_method)  # type: ignore[method-assign]

    def authorizer(props: dict[str, Any], account: str, region: str) -> tuple[str, dict[str, str]]:
        created = apigateway_backends[account][region].create_authorizer(
            props["RestApiId"], props["Name"], props["Type"], provider_arns=props.get("ProviderARNs"),
            auth_type=props.get("AuthType"), authorizer_uri=props.get("AuthorizerUri"),
            authorizer_credentials=props.get("AuthorizerCredentials"), identity_source=props.get("IdentitySource"),
            identiy_validation_expression=props.get("IdentityValidationExpression"),
            authorizer_result_ttl=props.get("AuthorizerResultTtlInSeconds"))
        return created.id, {"AuthorizerId": created.id}

    _cloudformation_model("AWS::ApiGateway::Authorizer", "moto.apigateway.models", authorizer)


def main(argv: list[str] | None = None) -> None:
    """Run moto server in this process (with the patches unless --unpatched)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--unpatched", action="store_true", help="moto as released (to show the bugs)")
    args = parser.parse_args(argv)
    if not args.unpatched:
        apply_patches()
    from moto.server import main as moto_main

    moto_main(["-H", HOST, "-p", str(args.port)])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class MotoServer:
    """A running moto server child process; stop() ends it by its PID."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path | None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def endpoint(self) -> str:
        # `localhost`, not 127.0.0.1: moto resolves S3 TemplateURLs only on that host name.
        return f"http://localhost:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(port: int | None = None, *, patched: bool = True, log: Path | None = None,
          env: dict[str, str] | None = None) -> MotoServer:
    """Start moto server on 127.0.0.1 (a free port unless given) and wait until it answers. `env` adds moto
    settings (INITIAL_NO_AUTH_ACTION_COUNT=N turns on IAM checks after N requests)."""
    for _ in range(3):  # a free port can be taken between probing it and binding it
        chosen = port or free_port()
        command = [sys.executable, str(Path(__file__).resolve()), "--port", str(chosen)]
        if not patched:
            command.append("--unpatched")
        # the server inherits the log file: this process closes its own copy once the server has started
        with open(log, "ab") if log else contextlib.nullcontext(subprocess.DEVNULL) as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                       env={**os.environ, **(env or {}), "MOTO_PORT": str(chosen)})
        server = MotoServer(process, chosen, log)
        if _wait_ready(server):
            return server
        server.stop()
        if port:
            break
    raise RuntimeError(f"moto server did not start on {HOST}:{chosen}" + (f" (see {log})" if log else ""))


def _wait_ready(server: MotoServer) -> bool:
    return wait_until_ready(server.port, alive=lambda: server.process.poll() is None)


def wait_until_ready(port: int, timeout: float = STARTUP_SECONDS, alive: Callable[[], bool] = lambda: True) -> bool:
    """True once moto server answers on `port` (False after `timeout` seconds, or when `alive()` turns False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/moto-api/data.json", timeout=2):
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    return False


if __name__ == "__main__":
    main()
