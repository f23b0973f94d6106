"""The `security` section: which policy profile the compiled template must pass, and the exceptions to it.

Profiles are sets of checks (src/specc/policy/): `baseline` applies to every service, `pci` adds what a
cardholder-data environment needs. An exception names one check, says why, and optionally narrows it to
some entries; the reason is written into the Metadata of every resource it excuses, so a reviewer of the
template sees it without the spec.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from specc.language.types import SpecModel

CHECK_ID_PATTERN = r"^SEC\d{3}$"
ENTRY_PATTERN = r"^[a-z_]+(\.[^.\s][^.]*)?$"

TagName = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\w.:/=+@ -]+$")]
EntryRef = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=ENTRY_PATTERN)]


class PolicyException(SpecModel):
    """One check that does not apply, and why."""

    reason: str = Field(min_length=10, max_length=500, description="Why the check does not apply here; written "
                        "into the Metadata of every resource it excuses (`Metadata.specc.exceptions`).",
                        examples=["partner callbacks must reach this route without credentials (signed payloads)"])
    entries: list[EntryRef] = Field(
        default_factory=list, description="Only these entries (`section` or `section.name`); default: the whole "
        "service.", examples=[["functions.ingest", "routes.POST /callbacks"]])


class SecuritySpec(SpecModel):
    """The policy profile the compiled template must pass (`specc check`, also run by `compile`)."""

    profile: Literal["baseline", "pci"] = Field(
        "baseline", description="`baseline` (every service) or `pci` (stricter: explicit denies on every function "
        "role, functions in the VPC, authenticated routes, mutual TLS on domains, a web ACL on public APIs, a year of "
        "logs).",
        examples=["pci"])
    required_tags: list[TagName] = Field(
        default_factory=list, description="Tags every taggable resource must carry (give their values in `tags`).",
        examples=[["Environment", "DataClassification", "ComplianceScope"]])
    deletion_policy: Literal["Retain", "Delete"] = Field(
        "Retain", description="DeletionPolicy and UpdateReplacePolicy of everything that holds data (tables, buckets, "
        "keys, log groups, queues, secrets): declared on each, never left to CloudFormation's implied default. "
        "`Delete` for environments that must be fully destroyable.", examples=["Delete"])
    exceptions: dict[Annotated[str, StringConstraints(pattern=CHECK_ID_PATTERN)], PolicyException] = Field(
        default_factory=dict, description="Checks that do not apply, by id, each with its reason.",
        examples=[{"SEC013": {"reason": "partner callbacks are authenticated by a signature in the payload",
                              "entries": ["routes.POST /callbacks"]}}])
