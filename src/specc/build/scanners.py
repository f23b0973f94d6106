"""Scanner checks that truly cannot apply to one resource, skipped in that resource's Metadata with the reason.

checkov reads `Metadata.checkov.skip: [{id, comment}]` itself. cfripper has no per-resource mechanism (its
only one is rule filters in a config file, see tests/scanners.py), so its skips use the same shape under
`Metadata.cfripper.skip` and the scanner harness turns each into a filter that matches exactly that logical
ID and rule. Kinds call `skip` next to the property that explains it, so each one says why in its own words.
"""

from __future__ import annotations

from typing import Any, Literal

Tool = Literal["checkov", "cfripper"]


def skip_later(ctx: Any, logical_id: str, check_id: str, reason: str, tool: Tool = "checkov") -> None:
    """The same, for a resource another pass creates (a role's policy, made by the IAM pass from the kind's grants)."""
    assert reason.strip(), "a skip without a reason is a global skip in disguise"
    ctx.scanner_skips[logical_id].append((tool, check_id, reason))


def skip(resource: Any, check_id: str, reason: str, tool: Tool = "checkov") -> None:
    """Record on `resource` (a troposphere object) that `tool`'s `check_id` does not apply, and why."""
    assert reason.strip(), "a skip without a reason is a global skip in disguise"
    metadata = dict(resource.resource.get("Metadata") or {})
    section = dict(metadata.get(tool) or {})
    entries = [e for e in section.get("skip", []) if e.get("id") != check_id]
    entries.append({"id": check_id, "comment": reason})
    section["skip"] = sorted(entries, key=lambda e: e["id"])
    metadata[tool] = section
    resource.Metadata = metadata
