"""Customer-managed KMS keys: rotation always on, an alias, and a policy naming exactly who uses the key."""

from __future__ import annotations

from typing import Any

from awacs.aws import Action, Allow, Condition, PolicyDocument, Principal, Statement
from pydantic import Field
from troposphere import GetAtt, Ref, Sub, kms

from specc.build.context import BuildContext
from specc.build.iam import Grant, key_grant, logs_condition
from specc.build.naming import camel, logical_id
from specc.build.scanners import skip
from specc.kinds import existing
from specc.kinds.base import Attribute, Kind, NameRule, getatt_attribute, ref_attribute
from specc.kinds.existing import existing_field
from specc.language.types import SpecModel

USER_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
# Why the key policy's only wildcard stays (cfripper flags any `*` action, even the root's).
ROOT_ADMINISTERS = ("AWS's default key policy statement: the account root administers the key (kms:*) so IAM policies "
                    "apply to it and it can never become unmanageable; every role and service is named with exactly "
                    "its actions")


class KeySpec(SpecModel):
    """A customer-managed KMS key (rotation cannot be turned off), or one that exists (`existing:`): existing
    tables, buckets, queues, topics and secrets name it as their `encryption`, and `uses` grants on it."""

    existing: str | None = existing_field("keys")

    description: str = Field("", max_length=8192, description="What the key protects.",
                             examples=["payment tables, queues and topics"])
    rotation_period_days: int = Field(365, ge=90, le=2560, description="Days between automatic rotations.",
                                      examples=[365])
    pending_window_days: int = Field(30, ge=7, le=30, description="Days a scheduled deletion can still be cancelled.",
                                     examples=[30])


def build(ctx: BuildContext, name: str, spec: KeySpec) -> None:
    key_id = logical_id(name, "Key")
    users = ctx.key_users.get(name)
    statements = [Statement(
        Sid="AccountRootAdministers",
        Effect=Allow,
        Principal=Principal("AWS", Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")),
        Action=[Action("kms", "*")],
        Resource=["*"],
    )]
    by_actions: dict[tuple[str, ...], list[str]] = {}
    for role, role_actions in sorted((users.roles if users else {}).items()):
        by_actions.setdefault(tuple(sorted(role_actions)), []).append(role)
    for index, (actions, roles) in enumerate(sorted(by_actions.items())):
        statements.append(Statement(
            Sid=f"ServiceRolesUseKey{index + 1}",
            Effect=Allow,
            Principal=Principal("AWS", [GetAtt(role, "Arn") for role in roles]),
            Action=[Action(*a.split(":", 1)) for a in actions],
            Resource=["*"],
        ))
    for service, use in sorted((users.services if users else {}).items()):
        statement = Statement(
            Sid=f"{camel(service.split('.')[0])}ServiceUsesKey",
            Effect=Allow,
            Principal=Principal("Service", Sub(service) if "${" in service else service),
            Action=[Action(*a.split(":", 1)) for a in sorted(use.actions)],
            Resource=["*"],
        )
        conditions = use.conditions + ([logs_condition(use.log_groups)] if use.log_groups else [])
        if conditions:
            statement.Condition = Condition(conditions)
        statements.append(statement)
    key = kms.Key(
        key_id,
        Description=spec.description or f"{ctx.spec.service} {name} key ({ctx.spec.environment})",
        EnableKeyRotation=True,
        RotationPeriodInDays=spec.rotation_period_days,
        PendingWindowInDays=spec.pending_window_days,
        KeyPolicy=PolicyDocument(Version="2012-10-17", Statement=statements),
    )
    skip(key, "GenericResourceWildcardPolicyRule", ROOT_ADMINISTERS, tool="cfripper")
    ctx.add(key, ("keys", name))
    ctx.add(kms.Alias(
        logical_id(name, "KeyAlias"),
        AliasName=f"alias/{ctx.physical(name)}",
        TargetKeyId=Ref(key_id),
    ), ("keys", name))
    ctx.output(logical_id(name, "KeyArn"), GetAtt(key_id, "Arn"), f"ARN of the {name} key")


def names(spec: Any, name: str, entry: KeySpec) -> list[NameRule]:
    return [NameRule("key alias", f"alias/{spec.physical(name)}", 256, r"^alias/[A-Za-z0-9/_-]+$")]


_KEY_ACCESS = {
    "decrypt": ("kms:Decrypt", "kms:DescribeKey"),
    "encrypt": ("kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"),
    "encrypt_decrypt": USER_ACTIONS,
}


def grant(ctx: BuildContext, name: str, access: str) -> list[Grant]:
    return [key_grant(name, _KEY_ACCESS[access])]


KIND = Kind(
    section="keys",
    singular="key",
    model=KeySpec,
    description="Customer-managed KMS keys (rotation always on). Everything that stores data is encrypted with one.",
    build=build,
    names=names,
    late=True,
    access={"decrypt": "kms:Decrypt", "encrypt": "kms:Encrypt and GenerateDataKey",
            "encrypt_decrypt": "both"},
    grant=grant,
    env_value=existing.either("keys", lambda ctx, name: existing.arn(ctx, "keys", name),
                              lambda ctx, name: GetAtt(logical_id(name, "Key"), "Arn")),
    attributes={"alias": Attribute("alias name of the key (`alias/...`)",
                                   lambda ctx, name: f"alias/{ctx.physical(name)}", created_only=True),
                "arn": existing.existing_or("keys", "arn", getatt_attribute("Key", "Arn", "ARN of the key")),
                "id": existing.existing_or("keys", "name", ref_attribute("Key", "key ID"))},
)
