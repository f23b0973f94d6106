"""`specc deploy` and `specc rollout` of one service into the same account and region would create the same
physical names twice (tables, queues, roles, log groups: every name is `<service>-<name>-<environment>`).

The second one fails half-way, after uploading and waiting, on whichever name CloudFormation creates first, and
leaves a rolled-back stack or a failed instance behind. So each command first looks for the other's stack
where it is about to deploy, and refuses with one line that names it: one service is deployed one way per
account and region (use another `environment` to run both side by side).
"""

from __future__ import annotations

from specc.aws import stacks, stacksets
from specc.aws.session import Aws, AwsError
from specc.aws.targets import Target

GONE = ("DELETE_COMPLETE", "REVIEW_IN_PROGRESS")  # a stack by that name that holds no resources


def refuse_deploy_over_rollout(aws: Aws, stack_set: str, admin_region: str, region: str) -> None:
    """Before `specc deploy` into the caller's account and `region`: no instance of the service's stack set there."""
    cfn = aws.client("cloudformation", admin_region)
    if stacksets.describe(cfn, stack_set) is None:
        return
    if any(i.account == aws.account and i.region == region for i in stacksets.instances(cfn, stack_set)):
        raise AwsError(f"the stack set {stack_set} (administered in {admin_region}) already has an instance in "
                       f"{region} {aws.account}: `specc deploy` there would create the same physical names; "
                       "deploy it one way per account and region (or use another environment)")


def refuse_rollout_over_deploy(aws: Aws, stack: str, targets: list[Target], role_name: str) -> None:
    """Before `specc rollout`: no stack that `specc deploy` made (named `stack`) in any target account and region."""
    found = []
    for target in targets:
        account = aws.in_account(target.account, role_name)
        where = f"stack {stack} in {target.region} {target.account}"
        existing = stacks.describe(account.client("cloudformation", target.region), stack, where)
        if existing is not None and existing.get("StackStatus") not in GONE:
            found.append(str(target))
    if found:
        raise AwsError(f"`specc deploy` already made the stack {stack} in {', '.join(found)}: rolling out the stack "
                       "set there would create the same physical names; deploy it one way per account and region "
                       "(delete that stack first, or use another environment)")
