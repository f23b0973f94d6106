"""`specc rollout`: the compiled StackSet applied through the StackSets API, instance by instance.

The properties come from the compiled `stackset.json` (resolved for the administrator account and
region), so the rollout does exactly what deploying that template would; calling the API directly is
what lets us follow each instance and name the one that failed and why.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from botocore.exceptions import ClientError

from specc.aws.session import Aws, AwsError, explained
from specc.output.rollout import ENDPOINT_PARAMETER, HAS_ENDPOINT, STACK_SET

POLL_SECONDS = 3.0
TIMEOUT_SECONDS = 6 * 3600.0
DONE = {"SUCCEEDED", "FAILED", "STOPPED"}
FAILED_DETAILS = {"FAILED", "CANCELLED", "INOPERABLE", "FAILED_IMPORT"}
STACK_SET_FIELDS = ("StackSetName", "Description", "TemplateURL", "Parameters", "Capabilities", "Tags",
                    "PermissionModel", "AutoDeployment", "ManagedExecution", "AdministrationRoleARN",
                    "ExecutionRoleName", "CallAs")


@dataclass(frozen=True)
class Instance:
    region: str
    account: str
    status: str  # CURRENT | OUTDATED | INOPERABLE
    detailed: str  # PENDING | RUNNING | SUCCEEDED | FAILED | CANCELLED | ...
    reason: str = ""
    stack_id: str = ""  # the instance's stack, in its own account and region

    @property
    def failed(self) -> bool:
        return self.detailed in FAILED_DETAILS or self.status == "INOPERABLE"


@dataclass
class RolloutResult:
    name: str
    region: str
    stack_set: str  # created | updated | unchanged
    instances: list[Instance] = field(default_factory=list)
    created_instances: int = 0

    @property
    def failures(self) -> list[Instance]:
        return [i for i in self.instances if i.failed]


InstanceHandler = Callable[[Instance], None]


def resolve(value: Any, values: dict[str, str], conditions: dict[str, bool]) -> Any:
    """The few intrinsic functions stackset.json uses (Ref, Fn::Sub, Fn::If), for one account and region."""
    if isinstance(value, list):
        return [resolve(item, values, conditions) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return values[value["Ref"]]
    if set(value) == {"Fn::Sub"}:
        text = value["Fn::Sub"]
        for name, replacement in values.items():
            text = text.replace(f"${{{name}}}", replacement)
        return text
    if set(value) == {"Fn::If"}:
        condition, when_true, when_false = value["Fn::If"]
        return resolve(when_true if conditions[condition] else when_false, values, conditions)
    return {key: resolve(item, values, conditions) for key, item in value.items()}


def stack_set_properties(template: dict[str, Any], aws: Aws, region: str, endpoint: str | None) -> dict[str, Any]:
    values = {"AWS::AccountId": aws.account, "AWS::Region": region, "AWS::Partition": aws.partition,
              "AWS::URLSuffix": "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com",
              ENDPOINT_PARAMETER: endpoint or ""}
    properties = template["Resources"][STACK_SET]["Properties"]
    return cast(dict[str, Any], resolve(properties, values, {HAS_ENDPOINT: bool(endpoint)}))


def canonical_sha256(body: str | dict[str, Any] | None) -> str | None:
    """sha256 of a template as specc renders it, whatever form AWS hands it back in (JSON text or parsed)."""
    from specc.output.emit import render_json

    if body is None:
        return None
    if isinstance(body, str):
        text = body
        try:
            body = json.loads(text)
        except ValueError:
            return hashlib.sha256(text.encode()).hexdigest()  # YAML: compared as text
    return hashlib.sha256(render_json(body)).hexdigest()


def describe(cfn: Any, name: str) -> dict[str, Any] | None:
    with explained(f"describing the stack set {name}"):
        try:
            stack_set = cfn.describe_stack_set(StackSetName=name)["StackSet"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "StackSetNotFoundException":
                return None
            raise
    return None if stack_set.get("Status") == "DELETED" else stack_set


def instances(cfn: Any, name: str, order: list[str] | None = None) -> list[Instance]:
    """The stack set's instances, in rollout order (then by account)."""
    found = []
    with explained(f"listing the instances of the stack set {name}"):
        for page in cfn.get_paginator("list_stack_instances").paginate(StackSetName=name):
            for summary in page.get("Summaries", []):
                found.append(Instance(
                    region=summary["Region"], account=summary["Account"], status=summary.get("Status", ""),
                    detailed=(summary.get("StackInstanceStatus") or {}).get("DetailedStatus", ""),
                    reason=summary.get("StatusReason", "") or "", stack_id=summary.get("StackId", "") or ""))
    order = order or []
    return sorted(found, key=lambda i: (order.index(i.region) if i.region in order else len(order), i.region,
                                        i.account))


