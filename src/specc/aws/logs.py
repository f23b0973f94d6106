"""`specc logs`: a function's log events from CloudWatch Logs, once or followed.

filter_log_events over the whole log group (every stream, interleaved by time), paged. Following polls
again from the newest timestamp seen, every POLL_SECONDS, skipping the events already shown (events of one
millisecond can straddle two polls).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from specc.aws.session import Aws, AwsError, explained

POLL_SECONDS = 2.0


@dataclass(frozen=True)
class LogEvent:
    timestamp: int  # milliseconds since the epoch
    stream: str
    message: str
    event_id: str


def events(aws: Aws, group: str, region: str, start_ms: int, seen: set[str] | None = None) -> Iterator[LogEvent]:
    """The events of `group` from `start_ms` on, oldest first, without those in `seen` (which grows)."""
    client = aws.client("logs", region)
    seen = set() if seen is None else seen
    request: dict[str, Any] = {"logGroupName": group, "startTime": start_ms, "interleaved": True}
    while True:
        with explained(f"reading the log group {group} in {region}"):
            try:
                page = client.filter_log_events(**request)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    raise AwsError(f"the log group {group} does not exist in {region} ({aws.account}): is the "
                                   "function deployed there?") from None
                raise
        found = [LogEvent(e.get("timestamp", 0), e.get("logStreamName", ""), e.get("message", ""),
                          e.get("eventId") or f"{e.get('logStreamName')}/{e.get('timestamp')}/{e.get('message')}")
                 for e in page.get("events", [])]
        for event in sorted(found, key=lambda e: e.timestamp):
            if event.event_id not in seen:
                seen.add(event.event_id)
                yield event
        if not page.get("nextToken") or page.get("nextToken") == request.get("nextToken"):
            return
        request["nextToken"] = page["nextToken"]


def follow(aws: Aws, group: str, region: str, start_ms: int, on_event: Callable[[LogEvent], None],
           poll: float = POLL_SECONDS, sleep: Callable[[float], None] = time.sleep) -> None:
    """Show events as they arrive, until interrupted (KeyboardInterrupt goes to the caller)."""
    seen: set[str] = set()
    newest = start_ms
    while True:
        for event in events(aws, group, region, newest, seen):
            newest = max(newest, event.timestamp)
            on_event(event)
        sleep(poll)
