"""What a compile produces: the templates, the code artifacts and how the service was fitted into stacks.

It lives below the compiler so that writing, shipping and linting can take a compile's result without importing
the pipeline that made it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from specc.build.packaging import CodeArtifact
from specc.language.source import SourceFile
from specc.output.split import Layout
from specc.plan import Plan


@dataclass
class Compiled:
    spec: Any
    source: SourceFile
    plan: Plan
    templates: dict[str, dict[str, Any]]  # file name -> template
    artifacts: dict[str, CodeArtifact]
    policy: Any = None  # specc.policy.Outcome: the checks that ran and the findings excused
    layout: Layout | None = None  # how the service was fitted into templates (split.py): stacks, budgets, bytes
