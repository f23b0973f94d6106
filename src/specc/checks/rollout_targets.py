"""The rollout fits the rest of the spec: targets chosen one way, a region order of exactly the service's
regions, a permission model that can reach the targets, preferences StackSets accept, and artifact bucket
names (`<prefix>-<account>-<region>`) within S3's 63 characters in every region."""

from __future__ import annotations

from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.rollout import percentage
from specc.language.source import SourceFile

ID = "E208"
DESCRIPTION = "rollout targets, region order and StackSet preferences are consistent; artifact bucket names fit"
S3_NAME_LIMIT = 63
LONGEST_ACCOUNT = "123456789012"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = _targets(spec, source) + _region_order(spec, source) + _preferences(spec, source)
    return found + _bucket_names(spec, source)


def _targets(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    seen: set[str] = set()
    for index, account in enumerate(spec.accounts):
        if account in seen:
            found.append(source.diagnostic(ID, ("accounts", index), f"account {account} is listed twice",
                                           "list each account once"))
        seen.add(account)
    units = spec.organizational_units
    if spec.accounts and units is not None:
        found.append(source.diagnostic(
            ID, ("organizational_units",), "`accounts` and `organizational_units` are two ways to choose where the "
            "service runs; a StackSet takes one", "keep `accounts` (self-managed) or `organizational_units` "
            "(service-managed)", at_key=True))
    model = spec.rollout.permission_model
    if model == "self_managed" and units is not None:
        found.append(source.diagnostic(
            ID, ("rollout", "permission_model"), "a self-managed StackSet deploys to listed accounts, not to "
            "organizational units", "use `permission_model: service_managed`, or list `accounts` instead"))
    if model == "service_managed" and units is None:
        found.append(source.diagnostic(
            ID, ("rollout", "permission_model"), "a service-managed StackSet deploys to organizational units",
            "add `organizational_units: {ids: [ou-...]}`, or use `permission_model: self_managed`"))
    return found


def _region_order(spec: Any, source: SourceFile) -> list[Diagnostic]:
    order = spec.rollout.region_order
    if not order:
        return []
    found = []
    regions = ", ".join(spec.regions)
    seen: set[str] = set()
    for index, region in enumerate(order):
        path = ("rollout", "region_order", index)
        if region in seen:
            found.append(source.diagnostic(ID, path, f"{region} is listed twice", "list each region once"))
        elif region not in spec.regions:
            found.append(source.diagnostic(ID, path, f"{region} is not one of the service's regions ({regions})",
                                           "order exactly the regions in `regions`"))
        seen.add(region)
    missing = [region for region in spec.regions if region not in seen]
    if missing:
        found.append(source.diagnostic(
            ID, ("rollout", "region_order"), f"the order leaves out {', '.join(missing)}",
            "list every one of `regions`, or leave `region_order` out to use their order", at_key=True))
    return found


def _preferences(spec: Any, source: SourceFile) -> list[Diagnostic]:
    rollout = spec.rollout
    if rollout.concurrency_mode != "strict_failure_tolerance":
        return []
    most, tolerance = rollout.max_concurrent, rollout.failure_tolerance
    if percentage(most) is None and percentage(tolerance) is None and most > tolerance + 1:
        return [source.diagnostic(
            ID, ("rollout", "max_concurrent"), f"with strict failure tolerance, StackSets deploy to at most "
            f"failure_tolerance + 1 = {tolerance + 1} account(s) at once, not {most}",
            f"raise `failure_tolerance` to {most - 1}, or set `concurrency_mode: soft_failure_tolerance`")]
    return []


def _bucket_names(spec: Any, source: SourceFile) -> list[Diagnostic]:
    from specc.output.bootstrap import bucket_names

    longest = max((name for region in spec.regions for name in bucket_names(spec.artifacts.bucket_prefix,
                                                                            LONGEST_ACCOUNT, region)), key=len)
    if len(longest) <= S3_NAME_LIMIT:
        return []
    return [source.diagnostic(
        ID, ("artifacts", "bucket_prefix"), f"the artifact log bucket name '{longest}' is {len(longest)} characters, "
        f"more than the {S3_NAME_LIMIT} S3 allows", f"shorten the prefix by {len(longest) - S3_NAME_LIMIT} "
        "character(s)")]
