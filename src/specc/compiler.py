"""The pipeline: load → validate → check → plan → build → iam → assemble. Pure: it writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specc._startup import prepare

prepare()

from specc import iam  # noqa: E402  (prepare() must run before the spec models are built)
from specc.assemble import assemble  # noqa: E402
from specc.checks import run_all
from specc.context import BuildContext
from specc.diagnostics import SpecError
from specc.packaging import CodeArtifact
from specc.plan import Plan, make_plan
from specc.rollout import rollout_templates
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
    problems = ctx.problems + ctx.limit_problems()
    if problems:
        raise SpecError(problems)
    assemble(ctx)
    templates = {"service.json": ctx.template.to_dict()}
    templates.update(rollout_templates(spec, templates))  # stackset.json and bootstrap.json
    return Compiled(spec=spec, source=source, plan=plan, templates=templates, artifacts=plan.artifacts)
