"""A queue hides a received message long enough for its slowest consumer to finish, with room for retries: AWS
recommends a visibility timeout of at least six times the consuming function's timeout. Shorter, a message still
being processed becomes visible again and is processed twice (and Lambda refuses a mapping whose function's
timeout exceeds the queue's visibility timeout outright)."""

from __future__ import annotations

from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E210"
DESCRIPTION = "a queue's visibility timeout is at least 6 × the timeout of each function consuming it"
FACTOR = 6


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    for name, queue in sorted(getattr(spec, "queues", {}).items()):
        if queue.existing is not None:  # its visibility timeout is its owner's: unknown here
            continue
        for consumer in queue.consumers:
            function = spec.functions.get(consumer.function)
            if function is None:
                continue  # reported by E201
            needed = FACTOR * function.timeout
            if queue.visibility_timeout < needed:
                explicit = "visibility_timeout" in queue.model_fields_set
                found.append(source.diagnostic(
                    ID, ("queues", name, "visibility_timeout") if explicit else ("queues", name),
                    f"the visibility timeout ({queue.visibility_timeout} s) is less than {FACTOR} × the timeout of "
                    f"consumer '{consumer.function}' ({function.timeout} s): a message still being processed would "
                    "be delivered again", f"set `visibility_timeout: {needed}` or more (AWS's recommendation for "
                    "Lambda consumers), or shorten the function's timeout", at_key=not explicit))
    return found
