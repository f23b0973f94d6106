"""Semantic checks that run after validation: one check per file, each with an id and a description.

A check returns diagnostics located at the spec line that causes them; all checks run, and all
their findings are reported together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from specc.checks import api_shape, defaults, handlers, names, placement, references
from specc.checks import rollout_targets
from specc.checks import perimeter
from specc.checks import cycles, security
from specc.checks import bucket_metrics, bucket_triggers
from specc.checks import queue_consumers, queue_names
from specc.checks import event_metrics, streams
from specc.checks import secret_rotation
from specc.checks import workflows
from specc.checks import expressions, service_triggers
from specc.diagnostics import Diagnostic
from specc.source import SourceFile


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
                   perimeter, workflows, security, cycles, expressions, service_triggers)
) + (Check(handlers.FUNCTION_ID, handlers.FUNCTION_DESCRIPTION, handlers.check_functions),)

# Findings that do not stop a compile (severity "note"): printed by `specc compile` and `specc validate`.
NOTES: tuple[Callable[[Any, SourceFile], list[Diagnostic]], ...] = (expressions.notes,)


def run_all(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for check in CHECKS:
        found += check.run(spec, source)
    return found


def notes_all(spec: Any, source: SourceFile) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for note in NOTES:
        found += note(spec, source)
    return sorted(found, key=Diagnostic.sort_key)
