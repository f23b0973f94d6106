"""Account-wide services fit the service's regions, and have what they report to.

The trail's home region must be among `regions`, or no stack instance would create it; security alarms need a
topic to notify. CloudFront needs no region of the service's: its resources are in the global stack (us-east-1).
"""

from __future__ import annotations

from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E207"
DESCRIPTION = "the trail's region is among `regions`, and security alarms have a topic"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    regions = ", ".join(spec.regions)
    audit = getattr(spec, "audit", None)
    if audit is not None:
        from specc.kinds.audit import security_events

        if audit.trail.region and audit.trail.region not in spec.regions:
            found.append(source.diagnostic(
                ID, ("audit", "trail", "region"), f"the trail's home region {audit.trail.region} is not one of the "
                f"service's regions ({regions})", "name one of `regions`, or leave it out"))
        if security_events(audit) and not (audit.notify or spec.monitoring.notify):
            found.append(source.diagnostic(
                ID, ("audit",), "security alarms need a topic to notify", "set `audit.notify` or `monitoring.notify` "
                "to a topic, or `security_alarms: []`", at_key=True))
    return found
