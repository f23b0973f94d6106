"""Whether a deployed stack's resources are still there, as deployed: what `specc status` adds to the template hash.

On AWS, CloudFormation drift detection (DetectStackDrift, then DescribeStackResourceDrifts): each resource is
IN_SYNC, MODIFIED, DELETED or NOT_CHECKED (a type drift detection does not support). Where it is not
available (a local emulator: moto answers DetectStackDrift with HTTP 500, "not implemented"), or refused, every
resource of the stack is read through its own service (specc.aws.existence); a type without a check is counted
as not checked, never as present. Nested stacks are checked too, resource by resource.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from specc.aws import existence
from specc.aws.session import AwsError, explained

if TYPE_CHECKING:
    from specc.aws.session import Aws

DRIFT, SERVICE_APIS = "drift detection", "service APIs"
DRIFT_POLL_SECONDS, DRIFT_TIMEOUT_SECONDS = 2.0, 600.0
NESTED = "AWS::CloudFormation::Stack"


@dataclass
class ResourceCheck:
    method: str  # DRIFT or SERVICE_APIS (with why, when drift detection was refused)
    present: int = 0
    missing: list[str] = field(default_factory=list)  # "Logical (Type physical)"
    modified: list[str] = field(default_factory=list)
    not_checked: Counter[str] = field(default_factory=Counter)  # resource type → count
    not_created: int = 0  # listed by an emulator that accepts their types but never creates them

    @property
    def drifted(self) -> bool:
        return bool(self.missing or self.modified)

    def add(self, other: ResourceCheck) -> None:
        self.present += other.present
        self.missing += other.missing
        self.modified += other.modified
        self.not_checked.update(other.not_checked)
        self.not_created += other.not_created

    def describe(self) -> str:
        parts = [f"{self.present} present"]
        if self.missing:
            parts.append(f"{len(self.missing)} MISSING: {', '.join(self.missing)}")
        if self.modified:
            parts.append(f"{len(self.modified)} MODIFIED: {', '.join(self.modified)}")
        if self.not_checked:
            kinds = ", ".join(f"{kind.split('::', 1)[-1]} x{count}" if count > 1 else kind.split("::", 1)[-1]
                              for kind, count in sorted(self.not_checked.items()))
            parts.append(f"{sum(self.not_checked.values())} not checked ({kinds})")
        if self.not_created:
            parts.append(f"{self.not_created} not created by the emulator (types it skips)")
        return f"{self.method}: " + "; ".join(parts)


def check_stack(aws: Aws, region: str, stack: str) -> ResourceCheck:
    """The resources of `stack` (a name or ID) and of its nested stacks, by drift detection where it runs."""
    if aws.emulator_endpoint(region) is None:
        try:
            return _by_drift_detection(aws, region, stack)
        except AwsError as exc:  # refused (permissions) or failed: the service APIs still answer
            return _by_service_apis(aws, region, stack, f"{SERVICE_APIS} (drift detection failed: {exc})")
    return _by_service_apis(aws, region, stack, SERVICE_APIS)


def _label(resource: dict[str, Any]) -> str:
    return f"{resource['LogicalResourceId']} ({resource['ResourceType']} {resource.get('PhysicalResourceId', '')})"


def _stack_resources(aws: Aws, region: str, stack: str) -> list[dict[str, Any]]:
    cfn = aws.client("cloudformation", region)
    with explained(f"listing the resources of stack {stack} in {region}"):
        return [summary for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack)
                for summary in page.get("StackResourceSummaries", [])]


def _by_service_apis(aws: Aws, region: str, stack: str, method: str) -> ResourceCheck:
    check = ResourceCheck(method)
    for resource in _stack_resources(aws, region, stack):
        kind = resource.get("ResourceType", "")
        if not resource.get("LogicalResourceId"):  # how moto lists a type it accepts but never creates
            check.not_created += 1
            continue
        if resource.get("ResourceStatus") == "DELETE_COMPLETE":
            continue
        found = existence.exists(aws, region, kind, resource.get("PhysicalResourceId", ""))
        if found is None:
            check.not_checked[kind] += 1
        elif not found:
            check.missing.append(_label(resource))
        else:
            check.present += 1
            if kind == NESTED:
                check.add(_by_service_apis(aws, region, resource["PhysicalResourceId"], method))
    return check


def _by_drift_detection(aws: Aws, region: str, stack: str) -> ResourceCheck:
    cfn = aws.client("cloudformation", region)
    where = f"stack {stack} in {region}"
    with explained(f"starting drift detection on {where}"):
        detection = cfn.detect_stack_drift(StackName=stack)["StackDriftDetectionId"]
    deadline = time.monotonic() + DRIFT_TIMEOUT_SECONDS
    while True:
        with explained(f"reading drift detection on {where}"):
            state = cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
        if state["DetectionStatus"] != "DETECTION_IN_PROGRESS":
            break
        if time.monotonic() > deadline:
            raise AwsError(f"drift detection on {where} did not finish in {DRIFT_TIMEOUT_SECONDS:g} s")
        time.sleep(DRIFT_POLL_SECONDS)
    check = ResourceCheck(DRIFT)
    drifts: list[dict[str, Any]] = []
    token: dict[str, str] = {}
    while True:  # botocore has no paginator for it
        with explained(f"reading the resource drifts of {where}"):
            page = cfn.describe_stack_resource_drifts(StackName=stack, **token)
        drifts += page.get("StackResourceDrifts", [])
        if not page.get("NextToken"):
            break
        token = {"NextToken": page["NextToken"]}
    checked = {drift["LogicalResourceId"] for drift in drifts}
    for drift in drifts:
        status = drift.get("StackResourceDriftStatus")
        if status == "DELETED":
            check.missing.append(_label(drift))
        elif status == "MODIFIED":
            check.modified.append(_label(drift))
        elif status == "NOT_CHECKED":
            check.not_checked[drift["ResourceType"]] += 1
        else:
            check.present += 1
    for resource in _stack_resources(aws, region, stack):
        if resource["LogicalResourceId"] not in checked:  # types drift detection does not support
            check.not_checked[resource["ResourceType"]] += 1
        if resource["ResourceType"] == NESTED and resource.get("ResourceStatus") != "DELETE_COMPLETE":
            check.add(_by_drift_detection(aws, region, resource["PhysicalResourceId"]))
    return check
