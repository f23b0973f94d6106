"""DeletionPolicy and UpdateReplacePolicy on everything that holds data, from `security.deletion_policy`.

CloudFormation's implied default deletes data stores that leave the template (or are replaced by a
renamed property). specc declares the spec's choice on each of them instead, so the template says what
happens to the data; a value a kind set itself (bootstrap's buckets) is kept. Policy check SEC011 verifies it.
"""

from __future__ import annotations

from specc.build.context import BuildContext

# Resource types that hold data: a replacement or removal loses it unless a policy keeps it. Each type -> (what
# people call it, the logical-ID suffix specc gives it, what it holds), for diff's and deploy's DATA LOSS lines.
DATA_STORES: dict[str, tuple[str, str, str]] = {
    "AWS::DynamoDB::Table": ("table", "Table", "items"),
    "AWS::DynamoDB::GlobalTable": ("global table", "GlobalTable", "items"),
    "AWS::S3::Bucket": ("bucket", "Bucket", "objects"),
    "AWS::KMS::Key": ("key", "Key", "key material (everything encrypted with it becomes unreadable)"),
    "AWS::SecretsManager::Secret": ("secret", "Secret", "value"),
    "AWS::SQS::Queue": ("queue", "Queue", "messages"),
    "AWS::Logs::LogGroup": ("log group", "LogGroup", "logs"),
    "AWS::Cognito::UserPool": ("user pool", "UserPool", "users"),
    "AWS::Kinesis::Stream": ("stream", "Stream", "records"),
    "AWS::EFS::FileSystem": ("file system", "FileSystem", "files"),
    "AWS::RDS::DBCluster": ("database cluster", "Cluster", "data"),
    "AWS::RDS::DBInstance": ("database", "Instance", "data"),
}


def declare(ctx: BuildContext) -> None:
    policy = ctx.spec.security.deletion_policy
    for resource in ctx.template.resources.values():
        if resource.resource_type not in DATA_STORES:
            continue
        for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
            if attribute not in resource.resource:
                setattr(resource, attribute, policy)
