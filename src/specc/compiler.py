"""The pipeline: load → validate → check → plan → build → iam → assemble. Pure: it writes nothing."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from specc._startup import prepare

prepare()

from specc import policy
from specc.build import iam
from specc.build.assemble import assemble
from specc.build.context import BuildContext
from specc.build.template_dict import template_dict
from specc.checks import notes_all, physical_names, run_all
from specc.kinds import existing
from specc.kinds.existing import is_existing
from specc.language.diagnostics import SpecError
from specc.language.extends import load_spec
from specc.language.source import SourceFile
from specc.model.validate import validate
from specc.output.compiled import Compiled
from specc.output.global_stack import GLOBAL_TEMPLATE, separate
from specc.output.rollout import rollout_templates
from specc.output.split import split_service
from specc.plan import make_plan


def check(path: Path | str) -> tuple[Any, SourceFile]:
    source = load_spec(path)  # with every base it extends merged in
    spec = validate(source)
    problems = run_all(spec, source)
    if problems:
        raise SpecError(problems)
    return spec, source


def compile_spec(path: Path | str) -> Compiled:
    with _collector_paused():  # loading and checking too: their passes found next to nothing (0.05 s at N=2000)
        spec, source = check(path)
        return compile_checked(spec, source)


def compile_checked(spec: Any, source: SourceFile) -> Compiled:
    with _collector_paused():
        return _compile(spec, source)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Building allocates millions of small objects and frees almost none until the end: the cyclic garbage
    collector's passes find nothing to collect and cost a fifth of a large compile. Off while compiling.

    Back on, its first pass walks the objects the compile allocated (0.45 s at 2,000 functions). The `specc
    compile` process skips it by ending first (cli.py); a process that compiles again and again (tests, an
    editor) needs it: troposphere objects hold cycles, and freezing them out of the collector kept every
    earlier compile alive, or cost a full collection of the whole process per compile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _compile(spec: Any, source: SourceFile) -> Compiled:
    plan = make_plan(spec, source)
    ctx = BuildContext(spec=spec, source=source, artifacts=plan.artifacts, layer_artifacts=plan.layer_artifacts)
    ctx.existing_keys = {name: existing.arn(ctx, "keys", name) for name, key in sorted(spec.keys.items())
                         if is_existing(key)}
    late = []
    for kind, name, entry in plan.entries():
        if is_existing(entry):  # named by `existing:`: made elsewhere, nothing of it to create
            if kind.build_existing is not None:
                kind.build_existing(ctx, name, entry)
            continue
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
    service = template_dict(ctx.template)  # ctx.template.to_dict(), in one pass
    if spec.overrides:  # before the policy: an override that weakens a control fails the profile
        from specc.kinds.overrides import apply as apply_overrides

        overridden = apply_overrides(ctx, service)
        if overridden:
            raise SpecError(overridden)
    clashes = physical_names.run_on_template(ctx, service.get("Resources") or {})  # E263: names kinds generate
    if clashes:
        raise SpecError(clashes)
    # the spec's security profile (SEC checks); excuses go in Metadata
    outcome = policy.evaluate(ctx, {"service.json": service})
    if outcome.diagnostics:
        raise SpecError(outcome.diagnostics)
    # After the policy: splitting renders and hashes the nested templates (their TemplateURLs name the sha256),
    # so nothing may edit a template once it is split.
    # What AWS requires in us-east-1 goes into its own template, deployed once per account (global_stack.py).
    service, global_template = separate(spec, service)
    layout = split_service(ctx, plan, service)  # service.json, plus nested/*.json past CloudFormation's quotas
    templates = dict(layout.templates)
    if global_template is not None:
        templates[GLOBAL_TEMPLATE] = global_template
    templates.update(rollout_templates(spec, templates, layout))  # stackset.json and bootstrap.json
    return Compiled(spec=spec, source=source, plan=plan, templates=templates, artifacts=plan.artifacts,
                    layer_artifacts=plan.layer_artifacts,
                    layout=layout, policy=outcome, origins=dict(ctx.origins), notes=notes_all(spec, source))
