"""cfn-lint as a library, over every template and every region the spec targets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class Finding:
    template: str
    line: int
    column: int
    rule: str
    severity: str
    message: str

    def render(self, base: str = "") -> str:
        where = f"{base}/{self.template}" if base else self.template
        return f"{where}:{self.line}:{self.column} {self.rule} [{self.severity}] {self.message}"


def lint_templates(templates: dict[str, dict[str, Any]], regions: list[str]) -> list[Finding]:
    from cfnlint.api import ManualArgs, lint

    from specc.asl_lint import definition_findings
    from specc.emit import render_json

    findings: set[Finding] = set()
    for name, template in sorted(templates.items()):
        body = render_json(template).decode()  # the emitted bytes, so line numbers match the files
        for match in lint(body, config=ManualArgs(regions=list(regions))):
            findings.add(Finding(name, match.linenumber, match.columnnumber, match.rule.id,
                                 str(getattr(match.rule, "severity", "error")), match.message))
        findings.update(definition_findings(name, template, body, regions))  # ASL inside Fn::Sub
    return sorted(findings)
