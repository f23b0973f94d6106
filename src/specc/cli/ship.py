"""Commands that ship a service: `specc bootstrap`, `deploy`, `rollout` and `status`.

Registered on the main group by one import at the end of cli.py. They use boto3 with the usual AWS
settings (profile, region, `AWS_ENDPOINT_URL`), so they run against AWS or a local emulator alike.
What AWS refuses (unreachable endpoint, no credentials, access denied, a failed stack or stack
instance) is one line on stderr and exit code 6, never a traceback. Progress goes to stderr (a bar
on a terminal, one line per event otherwise); results go to stdout.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from specc.cli.app import main
from specc.cli.common import guarded, spec_argument

if TYPE_CHECKING:
    from specc.aws.stacksets import Instance

EXIT_AWS = 6  # AWS refused or failed: unreachable, no credentials, access denied, a failed stack or instance
EXIT_CHANGES = 5  # as `specc diff --exit-code`: `status --exit-code` found something not as compiled

profile_option = click.option("--profile", envvar="AWS_PROFILE", help="AWS profile (default: AWS_PROFILE or the "
                              "default credentials chain).")
allow_data_loss_option = click.option(
    "--allow-data-loss", is_flag=True,
    help="Go ahead with changes that delete or replace a table, bucket, key, secret, queue, log group or user pool "
         "(listed as DATA LOSS, as `specc diff` shows them); the stack policy that forbids them is lifted for this "
         "update only. Without it such a change is refused (on a terminal: asked).")
role_option = click.option("--role-name", default="AWSCloudFormationStackSetExecutionRole", show_default=True,
                           help="Role assumed in accounts other than the caller's (the StackSet execution role).")


def aws_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """AWS's refusals become one line and exit code 6 (inside `guarded`, which handles everything else)."""
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from specc.aws.session import AwsError, explained

        try:
            with explained("talking to AWS", answers=False):
                return command(*args, **kwargs)
        except AwsError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_AWS)

    return wrapper


def _stderr() -> TextIO:
    return click.get_text_stream("stderr")


def _style(text: str, ok: bool | None) -> str:
    """Green for done, red for failed, plain otherwise; only for a person at a terminal without NO_COLOR."""
    from specc.cli.report import use_color

    if ok is None or not use_color(_stderr()):
        return text
    return click.style(text, fg="green" if ok else "red", bold=not ok)


def _progress_line(text: str, over_bar: bool) -> None:
    """A line on stderr; over a progress bar, it first clears the bar's line (the bar redraws below it)."""
    from specc.cli.report import use_color

    click.echo(("\r\x1b[2K" if over_bar else "") + text, err=True, color=use_color(_stderr()))


def _check_regions(spec: Any, regions: tuple[str, ...] | list[str], option: str = "--region") -> None:
    unknown = [r for r in regions if r not in spec.regions]
    if unknown:
        raise click.BadParameter(f"{', '.join(unknown)} is not one of the spec's regions ({', '.join(spec.regions)})",
                                 param_hint=option)


class StackEvents:
    """Follows one stack's events: a bar over its resources on a terminal; failures always, as lines."""

    def __init__(self, label: str, stack: str, resources: int) -> None:
        from specc.cli.report import interactive

        self.stack = stack
        self.interactive = interactive(_stderr())
        self.bar = click.progressbar(length=max(resources, 1), label=label, file=_stderr(), hidden=not self.interactive)

    def __enter__(self) -> StackEvents:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)

    def __call__(self, event: dict[str, Any]) -> None:
        status = event.get("ResourceStatus", "")
        if event.get("LogicalResourceId") == self.stack:
            return
        if status.endswith("_FAILED"):
            reason = event.get("ResourceStatusReason", "")
            _progress_line(f"  {event.get('LogicalResourceId')} {_style(status, False)}: {reason}", self.interactive)
        elif status.endswith("_COMPLETE"):
            self.bar.update(1)


@main.command("bootstrap")
@spec_argument
@click.option("--region", "regions", multiple=True, help="Only this region (repeatable; default: every region of "
              "the spec).")
