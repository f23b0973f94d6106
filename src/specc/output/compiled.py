"""What a compile produces: the templates, the code artifacts and how the service was fitted into stacks.

It lives below the compiler so that writing, shipping and linting can take a compile's result without importing
the pipeline that made it."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    artifacts: dict[str, CodeArtifact]  # function -> its code
    layer_artifacts: dict[str, CodeArtifact] = field(default_factory=dict)  # layer -> its content
    policy: Any = None  # specc.policy.Outcome: the checks that ran and the findings excused
    layout: Layout | None = None  # how the service was fitted into templates (split.py): stacks, budgets, bytes
    origins: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # logical ID -> the spec path that made it
    notes: list[Any] = field(default_factory=list)  # findings that do not stop the compile (checks.NOTES)

    def place(self, logical_id: str) -> tuple[int, int, str, str] | None:
        """The spec line, column and dotted path of the entry that made `logical_id` (what lint reports at), and the
        file that wrote it: the spec's own, or a base it extends."""
        from specc.language.diagnostics import dotted

        path = self.origins.get(logical_id)
        if not path:
            return None
        file, position = self.source.where(path, prefer_key=True)
        return position.line, position.column, dotted(path), file
