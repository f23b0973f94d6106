"""Buckets that AWS services write logs into (CloudTrail, AWS Config, CloudFront, S3 server access logs).

Secure like every specc bucket (customer-managed key, versioning, all public access blocked, TLS-only
policy), plus what log delivery needs: a policy statement per delivering service and, for CloudFront's
standard logging only, ACLs (`BucketOwnerPreferred`), because CloudFront grants its log-delivery
account write access through a bucket ACL and fails on buckets with ACLs disabled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from awacs.aws import Action, Condition, PolicyDocument, Principal, Statement
from troposphere import GetAtt, Ref, Sub, s3

from specc.build.context import BuildContext
from specc.build.iam import deny_insecure_transport
from specc.build.naming import logical_id
from specc.build.scanners import skip

ACCOUNT_REGION = "${AWS::AccountId}-${AWS::Region}"
# The longest suffix `ACCOUNT_REGION` can expand to (12 digits, a hyphen, the longest region code specc accepts).
ACCOUNT_REGION_EXAMPLE = "123456789012-ap-southeast-5"


def bucket_name(ctx: BuildContext, what: str) -> Sub:
    """`<service>-<what>-<environment>-<account>-<region>`: bucket names are global, so the account and region
    make each stack instance's bucket its own."""
    return Sub(f"{ctx.physical(what)}-{ACCOUNT_REGION}")


def bucket_name_example(spec: Any, what: str) -> str:
    """The longest name `bucket_name` can produce, for the 63-character check."""
    return f"{spec.physical(what)}-{ACCOUNT_REGION_EXAMPLE}"


@dataclass
class LogBucket:
    bucket_id: str  # logical ID
    what: str  # the entry part of the physical name
    key: str  # spec key that encrypts it
    origin: tuple[Any, ...]
    expire_days: int
    statements: list[Statement] = field(default_factory=list)
    acl_delivery: bool = False  # CloudFront standard logging: ACLs on (BucketOwnerPreferred)
    access_logs_to: str | None = None  # logical ID of the bucket that receives this one's access logs
    access_log_target: bool = False  # receives S3 server access logs: S3 allows only SSE-S3 (AES256) there
    condition: str | None = None
    skips: list[dict[str, str]] = field(default_factory=list)  # checkov skips that truly cannot apply


def add_log_bucket(ctx: BuildContext, spec: LogBucket) -> None:
    if spec.access_log_target:
        encryption = s3.ServerSideEncryptionRule(
            ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(SSEAlgorithm="AES256"))
    else:
        encryption = s3.ServerSideEncryptionRule(
            BucketKeyEnabled=True,
            ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(
                SSEAlgorithm="aws:kms", KMSMasterKeyID=GetAtt(logical_id(spec.key, "Key"), "Arn")))
    bucket = s3.Bucket(
        spec.bucket_id,
        BucketName=bucket_name(ctx, spec.what),
        BucketEncryption=s3.BucketEncryption(ServerSideEncryptionConfiguration=[encryption]),
        VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
        PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
            BlockPublicAcls=True, BlockPublicPolicy=True, IgnorePublicAcls=True, RestrictPublicBuckets=True),
        OwnershipControls=s3.OwnershipControls(Rules=[s3.OwnershipControlsRule(
            ObjectOwnership="BucketOwnerPreferred" if spec.acl_delivery else "BucketOwnerEnforced")]),
        LifecycleConfiguration=s3.LifecycleConfiguration(Rules=[s3.LifecycleRule(
            Id="ExpireLogs",
            Status="Enabled",
            ExpirationInDays=spec.expire_days,
            NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=30),
            AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=7),
        )]),
    )
    if spec.access_logs_to:
        bucket.LoggingConfiguration = s3.LoggingConfiguration(
            DestinationBucketName=Ref(spec.access_logs_to), LogFilePrefix=f"{spec.what}/")
    if spec.access_log_target:
        ctx.opt_out(bucket, "customer_managed_key", spec.origin, "S3 server access logs can only be delivered to a "
                    "bucket encrypted with SSE-S3 (AES256), not SSE-KMS")
    skips = list(spec.skips) + ([ACCESS_LOG_SKIP] if spec.access_log_target else [])
    for entry in skips:
        skip(bucket, entry["id"], entry["comment"])
    if spec.condition:
        bucket.Condition = spec.condition
    ctx.add(bucket, spec.origin)

    policy = s3.BucketPolicy(
        f"{spec.bucket_id}Policy",
        Bucket=Ref(spec.bucket_id),
        PolicyDocument=PolicyDocument(Version="2012-10-17", Statement=[tls_only(spec.bucket_id), *spec.statements]),
    )
    if spec.condition:
        policy.Condition = spec.condition
    ctx.add(policy, spec.origin)


def tls_only(bucket_id: str) -> Statement:
    return deny_insecure_transport([Action("s3", "*")], [GetAtt(bucket_id, "Arn"), Sub(f"${{{bucket_id}.Arn}}/*")])


def access_log_statement(bucket_id: str, sources: list[str]) -> Statement:
    """S3 server access logging writes with the logging service principal, limited to this account's buckets."""
    from awacs.aws import Allow, ArnLike, StringEquals

    return Statement(
        Sid="ServerAccessLogsWrite",
        Effect=Allow,
        Principal=Principal("Service", "logging.s3.amazonaws.com"),
        Action=[Action("s3", "PutObject")],
        Resource=[Sub(f"${{{bucket_id}.Arn}}/*")],
        Condition=Condition([
            ArnLike("aws:SourceArn", [GetAtt(source, "Arn") for source in sources]),
            StringEquals("aws:SourceAccount", Ref("AWS::AccountId")),
        ]),
    )


ACCESS_LOG_SKIP = {"id": "CKV_AWS_18", "comment": "this bucket receives the other log buckets' access logs; "
                   "it cannot log to itself"}
