"""Grants collected from the graph become one least-privilege policy per role.

Kinds say what a function may do to them (`Grant`s); this pass merges them per role into a single
`AWS::IAM::Policy` (separate from the role, so a key policy can name the role without a cycle).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from awacs.aws import Action, Allow, ArnLike, Bool, Condition, Deny, PolicyDocument, Principal, Statement
from troposphere import GetAtt, Ref, Sub, iam

from specc.build.naming import logical_id

if TYPE_CHECKING:
    from specc.build.context import BuildContext

# Actions whose API takes no resource ARN: AWS requires "*" as the resource for them.
WILDCARD_RESOURCE_REASONS = {
    "xray:PutTraceSegments": "X-Ray trace APIs do not support resource-level permissions",
    "xray:PutTelemetryRecords": "X-Ray trace APIs do not support resource-level permissions",
    # A function in a VPC (`network: private`): Lambda creates its network interfaces with the function's role.
    "ec2:DescribeNetworkInterfaces": "EC2 Describe APIs do not support resource-level permissions",
    "ec2:DescribeSubnets": "EC2 Describe APIs do not support resource-level permissions",
    # A secret's rotation function (secrets.<name>.rotation): generating a password names no resource.
    "secretsmanager:GetRandomPassword": "GetRandomPassword acts on no resource",
    # A workflow's role: X-Ray sampling, and the log delivery Step Functions sets up to its log group (AWS's
    # documented policy: these CloudWatch Logs APIs do not support resource-level permissions).
    "xray:GetSamplingRules": "X-Ray sampling APIs do not support resource-level permissions",
    "xray:GetSamplingTargets": "X-Ray sampling APIs do not support resource-level permissions",
    **{f"logs:{action}": "CloudWatch Logs log-delivery APIs do not support resource-level permissions"
       for action in ("CreateLogDelivery", "DeleteLogDelivery", "DescribeLogGroups", "DescribeResourcePolicies",
                      "GetLogDelivery", "ListLogDeliveries", "PutResourcePolicy", "UpdateLogDelivery")},
}


@dataclass(frozen=True)
class Grant:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[Any, ...]
    key: str | None = None  # the spec key this grant uses, so its key policy can name the role
    deny: bool = False  # an explicit Deny (guardrails): wins over any Allow from any other policy
    conditions: tuple[Any, ...] = ()  # awacs condition elements
    # Why a statement is as broad as it is, where AWS leaves no narrower way: written into the policy's
    # `Metadata.specc.statement_reasons` by Sid, so a reviewer of the template reads it beside the statement.
    reason: str = ""


def key_grant(key: str, actions: tuple[str, ...], sid_prefix: str = "") -> Grant:
    return Grant(
        sid=f"{sid_prefix}Key{logical_id(key, '')}",
        actions=actions,
        resources=(GetAtt(logical_id(key, "Key"), "Arn"),),
        key=key,
    )


LOGS_SERVICE = "logs.${AWS::Region}.amazonaws.com"
LOGS_KEY_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
                    "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo")


LOG_GROUP_ARN = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"


def use_logs_key(ctx: BuildContext, key: str, log_group: str) -> None:
    """CloudWatch Logs may use the key only for this service's log groups (AWS's documented key policy, with the
    `kms:EncryptionContext:aws:logs:arn` condition naming them rather than every log group of the account).
    `log_group` is a name, or a pattern for a family of them (`/aws/lambda/<service>-*-<environment>`): one ARN per
    family keeps the key policy within its 32 KB whatever the number of functions."""
    ctx.use_key(key, LOGS_KEY_ACTIONS, service=LOGS_SERVICE)
    ctx.key_users[key].services[LOGS_SERVICE].log_groups.add(log_group)


def logs_condition(log_groups: set[str]) -> Any:
    """The key policy's condition for CloudWatch Logs: the log group ARNs the key may encrypt."""
    return ArnLike("kms:EncryptionContext:aws:logs:arn", [Sub(LOG_GROUP_ARN + name) for name in sorted(log_groups)])


@lru_cache(maxsize=4096)
def _action(name: str) -> Action:
    """One awacs Action per name, shared by every statement (never mutated; a large service has thousands)."""
    return Action(*name.split(":", 1))


def _statement(grant: Grant) -> Statement:
    statement = Statement(
        Sid=grant.sid,
        Effect=Deny if grant.deny else Allow,
        Action=[_action(name) for name in grant.actions],
        Resource=list(grant.resources),
    )
    if grant.conditions:
        statement.Condition = Condition(list(grant.conditions))
    return statement


