"""DeletionPolicy and UpdateReplacePolicy on everything that holds data, from `security.deletion_policy`.

CloudFormation's implied default deletes data stores that leave the template (or are replaced by a
renamed property). specc declares the spec's choice on each of them instead, so the template says what
happens to the data; a value a kind set itself (bootstrap's buckets) is kept. Policy check SEC011 verifies it.
"""

from __future__ import annotations

from specc.build.context import BuildContext

# Resource types that hold data: a replacement or removal loses it unless a policy keeps it.
DATA_STORES = (
    "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Logs::LogGroup",
    "AWS::SQS::Queue", "AWS::SecretsManager::Secret", "AWS::Kinesis::Stream", "AWS::Cognito::UserPool",
    "AWS::EFS::FileSystem", "AWS::RDS::DBCluster", "AWS::RDS::DBInstance",
)


def declare(ctx: BuildContext) -> None:
    policy = ctx.spec.security.deletion_policy
    for resource in ctx.template.resources.values():
        if resource.resource_type not in DATA_STORES:
            continue
        for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
            if attribute not in resource.resource:
                setattr(resource, attribute, policy)
