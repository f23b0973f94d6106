"""S3 buckets: a customer-managed key, versioning, no public access, TLS only, lifecycle rules, access logs,
and upload triggers to functions.

Everything outside the bucket names it by its deterministic physical name (`<service>-<name>-<environment>-
<account>-<region>`), never by `Ref`/`GetAtt`: a triggered function's permission must exist before the bucket
(S3 checks it when the notification is set), and the function often reads the bucket, so a function policy or
environment that referred to the bucket resource would close the cycle bucket → permission → function → policy
→ bucket. The bucket has one policy (its own resource): TLS only, objects written with its own key only, plus
the statements other kinds registered in `ctx.bucket_statements` (CloudFront's origin access), which is why
this kind is built after them.
"""

from __future__ import annotations

from typing import Any, Literal

from awacs.aws import (
    Action,
    ArnNotEquals,
    Bool,
    Condition,
    Deny,
    PolicyDocument,
    Principal,
    Statement,
    StringNotEqualsIfExists,
)
from pydantic import Field, model_validator
from troposphere import AccountId, GetAtt, Ref, Sub, awslambda, s3

from specc.build.context import BuildContext
from specc.build.iam import Grant, key_grant
from specc.build.log_buckets import (
    ACCOUNT_REGION,
    LogBucket,
    access_log_statement,
    add_log_bucket,
    bucket_name,
    bucket_name_example,
    tls_only,
)
from specc.build.naming import camel, logical_id
from specc.build.scanners import skip
from specc.kinds import existing
from specc.kinds.base import Attribute, Kind, Metrics, NameRule, Reference
from specc.kinds.existing import existing_field
from specc.language.types import Name, SpecModel

BUCKET_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"
# S3 event names by the short name a spec uses.
EVENTS = {"created": "s3:ObjectCreated:*", "removed": "s3:ObjectRemoved:*", "restored": "s3:ObjectRestore:Completed"}
Event = Literal[tuple(EVENTS)]  # type: ignore[valid-type]
REQUEST_METRICS_ID = "EntireBucket"  # the FilterId of the request-metrics configuration (a dimension of its metrics)
STORAGE_METRICS = {"NumberOfObjects": "AllStorageTypes", "BucketSizeBytes": "StandardStorage"}
REQUEST_METRICS = ("4xxErrors", "5xxErrors", "AllRequests", "BytesDownloaded", "BytesUploaded", "DeleteRequests",
                   "FirstByteLatency", "GetRequests", "HeadRequests", "ListRequests", "PostRequests", "PutRequests",
                   "TotalRequestLatency")


class Trigger(SpecModel):
    """Invoke a function (asynchronously) when objects under `prefix` ending in `suffix` change."""

    function: Name = Field(description="The function (from `functions`) invoked.", examples=["process_upload"])
    events: list[Event] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["created"], min_length=1,
        description="Object events: `created` (any upload or copy), `removed`, `restored` (from an archive tier).",
        examples=[["created"]])
    prefix: str | None = Field(None, min_length=1, max_length=1024, description="Only keys starting with this.",
                               examples=["uploads/"])
    suffix: str | None = Field(None, min_length=1, max_length=1024, description="Only keys ending with this.",
                               examples=[".csv"])

    @model_validator(mode="after")
    def _unique_events(self) -> Trigger:
        if len(set(self.events)) != len(self.events):
            raise ValueError("an event is listed twice")
        return self


class Lifecycle(SpecModel):
    """What happens to objects as they age (all rules apply to the whole bucket)."""

    intelligent_tiering_days: int | None = Field(
        0, ge=0, le=36500, description="Move objects to S3 Intelligent-Tiering this many days after upload (0: at "
        "once; AWS moves objects between access tiers by use, without retrieval fees). `null`: stay in Standard.",
        examples=[0])
    noncurrent_version_expiry_days: int | None = Field(
        90, ge=1, le=36500, description="Delete overwritten and deleted versions this many days after they stop "
        "being current. `null`: keep them.", examples=[90])
    abort_incomplete_uploads_days: int = Field(7, ge=1, le=365, description="Delete the parts of multipart uploads "
                                               "that never completed after this many days.", examples=[7])
    expire_days: int | None = Field(None, ge=1, le=36500, description="Delete current objects this many days after "
                                    "upload; default: never.", examples=[365])


