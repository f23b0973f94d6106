"""SEC009: every log group keeps its events at least the profile's minimum (pci: a year, or 90 days archived)."""

from __future__ import annotations

from collections.abc import Iterator

from specc.policy.base import Finding, TemplateView, referenced

ID = "SEC009"
DESCRIPTION = "log groups keep events at least the profile's minimum"
RATIONALE = ("Investigations start weeks after an incident. PCI DSS 10.5.1 asks for a year of audit history with "
             "the last three months at hand: 365 days in CloudWatch, or 90 days when the same events are also "
             "archived (a subscription filter, or a trail that also delivers to its S3 bucket). Without retention, "
             "logs are kept forever at a cost nobody decided.")
PROFILES = ("baseline", "pci")
SECURITY_HUB = "CloudWatch.16"
PCI_DSS = "10.5.1"
MINIMUM = {"baseline": (7, 7), "pci": (365, 90)}  # profile -> (days, days when archived)


def _archived(view: TemplateView) -> set[str]:
    found: set[str] = set()
    for _, subscription in view.of_type("AWS::Logs::SubscriptionFilter"):
        found |= referenced((subscription.get("Properties") or {}).get("LogGroupName"))
    for _, trail in view.of_type("AWS::CloudTrail::Trail"):
        props = trail.get("Properties") or {}
        if props.get("S3BucketName"):
            found |= referenced(props.get("CloudWatchLogsLogGroupArn"))
    return found


def run(view: TemplateView) -> Iterator[Finding]:
    plain, archived_minimum = MINIMUM[view.profile]
    archived = _archived(view)
    for logical_id, resource in view.of_type("AWS::Logs::LogGroup"):
        days = (resource.get("Properties") or {}).get("RetentionInDays")
        minimum = archived_minimum if logical_id in archived else plain
        if days is None:
            yield Finding(logical_id, f"{logical_id} keeps its events forever (no RetentionInDays)",
                          f"set a retention of at least {minimum} days")
        elif int(days) < minimum:
            where = "archived " if logical_id in archived else ""
            yield Finding(logical_id, f"{logical_id} keeps its events {days} days, less than the {minimum} days the "
                          f"{view.profile} profile requires for {where}log groups",
                          f"keep them at least {minimum} days (`defaults.log_retention_days`)")