@profile_option
@role_option
@guarded
@aws_errors
def bootstrap_command(spec: Path, regions: tuple[str, ...], profile: str | None, role_name: str) -> None:
    """Create or update the artifact bucket in every target account and region of SPEC (and the caller's)."""
    from specc.aws import stacks, targets
    from specc.aws.session import Aws
    from specc.build import naming
    from specc.compiler import compile_spec
    from specc.output import bootstrap
    from specc.output.emit import render_json

    compiled = compile_spec(spec)
    _check_regions(compiled.spec, regions)
    aws = Aws.connect(profile)
    template = compiled.templates["bootstrap.json"]
    body = render_json(template).decode()
    prefix = compiled.spec.artifacts.bucket_prefix
    name = bootstrap.stack_name(prefix)
    for target in targets.bootstrap_targets(aws, compiled.spec, list(regions)):
        account = aws.in_account(target.account, role_name)
        with StackEvents(f"{target} {name}", name, len(template["Resources"])) as events:
            result = stacks.deploy(account, name, target.region, template_body=body, on_event=events)
        bucket = naming.artifact_bucket(prefix, target.account, target.region)
        click.echo(f"{target.region} {target.account} {name}: {result.outcome} ({result.status}); bucket {bucket}")


def _can_ask() -> bool:
    """A person at a terminal can answer a question (stdin and stderr both a terminal)."""
    from specc.cli.report import interactive

    return interactive(click.get_text_stream("stdin")) and interactive(_stderr())


def confirm_data_loss(losses: list[Any], allowed: bool, what: str, spec: Path, diff_hint: str | None) -> bool:
    """Show what would be lost; go ahead only with --allow-data-loss or a person's yes. A refusal is one line and
    exit 1 (E270), before anything changed; returns whether the loss was accepted (lift the stack policy)."""
    from specc.cli.common import EXIT_SPEC
    from specc.cli.report import use_color
    from specc.output.data_loss import render

    if not losses:
        return False
    for line in render(losses, use_color(_stderr()), refused_without_flag=False):
        click.echo(line, err=True, color=use_color(_stderr()))
    if allowed:
        click.echo(f"--allow-data-loss: going ahead with {what}.", err=True)
        return True
    if _can_ask():
        try:
            if click.confirm(f"Go ahead with {what} and lose this data?", default=False, err=True):
                return True
        except click.Abort:  # Ctrl-C or the end of input at the question: a no
            click.echo("", err=True)
    count = len(losses)
    click.echo(f"error: E270 {spec}: refusing {what}: {count} change{'s' if count != 1 else ''} would delete or "
               f"replace stored data (DATA LOSS above); nothing was changed. "
               + (f"Review with `{diff_hint}`; rerun" if diff_hint else "Rerun")
               + " with --allow-data-loss to accept the loss.", err=True)
    sys.exit(EXIT_SPEC)


@main.command("deploy")
@spec_argument
@click.option("--region", help="Region to deploy to (default: the AWS settings' region when the spec lists it, "
              "else the spec's first region).")
