"""SEC001: everything that stores data is encrypted with a customer-managed KMS key of the service."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from specc.policy.base import Finding, TemplateView, as_list

ID = "SEC001"
DESCRIPTION = "data at rest is encrypted with a customer-managed KMS key"
RATIONALE = ("AWS-owned and AWS-managed keys (SSE-S3 `AES256`, `alias/aws/sqs`, SQS-managed SSE...) cannot be rotated "
             "on your schedule, have a key policy you cannot narrow, and do not show who decrypted what in CloudTrail "
             "under your key. Scanners accept them; a cardholder-data environment cannot.")
PROFILES = ("baseline", "pci")
SECURITY_HUB = "S3.17, SNS.1, SQS.1, CloudTrail.2"
PCI_DSS = "3.5.1, 3.6.1"
# The opt-out a kind records when AWS allows nothing but an AWS-managed key (S3 delivers server access logs
# only to SSE-S3 buckets): accepted because it carries its reason.
CONTROLS = ("customer_managed_key",)


def _key(view: TemplateView, value: Any) -> str:
    """'' when `value` names a customer-managed key, else what it is instead."""
    if value is None or value == "":
        return "no KMS key"
    target_type = view.type_of(value)
    if target_type is not None:
        return "" if target_type == "AWS::KMS::Key" else f"a {target_type}, not a key"
    text = value if isinstance(value, str) else str(value)
    if "alias/aws/" in text:
        return f"the AWS-managed key {text}"
    return ""  # a literal key ARN or alias given in the spec: the user's own key


def _encryption(view: TemplateView, resource_type: str, props: dict[str, Any]) -> str:
    if resource_type == "AWS::DynamoDB::Table":
        sse = props.get("SSESpecification") or {}
        if not sse.get("SSEEnabled") or sse.get("SSEType") != "KMS":
            return "the DynamoDB-owned key"
        return _key(view, sse.get("KMSMasterKeyId"))
    if resource_type == "AWS::S3::Bucket":
        rules = as_list((props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration"))
        defaults = [(r or {}).get("ServerSideEncryptionByDefault") or {} for r in rules]
        if not defaults:
            return "no default encryption"
        for default in defaults:
            if default.get("SSEAlgorithm") not in ("aws:kms", "aws:kms:dsse"):
                return f"SSE-S3 ({default.get('SSEAlgorithm')})"
            found = _key(view, default.get("KMSMasterKeyID"))
            if found:
                return found
        return ""
    if resource_type == "AWS::SQS::Queue":
        if props.get("SqsManagedSseEnabled"):
            return "SQS-managed SSE"
        return _key(view, props.get("KmsMasterKeyId"))
    if resource_type == "AWS::StepFunctions::StateMachine":
        config = props.get("EncryptionConfiguration") or {}
        if config.get("Type") != "CUSTOMER_MANAGED_KMS_KEY":
            return "the AWS-owned key"
        return _key(view, config.get("KmsKeyId"))
    if resource_type == "AWS::Kinesis::Stream":
        return _key(view, (props.get("StreamEncryption") or {}).get("KeyId"))
    prop = KEY_PROPERTY[resource_type]
    return _key(view, props.get(prop))


KEY_PROPERTY = {
    "AWS::SNS::Topic": "KmsMasterKeyId",
    "AWS::Logs::LogGroup": "KmsKeyId",
    "AWS::SecretsManager::Secret": "KmsKeyId",
    "AWS::Lambda::Function": "KmsKeyArn",  # environment variables
    "AWS::CloudTrail::Trail": "KMSKeyId",
}
STORES = ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::StepFunctions::StateMachine",
          "AWS::Kinesis::Stream", *KEY_PROPERTY)


def run(view: TemplateView) -> Iterator[Finding]:
    for logical_id, resource in view.of_type(*STORES):
        problem = _encryption(view, resource["Type"], resource.get("Properties") or {})
        if problem and not view.opted_out(logical_id, CONTROLS):
            yield Finding(logical_id, f"{resource['Type']} {logical_id} is encrypted with {problem}, not a "
                          "customer-managed KMS key", "encrypt it with one of the spec's `keys`")
