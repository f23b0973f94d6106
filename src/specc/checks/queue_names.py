"""A queue and a function do not share a name: each function's own dead-letter queue is
`<service>-<function>-<environment>-dlq`, exactly the name of a queue's dead-letter queue, and SQS names are
unique per account and region."""

from __future__ import annotations

from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E214"
DESCRIPTION = "no queue shares its name with a function (their dead-letter queues would have one name)"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    from specc.kinds.functions import has_own_queue

    found = []
    for name in sorted(getattr(spec, "queues", {})):
        function = spec.functions.get(name)
        if function is not None and has_own_queue(function):
            found.append(source.diagnostic(
                ID, ("queues", name), f"queue '{name}' and function '{name}' would both have the dead-letter queue "
                f"'{spec.physical(name)}-dlq'", f"rename the queue (like `{name}_jobs`)", at_key=True))
    return found