@click.option("--stack-name", help="Stack name (default: <service>-<environment>).")
@profile_option
@allow_data_loss_option
@guarded
@aws_errors
def deploy_command(spec: Path, region: str | None, stack_name: str | None, profile: str | None,
                   allow_data_loss: bool) -> None:
    """Upload SPEC's code and templates, create or update its stack through a change set, wait, print outputs.

    A change that deletes or replaces a resource holding data is refused unless --allow-data-loss (asked on a
    terminal). Every stack gets termination protection and a stack policy that denies replacing or deleting
    such resources (lifted for one update by --allow-data-loss)."""
    from specc.aws import artifacts, collisions
    from specc.aws.session import Aws
    from specc.build import naming
    from specc.compiler import compile_spec
    from specc.output.global_stack import GLOBAL_TEMPLATE, global_stack_name
    from specc.output.rollout import ENDPOINT_PARAMETER, capabilities, region_order, stack_set_name, template_url

    compiled = compile_spec(spec)
    aws = Aws.connect(profile)
    if region:
        _check_regions(compiled.spec, [region])
    else:
        configured = aws.default_region
        region = (configured if configured is not None and configured in compiled.spec.regions
                  else compiled.spec.regions[0])
    name = stack_name or stack_set_name(compiled.spec)
    collisions.refuse_deploy_over_rollout(aws, stack_set_name(compiled.spec), region_order(compiled.spec)[0], region)
    bucket = naming.artifact_bucket(compiled.spec.artifacts.bucket_prefix, aws.account, region)
    artifacts.require_bucket(aws, bucket, region, str(spec))
    root = artifacts.service_template(compiled)
    sent = artifacts.upload(aws, bucket, region, artifacts.dependencies(compiled) + [root])
    click.echo(f"uploaded {sent} new object(s) to s3://{bucket}", err=True)
    endpoint = aws.emulator_endpoint(region)
    template = compiled.templates["service.json"]
    parameters = {ENDPOINT_PARAMETER: endpoint or ""} if ENDPOINT_PARAMETER in template.get("Parameters", {}) else {}
    service_templates = [t for n, t in compiled.templates.items()
                         if n not in ("stackset.json", "bootstrap.json", GLOBAL_TEMPLATE)]
    _ship_stack(aws, spec, name, region, compiled.templates, compiled.layout, allow_data_loss,
                template_url=template_url(bucket, region, root.key, endpoint), parameters=parameters,
                capabilities=capabilities(service_templates),
                destroy_command=f"specc destroy {spec} --region {region}"
                + (f" --stack-name {stack_name}" if stack_name else ""))
    # After the regional stack: the distribution then finds the home region's bucket it serves (by its name).
    home = compiled.spec.regions[0]
    if GLOBAL_TEMPLATE in compiled.templates and region != home:
        click.echo(f"note: the global stack's distributions serve the buckets of {home} (the spec's first region), "
                   f"not those of {region}: deploy {home} too", err=True)
    _ship_global(aws, spec, compiled, f"{name}-global" if stack_name else global_stack_name(compiled.spec),
                 allow_data_loss)


def _ship_stack(aws: Any, spec: Path, name: str, region: str, templates: dict[str, dict[str, Any]], layout: Any,
                allow_data_loss: bool, **request: Any) -> None:
    """Plan stack `name` (`templates["service.json"]` is its template), refuse or confirm data loss, execute it
    and print its outputs."""
    from specc.aws import stacks

    template = templates["service.json"]
    planned = stacks.plan(aws, name, region, **request)
    accepted = False
    if planned.change_type == "UPDATE" and planned.unchanged is None:
        from specc.aws.data_loss_guard import stack_losses

        losses = stack_losses(aws.client("cloudformation", region), name, region, templates, layout,
                              planned.changes)
        try:
            accepted = confirm_data_loss(losses, allow_data_loss, f"the update of stack {name} in {region}", spec,
                                         f"specc diff {spec} --stack {name} --region {region}")
        except BaseException:  # refused, or the question interrupted (Ctrl-C, end of input): leave no change set
            stacks.discard(planned)
            raise
    with StackEvents(f"{name} {region}", name, len(template.get("Resources", {}))) as events:
        result = stacks.execute(planned, on_event=events, allow_data_loss=accepted)
    click.echo(f"{name} in {region} ({result.account}): {result.outcome} ({result.status})")
    for key, value in sorted(result.outputs.items()):
        click.echo(f"  {key} = {value}")


def _ship_global(aws: Any, spec: Path, compiled: Any, name: str, allow_data_loss: bool) -> None:
    """The global template (global_stack.py), when the service has one: stack `name` in us-east-1 of `aws`'s
    account, sent as the template body (it holds no code and stays far below the 51,200-byte limit: us-east-1 may
    have no artifact bucket, as it need not be one of the service's regions). Protected like every stack."""
    from specc.output.emit import render_json
    from specc.output.global_stack import GLOBAL_REGION, GLOBAL_TEMPLATE

    template = compiled.templates.get(GLOBAL_TEMPLATE)
    if template is None:
        return
    _ship_stack(aws, spec, name, GLOBAL_REGION, {"service.json": template}, None, allow_data_loss,
                template_body=render_json(template).decode())


