"""Semantic checks that run after validation: one check per file, each with an id and a description.

A check returns diagnostics located at the spec line that causes them; all checks run, and all
their findings are reported together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from specc.checks import (
    api_shape,
    bucket_metrics,
    bucket_triggers,
    cycles,
    defaults,
    event_metrics,
    handlers,
    names,
    perimeter,
    placement,
    queue_consumers,
    queue_names,
    references,
    rollout_targets,
    secret_rotation,
    security,
    streams,
    workflows,
)
from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile


@dataclass(frozen=True)
class Check:
    id: str
    description: str
    run: Callable[[Any, SourceFile], list[Diagnostic]]


CHECKS: tuple[Check, ...] = tuple(
    Check(module.ID, module.DESCRIPTION, module.run)
    for module in (references, defaults, api_shape, handlers, names, placement, rollout_targets,
                   bucket_triggers, bucket_metrics, queue_consumers, queue_names, streams, event_metrics,
                   secret_rotation,
                   perimeter, workflows, security, cycles)
)


def run_all(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for check in CHECKS:
        found += check.run(spec, source)
    return found
