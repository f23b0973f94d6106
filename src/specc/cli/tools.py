"""Commands that fit specc into how people already work: `specc init` and `specc diff`.

Registered on the main group by one import at the end of cli.py. Like every command, they import
heavy modules inside their bodies so `specc --version` stays fast.
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from specc.cli.app import main
from specc.cli.common import EXIT_IO, guarded, shown, spec_argument
from specc.cli.init_templates import NAMES as TEMPLATE_NAMES

if TYPE_CHECKING:
    from specc.output.diff import TemplateDiff

EXIT_CHANGES = 5  # `specc diff --exit-code` when something would change (1 already means spec errors)


@main.command()
@click.option("--template", type=click.Choice(TEMPLATE_NAMES), default="api", show_default=True,
              help="api: REST API over a table; pipeline: API, asynchronous worker and events; pci: payments that pass "
                   "the pci profile (VPC, mutual TLS, WAF, separate keys, iam-authorised admin routes).")
@click.option("--service", help="Service name (default: from DIRECTORY's name).")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@guarded
def init(template: str, service: str | None, force: bool, directory: Path) -> None:
    """Start a project in DIRECTORY: a spec, its handler and the handler's tests, ready to compile."""
    from specc.cli import init_templates
    from specc.output.emit import write_file_atomically

    if service is not None and not init_templates.valid_service(service):
        raise click.BadParameter("2 to 25 lower case letters, digits and hyphens, starting with a letter",
                                 param_hint="--service")
    name = service or init_templates.service_name(directory.resolve().name)
    files = init_templates.render(template, name)
    schema = init_templates.SCHEMA_PATH
    if (directory / ".gitignore").exists() and not force:  # a repository's own: kept as it is
        del files[".gitignore"]
    existing = [path for path in files if (directory / path).exists() and path != schema]
    if existing and not force:
        click.echo(f"error: {', '.join(str(directory / p) for p in existing)} already exist(s); "
                   "nothing was written (use --force to overwrite)", err=True)
        sys.exit(EXIT_IO)
    for path, text in sorted(files.items()):
        write_file_atomically(directory / path, text.encode())
        click.echo(f"created {directory / path}")
    spec = f"specs/{name}.yaml"
    tests = f"handlers/{name.replace('-', '_')}"
    click.echo(f"\nNext, in {directory}:\n  python -m pip install -r {init_templates.REQUIREMENTS_PATH}\n"
               f"  specc compile {spec}\n  specc lint {spec}\n  python -m pytest {tests}")


@main.command()
@spec_argument
@click.option("--against", type=click.Path(file_okay=False, path_type=Path),
              help="Compiled output to compare with (default: the spec's directory in templates_out/).")
@click.option("--stack", help="Compare with this deployed CloudFormation stack instead, through a change set.")
@click.option("--region", help="The stack's region (with --stack; default: the spec's first region).")
@click.option("--bucket", help="With --stack: S3 bucket for templates over CloudFormation's 51,200-byte inline limit "
              "(default: the artifact bucket `specc bootstrap` made in the account and region).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--exit-code", is_flag=True,
              help=f"Exit {EXIT_CHANGES} when something would change (as `git diff --exit-code`); default: 0.")
@guarded
def diff(spec: Path, against: Path | None, stack: str | None, region: str | None, bucket: str | None, fmt: str,
         exit_code: bool) -> None:
    """What compiling SPEC would change, resource by resource, with IAM permission changes.

    Resources are added, removed, modified, or replaced (a changed property that CloudFormation can
    only set at creation, per the resource provider schemas). Exit 0 whether or not anything changes,
    unless --exit-code.
    """
    import json

    from specc.cli import report
    from specc.compiler import compile_spec
    from specc.output import diff as differ
    from specc.output.emit import default_out_dir

    if (region or bucket) and not stack:
        raise click.UsageError("--region and --bucket go with --stack")
    if stack and against:
        raise click.UsageError("--against and --stack are two different things to compare with: choose one")
    compiled = compile_spec(spec)
    region = region or compiled.spec.regions[0]
    if stack:
        root = compiled.templates.get("service.json") or next(iter(compiled.templates.values()))
        diffs = [_stack_diff(stack, region, root, bucket, compiled.spec.artifacts.bucket_prefix)]
        files = {info.logical_id: info.file for info in (compiled.layout.stacks.values() if compiled.layout else ())}
        diffs = differ.mark_moves(diffs + _nested_diffs(stack, region, compiled.templates, files))
    else:
        directory = against or default_out_dir(spec)
        diffs = differ.diff_against(directory, compiled.templates, region)
        for item in diffs:
            item.template = str(Path(shown(directory)) / item.template)
    changed = any(d.changed for d in diffs)
    if fmt == "json":
        click.echo(json.dumps({"spec": str(spec), "changed": changed, "summary": differ.summary(diffs),
                               "data_loss": [loss.to_dict() for d in diffs for loss in d.data_loss],
                               "moves": [asdict(move) for move in differ.find_moves(diffs)],
                               "templates": [d.to_dict() for d in diffs]}, indent=2, sort_keys=True))
    else:
        color = report.use_color()
        click.echo(differ.render_text(diffs, color=color), nl=False, color=color or None)
        click.echo(f"{spec}: {differ.summary(diffs)}.")
    if changed and exit_code:
        sys.exit(EXIT_CHANGES)


def _nested_diffs(stack: str, region: str, templates: dict[str, dict[str, Any]], files: dict[str, str]
                  ) -> list[TemplateDiff]:
    """Per nested stack, deployed against compiled; AWS failures are one line and exit 6 like the root's."""
    from specc.aws.session import AwsError, explained
    from specc.aws.stack_diff import nested_stack_diffs
    from specc.cli.ship import EXIT_AWS

    try:
        with explained(f"comparing the nested stacks of {stack} in {region}"):
            return nested_stack_diffs(stack, region, templates, files)
    except AwsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_AWS)


def _stack_diff(stack: str, region: str, template: dict[str, Any], bucket: str | None, prefix: str) -> TemplateDiff:
    """The change-set diff. AWS's refusals, a silent or garbled endpoint included, are one line and exit 6, as
    in every command that talks to AWS. A template too large to send inline goes through --bucket, or else the
    artifact bucket `specc bootstrap` made in this account and region (where `specc deploy` uploads too)."""
    from specc.aws.session import Aws, AwsError, explained
    from specc.aws.stack_diff import NeedsBucket, stack_diff
    from specc.build import naming
    from specc.cli.ship import EXIT_AWS

    try:
        with explained(f"comparing with stack {stack} in {region}"):
            try:
                return stack_diff(stack, region, template, bucket=bucket)
            except NeedsBucket:
                artifacts = naming.artifact_bucket(prefix, Aws.connect(None, region).account, region)
                try:
                    return stack_diff(stack, region, template, bucket=artifacts)
                except AwsError as exc:
                    raise AwsError(f"{exc} (the template is over CloudFormation's inline limit, so it goes through "
                                   f"the artifact bucket {artifacts}: run `specc bootstrap`, or name a bucket with "
                                   "--bucket)") from None
    except AwsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_AWS)