def merge(grants: list[Grant], texts: dict[Any, str] | None = None) -> list[Grant]:
    """One statement per Sid: actions and resources unioned, both in a stable order. `texts` (attach passes one
    for all roles) keeps each resource's JSON, the key of that order, by value: most recur in many roles."""
    by_sid: dict[str, Grant] = {}
    for grant in grants:
        seen = by_sid.get(grant.sid)
        if seen is None:
            by_sid[grant.sid] = grant
            continue
        resources = {_json_text(r, texts): r for r in seen.resources + grant.resources}
        by_sid[grant.sid] = Grant(
            sid=grant.sid,
            actions=tuple(sorted(set(seen.actions) | set(grant.actions))),
            resources=tuple(resources[k] for k in sorted(resources)),
            key=seen.key or grant.key,
            deny=seen.deny,
            conditions=seen.conditions,
            reason=seen.reason or grant.reason,
        )
    return [_sorted_actions(g) for _, g in sorted(by_sid.items())]


def _json_text(resource: Any, texts: dict[Any, str] | None) -> str:
    """json.dumps of the resource's plain value (sorted keys): the key merge dedupes and orders resources by."""
    if texts is None:
        return json.dumps(_plain(resource), sort_keys=True)
    try:
        key = _value_key(resource)
    except _NoKey:
        return json.dumps(_plain(resource), sort_keys=True)
    text = texts.get(key)
    if text is None:
        text = texts[key] = json.dumps(_plain(resource), sort_keys=True)
    return text


def _sorted_actions(grant: Grant) -> Grant:
    """The grant with its actions sorted and unique; the same object when they already are (most of them)."""
    actions = tuple(sorted(set(grant.actions)))
    if actions == grant.actions:
        return grant
    return replace(grant, actions=actions)


def policy_document(grants: list[Grant]) -> PolicyDocument:
    return _document(merge(grants))


def _document(merged: list[Grant], shared: dict[Any, Statement] | None = None) -> PolicyDocument:
    """A policy of grants `merge` already merged (attach merges once, and uses the result twice). With `shared`,
    grants equal in value get one Statement object (encoding only reads it; each policy's JSON has its copy)."""
    if shared is None:
        return PolicyDocument(Version="2012-10-17", Statement=[_statement(g) for g in merged])
    statements = []
    for grant in merged:
        key = _grant_key(grant)
        statement = shared.get(key) if key is not None else None
        if statement is None:
            statement = _statement(grant)
            if key is not None:
                shared[key] = statement
        statements.append(statement)
    return PolicyDocument(Version="2012-10-17", Statement=statements)


class _NoKey(Exception):
    """A value without a cheap exact key (awacs conditions, troposphere objects other than Ref/GetAtt/Sub)."""


def _grant_key(grant: Grant) -> tuple[Any, ...] | None:
    """What a grant's statement says, as a hashable value: equal keys render equal statements. None when a part
    has no such key (conditions): that grant gets its own statement."""
    if grant.conditions:
        return None
    try:
        return grant.sid, grant.actions, tuple(_value_key(r) for r in grant.resources), grant.deny
    except _NoKey:
        return None


def _value_key(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return value
    if kind is Ref or kind is GetAtt or kind is Sub:  # their JSON is their data
        return kind.__name__, _value_key(value.data)
    if kind is dict:
        return "dict", tuple((k, _value_key(v)) for k, v in value.items())
    if kind is list:
        return "list", tuple(_value_key(v) for v in value)
    raise _NoKey(kind)


def attach(ctx: BuildContext) -> None:
    """Create each role's policy and tell each key which roles use it."""
    # Most statements recur across roles (2,000 functions: the same key, trace and guardrail statements; each
    # table's for the functions that use it): 16,001 statements, 6,205 distinct. Built once each.
    shared: dict[Any, Statement] = {}
    texts: dict[Any, str] = {}
    for (role_id, policy_id), grants in sorted(ctx.grants.items()):
        merged = [_on_existing_key(ctx, grant) for grant in merge(grants, texts)]
        for grant in merged:
            if grant.key:
                ctx.use_key(grant.key, grant.actions, role=role_id)
        policy = iam.PolicyType(
            policy_id,
            PolicyName=policy_id,
            PolicyDocument=_document(merged, shared),
            Roles=[Ref(role_id)],
        )
        reasons = {grant.sid: grant.reason for grant in merged if grant.reason}
        if reasons:
            policy.Metadata = {"specc": {"statement_reasons": reasons}}
        ctx.add(policy, ctx.origins.get(role_id, ()))


def _on_existing_key(ctx: BuildContext, grant: Grant) -> Grant:
    """A grant on an existing key (`keys: {x: {existing: ARN}}`) names its ARN and no key of ours: no key policy
    of ours lists the role (the key's owner must allow the account's IAM policies, as AWS's default key policy
    does)."""
    if grant.key not in ctx.existing_keys:
        return grant
    return replace(grant, resources=(ctx.existing_keys[grant.key],), key=None)


def _plain(value: Any) -> Any:
    return value.to_dict() if hasattr(value, "to_dict") else value


def deny_insecure_transport(actions: list[Action], resources: list[Any]) -> Statement:
    """The resource-policy statement every data store gets: requests without TLS are refused (SEC006 looks for it)."""
    return Statement(
        Sid="DenyInsecureTransport",
        Effect=Deny,
        Principal=Principal("*"),
        Action=actions,
        Resource=resources,
        Condition=Condition(Bool("aws:SecureTransport", "false")),
    )
