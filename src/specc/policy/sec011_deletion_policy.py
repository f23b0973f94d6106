"""SEC011: everything that holds data declares DeletionPolicy and UpdateReplacePolicy."""

from __future__ import annotations

from collections.abc import Iterator

from specc.policy.base import Finding, TemplateView

ID = "SEC011"
DESCRIPTION = "data stores declare DeletionPolicy and UpdateReplacePolicy"
RATIONALE = ("CloudFormation's implied default deletes a table, bucket or key when it leaves the template or is "
             "replaced by a renamed property. What happens to data must be a decision in the spec "
             "(`security.deletion_policy`), visible on every resource, not an accident.")
PROFILES = ("baseline", "pci")
SECURITY_HUB = "-"
PCI_DSS = "3.2.1"

DATA_STORES = (
    "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Logs::LogGroup",
    "AWS::SQS::Queue", "AWS::SecretsManager::Secret", "AWS::Kinesis::Stream", "AWS::Cognito::UserPool",
    "AWS::EFS::FileSystem", "AWS::RDS::DBCluster", "AWS::RDS::DBInstance",
)


def run(view: TemplateView) -> Iterator[Finding]:
    for logical_id, resource in view.of_type(*DATA_STORES):
        missing = [a for a in ("DeletionPolicy", "UpdateReplacePolicy") if a not in resource]
        if missing:
            yield Finding(logical_id, f"{resource['Type']} {logical_id} leaves {' and '.join(missing)} implied",
                          "declare them (`security.deletion_policy`)")
