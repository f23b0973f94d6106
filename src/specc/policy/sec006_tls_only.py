"""SEC006: buckets, queues and topics refuse requests that do not use TLS."""

from __future__ import annotations

from collections.abc import Iterator

from specc.policy.base import Finding, TemplateView, as_list, denies_insecure_transport, referenced, statements

ID = "SEC006"
DESCRIPTION = "buckets, queues and topics deny requests without TLS"
RATIONALE = ("Without a Deny on `aws:SecureTransport: false`, a misconfigured client may send or read data in clear "
             "text over HTTP; only a resource policy stops it, for every principal at once.")
PROFILES = ("baseline", "pci")
SECURITY_HUB = "S3.5"
PCI_DSS = "4.2.1"

# The policy type that protects each store, and the property that names the stores it applies to.
POLICIES = {
    "AWS::S3::Bucket": ("AWS::S3::BucketPolicy", "Bucket"),
    "AWS::SQS::Queue": ("AWS::SQS::QueuePolicy", "Queues"),
    "AWS::SNS::Topic": ("AWS::SNS::TopicPolicy", "Topics"),
}


def run(view: TemplateView) -> Iterator[Finding]:
    protected: set[str] = set()
    for policy_type, targets in {p: t for p, t in POLICIES.values()}.items():
        for _, policy in view.of_type(policy_type):
            props = policy.get("Properties") or {}
            if any(denies_insecure_transport(s) for s in statements(props.get("PolicyDocument"))):
                for target in as_list(props.get(targets)):
                    protected |= referenced(target)
    for logical_id, resource in view.of_type(*POLICIES):
        if logical_id not in protected:
            policy_type = POLICIES[resource["Type"]][0]
            yield Finding(logical_id, f"{logical_id} has no {policy_type} that denies requests without TLS "
                          "(aws:SecureTransport false)", "give it a TLS-only resource policy")