class BucketSpec(SpecModel):
    """An S3 bucket, or one that exists (`existing:`)."""

    existing: str | None = existing_field("buckets")
    encryption: Name | None = Field(None, description="The key (from `keys`) for SSE-KMS (with an S3 Bucket Key); "
                                    "default: `defaults.key`.", examples=["storage"])
    versioning: bool = Field(True, description="Keep every version of every object. Turning it off is recorded in "
                             "the template.", examples=[True])
    lifecycle: Lifecycle = Field(default_factory=Lifecycle, description="Intelligent tiering, expiry of old versions "
                                 "and of incomplete uploads.")
    access_logs: bool = Field(True, description="S3 server access logs to the bucket's own log bucket "
                              "(`<service>-<name>-logs-<environment>-...`, SSE-S3 as S3 log delivery requires). "
                              "Turning them off is recorded in the template.", examples=[True])
    access_log_retention_days: int = Field(365, ge=1, le=36500, description="Days access logs are kept.",
                                           examples=[90])
    only_users: bool = Field(False, description="The bucket policy denies reading, writing and listing objects to "
                             "every principal except the roles of the functions that `use` this bucket (AWS services "
                             "acting for the bucket, like CloudFront's origin access, are not affected): not even an "
                             "administrator of the account can read the data.", examples=[True])
    request_metrics: bool = Field(False, description="CloudWatch request metrics for the whole bucket (AllRequests, "
                                  "4xxErrors, FirstByteLatency...), so alarms can watch them (paid per metric).",
                                  examples=[True])
    triggers: list[Trigger] = Field(default_factory=list, description="Functions invoked when objects change.",
                                    examples=[[{"function": "process_upload", "events": ["created"],
                                                "prefix": "uploads/", "suffix": ".csv"}]])


def physical_arn(ctx: BuildContext, name: str, path: str = "") -> Any:
    """The bucket's ARN (or an object ARN pattern) from its deterministic name: no dependency on the bucket."""
    if existing.is_existing(ctx.spec.buckets[name]):
        return existing.arn(ctx, "buckets", name, path)
    return Sub(f"arn:${{AWS::Partition}}:s3:::{ctx.physical(name)}-{ACCOUNT_REGION}{path}")


def _encryption(key: str) -> s3.BucketEncryption:
    return s3.BucketEncryption(ServerSideEncryptionConfiguration=[s3.ServerSideEncryptionRule(
        BucketKeyEnabled=True,
        ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(
            SSEAlgorithm="aws:kms", KMSMasterKeyID=GetAtt(logical_id(key, "Key"), "Arn")))])


def _lifecycle(spec: BucketSpec) -> s3.LifecycleConfiguration:
    settings = spec.lifecycle
    rule = s3.LifecycleRule(
        Id="Housekeeping",
        Status="Enabled",
        AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(
            DaysAfterInitiation=settings.abort_incomplete_uploads_days),
    )
    if settings.intelligent_tiering_days is not None:
        rule.Transitions = [s3.LifecycleRuleTransition(StorageClass="INTELLIGENT_TIERING",
                                                       TransitionInDays=settings.intelligent_tiering_days)]
    if settings.noncurrent_version_expiry_days is not None and spec.versioning:
        rule.NoncurrentVersionExpiration = s3.NoncurrentVersionExpiration(
            NoncurrentDays=settings.noncurrent_version_expiry_days)
    if settings.expire_days is not None:
        rule.ExpirationInDays = settings.expire_days
    return s3.LifecycleConfiguration(Rules=[rule])


def permission_id(name: str, function: str) -> str:
    return f"{camel(name)}Bucket{camel(function)}Permission"


def _triggers(ctx: BuildContext, name: str, spec: BucketSpec, bucket: s3.Bucket) -> None:
    from specc.kinds.functions import invoke_arn

    configurations = []
    permissions = []
    for index, trigger in enumerate(spec.triggers):
        target = invoke_arn(ctx, trigger.function)
        rules = []
        if trigger.prefix:
            rules.append(s3.Rules(Name="prefix", Value=trigger.prefix))
        if trigger.suffix:
            rules.append(s3.Rules(Name="suffix", Value=trigger.suffix))
        for event in trigger.events:
            configuration = s3.LambdaConfigurations(Event=EVENTS[event], Function=target)
            if rules:
                configuration.Filter = s3.Filter(S3Key=s3.S3Key(Rules=rules))
            configurations.append(configuration)
        permission = permission_id(name, trigger.function)
        if permission in permissions:
            continue  # one permission per function, whatever its filters
        permissions.append(permission)
        ctx.add(awslambda.Permission(
            permission,
            Action="lambda:InvokeFunction",
            FunctionName=target,
            Principal="s3.amazonaws.com",
            SourceAccount=AccountId,
            SourceArn=physical_arn(ctx, name),
        ), ("buckets", name, "triggers", index))
    bucket.NotificationConfiguration = s3.NotificationConfiguration(LambdaConfigurations=configurations)
    bucket.DependsOn = sorted(permissions)  # S3 tests the permission when the notification is put


