"""The pipeline: load → validate → check → plan → build → iam → assemble. Pure: it writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specc import iam
from specc.assemble import assemble
from specc.checks import run_all
from specc.context import BuildContext
from specc.diagnostics import SpecError
from specc.packaging import CodeArtifact
from specc.plan import Plan, make_plan
from specc.source import SourceFile, load
from specc.validate import validate


@dataclass
class Compiled:
    spec: Any
    source: SourceFile
    plan: Plan
    templates: dict[str, dict[str, Any]]  # file name -> template
    artifacts: dict[str, CodeArtifact]


def check(path: Path | str) -> tuple[Any, SourceFile]:
    source = load(path)
    spec = validate(source)
    problems = run_all(spec, source)
    if problems:
        raise SpecError(problems)
    return spec, source


def compile_spec(path: Path | str) -> Compiled:
    spec, source = check(path)
    return compile_checked(spec, source)


def compile_checked(spec: Any, source: SourceFile) -> Compiled:
    plan = make_plan(spec, source)
    ctx = BuildContext(spec=spec, source=source, artifacts=plan.artifacts)
    late = []
    for kind, name, entry in plan.entries():
        if kind.late:
            late.append((kind, name, entry))
            continue
        kind.build(ctx, name, entry)
    iam.attach(ctx)
    for kind, name, entry in late:
        kind.build(ctx, name, entry)
    if ctx.problems:
        raise SpecError(ctx.problems)
    assemble(ctx)
    return Compiled(spec=spec, source=source, plan=plan, templates={"service.json": ctx.template.to_dict()},
                    artifacts=plan.artifacts)
