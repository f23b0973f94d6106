"""The bootstrap template: what must exist in every target account and region before a service deploys.

One artifact bucket per account and region, `<prefix>-<account>-<region>` (the name functions' `Code`
and nested stacks' `TemplateURL` point at), encrypted with its own customer-managed key (rotation on),
versioned, private, TLS-only, logging its access into a log bucket, with old versions expiring. The
template is the same in every account and region (the names come from `AWS::AccountId` and
`AWS::Region`), and it is named after the prefix, not the service: services sharing a prefix share it.
"""

from __future__ import annotations

from typing import Any

from awacs.aws import Action, Allow, PolicyDocument, Principal, Statement
from troposphere import GetAtt, Output, Ref, Sub, Tags, Template, kms, s3

from specc.build.log_buckets import access_log_statement, tls_only
from specc.build.scanners import skip
from specc.kinds.keys import ROOT_ADMINISTERS

ARTIFACTS_KEY, ARTIFACTS_ALIAS = "ArtifactsKey", "ArtifactsKeyAlias"
ARTIFACTS_BUCKET, LOG_BUCKET = "ArtifactsBucket", "ArtifactsLogBucket"
ACCOUNT_REGION = "${AWS::AccountId}-${AWS::Region}"
NONCURRENT_DAYS = 30  # artifacts are content-addressed: an old version only exists after a re-upload of the same key
LOG_DAYS = 365


def stack_name(prefix: str) -> str:
    return f"{prefix}-bootstrap"


def artifact_bucket(prefix: str, account: str, region: str) -> str:
    return f"{prefix}-{account}-{region}"


def bucket_names(prefix: str, account: str, region: str) -> tuple[str, str]:
    """The artifact bucket and its access-log bucket in one account and region."""
    return artifact_bucket(prefix, account, region), f"{prefix}-logs-{account}-{region}"


def build(spec: Any) -> dict[str, Any]:
    prefix = spec.artifacts.bucket_prefix
    template = Template()
    template.set_version("2010-09-09")
    template.set_description(f"specc bootstrap for the {prefix} artifact buckets: deploy once in every account and "
                             f"region a service runs in (`specc bootstrap`). Compiled by specc; do not edit.")
    tags = {"specc:bootstrap": prefix}

    artifacts_key = template.add_resource(kms.Key(
        ARTIFACTS_KEY,
        Description=f"Encrypts the {prefix} artifact bucket (function code and templates)",
        EnableKeyRotation=True,
        RotationPeriodInDays=365,
        PendingWindowInDays=30,
        KeyPolicy=PolicyDocument(Version="2012-10-17", Statement=[Statement(
            Sid="AccountRootAdministers", Effect=Allow,
            Principal=Principal("AWS", Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")),
            Action=[Action("kms", "*")], Resource=["*"])]),
        Tags=Tags(**tags),
        DeletionPolicy="Retain",
        UpdateReplacePolicy="Retain",
    ))
    skip(artifacts_key, "GenericResourceWildcardPolicyRule", ROOT_ADMINISTERS, tool="cfripper")
    template.add_resource(kms.Alias(ARTIFACTS_ALIAS, AliasName=f"alias/{prefix}-artifacts",
                                    TargetKeyId=Ref(ARTIFACTS_KEY)))

    log_bucket = template.add_resource(s3.Bucket(
        LOG_BUCKET,
        BucketName=Sub(f"{prefix}-logs-{ACCOUNT_REGION}"),
        # S3 server access logs are only delivered to buckets encrypted with SSE-S3.
        BucketEncryption=_encryption(s3.ServerSideEncryptionByDefault(SSEAlgorithm="AES256")),
        VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
        PublicAccessBlockConfiguration=_private(),
        OwnershipControls=_owner_enforced(),
        LifecycleConfiguration=s3.LifecycleConfiguration(Rules=[s3.LifecycleRule(
            Id="ExpireAccessLogs", Status="Enabled", ExpirationInDays=LOG_DAYS,
            NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=NONCURRENT_DAYS),
            AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=7))]),
        Tags=Tags(**tags),
        Metadata={
            "specc": {"opt_outs": [{"control": "customer_managed_key", "spec": "artifacts", "reason":
                                    "S3 server access logs can only be delivered to a bucket encrypted with SSE-S3 "
                                    "(AES256), not SSE-KMS"}]},
        },
        DeletionPolicy="Retain",
        UpdateReplacePolicy="Retain",
    ))
    skip(log_bucket, "CKV_AWS_18", "this bucket receives the artifact bucket's access logs; it cannot log to itself")
    template.add_resource(s3.BucketPolicy(
        f"{LOG_BUCKET}Policy",
        Bucket=Ref(LOG_BUCKET),
        PolicyDocument=PolicyDocument(Version="2012-10-17", Statement=[
            tls_only(LOG_BUCKET), access_log_statement(LOG_BUCKET, [ARTIFACTS_BUCKET])]),
    ))

    template.add_resource(s3.Bucket(
        ARTIFACTS_BUCKET,
        BucketName=Sub(f"{prefix}-{ACCOUNT_REGION}"),
        BucketEncryption=_encryption(s3.ServerSideEncryptionByDefault(
            SSEAlgorithm="aws:kms", KMSMasterKeyID=GetAtt(ARTIFACTS_KEY, "Arn"))),
        VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
        PublicAccessBlockConfiguration=_private(),
        OwnershipControls=_owner_enforced(),
        LoggingConfiguration=s3.LoggingConfiguration(DestinationBucketName=Ref(LOG_BUCKET),
                                                     LogFilePrefix="artifacts/"),
        LifecycleConfiguration=s3.LifecycleConfiguration(Rules=[s3.LifecycleRule(
            Id="ExpireOldVersions", Status="Enabled",
            NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=NONCURRENT_DAYS),
            AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=7))]),
        Tags=Tags(**tags),
        DeletionPolicy="Retain",
        UpdateReplacePolicy="Retain",
    ))
    template.add_resource(s3.BucketPolicy(
        f"{ARTIFACTS_BUCKET}Policy",
        Bucket=Ref(ARTIFACTS_BUCKET),
        PolicyDocument=PolicyDocument(Version="2012-10-17", Statement=[tls_only(ARTIFACTS_BUCKET)]),
    ))

    template.add_output(Output("ArtifactsBucketName", Value=Ref(ARTIFACTS_BUCKET),
                               Description="Function code and templates are uploaded here"))
    template.add_output(Output("ArtifactsKeyArn", Value=GetAtt(ARTIFACTS_KEY, "Arn"),
                               Description="The key that encrypts the artifact bucket"))
    template.add_output(Output("ArtifactsLogBucketName", Value=Ref(LOG_BUCKET),
                               Description="Access logs of the artifact bucket"))
    return template.to_dict()


def _encryption(default: s3.ServerSideEncryptionByDefault) -> s3.BucketEncryption:
    rule = s3.ServerSideEncryptionRule(ServerSideEncryptionByDefault=default)
    if default.properties.get("SSEAlgorithm") == "aws:kms":
        rule.BucketKeyEnabled = True  # one data key per bucket, not per object: fewer KMS calls
    return s3.BucketEncryption(ServerSideEncryptionConfiguration=[rule])


def _private() -> s3.PublicAccessBlockConfiguration:
    return s3.PublicAccessBlockConfiguration(BlockPublicAcls=True, BlockPublicPolicy=True, IgnorePublicAcls=True,
                                             RestrictPublicBuckets=True)


def _owner_enforced() -> s3.OwnershipControls:
    return s3.OwnershipControls(Rules=[s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")])