def _policy(ctx: BuildContext, name: str, bucket_id: str, key: str) -> PolicyDocument:
    key_arn = GetAtt(logical_id(key, "Key"), "Arn")
    objects = Sub(f"${{{bucket_id}.Arn}}/*")
    return PolicyDocument(Version="2012-10-17", Statement=[
        tls_only(bucket_id),
        # Default encryption covers uploads without encryption headers; these refuse headers asking for another.
        Statement(Sid="DenyOtherEncryption", Effect=Deny, Principal=Principal("*"), Action=[Action("s3", "PutObject")],
                  Resource=[objects], Condition=Condition(StringNotEqualsIfExists(
                      "s3:x-amz-server-side-encryption", "aws:kms"))),
        Statement(Sid="DenyOtherKeys", Effect=Deny, Principal=Principal("*"), Action=[Action("s3", "PutObject")],
                  Resource=[objects], Condition=Condition(StringNotEqualsIfExists(
                      "s3:x-amz-server-side-encryption-aws-kms-key-id", key_arn))),
        *_only_users(ctx, name, bucket_id),
        *ctx.bucket_statements.get(name, []),
    ])


OBJECT_DATA_ACTIONS = ("DeleteObject", "DeleteObjectVersion", "GetObject", "GetObjectVersion", "PutObject",
                       "RestoreObject")


def users(ctx: BuildContext, name: str) -> list[str]:
    """The functions that `use` the bucket, by name."""
    return sorted(f for f, spec in ctx.spec.functions.items() if name in spec.uses.get("buckets", {}))


def _only_users(ctx: BuildContext, name: str, bucket_id: str) -> list[Statement]:
    """`only_users`: a Deny no identity policy can override, for every principal but the using functions' roles.

    Requests that AWS services make for the bucket (CloudFront's origin access, S3 log delivery) carry
    `aws:PrincipalIsAWSService` true and pass; an absent `aws:PrincipalArn` never matches a role.
    """
    if not ctx.spec.buckets[name].only_users:
        return []
    conditions: list[Any] = [Bool("aws:PrincipalIsAWSService", "false")]
    roles = [GetAtt(logical_id(function, "Role"), "Arn") for function in users(ctx, name)]
    if roles:
        conditions.append(ArnNotEquals("aws:PrincipalArn", roles))
    return [Statement(
        Sid="DenyAllButItsFunctions", Effect=Deny, Principal=Principal("*"),
        Action=[Action("s3", a) for a in OBJECT_DATA_ACTIONS] + [Action("s3", "ListBucket")],
        Resource=[GetAtt(bucket_id, "Arn"), Sub(f"${{{bucket_id}.Arn}}/*")],
        Condition=Condition(conditions),
    )]


def build(ctx: BuildContext, name: str, spec: BucketSpec) -> None:
    origin = ("buckets", name)
    bucket_id = logical_id(name, "Bucket")
    logs_id = logical_id(name, "AccessLogsBucket")
    key = ctx.key_for(spec.encryption)
    bucket = s3.Bucket(
        bucket_id,
        BucketName=bucket_name(ctx, name),
        BucketEncryption=_encryption(key),
        PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
            BlockPublicAcls=True, BlockPublicPolicy=True, IgnorePublicAcls=True, RestrictPublicBuckets=True),
        OwnershipControls=s3.OwnershipControls(Rules=[s3.OwnershipControlsRule(
            ObjectOwnership="BucketOwnerEnforced")]),
        LifecycleConfiguration=_lifecycle(spec),
    )
    if spec.versioning:
        bucket.VersioningConfiguration = s3.VersioningConfiguration(Status="Enabled")
    else:
        ctx.opt_out(bucket, "versioning", origin + ("versioning",))
        reason = f"versioning turned off in the spec (buckets.{name}.versioning: false)"
        skip(bucket, "CKV_AWS_21", reason)
        skip(bucket, "S3ObjectVersioningRule", reason, tool="cfripper")
    if spec.access_logs:
        bucket.LoggingConfiguration = s3.LoggingConfiguration(DestinationBucketName=Ref(logs_id),
                                                              LogFilePrefix=f"{name}/")
    else:
        ctx.opt_out(bucket, "access_logs", origin + ("access_logs",))
        skip(bucket, "CKV_AWS_18", f"access logs turned off in the spec (buckets.{name}.access_logs: false)")
    if spec.request_metrics:
        bucket.MetricsConfigurations = [s3.MetricsConfiguration(Id=REQUEST_METRICS_ID)]
    if spec.triggers:
        _triggers(ctx, name, spec, bucket)
    ctx.add(bucket, origin)
    ctx.add(s3.BucketPolicy(logical_id(name, "BucketPolicy"), Bucket=Ref(bucket_id),
                            PolicyDocument=_policy(ctx, name, bucket_id, key)), origin)
    if spec.access_logs:
        add_log_bucket(ctx, LogBucket(
            bucket_id=logs_id, what=f"{name}-logs", key=key, origin=origin + ("access_logs",),
            expire_days=spec.access_log_retention_days, access_log_target=True,
            statements=[access_log_statement(logs_id, [bucket_id])]))
    ctx.output(logical_id(name, "BucketName"), Ref(bucket_id), f"Name of the {name} bucket")


