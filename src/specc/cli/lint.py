"""`specc lint`: compile each spec (unless its recorded inputs are unchanged), lint every template in parallel
processes with cached findings, and report them per spec.

Two caches, both under `.specc-cache/` (or `$SPECC_CACHE_DIR`): findings by template bytes (lint_cache.py), and
which templates a spec compiled to by everything that compile read (lint_inputs.py). With both warm, an
unchanged service is neither compiled nor linted: the compiler is not even imported.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from specc.cli import report
from specc.language.diagnostics import SpecError
from specc.lint.cache import Job, LintCache, lint_jobs
from specc.lint.cfn import Finding
from specc.lint.inputs import InputCache, Known, recording


@dataclass
class Target:
    path: Path
    known: Known | None = None  # recorded inputs unchanged: templates and regions without compiling
    compiled: Any = None
    opened: set[str] = field(default_factory=set)
    jobs: dict[str, Job] = field(default_factory=dict)  # template name -> its lint job

    @property
    def regions(self) -> list[str]:
        return self.known.regions if self.known else list(self.compiled.spec.regions)

    @property
    def templates(self) -> list[str]:
        return sorted(self.known.templates if self.known else self.compiled.templates)


def _places(target: Target, resources: set[str]) -> dict[str, report.Place]:
    """Where in the spec each of `resources` was made: from the compile, or as recorded by the last one."""
    if target.known is not None:
        return {r: (int(p[0]), int(p[1]), str(p[2]), str(p[3]) if len(p) > 3 else "")  # the file: since `extends`
                for r, p in target.known.places.items() if r in resources}
    places = {}
    for resource in sorted(resources):
        place = target.compiled.place(resource)
        if place is not None:
            places[resource] = place
    return places


def run(specs: tuple[Path, ...], fmt: str, jobs: int | None, no_cache: bool) -> None:
    from specc.cli.common import EXIT_LINT, exit_on_spec_errors

    cache = None if no_cache else LintCache()
    inputs = InputCache(cache.directory.parent / "lint-inputs") if cache else None
    targets: list[Target] = []
    problems = []
    for path in specs:
        known = inputs.lookup(path) if inputs else None
        if known is not None and cache is not None and all(cache.get(k) is not None for k in known.templates.values()):
            targets.append(Target(path, known=known))
            continue
        from specc.compiler import compile_spec

        try:
            with recording() as opened:
                compiled = compile_spec(path)
        except SpecError as exc:
            problems += exc.diagnostics
            continue
        targets.append(Target(path, compiled=compiled, opened=opened))

    work: list[Job] = []
    if any(t.compiled for t in targets):
        from specc.output.emit import render_json
        from specc.output.global_stack import lint_regions

        for index, target in enumerate(targets):
            if target.compiled is None:
                continue
            for name in target.templates:
                job = Job(f"{index}:{name}", render_json(target.compiled.templates[name]),
                          lint_regions(name, target.regions))
                target.jobs[name] = job
                work.append(job)
    stderr = click.get_text_stream("stderr")
    with click.progressbar(length=len(work), label="cfn-lint", file=stderr,
                           hidden=len(work) < 2 or not report.interactive(stderr)) as bar:
        outcome = lint_jobs(work, cache=cache, workers=jobs, done=lambda job: bar.update(1))
    reused = sum(len(t.templates) for t in targets if t.known)
    if cache is not None and targets and fmt == "text":
        click.echo(f"cfn-lint: {outcome.linted} template(s) linted, {outcome.hits + reused} unchanged from the cache "
                   f"({cache.directory}).", err=True)

    found: dict[Path, list[report.Result]] = {}
    for target in targets:
        raw: dict[str, list[dict[str, Any]]] = {}
        if target.known:
            assert cache is not None
            raw = {name: cache.get(key) or [] for name, key in target.known.templates.items()}
            shown = target.known.shown
        else:
            from specc.cli.common import shown as shown_path
            from specc.output.emit import default_out_dir

            raw = {name: outcome.findings[job.name] for name, job in target.jobs.items()}
            shown = shown_path(default_out_dir(target.path))
        findings = sorted({Finding(name, f["line"], f["column"], f["rule"], f["severity"], f["message"], f["resource"])
                           for name, items in raw.items() for f in items})
        places = _places(target, {f.resource for f in findings if f.resource})
        if target.compiled is not None and inputs is not None:
            directories = {str(a.code_dir) for a in (*target.compiled.artifacts.values(),
                                                     *target.compiled.layer_artifacts.values())}
            inputs.record(target.path, target.opened, directories,
                          Known({name: job.key for name, job in target.jobs.items()}, target.regions, shown,
                                {resource: list(place) for resource, place in places.items()}))
        found[target.path] = report.from_lint_findings(findings, shown, spec=str(target.path), places=places)

    lint_results = [r for results in found.values() for r in results]
    if fmt != "text":
        report.output(report.from_diagnostics(problems) + lint_results, fmt, tools=("specc", "cfn-lint"))
    else:
        from specc.output.global_stack import GLOBAL_REGION, GLOBAL_TEMPLATE

        for target in targets:
            regions = ", ".join(target.regions)
            if GLOBAL_TEMPLATE in target.templates:
                regions += f"; {GLOBAL_TEMPLATE} in {GLOBAL_REGION}"
            if found[target.path]:
                report.output(found[target.path], fmt)
                click.echo(f"{len(found[target.path])} cfn-lint finding(s) in {len(target.templates)} template(s) "
                           f"({regions}).", err=True)
            else:
                click.echo(f"{target.path}: {len(target.templates)} template(s) clean under cfn-lint in {regions}.")
    exit_on_spec_errors(problems, fmt)
    if lint_results:
        sys.exit(EXIT_LINT)
