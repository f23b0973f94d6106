"""A stream trigger reads a table that has a stream: DynamoDB writes no change records without a
`StreamSpecification`, and the mapping would have no stream ARN to read."""

from __future__ import annotations

from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

ID = "E211"
DESCRIPTION = "stream triggers read tables that declare a `stream`"


def run(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found = []
    for name, event in sorted(getattr(spec, "events", {}).items()):
        if event.stream is None:
            continue
        table = spec.tables.get(event.stream.table)
        if table is not None and table.stream is None:
            found.append(source.diagnostic(
                ID, ("events", name, "stream", "table"), f"table '{event.stream.table}' has no stream to read",
                f"add `stream: new_and_old_images` (or keys_only, new_image, old_image) to tables.{event.stream.table}"))
    return found
