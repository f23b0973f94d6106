"""The `specc` command. One place turns known errors into diagnostics and exit codes.

Exit codes: 0 clean; 1 the spec has errors; 2 bad command-line usage; 3 lint findings;
4 a file could not be read or written; 70 an internal error (a bug: please report it).
Heavy modules are imported inside commands so `specc --version` starts fast.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from specc import __version__
from specc.cli.report import format_option

EXIT_SPEC, EXIT_LINT, EXIT_IO, EXIT_INTERNAL = 1, 3, 4, 70


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from specc.language.diagnostics import SpecError

        try:
            return command(*args, **kwargs)
        except SpecError as exc:
            click.echo(exc.render(), err=True)
            count = len(exc.diagnostics)
            click.echo(f"{count} error{'s' if count != 1 else ''}; nothing was written.", err=True)
            sys.exit(EXIT_SPEC)
        except OSError as exc:
            click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
            sys.exit(EXIT_IO)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug in specc, not in the spec
            if os.environ.get("SPECC_DEBUG"):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc}\n"
                       "This is a bug in specc; rerun with SPECC_DEBUG=1 for a traceback and report it.", err=True)
            sys.exit(EXIT_INTERNAL)

    return wrapper


spec_argument = click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))


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
    from specc.output.emit import default_out_dir, rendered_files, write_atomically

    compiled = compile_spec(spec)
    files = rendered_files(compiled, fmt)
    out_dir = out or default_out_dir(spec)
    write_atomically(files, out_dir)
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
    return _exit_without_teardown(compiled)


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
    """Check SPECS for errors without writing anything."""
    from specc.cli import report
    from specc.compiler import check
    from specc.language.diagnostics import SpecError

    problems = []
    for path in specs:
        try:
            check(path)
            if fmt == "text":
                click.echo(f"{path}: ok")
        except SpecError as exc:
            problems += exc.diagnostics
    if fmt != "text":
        report.output(report.from_diagnostics(problems), fmt)
    _exit_on_spec_errors(problems, fmt)


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
    _exit_on_spec_errors(problems, fmt)


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


def _exit_on_spec_errors(problems: list[Any], fmt: str) -> None:
    """Spec errors go to stderr in text (stdout already holds the machine formats); exit 1 when any."""
    if not problems:
        return
    if fmt == "text":
        from specc.cli import report

        report.output(report.from_diagnostics(problems), fmt, err=True)
        count = len(problems)
        click.echo(f"{count} error{'s' if count != 1 else ''}; nothing was written.", err=True)
    sys.exit(EXIT_SPEC)


def _shown(path: Path) -> str:
    """A path as people read it: relative to the working directory when it is below it."""
    return str(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)


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
    """Write the deterministic code zips of SPEC's functions (named by content hash)."""
    from specc.compiler import check
    from specc.output.emit import write_file_atomically
    from specc.plan import make_plan

    spec_model, source = check(spec)
    plan = make_plan(spec_model, source)
    written: dict[str, list[str]] = {}
    for function, artifact in sorted(plan.artifacts.items()):
        written.setdefault(artifact.s3_key.rsplit("/", 1)[-1], []).append(function)
        target = out / artifact.s3_key.rsplit("/", 1)[-1]
        if not target.exists():
            write_file_atomically(target, artifact.zip_bytes())
    for name, functions in sorted(written.items()):
        click.echo(f"{out / name}: {', '.join(functions)}")


from specc.cli import graph as cli_scale  # noqa: E402,F401  (registers graph)
from specc.cli import ship as cli_aws  # noqa: E402,F401  (registers bootstrap, deploy, rollout and status)
from specc.cli import tools as cli_tools  # noqa: E402,F401  (registers init and diff)
