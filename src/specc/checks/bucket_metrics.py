"""Alarms on a bucket's request metrics need the bucket to publish them: S3 sends request metrics (AllRequests,
4xxErrors, FirstByteLatency...) only for a metrics configuration, which `request_metrics: true` creates. Without
it the alarm would watch a metric that never exists and never fire."""

from __future__ import annotations

from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E213"
DESCRIPTION = "alarms on a bucket's request metrics have `request_metrics: true` on that bucket"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    buckets = getattr(spec, "buckets", {})
    if not buckets:
        return found
    from specc.kinds.buckets import REQUEST_METRICS

    for name, alarm in sorted(spec.alarms.items()):
        parts = (alarm.metric or "").split(".")
        if len(parts) != 3 or parts[0] != "buckets" or parts[1] not in buckets or parts[2] not in REQUEST_METRICS:
            continue
        if not buckets[parts[1]].request_metrics:
            found.append(source.diagnostic(
                ID, ("alarms", name, "metric"), f"{parts[2]} is a request metric, which bucket '{parts[1]}' does not "
                "publish", f"set `request_metrics: true` on buckets.{parts[1]}, or alarm on NumberOfObjects or "
                "BucketSizeBytes"))
    return found
