"""`specc destroy`: a deployed stack (its nested stacks go with it), or a stack set's instances and then the set.

What a deletion loses is read from what is deployed, not from the spec (which may have changed since): every
resource of the stack and its nested stacks with the DeletionPolicy its deployed template gives it. A resource
that holds data (build/retention.DATA_STORES) and is not retained is data loss; a retained one stays in the
account, no longer managed by any stack, and is listed with where it stays.

The stack policy specc sets does not stand in the way: CloudFormation applies stack policies to updates only,
never to DeleteStack. Termination protection does (specc deploy turns it on): it is turned off here, after the
confirmation, right before the deletion.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from specc.aws.data_loss_guard import deployed_template
from specc.aws.deployed import StackValues, read
from specc.aws.session import EXECUTION_ROLE, Aws, AwsError, explained
from specc.aws.stacksets import Instance
from specc.aws.stacksets import _wait as _wait  # the stack set operations' follower, shared with rollout
from specc.output.data_loss import DESTROYED, STATEFUL, DataLoss

RETAINED = ("Retain", "RetainExceptOnCreate")
POLL_SECONDS = 2.0
TIMEOUT_SECONDS = 3 * 3600.0


@dataclass(frozen=True)
class Held:
    """One resource of a deployed stack, and what its deletion does to it."""

    logical_id: str
    type: str
    physical: str
    policy: str  # its DeletionPolicy as deployed ("" = CloudFormation's default: Delete)
    stack: str  # the stack (or nested stack, or stack set instance) it is in
    region: str
    account: str

    @property
    def retained(self) -> bool:
        return self.policy in RETAINED

    @property
    def where(self) -> str:
        return f"{self.type} {self.physical or self.logical_id} in {self.region} {self.account}"


def inventory(aws: Aws, stack: StackValues, label: str = "") -> list[Held]:
    """Every resource of `stack` and of its nested stacks, at any depth."""
    cfn = aws.client("cloudformation", stack.region)
    label = label or f"stack {stack.name} in {stack.region} {stack.account}"
    template = deployed_template(cfn, stack.stack_id, label)
    resources = template.get("Resources", {})
    found = []
    for logical, kind in sorted(stack.types.items()):
        policy = str(resources.get(logical, {}).get("DeletionPolicy", ""))
        found.append(Held(logical, kind, stack.physical.get(logical, ""), policy, label, stack.region,
                          stack.account))
        if kind == "AWS::CloudFormation::Stack" and stack.physical.get(logical):
            inner = read(aws, stack.physical[logical], stack.region)
            if inner is not None:
                found += inventory(aws, inner, f"nested stack {logical} of {label}")
    return found


def losses(held: list[Held]) -> list[DataLoss]:
    """The data stores that go with the stack: DATA LOSS, as diff and deploy word it."""
    return [DataLoss(h.logical_id, h.type, DESTROYED, h.policy, template=h.stack)
            for h in held if h.type in STATEFUL and not h.retained]


def retained(held: list[Held]) -> list[Held]:
    return [h for h in held if h.retained]


def lift_table_protection(aws: Aws, held: list[Held], role_name: str = EXECUTION_ROLE) -> list[str]:
    """Deletion protection off on the tables the deletion was accepted to lose (specc turns it on by default, and
    CloudFormation cannot delete a protected table); returns their names. Retained tables keep theirs."""
    lifted = []
    for table in held:
        if table.type != "AWS::DynamoDB::Table" or table.retained or not table.physical:
            continue
        client = aws.in_account(table.account, role_name).client("dynamodb", table.region)
        with explained(f"turning off deletion protection of table {table.physical} (--allow-data-loss)"):
            described = client.describe_table(TableName=table.physical)["Table"]
            if described.get("DeletionProtectionEnabled"):
                client.update_table(TableName=table.physical, DeletionProtectionEnabled=False)
                lifted.append(f"{table.physical} in {table.region} {table.account}")
    return lifted


def delete_stack(aws: Aws, stack: StackValues, on_event: Callable[[dict[str, Any]], None] | None = None,
                 poll: float = POLL_SECONDS, timeout: float = TIMEOUT_SECONDS) -> bool:
    """Delete the stack and wait until it is gone; returns whether termination protection had to be turned off."""
    from specc.aws.stacks import _events, describe, failure_reason

    cfn = aws.client("cloudformation", stack.region)
    where = f"stack {stack.name} in {stack.region}"
    described = describe(cfn, stack.stack_id, where) or {}
    protected = bool(described.get("EnableTerminationProtection"))
    if protected:
        with explained(f"turning off termination protection of {where}"):
            cfn.update_termination_protection(StackName=stack.stack_id, EnableTerminationProtection=False)
    seen = {e["EventId"] for e in _events(cfn, stack.stack_id, where, set())}
    before = set(seen)
    with explained(f"deleting {where}"):
        cfn.delete_stack(StackName=stack.stack_id)
    deadline = time.monotonic() + timeout
    while True:
        current = describe(cfn, stack.stack_id, where)
        status = current["StackStatus"] if current else "DELETE_COMPLETE"
        if current is not None:
            for event in reversed(_events(cfn, stack.stack_id, where, seen)):
                seen.add(event["EventId"])
                if on_event:
                    on_event(event)
        if status == "DELETE_COMPLETE":
            return protected
        if not status.endswith("_IN_PROGRESS"):
            raise AwsError(f"{where} ended {status}: {failure_reason(cfn, stack.stack_id, where, before)}")
        if time.monotonic() > deadline:
            raise AwsError(f"{where} was still {status} after {timeout:.0f} s")
        time.sleep(poll)


@dataclass(frozen=True)
class InstanceStack:
    region: str
    account: str
    stack_id: str
    unit: str  # the organizational unit it was deployed through (service-managed stack sets), else ""
    values: StackValues | None  # None when the instance's stack cannot be read (moto: its StackId is made up)


def instance_stacks(aws: Aws, cfn: Any, name: str, role_name: str) -> list[InstanceStack]:
    """Each instance of the stack set `name` and its stack, read in its own account and region."""
    found = []
    with explained(f"listing the instances of the stack set {name}"):
        summaries = [s for page in cfn.get_paginator("list_stack_instances").paginate(StackSetName=name)
                     for s in page.get("Summaries", [])]
    for summary in summaries:
        region, account, stack_id = summary["Region"], summary["Account"], summary.get("StackId", "")
        values = None
        if stack_id:
            try:
                values = read(aws.in_account(account, role_name), stack_id, region)
            except AwsError:  # the stack ID names no stack there: the stack set's template says what it held
                values = None
        found.append(InstanceStack(region, account, stack_id, summary.get("OrganizationalUnitId", "") or "", values))
    return found


def instance_inventory(aws: Aws, instances: list[InstanceStack], template: dict[str, Any],
                       role_name: str) -> list[Held]:
    """What each instance holds: from its stack where it can be read, else from the stack set's template."""
    held: list[Held] = []
    for instance in instances:
        label = f"stack set instance {instance.region} {instance.account}"
        if instance.values is not None:
            held += inventory(aws.in_account(instance.account, role_name), instance.values, label)
            continue
        for logical, resource in sorted(template.get("Resources", {}).items()):
            name = resource.get("Properties", {}).get("TableName")  # fixed names are known without the stack
            held.append(Held(logical, resource.get("Type", ""), name if isinstance(name, str) else "",
                             str(resource.get("DeletionPolicy", "")), label, instance.region, instance.account))
    return held


