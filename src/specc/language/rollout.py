"""Where a service is rolled out: target accounts or organizational units, and how the StackSet proceeds.

These are spec fields (imported by spec.py); rollout.py turns them into the StackSet template. Checks
that involve other sections (regions in `region_order`, the permission model against the targets)
live in checks/rollout_targets.py so they are located at the field that is wrong.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from specc.language.types import SpecModel

ACCOUNT_PATTERN = r"^\d{12}$"
OU_PATTERN = r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$"
REGION_PATTERN = r"^(us|eu|ap|sa|ca|me|af|il|mx)-(gov-)?[a-z]+-\d$"  # as spec.py's `regions`
PERCENT = re.compile(r"^(\d{1,3})%$")

AccountId = Annotated[str, StringConstraints(pattern=ACCOUNT_PATTERN), Field(
    description="A 12-digit AWS account id, quoted (`\"111111111111\"`) so YAML keeps it as text.",
    examples=["111111111111"])]
OrganizationalUnitId = Annotated[str, StringConstraints(pattern=OU_PATTERN), Field(
    description="An AWS Organizations organizational unit id (`ou-xxxx-xxxxxxxx`) or root id (`r-xxxx`).",
    examples=["ou-ab12-cd34ef56"])]


def _count_or_percentage(value: object, minimum: int, what: str) -> object:
    """A whole number of accounts, or a percentage written `"25%"`: one clear message for anything else."""
    if isinstance(value, bool):
        raise ValueError(f"{what} is a number of accounts (like 2) or a percentage (like \"25%\"), not true/false")
    if isinstance(value, int):
        if value < minimum:
            raise ValueError(f"{what} must be at least {minimum}, got {value}")
        return value
    if isinstance(value, str):
        match = PERCENT.match(value)
        if match and min(minimum, 1) <= int(match.group(1)) <= 100:
            return value
        raise ValueError(f"{what} percentage must be written like \"25%\", from {min(minimum, 1)}% to 100%, "
                         f"got {value!r}")
    raise ValueError(f"{what} is a number of accounts (like 2) or a percentage (like \"25%\")")


class OrganizationalUnits(SpecModel):
    """Roll out to every account in these organizational units (AWS Organizations, service-managed StackSet)."""

    ids: list[OrganizationalUnitId] = Field(min_length=1, description="The organizational units (or the root).",
                                            examples=[["ou-ab12-cd34ef56"]])
    auto_deployment: bool = Field(True, description="Deploy to accounts that join these units later, and remove "
                                  "the stacks of accounts that leave.", examples=[True])
    retain_stacks_on_account_removal: bool = Field(
        False, description="With `auto_deployment`: keep an account's stacks (and their data) when it leaves the "
        "units, instead of deleting them.", examples=[True])


class Rollout(SpecModel):
    """How the StackSet rolls the service out across regions and accounts (its operation preferences)."""

    region_order: list[Annotated[str, StringConstraints(pattern=REGION_PATTERN)]] = Field(
        default_factory=list, description="The order regions are deployed in (every one of `regions`, each once); "
        "default: the order of `regions`. Put a canary region first.",
        examples=[["us-west-2", "us-east-1", "eu-west-1"]])
    max_concurrent: int | str = Field(
        1, description="Accounts deployed at the same time in each region: a number or a percentage of the "
        "accounts (`\"25%\"`).", examples=[2])
    failure_tolerance: int | str = Field(
        0, description="Failed accounts per region before the rollout stops (and no further region starts): a "
        "number or a percentage (`\"10%\"`).", examples=[1])
    region_concurrency: Literal["sequential", "parallel"] = Field(
        "sequential", description="Deploy one region after the other (stopping at the first region past "
        "`failure_tolerance`), or all regions at once.", examples=["parallel"])
    concurrency_mode: Literal["strict_failure_tolerance", "soft_failure_tolerance"] = Field(
        "strict_failure_tolerance", description="`strict_failure_tolerance` lowers concurrency as failures occur "
        "(and requires `max_concurrent` to be at most `failure_tolerance` + 1 when both are numbers); "
        "`soft_failure_tolerance` keeps `max_concurrent` whatever fails.", examples=["soft_failure_tolerance"])
    permission_model: Literal["self_managed", "service_managed"] | None = Field(
        None, description="`self_managed`: the administrator account assumes "
        "`AWSCloudFormationStackSetExecutionRole` in each target account (for `accounts`); `service_managed`: "
        "AWS Organizations trusted access (for `organizational_units`). Default: from the targets.",
        examples=["service_managed"])

    @field_validator("max_concurrent", mode="before")
    @classmethod
    def _max_concurrent(cls, value: object) -> object:
        return _count_or_percentage(value, 1, "max_concurrent")

    @field_validator("failure_tolerance", mode="before")
    @classmethod
    def _failure_tolerance(cls, value: object) -> object:
        return _count_or_percentage(value, 0, "failure_tolerance")


def percentage(value: int | str) -> int | None:
    """The percentage in `"25%"`, or None for a count."""
    return int(value[:-1]) if isinstance(value, str) else None
