"""Where a spec deploys: its regions (in rollout order) times its accounts, or the accounts of its units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from specc.aws.session import Aws, explained
from specc.output.rollout import region_order

ORGANIZATIONS_REGION = "us-east-1"  # AWS Organizations is a global service served from us-east-1


@dataclass(frozen=True, order=True)
class Target:
    region: str
    account: str

    def __str__(self) -> str:
        return f"{self.region} {self.account}"


def accounts(aws: Aws, spec: Any) -> list[str]:
    """The spec's accounts; the accounts now in its organizational units; or the caller's account."""
    units = spec.organizational_units
    if units is not None:
        return accounts_in_units(aws, list(units.ids))
    return list(spec.accounts) or [aws.account]


def targets(aws: Aws, spec: Any, regions: list[str] | None = None) -> list[Target]:
    ordered = [r for r in region_order(spec) if not regions or r in regions]
    return [Target(region, account) for region in ordered for account in accounts(aws, spec)]


def bootstrap_targets(aws: Aws, spec: Any, regions: list[str] | None = None) -> list[Target]:
    """Every target, plus the caller's account in each region: `specc deploy` deploys there, and the stack set's
    template is uploaded there."""
    order = region_order(spec)
    own = [Target(region, aws.account) for region in order if not regions or region in regions]
    found = set(targets(aws, spec, regions)) | set(own)
    return sorted(found, key=lambda t: (order.index(t.region), t.account))


def accounts_in_units(aws: Aws, units: list[str]) -> list[str]:
    """Active accounts in the units and every unit below them, as a service-managed StackSet reaches them."""
    org = aws.client("organizations", ORGANIZATIONS_REGION)
    found: set[str] = set()
    pending = list(units)
    while pending:
        unit = pending.pop()
        with explained(f"listing the accounts of {unit} (organizations:ListAccountsForParent)"):
            for page in org.get_paginator("list_accounts_for_parent").paginate(ParentId=unit):
                found.update(a["Id"] for a in page["Accounts"] if a.get("Status", "ACTIVE") == "ACTIVE")
            for page in org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=unit):
                pending.extend(u["Id"] for u in page["OrganizationalUnits"])
    return sorted(found)