def stack_set_template(existing: dict[str, Any]) -> dict[str, Any]:
    """The template a stack set holds (its instances' template), parsed."""
    from specc.aws.data_loss_guard import _template

    return _template(existing.get("TemplateBody"))


def delete_stack_set(cfn: Any, name: str, instances: list[InstanceStack], preferences: dict[str, Any],
                     on_instance: Callable[[Instance], None] | None = None, poll: float = POLL_SECONDS,
                     timeout: float = TIMEOUT_SECONDS) -> list[dict[str, Any]]:
    """Delete every instance (grouped by the accounts each region has), wait for each operation, then the set.
    Returns the operations that did not succeed (the stack set is kept then: its instances still exist)."""
    units = any(instance.unit for instance in instances)  # service-managed: deleted by unit, not by account
    regions: dict[str, set[str]] = {}
    for instance in instances:
        regions.setdefault(instance.region, set()).add(instance.unit if units else instance.account)
    groups: dict[tuple[str, ...], list[str]] = {}
    for region, present in regions.items():
        groups.setdefault(tuple(sorted(present)), []).append(region)
    order = list(preferences.get("RegionOrder", []))
    failed = []
    for accounts, in_regions in sorted(groups.items()):
        in_regions.sort(key=lambda r: (order.index(r) if r in order else len(order), r))
        targets: dict[str, Any] = ({"DeploymentTargets": {"OrganizationalUnitIds": list(accounts)}} if units
                                   else {"Accounts": list(accounts)})
        with explained(f"deleting the instances of the stack set {name} in {', '.join(in_regions)}"):
            operation = cfn.delete_stack_instances(
                StackSetName=name, Regions=in_regions, RetainStacks=False, **targets,
                OperationPreferences={k: v for k, v in preferences.items() if k != "RegionOrder"}
                | {"RegionOrder": in_regions})["OperationId"]
        outcome = _wait(cfn, name, operation, on_instance, poll, timeout, order)
        if outcome.get("Status") != "SUCCEEDED":
            failed.append(outcome)
    if not failed:
        with explained(f"deleting the stack set {name}"):
            cfn.delete_stack_set(StackSetName=name)
    return failed
