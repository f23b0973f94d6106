"""The inner loop after a deploy: `specc invoke` (a handler run locally with its deployed environment),
`specc logs` (its CloudWatch Logs) and `specc destroy` (the stack or the stack set, with what stays behind).

Same settings and errors as the commands of ship.py: AWS's refusals are one line and exit 6; results on stdout,
logs and progress on stderr.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

import click

from specc.cli.app import main
from specc.cli.common import guarded, spec_argument
from specc.cli.ship import EXIT_AWS, allow_data_loss_option, aws_errors, profile_option, role_option

EXIT_HANDLER = 1  # the handler raised, timed out or could not start (as a failed `aws lambda invoke` would show)
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports it
_SINCE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

region_option = click.option("--region", help="Region of the deployed stack (default: the AWS settings' region "
                             "when the spec lists it, else the spec's first region).")
stack_name_option = click.option("--stack-name", help="The stack `specc deploy` created (default: "
                                 "<service>-<environment>).")


def code_paths(compiled: Any, function: str) -> list[Path]:
    """What Lambda puts on sys.path for `function`, in its order: the code directory and its installed
    requirements (/var/task holds both), then each layer's code and requirements (/opt/python), as listed.
    Installed from the dependency cache, built now if missing (build/dependencies.py)."""
    from specc.build.dependencies import installed_dir

    artifact = compiled.artifacts[function]
    paths = [artifact.code_dir, installed_dir(artifact)]
    for layer in compiled.spec.functions[function].layers:
        layer_artifact = compiled.layer_artifacts[layer]
        paths += [layer_artifact.code_dir, installed_dir(layer_artifact)]
    return [path for path in paths if path is not None]


def _region(compiled: Any, aws: Any, region: str | None) -> str:
    """As `specc deploy` chooses it, so that invoke, logs and destroy find what deploy made."""
    from specc.cli.ship import _check_regions

    if region:
        _check_regions(compiled.spec, [region])
        return region
    configured = aws.default_region
    return str(configured if configured is not None and configured in compiled.spec.regions
               else compiled.spec.regions[0])


def _function(compiled: Any, name: str, resource_type: str = "AWS::Lambda::Function") -> Any:
    """The spec's function `name` as compiled: its resource and where it is (a did-you-mean error otherwise)."""
    import difflib

    from specc.aws.invoke import Function

    functions = sorted(compiled.spec.functions or {})
    if name not in functions:
        close = difflib.get_close_matches(name, functions, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        listed = ", ".join(functions) or "none"
        raise click.BadParameter(f"{name} is not a function of the spec (its functions: {listed}){hint}",
                                 param_hint="FUNCTION")
    placement = compiled.layout.placement if compiled.layout is not None else {}
    for file, template in compiled.templates.items():
        if file in ("stackset.json", "bootstrap.json"):
            continue
        for logical, resource in template.get("Resources", {}).items():
            if resource.get("Type") == resource_type and compiled.origins.get(logical) == ("functions", name):
                return Function(name, logical, resource, placement.get(logical, ""))
    raise click.ClickException(f"the compiled service has no {resource_type} for function {name}")


def _read_event(source: str | None) -> Any:
    import json

    if source is None:
        return {}
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    try:
        return json.loads(text) if text.strip() else {}
    except ValueError as exc:
        raise click.BadParameter(f"{'stdin' if source == '-' else source} is not JSON: {exc}",
                                 param_hint="--event") from None


@main.command("invoke")
@spec_argument
@click.argument("function")
@click.option("--event", "event_source", metavar="FILE|-", help="The event, as JSON: a file, or - for stdin "
              "(default: {}).")
@region_option
@stack_name_option
@profile_option
@guarded
@aws_errors
def invoke_command(spec: Path, function: str, event_source: str | None, region: str | None, stack_name: str | None,
                   profile: str | None) -> None:
    """Run FUNCTION's handler locally, with the environment its deployed stack gives it.

    The result is printed on stdout as JSON, the handler's logs on stderr. Its TABLE_*, QUEUE_*, ... variables are
    the deployed resources' names and ARNs; it calls AWS (or AWS_ENDPOINT_URL) with your credentials. The
    function's timeout applies. Exit 1 when the handler raised or timed out."""
    import json

    from specc.aws import invoke
    from specc.aws.session import Aws
    from specc.compiler import compile_spec
    from specc.output.rollout import stack_set_name

    compiled = compile_spec(spec)
    target = _function(compiled, function)
    event = _read_event(event_source)
    aws = Aws.connect(profile)
    region = _region(compiled, aws, region)
    name = stack_name or stack_set_name(compiled.spec)
    prepared = invoke.prepare(aws, target, name, region, str(spec))
    paths = code_paths(compiled, function)
    runtime = str(target.resource.get("Properties", {}).get("Runtime", ""))
    python = invoke.interpreter(runtime)
    if not python.matches:
        click.echo(f"note: {function} runs on {runtime} in Lambda; here on {python.version} ({python.path}): no "
                   f"working {runtime} on PATH", err=True)
    try:
        outcome = invoke.run(prepared, compiled.artifacts[function].handler, paths, event,
                             lambda line: click.echo(line, err=True), python.path)
    except KeyboardInterrupt:
        click.echo("interrupted; the handler's process was stopped.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if outcome.timed_out:
        click.echo(f"error: {function} ({prepared.function_name}): {outcome.timed_out}; the process was killed.",
                   err=True)
        sys.exit(EXIT_HANDLER)
    if outcome.error is not None:
        error = {k: outcome.error.get(k) for k in ("errorMessage", "errorType") if k in outcome.error}
        click.echo(json.dumps(error))
        click.echo(f"error: {function} ({prepared.function_name}) raised {error.get('errorType')}: "
                   f"{error.get('errorMessage')}", err=True)
        sys.exit(EXIT_HANDLER)
    click.echo(json.dumps(outcome.result))


def since_milliseconds(text: str, now: float | None = None) -> int:
    """`10m`, `2h`, `1d`... ago, or an ISO 8601 time; in milliseconds since the epoch."""
    from datetime import UTC, datetime

    now = time.time() if now is None else now
    match = _SINCE.match(text.strip())
    if match:
        return int((now - int(match.group(1)) * _UNITS[match.group(2)]) * 1000)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is neither a duration (30s, 10m, 2h, 1d, 1w) nor an ISO 8601 time "
                                 "(2026-12-03T12:00:00Z)", param_hint="--since") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


@main.command("logs")
@spec_argument
@click.argument("function")
@click.option("--since", default="10m", show_default=True, help="How far back: 30s, 10m, 2h, 1d, or an ISO 8601 "
              "time.")
@click.option("--follow", "-f", is_flag=True, help="Keep showing new events until Ctrl-C.")
@region_option
@profile_option
@guarded
@aws_errors
def logs_command(spec: Path, function: str, since: str, follow: bool, region: str | None,
                 profile: str | None) -> None:
    """FUNCTION's log events from CloudWatch Logs (its log group as the template names it), oldest first."""
    from datetime import UTC, datetime

    from specc.aws import logs
    from specc.aws.session import Aws
    from specc.compiler import compile_spec

    start = since_milliseconds(since)
    compiled = compile_spec(spec)
    target = _function(compiled, function, "AWS::Logs::LogGroup")
    group = target.resource.get("Properties", {}).get("LogGroupName")
    if not isinstance(group, str):
        raise click.ClickException(f"function {function}'s log group has no fixed name in the template")
    aws = Aws.connect(profile)
    region = _region(compiled, aws, region)

    def show(event: Any) -> None:
        moment = datetime.fromtimestamp(event.timestamp / 1000, UTC)
        click.echo(f"{moment.isoformat(timespec='milliseconds').replace('+00:00', 'Z')} {event.stream} "
                   f"{event.message.rstrip()}")

    try:
        if follow:
            click.echo(f"following {group} in {region} (Ctrl-C to stop)", err=True)
            logs.follow(aws, group, region, start, show)
        else:
            for event in logs.events(aws, group, region, start):
                show(event)
    except KeyboardInterrupt:
        click.echo("", err=True)
        sys.exit(EXIT_INTERRUPTED)


def _confirm(question: str) -> bool:
    from specc.cli.ship import _can_ask

    if not _can_ask():
        return False
    try:
        return click.confirm(question, default=False, err=True)
    except click.Abort:
        click.echo("", err=True)
        return False


@main.command("destroy")
@spec_argument
@region_option
@stack_name_option
@click.option("--rollout", is_flag=True, help="Destroy the stack set `specc rollout` made: its instances in every "
              "region and account, then the stack set.")
@click.option("--admin-region", help="With --rollout: region the stack set lives in (default: the first region of "
              "the rollout order).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask (needed when not at a terminal).")
@profile_option
@role_option
@allow_data_loss_option
@guarded
@aws_errors
def destroy_command(spec: Path, region: str | None, stack_name: str | None, rollout: bool, admin_region: str | None,
                    yes: bool, profile: str | None, role_name: str, allow_data_loss: bool) -> None:
    """Delete SPEC's stack (and its nested stacks), or with --rollout its stack set's instances and then the set.

    Tables, buckets, keys, secrets, queues, log groups and user pools that the deployed templates do not retain
    are DATA LOSS: refused unless --allow-data-loss (asked on a terminal). Retained ones stay behind; they are
    listed with where they stay. Termination protection (specc deploy turns it on) is turned off after the
    confirmation."""
    from specc.cli.ship import _can_ask

    if not yes and not _can_ask():
        click.echo(f"error: {spec}: `specc destroy` deletes what it finds without undo: not at a terminal, so pass "
                   "--yes to confirm; nothing was changed.", err=True)
        sys.exit(EXIT_USAGE)
    from specc.aws.session import Aws
    from specc.compiler import compile_spec

    compiled = compile_spec(spec)
    aws = Aws.connect(profile)
    if rollout:
        if region or stack_name:
            raise click.BadParameter("--region and --stack-name are for `specc deploy`'s stack; with --rollout the "
                                     "stack set's instances go in every region", param_hint="--rollout")
        _destroy_stack_set(spec, compiled, aws, admin_region, role_name, yes, allow_data_loss)
    else:
        _destroy_stack(spec, compiled, aws, region, stack_name, yes, allow_data_loss)


def _destroy_stack(spec: Path, compiled: Any, aws: Any, region: str | None, stack_name: str | None, yes: bool,
                   allow_data_loss: bool) -> None:
    """`specc deploy`'s stack in one region; in the spec's first region, the global stack in us-east-1 first."""
    from specc.aws.deployed import read
    from specc.build.global_region import GLOBAL_REGION
    from specc.output.global_stack import GLOBAL_TEMPLATE, global_stack_name
    from specc.output.rollout import stack_set_name

    region = _region(compiled, aws, region)
    name = stack_name or stack_set_name(compiled.spec)
    stack = read(aws, name, region)
    if stack is None:
        click.echo(f"error: stack {name} does not exist in {region} ({aws.account}); nothing to destroy.", err=True)
        sys.exit(EXIT_AWS)
    if GLOBAL_TEMPLATE in compiled.templates and region == compiled.spec.regions[0]:
        # The global stack's distributions serve the home region's buckets: they go first, with that region.
        global_name = f"{name}-global" if stack_name else global_stack_name(compiled.spec)
        found = read(aws, global_name, GLOBAL_REGION)
        if found is not None:
            _destroy_found(spec, aws, global_name, GLOBAL_REGION, found, yes, allow_data_loss)
    _destroy_found(spec, aws, name, region, stack, yes, allow_data_loss)


def _destroy_found(spec: Path, aws: Any, name: str, region: str, stack: Any, yes: bool,
                   allow_data_loss: bool) -> None:
    from specc.aws import destroy
    from specc.cli.ship import StackEvents, confirm_data_loss

    if stack.status.endswith("_IN_PROGRESS") and stack.status != "REVIEW_IN_PROGRESS":
        click.echo(f"error: stack {name} in {region} is busy ({stack.status}): wait for that operation to finish, "
                   "then destroy", err=True)
        sys.exit(EXIT_AWS)
    held = destroy.inventory(aws, stack)
    nested = sum(1 for h in held if h.type == "AWS::CloudFormation::Stack")
    click.echo(f"stack {name} in {region} ({stack.account}, {stack.status}): {len(held)} resource(s)"
               + (f" in it and its {nested} nested stack(s)" if nested else "") + " will be deleted.", err=True)
    _show_retained_ahead(destroy.retained(held))
    losses = destroy.losses(held)
    accepted = confirm_data_loss(losses, allow_data_loss, f"the deletion of stack {name} in {region}", spec, None)
    asked = bool(losses) and not allow_data_loss  # the question about the data was the confirmation
    if not (yes or asked) and not _confirm(f"Delete stack {name} in {region} ({stack.account})?"):
        click.echo(f"error: {spec}: not confirmed; nothing was changed.", err=True)
        sys.exit(EXIT_USAGE)
    for table in destroy.lift_table_protection(aws, held) if accepted else []:
        click.echo(f"turned off deletion protection of table {table} (--allow-data-loss)", err=True)
    click.echo(f"deleting stack {name} in {region}...", err=True)
    try:
        with StackEvents(f"{name} {region}", name, max(len(held), 1)) as events:
            protected = destroy.delete_stack(aws, stack, on_event=events)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: CloudFormation goes on deleting stack {name} in {region}; `specc status {spec} "
                   f"--region {region}` shows where it is.", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if protected:
        click.echo(f"turned off termination protection of stack {name} (specc deploy turned it on)", err=True)
    click.echo(f"{name} in {region} ({stack.account}): deleted (DELETE_COMPLETE)")
    _report_retained(destroy.retained(held))


def _show_retained_ahead(kept: list[Any]) -> None:
    if kept:
        click.echo(f"{len(kept)} resource(s) have DeletionPolicy Retain and will stay behind, no longer managed by any "
                   "stack (listed after the deletion).", err=True)


def _report_retained(kept: list[Any]) -> None:
    """What stays in the account after the stack is gone, and where: the user's to keep or delete."""
    if not kept:
        click.echo("nothing was retained.")
        return
    click.echo(f"retained (DeletionPolicy Retain), left in place and no longer managed by any stack: {len(kept)}")
    for held in kept:
        click.echo(f"  {held.where} ({held.logical_id})")


def _destroy_stack_set(spec: Path, compiled: Any, aws: Any, admin_region: str | None, role_name: str, yes: bool,
                       allow_data_loss: bool) -> None:
    from specc.aws import destroy, stacksets
    from specc.cli.ship import InstanceProgress, confirm_data_loss
    from specc.output.rollout import STACK_SET, region_order, stack_set_name

    admin_region = admin_region or region_order(compiled.spec)[0]
    name = stack_set_name(compiled.spec)
    cfn = aws.client("cloudformation", admin_region)
    existing = stacksets.describe(cfn, name)
    if existing is None:
        click.echo(f"error: stack set {name} does not exist in {admin_region} ({aws.account}); nothing to destroy.",
                   err=True)
        sys.exit(EXIT_AWS)
    instances = destroy.instance_stacks(aws, cfn, name, role_name)
    template = destroy.stack_set_template(existing)
    held = destroy.instance_inventory(aws, instances, template, role_name)
    click.echo(f"stack set {name} in {admin_region}: {len(instances)} instance(s) will be deleted "
               f"({', '.join(f'{i.region} {i.account}' for i in instances) or 'none'}), then the stack set.", err=True)
    _show_retained_ahead(destroy.retained(held))
    losses = destroy.losses(held)
    accepted = confirm_data_loss(losses, allow_data_loss, f"the deletion of stack set {name} and its instances", spec,
                                 None)
    asked = bool(losses) and not allow_data_loss  # the question about the data was the confirmation
    if not (yes or asked) and not _confirm(f"Delete stack set {name} and its {len(instances)} instance(s)?"):
        click.echo(f"error: {spec}: not confirmed; nothing was changed.", err=True)
        sys.exit(EXIT_USAGE)
    preferences = compiled.templates["stackset.json"]["Resources"][STACK_SET]["Properties"].get(
        "OperationPreferences", {})
    for table in destroy.lift_table_protection(aws, held, role_name) if accepted else []:
        click.echo(f"turned off deletion protection of table {table} (--allow-data-loss)", err=True)
    with InstanceProgress(len(instances)) as progress:
        failed = destroy.delete_stack_set(cfn, name, instances, preferences, progress)
    if failed:
        left = stacksets.instances(cfn, name)
        for instance in left:
            click.echo(f"error: stack instance {instance.region} {instance.account} was not deleted: "
                       f"{instance.reason or instance.detailed or instance.status}", err=True)
        click.echo(f"the stack set {name} is kept: {len(left)} instance(s) remain; fix them and destroy again.",
                   err=True)
        sys.exit(EXIT_AWS)
    click.echo(f"stack set {name} in {admin_region}: deleted with its {len(instances)} instance(s)")
    _report_retained(destroy.retained(held))
    _destroy_global_stacks(spec, compiled, aws, sorted({i.account for i in instances}), role_name, yes,
                           allow_data_loss)


def _destroy_global_stacks(spec: Path, compiled: Any, aws: Any, accounts: list[str], role_name: str, yes: bool,
                           allow_data_loss: bool) -> None:
    """The global stack `rollout` made in us-east-1 of each target account, through the same role."""
    from specc.aws.deployed import read
    from specc.build.global_region import GLOBAL_REGION
    from specc.output.global_stack import GLOBAL_TEMPLATE, global_stack_name

    if GLOBAL_TEMPLATE not in compiled.templates:
        return
    name = global_stack_name(compiled.spec)
    for account in accounts:
        target = aws.in_account(account, role_name)
        found = read(target, name, GLOBAL_REGION)
        if found is not None:
            _destroy_found(spec, target, name, GLOBAL_REGION, found, yes, allow_data_loss)
