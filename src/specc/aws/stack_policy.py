"""The stack policy specc sets on every stack it deploys, and its temporary lifting for `--allow-data-loss`.

A stack policy is CloudFormation's own guard, checked on every update whoever runs it (`specc deploy`, the
console, `aws cloudformation deploy`): this one allows every update except Update:Replace and Update:Delete
on the resource types that hold data, so removing a table from the template, or changing its key, fails
the update instead of deleting the table. Termination protection guards the other way data goes: deleting
the whole stack. Both are set after each deploy (also on stacks an older specc created).

Changes are executed from change sets, and ExecuteChangeSet takes no StackPolicyDuringUpdateBody (only
UpdateStack does), so `--allow-data-loss` lifts the policy with SetStackPolicy for that one execution and
puts it back afterwards, whatever the outcome.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from specc.output.data_loss import STATEFUL

PROTECT: dict[str, Any] = {
    "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "Update:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": ["Update:Replace", "Update:Delete"], "Resource": "*",
         "Condition": {"StringEquals": {"ResourceType": sorted(STATEFUL)}}},
    ]
}
ALLOW_ALL: dict[str, Any] = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "Update:*",
                                            "Resource": "*"}]}


def body(policy: dict[str, Any]) -> str:
    return json.dumps(policy, sort_keys=True, separators=(",", ":"))


def nested_stacks(cfn: Any, name: str) -> list[str]:
    """The stack IDs of `name`'s nested stacks, at any depth (each has a policy of its own)."""
    from specc.aws.session import explained

    found: list[str] = []
    with explained(f"listing the nested stacks of {name}"):
        for resource in cfn.describe_stack_resources(StackName=name)["StackResources"]:
            if resource.get("ResourceType") == "AWS::CloudFormation::Stack" and resource.get("PhysicalResourceId"):
                found.append(resource["PhysicalResourceId"])
    return found + [inner for stack in found for inner in nested_stacks(cfn, stack)]


def protect(cfn: Any, name: str, where: str) -> None:
    """Termination protection on the stack; the protective policy on it and on its nested stacks."""
    from specc.aws.session import explained

    with explained(f"turning on termination protection of {where}"):
        cfn.update_termination_protection(StackName=name, EnableTerminationProtection=True)
    for stack in [name, *nested_stacks(cfn, name)]:
        with explained(f"setting the stack policy of {where}" + (f" (nested stack {stack})" if stack != name else "")):
            cfn.set_stack_policy(StackName=stack, StackPolicyBody=body(PROTECT))


@contextmanager
def lifted(cfn: Any, name: str, where: str) -> Iterator[None]:
    """No policy in the way for the duration (`--allow-data-loss`); the protective one afterwards, always."""
    from specc.aws.session import explained

    stacks = [name, *nested_stacks(cfn, name)]
    for stack in stacks:
        with explained(f"lifting the stack policy of {where} for this update (--allow-data-loss)"):
            cfn.set_stack_policy(StackName=stack, StackPolicyBody=body(ALLOW_ALL))
    try:
        yield
    finally:
        for stack in stacks:
            try:
                with explained(f"putting the stack policy of {where} back"):
                    cfn.set_stack_policy(StackName=stack, StackPolicyBody=body(PROTECT))
            except Exception:  # a nested stack the update deleted: nothing left to protect
                if stack == name:
                    raise
