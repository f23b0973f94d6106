"""One stack, created or updated through a change set, waited for, with its outputs.

A change set first: CloudFormation says what it will do before doing it, and an unchanged template
is recognised ("didn't contain changes") and reported as a success. Failures name the resources that
failed and CloudFormation's reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from botocore.exceptions import ClientError

from specc.aws.session import Aws, AwsError, explained

NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
SUCCEEDED = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
POLL_SECONDS = 2.0
TIMEOUT_SECONDS = 3 * 3600.0

EventHandler = Callable[[dict[str, Any]], None]


@dataclass
class StackResult:
    name: str
    region: str
    account: str
    outcome: str  # created | updated | unchanged
    status: str
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class Planned:
    """A change set created and described, not executed yet: what it changes can be reviewed first."""

    aws: Aws
    name: str
    region: str
    change_type: str  # CREATE | UPDATE
    change_set: str  # its ID
    existing: dict[str, Any] | None
    changes: list[dict[str, Any]] = field(default_factory=list)
    unchanged: StackResult | None = None  # set when CloudFormation found nothing to change

    @property
    def where(self) -> str:
        return f"stack {self.name} in {self.region}"


def deploy(aws: Aws, name: str, region: str, *, template_body: str | None = None, template_url: str | None = None,
           parameters: dict[str, str] | None = None, capabilities: list[str] | None = None,
           on_event: EventHandler | None = None, poll: float = POLL_SECONDS,
           timeout: float = TIMEOUT_SECONDS, allow_data_loss: bool = False) -> StackResult:
    """Create or update stack `name` in `region` to the template, and wait until CloudFormation is done."""
    planned = plan(aws, name, region, template_body=template_body, template_url=template_url,
                   parameters=parameters, capabilities=capabilities, poll=poll, timeout=timeout)
    return execute(planned, on_event=on_event, poll=poll, timeout=timeout, allow_data_loss=allow_data_loss)


def plan(aws: Aws, name: str, region: str, *, template_body: str | None = None, template_url: str | None = None,
         parameters: dict[str, str] | None = None, capabilities: list[str] | None = None,
         poll: float = POLL_SECONDS, timeout: float = TIMEOUT_SECONDS, destroy_command: str = "") -> Planned:
    """A change set for stack `name`, created and described with its changes (or found empty). `destroy_command`
    is how the user removes a stack that cannot be updated (`specc destroy ...`; the awscli's by default)."""
    cfn = aws.client("cloudformation", region)
    where = f"stack {name} in {region}"
    existing = describe(cfn, name, where)
    status = existing["StackStatus"] if existing else ""
    if status == "ROLLBACK_COMPLETE":
        remove = destroy_command or f"aws cloudformation delete-stack --stack-name {name} --region {region}"
        raise AwsError(f"{where} is ROLLBACK_COMPLETE after a failed creation and cannot be updated: delete it "
                       f"(`{remove}`) and deploy again")
    if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        raise AwsError(f"{where} is busy ({status}): wait for that operation to finish, then deploy again")
    change_type = "UPDATE" if existing and status != "REVIEW_IN_PROGRESS" else "CREATE"
    change_set = f"specc-{time.strftime('%Y%m%d%H%M%S')}-{time.monotonic_ns() % 100000:05d}"
    request: dict[str, Any] = {
        "StackName": name, "ChangeSetName": change_set, "ChangeSetType": change_type,
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted((parameters or {}).items())],
        "Capabilities": list(capabilities or []),
        "Description": "created by specc deploy",
    }
    request.update({"TemplateURL": template_url} if template_url else {"TemplateBody": template_body})
    with explained(f"creating a change set for {where}"):
        created = cfn.create_change_set(**request)
        change_set_id = created["Id"]
    described = _wait_for_change_set(cfn, name, change_set_id, where, poll, timeout)
    planned = Planned(aws, name, region, change_type, change_set_id, existing)
    if described["Status"] == "FAILED":
        reason = described.get("StatusReason") or "no reason given"
        if any(marker in reason for marker in NO_CHANGES):
            with explained(f"deleting the empty change set of {where}"):
                cfn.delete_change_set(ChangeSetName=change_set_id, StackName=name)
            planned.unchanged = StackResult(name, region, aws.account, "unchanged", status, outputs_of(existing or {}))
            return planned
        raise AwsError(f"CloudFormation refused the change set for {where}: {reason}")
    with explained(f"reading the change set of {where}"):
        page = described
        while True:
            planned.changes += page.get("Changes", [])
            if not page.get("NextToken"):
                break
            page = cfn.describe_change_set(ChangeSetName=change_set_id, StackName=name, NextToken=page["NextToken"])
    return planned


