"""The `specc` group and the commands that work on a spec alone: compile, validate, check, lint, package, schema, docs.

Heavy modules are imported inside commands so `specc --version` starts fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from specc import __version__
from specc.cli.common import exit_on_spec_errors, guarded, spec_argument
from specc.cli.report import format_option


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="specc")
def main() -> None:
    """Compile a declarative service spec into secure, deterministic CloudFormation."""


@main.command()
@spec_argument
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory (default: templates_out/<spec path under specs/>).")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="json", show_default=True)
@guarded
def compile(spec: Path, out: Path | None, fmt: str) -> None:
    """Compile SPEC into templates and a manifest, written atomically."""
    import gc

    gc.disable()  # compiling and writing free almost nothing before the end: collections would only cost time
    ending = False
    try:
        ending = _compile(spec, out, fmt)
    finally:
        if not ending:  # turned back on, the collector's first pass would walk the whole result: 0.45 s at N=2000
            gc.enable()


def _compile(spec: Path, out: Path | None, fmt: str) -> bool:
    from specc.compiler import compile_spec
    from specc.output.emit import OutputInterrupted, default_out_dir, rendered_files, write_atomically

    compiled = compile_spec(spec)
    files = rendered_files(compiled, fmt)
    out_dir = out or default_out_dir(spec)
    try:
        write_atomically(files, out_dir)
    except OutputInterrupted as exc:  # one line: which output the directory holds now
        click.echo(str(exc), err=True)
        sys.exit(130)
    for name, body in sorted(files.items()):
        if name == "manifest.json":
            continue
        template = compiled.templates.get(name) or compiled.templates[name.rsplit(".", 1)[0] + ".json"]
        click.echo(f"{out_dir / name}: {len(template.get('Resources', {}))} resources, "
                   f"{len(template.get('Outputs', {}))} outputs, {len(body):,} bytes")
    from specc.output.split import Budget, budget_report, usage_of

    margin = compiled.spec.limits.margin
    usages = [usage_of(name, compiled.templates.get(name) or compiled.templates[name.rsplit(".", 1)[0] + ".json"], body)
              for name, body in sorted(files.items()) if name != "manifest.json"]
    for line in budget_report(usages, Budget.with_margin(margin), margin):
        click.echo(line)
    _print_notes(compiled.notes)
    return _exit_without_teardown(compiled)


def _print_notes(notes: list[Any]) -> None:
    """Notes (a reference to an entry the function does not `use`...) go to stderr; they never fail a command."""
    if notes:
        from specc.cli import report

        report.output(report.from_diagnostics(notes), "text", err=True)


def _exit_without_teardown(compiled: Any) -> bool:
    """Freeing a large compiled service object by object takes longer than a small compile (0.7 s of 4.5 for
    2,000 functions); when `specc` itself is the process, end it without freeing: everything is written and
    flushed, nothing else is pending. Never inside another program (tests, click's runner): they go on."""
    _KEEP.append(compiled)
    if os.path.basename(sys.argv[0]) != "specc" or os.environ.get("SPECC_FULL_TEARDOWN"):
        return False
    import atexit

    def leave() -> None:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # a closed pipe: let Python end as usual and say so
            return
        os._exit(0)

    atexit.register(leave)  # runs first (last registered), after click's sys.exit(0) of a successful compile
    return True


_KEEP: list[Any] = []


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@format_option
@guarded
def validate(specs: tuple[Path, ...], fmt: str) -> None:
    """Check SPECS for errors without writing anything: every check `compile` runs (it compiles in memory)."""
    from specc.cli import report
    from specc.compiler import compile_spec
    from specc.language.diagnostics import SpecError

    problems, notes = [], []
    for path in specs:
        try:
            compiled = compile_spec(path)
            notes += compiled.notes
            if fmt == "text":
                click.echo(f"{path}: ok")
        except SpecError as exc:
            problems += exc.diagnostics
    if fmt != "text":
        report.output(report.from_diagnostics(problems + notes), fmt)
    elif not problems:
        _print_notes(notes)
    exit_on_spec_errors(problems, fmt)


@main.command("check")
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@format_option
@guarded
def check_command(specs: tuple[Path, ...], fmt: str) -> None:
    """Compile SPECS in memory and run the policy checks of their security profile (compile runs them too)."""
    from specc.cli import report
    from specc.compiler import compile_spec
    from specc.language.diagnostics import SpecError

    problems = []
    for path in specs:
        try:
            result = compile_spec(path)
            if fmt == "text":
                outcome = result.policy
                click.echo(f"{path}: passes the {result.spec.security.profile} profile ({outcome.checks_run} checks"
                           f"{f', {outcome.excused} finding(s) excused in Metadata' if outcome.excused else ''}).")
        except SpecError as exc:
            problems += exc.diagnostics
    if fmt != "text":
        report.output(report.from_diagnostics(problems), fmt)
    exit_on_spec_errors(problems, fmt)


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@format_option
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Processes running cfn-lint at once (default: one per core).")
@click.option("--no-cache", is_flag=True, help="Lint every template again, ignoring and not writing the cache "
              "(.specc-cache/lint, or $SPECC_CACHE_DIR/lint).")
@guarded
def lint(specs: tuple[Path, ...], fmt: str, jobs: int | None, no_cache: bool) -> None:
    """Compile SPECS in memory and run cfn-lint on every template for every region they target.

    Findings are cached by template content, cfn-lint version and regions: an unchanged template is not linted again,
    and a spec whose inputs (the spec, its code, specc itself) are unchanged is not even compiled.
    """
    from specc.cli.lint import run

    run(specs, fmt, jobs, no_cache)


@main.command()
@guarded
def schema() -> None:
    """Print the JSON Schema of the spec language (for editors)."""
    from specc.model.schema import json_schema_text

    click.echo(json_schema_text(), nl=False)


@main.command()
@guarded
def docs() -> None:
    """Print the spec-language reference (Markdown), generated from the models."""
    from specc.model.reference import markdown

    click.echo(markdown(), nl=False)


@main.command()
@spec_argument
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("build/artifacts"),
              show_default=True, help="Directory for the zips.")
@guarded
def package(spec: Path, out: Path) -> None:
    """Write the deterministic code zips of SPEC's functions and layers (named by content hash).

    A code directory with a requirements.txt ships its dependencies, installed for Lambda's platform (cached in
    .specc-cache/dependencies)."""
    from specc.compiler import check
    from specc.output.emit import write_file_atomically
    from specc.plan import make_plan

    spec_model, source = check(spec)
    plan = make_plan(spec_model, source)
    written: dict[str, list[str]] = {}
    named = [(function, artifact) for function, artifact in sorted(plan.artifacts.items())]
    named += [(f"layer {layer}", artifact) for layer, artifact in sorted(plan.layer_artifacts.items())]
    for function, artifact in named:
        written.setdefault(artifact.s3_key.rsplit("/", 1)[-1], []).append(function)
        target = out / artifact.s3_key.rsplit("/", 1)[-1]
        if not target.exists():
            write_file_atomically(target, artifact.zip_bytes())
    for name, functions in sorted(written.items()):
        click.echo(f"{out / name}: {', '.join(functions)}")