class InstanceProgress:
    """Follows the stack set's instances: a bar on a terminal (failures named over it), else one line per change
    while an instance is under way. Where each one ended is the result, listed once on stdout when all are done;
    printing final states here too showed the whole list twice in a CI log, where both streams meet."""

    def __init__(self, total: int) -> None:
        from specc.cli.report import interactive

        self.interactive = interactive(_stderr())
        self.done: set[tuple[str, str]] = set()
        self.bar = click.progressbar(length=max(total, 1), label="rollout", file=_stderr(), hidden=not self.interactive,
                                     item_show_func=lambda item: item)

    def __enter__(self) -> InstanceProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)

    def __call__(self, instance: Instance) -> None:
        finished = instance.failed or instance.detailed in ("SUCCEEDED", "SKIPPED_SUSPENDED_ACCOUNT") or (
            not instance.detailed and instance.status == "CURRENT")
        state = instance.detailed or instance.status
        ok = False if instance.failed else (True if finished else None)
        line = f"  {instance.region} {instance.account} {_style(state, ok)}"
        if instance.reason and instance.failed:
            line += f": {instance.reason}"
        if (instance.failed and self.interactive) or not (self.interactive or finished):
            _progress_line(line, self.interactive)
        key = (instance.region, instance.account)
        if finished and key not in self.done:
            self.done.add(key)
            self.bar.update(1, f"{instance.region} {instance.account}")


@main.command("rollout")
@spec_argument
@click.option("--admin-region", help="Region the stack set lives in (default: the first region of the rollout "
              "order).")
@profile_option
@role_option
@allow_data_loss_option
@guarded
@aws_errors
def rollout_command(spec: Path, admin_region: str | None, profile: str | None, role_name: str,
                    allow_data_loss: bool) -> None:
    """Create or update SPEC's StackSet and its instances in every region and account, following each one.

    An update that deletes or replaces a resource holding data (in every instance) is refused unless
    --allow-data-loss (asked on a terminal)."""
    from specc.aws import artifacts, collisions, stacksets, targets
    from specc.aws.session import Aws
    from specc.build import naming
    from specc.compiler import compile_spec
    from specc.output.rollout import region_order, stack_set_name

    compiled = compile_spec(spec)
    aws = Aws.connect(profile)
    admin_region = admin_region or region_order(compiled.spec)[0]
    prefix = compiled.spec.artifacts.bucket_prefix
    root = artifacts.service_template(compiled)
    admin_bucket = naming.artifact_bucket(prefix, aws.account, admin_region)
    artifacts.require_bucket(aws, admin_bucket, admin_region, str(spec))
    sent = artifacts.upload(aws, admin_bucket, admin_region, [root])
    needed = artifacts.dependencies(compiled)
    wanted = targets.targets(aws, compiled.spec)
    collisions.refuse_rollout_over_deploy(aws, stack_set_name(compiled.spec), wanted, role_name)
    for target in wanted:  # what the instances' resources read, in their own account and region
        account = aws.in_account(target.account, role_name)
        bucket = naming.artifact_bucket(prefix, target.account, target.region)
        artifacts.require_bucket(account, bucket, target.region, str(spec))
        sent += artifacts.upload(account, bucket, target.region, needed)
    buckets = {(t.account, t.region) for t in wanted} | {(aws.account, admin_region)}
    click.echo(f"uploaded {sent} new object(s) to {len(buckets)} artifact bucket(s)", err=True)
    properties = stacksets.stack_set_properties(compiled.templates["stackset.json"], aws, admin_region,
                                                aws.emulator_endpoint(admin_region))
    service_sha = stacksets.canonical_sha256(compiled.templates["service.json"]) or ""

    def review(existing: dict[str, Any]) -> None:
        from specc.aws.data_loss_guard import stack_set_losses

        losses = stack_set_losses(existing, compiled.templates["service.json"], admin_region)
        confirm_data_loss(losses, allow_data_loss, f"the update of stack set {properties['StackSetName']} (every "
                          "instance)", spec, f"specc diff {spec}")

    with InstanceProgress(len(wanted)) as progress:
        result = stacksets.rollout(aws, properties, service_sha, admin_region, on_instance=progress, review=review)
    click.echo(f"stack set {result.name} in {admin_region}: {result.stack_set}; {len(result.instances)} instance(s), "
               f"{result.created_instances} new")
    for instance in result.instances:
        state = instance.detailed or instance.status
        click.echo(f"  {instance.region} {instance.account} {state}" + (f": {instance.reason}" if instance.failed
                                                                           and instance.reason else ""))
    if result.failures:
        for instance in result.failures:
            click.echo(f"error: stack instance {instance.region} {instance.account} failed: "
                       f"{instance.reason or 'no reason given'}", err=True)
        click.echo(f"{len(result.failures)} of {len(result.instances)} instance(s) failed; the others were left as "
                   "they are.", err=True)
        sys.exit(EXIT_AWS)
    # The global stack, once per target account in us-east-1, after every account's regional instances exist.
    # Direct stacks through the role the rollout already assumes (not a second stack set): one region per account,
    # each stack's events followed and protected like `specc deploy`'s.
    from specc.output.global_stack import GLOBAL_TEMPLATE, global_stack_name

    for account_id in sorted({t.account for t in wanted} if GLOBAL_TEMPLATE in compiled.templates else set()):
        _ship_global(aws.in_account(account_id, role_name), spec, compiled, global_stack_name(compiled.spec),
                     allow_data_loss)


