"""A bucket's upload triggers do not overlap: S3 refuses a notification configuration in which two entries for
the same event could both match one key ("Configurations overlap"), so the stack would fail at deploy time."""

from __future__ import annotations

from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E212"
DESCRIPTION = "a bucket's triggers for the same event have prefixes or suffixes that cannot both match one key"


def _overlap(a: str | None, b: str | None, suffix: bool) -> bool:
    if not a or not b:
        return True
    return a.endswith(b) or b.endswith(a) if suffix else a.startswith(b) or b.startswith(a)


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    for name, bucket in sorted(getattr(spec, "buckets", {}).items()):
        seen: list[tuple[int, Any]] = []
        for index, trigger in enumerate(bucket.triggers):
            for earlier_index, earlier in seen:
                shared = sorted(set(trigger.events) & set(earlier.events))
                if (shared and _overlap(trigger.prefix, earlier.prefix, False)
                        and _overlap(trigger.suffix, earlier.suffix, True)):
                    found.append(source.diagnostic(
                        ID, ("buckets", name, "triggers", index), f"this trigger and trigger {earlier_index} "
                        f"({earlier.function}) can both match one key on {', '.join(shared)} events; S3 refuses "
                        "overlapping notifications", "give them prefixes or suffixes that cannot both match (like "
                        "`incoming/` and `images/`), or one function both handle", at_key=True))
                    break
            seen.append((index, trigger))
    return found
