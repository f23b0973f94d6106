"""Alarms on an event's EventBridge metrics (Invocations, FailedInvocations...) watch a schedule: a stream trigger
has no rule, so its metrics never exist (watch the function's Errors or IteratorAge instead)."""

from __future__ import annotations

from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E215"
DESCRIPTION = "alarms on events metrics watch schedules, not stream triggers"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    events = getattr(spec, "events", {})
    for name, alarm in sorted(spec.alarms.items()):
        parts = (alarm.metric or "").split(".")
        if len(parts) == 3 and parts[0] == "events" and parts[1] in events and events[parts[1]].stream is not None:
            stream = events[parts[1]].stream
            found.append(source.diagnostic(
                ID, ("alarms", name, "metric"), f"event '{parts[1]}' is a stream trigger, which has no EventBridge "
                "rule and no AWS/Events metrics", f"watch functions.{stream.function}.Errors or "
                f"functions.{stream.function}.IteratorAge"))
    return found