def rollout(aws: Aws, properties: dict[str, Any], service_sha256: str, region: str,
            on_instance: InstanceHandler | None = None, poll: float = POLL_SECONDS,
            timeout: float = TIMEOUT_SECONDS,
            review: Callable[[dict[str, Any]], None] | None = None) -> RolloutResult:
    """Create or update the stack set in `region` (the administrator's), then its missing instances.
    `review` sees the existing stack set before an update (and may stop it: cli_aws refuses data loss there)."""
    cfn = aws.client("cloudformation", region)
    name = properties["StackSetName"]
    request = {key: properties[key] for key in STACK_SET_FIELDS if key in properties}
    preferences = properties.get("OperationPreferences", {})
    result = RolloutResult(name, region, "unchanged")
    existing = describe(cfn, name)
    if existing is None:
        with explained(f"creating the stack set {name} in {region}"):
            cfn.create_stack_set(**request)
        result.stack_set = "created"
    elif _differs(existing, request, service_sha256):
        if review:
            review(existing)
        update = {k: v for k, v in request.items() if k not in ("PermissionModel",)}
        with explained(f"updating the stack set {name} in {region}"):
            operation = cfn.update_stack_set(**update, OperationPreferences=preferences)["OperationId"]
        result.stack_set = "updated"
        _wait(cfn, name, operation, on_instance, poll, timeout, list(preferences.get("RegionOrder", [])))

    groups = properties.get("StackInstancesGroup", [])
    order = list(preferences.get("RegionOrder", []))
    current = {(i.account, i.region) for i in instances(cfn, name, order)}
    for group in groups:
        targets, regions = group.get("DeploymentTargets", {}), group["Regions"]
        missing_regions, accounts = _missing(targets, regions, current)
        if not missing_regions:
            continue
        call: dict[str, Any] = {"StackSetName": name, "Regions": missing_regions, "OperationPreferences": preferences}
        if "OrganizationalUnitIds" in targets:
            call["DeploymentTargets"] = {"OrganizationalUnitIds": targets["OrganizationalUnitIds"]}
        else:
            call["Accounts"] = accounts
        if group.get("ParameterOverrides"):
            call["ParameterOverrides"] = group["ParameterOverrides"]
        with explained(f"creating instances of the stack set {name} in {', '.join(missing_regions)}"):
            operation = cfn.create_stack_instances(**call)["OperationId"]
        _wait(cfn, name, operation, on_instance, poll, timeout, order)
    result.instances = instances(cfn, name, order)
    result.created_instances = len(result.instances) - len(current)
    return result


def _differs(existing: dict[str, Any], request: dict[str, Any], service_sha256: str) -> bool:
    if canonical_sha256(existing.get("TemplateBody")) != service_sha256:
        return True
    have = {p["ParameterKey"]: p.get("ParameterValue") for p in existing.get("Parameters") or []}
    want = {p["ParameterKey"]: p.get("ParameterValue") for p in request.get("Parameters") or []}
    return have != want  # capabilities follow from the template, so a template change covers them


def _missing(targets: dict[str, Any], regions: list[str], current: set[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Regions that lack an instance, and the accounts to create there (all listed ones: AWS skips none twice,
    so a region is completed account by account only when some accounts are missing there)."""
    accounts = list(targets.get("Accounts", []))
    if "OrganizationalUnitIds" in targets:  # accounts of units are AWS's to enumerate: a region with none is new
        present = {region for _, region in current}
        return [r for r in regions if r not in present], []
    missing_regions = [r for r in regions if any((a, r) not in current for a in accounts)]
    missing_accounts = [a for a in accounts if any((a, r) not in current for r in missing_regions)]
    return missing_regions, missing_accounts


def _wait(cfn: Any, name: str, operation: str, on_instance: InstanceHandler | None, poll: float,
          timeout: float, order: list[str]) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    shown: dict[tuple[str, str], tuple[str, str]] = {}
    while True:
        with explained(f"following operation {operation} of the stack set {name}"):
            described: dict[str, Any] = cfn.describe_stack_set_operation(
                StackSetName=name, OperationId=operation)["StackSetOperation"]
        for instance in instances(cfn, name, order):
            key, state = (instance.region, instance.account), (instance.status, instance.detailed)
            if shown.get(key) != state:
                shown[key] = state
                if on_instance:
                    on_instance(instance)
        if described["Status"] in DONE:
            return described
        if time.monotonic() > deadline:
            raise AwsError(f"operation {operation} of the stack set {name} was still {described['Status']} after "
                           f"{timeout:.0f} s")
        time.sleep(poll)
