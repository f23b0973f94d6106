"""cfn-lint as a library, over every template and every region the spec targets (cached and parallel: lint_cache.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from specc.lint.cache import Job, LintCache, lint_jobs


@dataclass(frozen=True, order=True)
class Finding:
    template: str
    line: int
    column: int
    rule: str
    severity: str
    message: str
    resource: str = ""  # the logical ID of the resource the finding is in, or ""

    def render(self, base: str = "") -> str:
        where = f"{base}/{self.template}" if base else self.template
        return f"{where}:{self.line}:{self.column} {self.rule} [{self.severity}] {self.message}"


def lint_templates(templates: dict[str, dict[str, Any]], regions: list[str], *, cache: LintCache | None = None,
                   workers: int = 1, done: Callable[[str], None] | None = None) -> list[Finding]:
    """Findings over `templates` (rendered as compile writes them, so line numbers match the files). Without a
    cache and with one worker this is plain cfn-lint, in this process."""
    from specc.output.emit import render_json
    from specc.output.global_stack import lint_regions

    jobs = [Job(name, render_json(template), lint_regions(name, regions))
            for name, template in sorted(templates.items())]
    outcome = lint_jobs(jobs, cache=cache, workers=workers, done=(lambda job: done(job.name)) if done else None)
    return sorted({Finding(name, f["line"], f["column"], f["rule"], f["severity"], f["message"], f["resource"])
                   for name, found in outcome.findings.items() for f in found})