_READ = ("s3:GetObject",)
_WRITE = ("s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject")
_KEY_READ = ("kms:Decrypt",)
_KEY_WRITE = ("kms:Decrypt", "kms:GenerateDataKey")  # multipart uploads decrypt the data key of earlier parts


def grant(ctx: BuildContext, name: str, access: str) -> list[Grant]:
    spec: BucketSpec = ctx.spec.buckets[name]
    reads = access in ("read", "read_write")
    writes = access in ("write", "read_write")
    level = "ReadWrite" if reads and writes else "Read" if reads else "Write"
    grants = [Grant(sid=f"{camel(name)}Bucket{level}Objects",
                    actions=tuple(sorted((_READ if reads else ()) + (_WRITE if writes else ()))),
                    resources=(physical_arn(ctx, name, "/*"),))]
    if reads:  # listing is a bucket-level action, on the bucket's ARN
        grants.append(Grant(sid=f"{camel(name)}BucketList", actions=("s3:ListBucket",),
                            resources=(physical_arn(ctx, name),)))
    if spec.existing is None or spec.encryption:  # an existing bucket names its key, or has none of the service's
        grants.append(key_grant(ctx.key_for(spec.encryption), _KEY_WRITE if writes else _KEY_READ))
    return grants


def references(name: str, spec: BucketSpec) -> list[Reference]:
    refs = []
    if spec.encryption:
        refs.append(Reference(("buckets", name, "encryption"), "keys", spec.encryption))
    refs += [Reference(("buckets", name, "triggers", index, "function"), "functions", trigger.function,
                       relation="triggers") for index, trigger in enumerate(spec.triggers)]
    return refs


def names(spec: Any, name: str, entry: BucketSpec) -> list[NameRule]:
    rules = [NameRule("bucket name", bucket_name_example(spec, name), 63, BUCKET_NAME_PATTERN)]
    if entry.access_logs:
        rules.append(NameRule("access log bucket name", bucket_name_example(spec, f"{name}-logs"), 63,
                              BUCKET_NAME_PATTERN))
    return rules


def _dimensions(ctx: BuildContext, name: str, metric: str) -> list[tuple[str, Any]]:
    if metric in STORAGE_METRICS:
        return [("BucketName", Ref(logical_id(name, "Bucket"))), ("StorageType", STORAGE_METRICS[metric])]
    return [("BucketName", Ref(logical_id(name, "Bucket"))), ("FilterId", REQUEST_METRICS_ID)]


KIND = Kind(
    section="buckets",
    singular="bucket",
    model=BucketSpec,
    description="S3 buckets (customer-managed key, versioning, no public access, TLS only, lifecycle rules, access "
                "logs, upload triggers).",
    build=build,
    references=references,
    access={"read": "get and list objects", "write": "put and delete objects", "read_write": "both"},
    grant=grant,
    env_value=existing.either("buckets", lambda ctx, name: existing.resource_name(ctx, "buckets", name),
                              lambda ctx, name: Sub(f"{ctx.physical(name)}-{ACCOUNT_REGION}")),
    # From the deterministic name, not a Ref: a bucket that notifies a function depends on it.
    attributes={"arn": existing.existing_or("buckets", "arn", Attribute("ARN of the bucket", lambda ctx, name: Sub(
                    f"arn:${{AWS::Partition}}:s3:::{ctx.physical(name)}-{ACCOUNT_REGION}"))),
                "name": existing.existing_or("buckets", "name", Attribute(
                    "name of the bucket", lambda ctx, name: Sub(f"{ctx.physical(name)}-{ACCOUNT_REGION}")))},
    metrics=Metrics(
        namespace="AWS/S3",
        names=tuple(sorted(STORAGE_METRICS)) + REQUEST_METRICS,
        dimensions=lambda ctx, name: _dimensions(ctx, name, "NumberOfObjects"),
        metric_dimensions=_dimensions,
    ),
    names=names,
)