@main.command("status")
@spec_argument
@click.option("--region", "regions", multiple=True, help="Only this region (repeatable; default: every region of "
              "the spec).")
@click.option("--stack-name", help="The stack `specc deploy` created (default: <service>-<environment>).")
@click.option("--admin-region", help="Region the stack set lives in (default: the first region of the rollout "
              "order).")
@click.option("--exit-code", is_flag=True, help=f"Exit {EXIT_CHANGES} when anything is not deployed, differs "
              "from the compiled output or has drifted.")
@click.option("--templates-only", is_flag=True, help="Compare the templates only; skip checking each deployed "
              "resource (CloudFormation drift detection on AWS, each service's API on a local emulator).")
@profile_option
@role_option
@guarded
@aws_errors
def status_command(spec: Path, regions: tuple[str, ...], stack_name: str | None, admin_region: str | None,
                   exit_code: bool, templates_only: bool, profile: str | None, role_name: str) -> None:
    """What of SPEC is deployed where (bootstrap, stacks, stack set instances), whether it matches the compiled
    output, and whether each deployed resource is still there as deployed (drift)."""
    from specc.aws import stacksets, status, targets
    from specc.aws.session import Aws
    from specc.compiler import compile_spec
    from specc.output.global_stack import GLOBAL_REGION, GLOBAL_TEMPLATE, global_stack_name
    from specc.output.rollout import region_order, stack_set_name

    compiled = compile_spec(spec)
    _check_regions(compiled.spec, regions)
    aws = Aws.connect(profile)
    admin_region = admin_region or region_order(compiled.spec)[0]
    service_sha = stacksets.canonical_sha256(compiled.templates["service.json"])
    name = stack_name or stack_set_name(compiled.spec)
    check = not templates_only
    rows = status.bootstrap_rows(aws, compiled, targets.bootstrap_targets(aws, compiled.spec, list(regions)),
                                 role_name, check)
    rows += [status.stack_row(aws, name, region, f"stack {name}", service_sha, check)
             for region in region_order(compiled.spec) if not regions or region in regions]
    global_template = compiled.templates.get(GLOBAL_TEMPLATE)
    if global_template is not None and (not regions or GLOBAL_REGION in regions):
        global_name = f"{stack_name}-global" if stack_name else global_stack_name(compiled.spec)
        rows.append(status.stack_row(aws, global_name, GLOBAL_REGION, f"global stack {global_name}",
                                     stacksets.canonical_sha256(global_template)))
    properties = stacksets.stack_set_properties(compiled.templates["stackset.json"], aws, admin_region,
                                                aws.emulator_endpoint(admin_region))
    rows += status.stack_set_rows(aws, properties, service_sha or "", admin_region, role_name, check, list(regions))
    click.echo(status.render(rows), nl=False)
    click.echo(f"{spec}: {status.summary(rows)}.")
    if exit_code and status.differences(rows):  # a mode not used at all (no stack set by design) is no difference
        sys.exit(EXIT_CHANGES)