def discard(planned: Planned) -> None:
    """Delete a change set that will not be executed (a refused data loss)."""
    with explained(f"deleting the change set of {planned.where}"):
        planned.aws.client("cloudformation", planned.region).delete_change_set(
            ChangeSetName=planned.change_set, StackName=planned.name)


def execute(planned: Planned, *, on_event: EventHandler | None = None, poll: float = POLL_SECONDS,
            timeout: float = TIMEOUT_SECONDS, allow_data_loss: bool = False) -> StackResult:
    """Run a planned change set and wait; then protect the stack (safety.stack_policy): termination protection
    and the policy that denies replacing or deleting what holds data. `allow_data_loss` lifts that policy for
    this execution only."""
    from contextlib import nullcontext

    from specc.aws import stack_policy

    if planned.unchanged is not None:
        stack_policy.protect(planned.aws.client("cloudformation", planned.region), planned.name, planned.where)
        return planned.unchanged
    cfn = planned.aws.client("cloudformation", planned.region)
    name, where = planned.name, planned.where
    before = {e["EventId"] for e in _first_events(cfn, name, where)}
    lifted = stack_policy.lifted(cfn, name, where) if allow_data_loss and planned.change_type == "UPDATE" \
        else nullcontext()
    with lifted:
        with explained(f"executing the change set of {where}"):
            cfn.execute_change_set(ChangeSetName=planned.change_set, StackName=name)
        final = _wait_for_stack(cfn, name, where, set(before), on_event, poll, timeout)
    if final["StackStatus"] not in SUCCEEDED:
        raise AwsError(f"{where} ended {final['StackStatus']}: {failure_reason(cfn, name, where, before)}")
    stack_policy.protect(cfn, name, where)
    outcome = "created" if planned.change_type == "CREATE" else "updated"
    return StackResult(name, planned.region, planned.aws.account, outcome, final["StackStatus"], outputs_of(final))


def describe(cfn: Any, name: str, where: str) -> dict[str, Any] | None:
    """The stack, or None when there is none by that name."""
    with explained(f"describing {where}"):
        try:
            return cast(dict[str, Any], cfn.describe_stacks(StackName=name)["Stacks"][0])
        except ClientError as exc:
            if "does not exist" in str(exc.response.get("Error", {}).get("Message", "")):
                return None
            raise


def outputs_of(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs") or []}


def failure_reason(cfn: Any, name: str, where: str, seen: set[str]) -> str:
    """The reasons of the resources that failed (oldest first): the first one is usually the cause."""
    failed = [e for e in reversed(_events(cfn, name, where, seen))
              if e.get("ResourceStatus", "").endswith("_FAILED") and e.get("LogicalResourceId") != name]
    if not failed:
        return "no resource reported a reason"
    return "; ".join(f"{e['LogicalResourceId']} ({e.get('ResourceType', '?')}): {e.get('ResourceStatusReason', '')}"
                     for e in failed[:3])


def _wait_for_change_set(cfn: Any, name: str, change_set: str, where: str, poll: float,
                         timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        with explained(f"waiting for the change set of {where}"):
            described: dict[str, Any] = cfn.describe_change_set(ChangeSetName=change_set, StackName=name)
        if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
            return described
        if time.monotonic() > deadline:
            raise AwsError(f"the change set of {where} was still {described['Status']} after {timeout:.0f} s")
        time.sleep(poll)


def _wait_for_stack(cfn: Any, name: str, where: str, seen: set[str], on_event: EventHandler | None, poll: float,
                    timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        stack = describe(cfn, name, where)
        if stack is None:
            raise AwsError(f"{where} disappeared while deploying")
        for event in reversed(_events(cfn, name, where, seen)):
            seen.add(event["EventId"])
            if on_event:
                on_event(event)
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            return stack
        if time.monotonic() > deadline:
            raise AwsError(f"{where} was still {stack['StackStatus']} after {timeout:.0f} s")
        time.sleep(poll)


def _first_events(cfn: Any, name: str, where: str) -> list[dict[str, Any]]:
    """The newest page of events: enough to tell the events of the next operation from older ones."""
    if describe(cfn, name, where) is None:
        return []
    with explained(f"reading the events of {where}"):
        return cast(list[dict[str, Any]], cfn.describe_stack_events(StackName=name).get("StackEvents", []))


def _events(cfn: Any, name: str, where: str, stop: set[str]) -> list[dict[str, Any]]:
    """The events newer than any in `stop`, newest first."""
    found: list[dict[str, Any]] = []
    with explained(f"reading the events of {where}"):
        for page in cfn.get_paginator("describe_stack_events").paginate(StackName=name):
            for event in page.get("StackEvents", []):
                if event["EventId"] in stop:
                    return found
                found.append(event)
    return found
