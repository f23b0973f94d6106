"""SEC003: an Allow on resource `*` only for actions AWS offers on no narrower resource, each with its reason."""

from __future__ import annotations

from collections.abc import Iterator

from specc.build.iam import WILDCARD_RESOURCE_REASONS
from specc.policy.base import Finding, TemplateView, actions, as_list, identity_documents, statements

ID = "SEC003"
DESCRIPTION = "no Allow on resource '*' except for actions AWS offers on no narrower resource"
RATIONALE = ("`Resource: *` lets a role act on every present and future resource of that kind in the account. Some "
             "APIs take no resource ARN at all (X-Ray segments, EC2 Describe calls, vended log deliveries); only "
             "those, listed here with the AWS reason, may use it.")
PROFILES = ("baseline", "pci")
SECURITY_HUB = "IAM.1"
PCI_DSS = "7.2.1, 7.2.2"

VENDED_LOGS = "CloudWatch Logs vended-log delivery APIs do not support resource-level permissions"
AWS_REQUIRED: dict[str, str] = {
    **WILDCARD_RESOURCE_REASONS,
    "ec2:CreateNetworkInterface": "Lambda creates a function's VPC interfaces before their ARNs exist",
    "ec2:DeleteNetworkInterface": "Lambda deletes a function's VPC interfaces by id, not by a known ARN",
    "ec2:AssignPrivateIpAddresses": "Lambda manages its VPC interfaces' addresses by id",
    "ec2:UnassignPrivateIpAddresses": "Lambda manages its VPC interfaces' addresses by id",
    "logs:CreateLogDelivery": VENDED_LOGS,
    "logs:GetLogDelivery": VENDED_LOGS,
    "logs:UpdateLogDelivery": VENDED_LOGS,
    "logs:DeleteLogDelivery": VENDED_LOGS,
    "logs:ListLogDeliveries": VENDED_LOGS,
    "logs:PutResourcePolicy": VENDED_LOGS,
    "logs:DescribeResourcePolicies": VENDED_LOGS,
    "logs:DescribeLogGroups": VENDED_LOGS,
    "xray:GetSamplingRules": "X-Ray sampling APIs do not support resource-level permissions",
    "xray:GetSamplingTargets": "X-Ray sampling APIs do not support resource-level permissions",
}


def run(view: TemplateView) -> Iterator[Finding]:
    for logical_id, where, document in identity_documents(view):
        for statement in statements(document):
            if statement.get("Effect") != "Allow" or "*" not in as_list(statement.get("Resource")):
                continue
            extra = sorted(a for a in actions(statement) if a not in AWS_REQUIRED)
            if extra:
                sid = statement.get("Sid", "?")
                yield Finding(logical_id, f"{where} of {logical_id} (statement {sid}) allows {', '.join(extra)} on "
                              "every resource ('*')", "name the resources (ARNs) the actions need")
