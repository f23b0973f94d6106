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
    cdn_web_acls,
    cycles,
    defaults,
    event_metrics,
    event_rules,
    existing,
    expressions,
    handlers,
    http_api,
    layers,
    names,
    neutral_values,
    outputs,
    perimeter,
    placement,
    queue_consumers,
    queue_names,
    raw_regions,
    raw_resources,
    references,
    regions,
    requirements,
    rollout_targets,
    secret_rotation,
    secret_values,
    security,
    service_triggers,
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
    for module in (regions, references, defaults, api_shape, handlers, layers, requirements, names, placement,
                   rollout_targets,
                   bucket_triggers, bucket_metrics, cdn_web_acls, queue_consumers, queue_names, streams, event_metrics,
                   event_rules,
                   secret_rotation, secret_values,
                   perimeter, workflows, http_api, security, cycles, expressions, service_triggers, raw_regions,
                   raw_resources, neutral_values, existing, outputs)
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
