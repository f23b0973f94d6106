"""`specc diff --stack`: what a compile would change in a deployed stack, as CloudFormation's own change set says.

The change set is created, read and deleted, never executed. Comparing the templates themselves (resources,
permissions, data loss) is output/diff.py's; this module only asks AWS.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from typing import Any

import yaml

from specc.aws.session import Aws, AwsError, explained
from specc.output import data_loss
from specc.output.diff import TemplateDiff, diff_templates, from_change_set, permission_changes
from specc.output.emit import render_json

_INLINE_LIMIT = 51_200  # bytes of template CloudFormation accepts in TemplateBody


def stack_diff(stack: str, region: str, template: dict[str, Any], *, name: str = "service.json",
               bucket: str | None = None, poll_seconds: float = 0.5, timeout_seconds: float = 300,
               profile: str | None = None) -> TemplateDiff:
    """Ask CloudFormation: a change set against `stack`, read and then deleted (never executed).

    Clients come from specc.aws.session (bounded timeouts and retries; AWS_ENDPOINT_URL honoured, so the
    same code runs against a local emulator), and every call says what it was doing when it fails
    (AwsError: one line, exit 6). Templates over the 51,200 bytes CloudFormation accepts inline are
    uploaded to `bucket` first."""
    aws = Aws.connect(profile, region)
    cfn = aws.client("cloudformation", region)
    where = f"stack {stack} in {region}"
    with explained(f"reading the template of {where}"):
        # "Processed": after any transform, so a SAM stack compares as the resources it really has.
        deployed = cfn.get_template(StackName=stack, TemplateStage="Processed")["TemplateBody"]
        if isinstance(deployed, str):
            deployed = yaml.safe_load(deployed)
        if not isinstance(deployed, dict):
            raise AwsError(f"the template of {where} is not a CloudFormation template")
    body = render_json(template)
    source = _template_source(aws, body, region, bucket)
    change_set = f"specc-diff-{int(time.time() * 1000)}"
    with explained(f"creating a change set for {where}"):
        cfn.create_change_set(StackName=stack, ChangeSetName=change_set, ChangeSetType="UPDATE",
                              Capabilities=["CAPABILITY_IAM"], Description="specc diff (never executed)", **source)
    try:
        with explained(f"reading the change set of {where}"):
            described = _wait(cfn, stack, change_set, poll_seconds, timeout_seconds)
            changes = [] if described is None else list(_paginated_changes(cfn, stack, change_set, described))
    finally:
        with explained(f"deleting the change set of {where}"):
            cfn.delete_change_set(StackName=stack, ChangeSetName=change_set)
    local = {c.logical_id: c for c in diff_templates(name, deployed, template, region).resources}
    resources = sorted((from_change_set(change, local) for change in changes), key=lambda r: r.logical_id)
    old, new = deployed.get("Resources", {}), template.get("Resources", {})
    return TemplateDiff(f"{name} → stack {stack} ({region})", resources, permission_changes(old, new),
                        data_loss=data_loss.find(resources, old, new))


def nested_stack_diffs(stack: str, region: str, templates: dict[str, dict[str, Any]], files: dict[str, str], *,
                       profile: str | None = None) -> list[TemplateDiff]:
    """Each nested stack of `stack`, deployed, against its compiled template (`files`: logical ID -> file).

    The root's change set says a nested stack changes, not what changes inside it; each nested stack's template
    is read back and compared resource by resource, so a function that moves from one shard to another shows
    as a move (output/diff.find_moves) and a data store that would be deleted shows as data loss. A nested stack
    deployed but no longer compiled is compared with nothing (all of it removed), and the reverse."""
    aws = Aws.connect(profile, region)
    cfn = aws.client("cloudformation", region)
    with explained(f"listing the nested stacks of stack {stack} in {region}"):
        deployed = {resource["LogicalResourceId"]: resource["PhysicalResourceId"]
                    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack)
                    for resource in page["StackResourceSummaries"]
                    if resource["ResourceType"] == "AWS::CloudFormation::Stack" and resource.get("PhysicalResourceId")}
    diffs = []
    for logical_id in sorted(set(deployed) | set(files)):
        name = files.get(logical_id, f"nested stack {logical_id} (deployed, no longer compiled)")
        old: dict[str, Any] = {}
        if logical_id in deployed:
            with explained(f"reading the template of nested stack {logical_id} of {stack} in {region}"):
                body = cfn.get_template(StackName=deployed[logical_id], TemplateStage="Processed")["TemplateBody"]
            old = yaml.safe_load(body) if isinstance(body, str) else body
            if not isinstance(old, dict):
                raise AwsError(f"the template of nested stack {logical_id} of {stack} is not a CloudFormation "
                               "template")
        diff = diff_templates(name, old, templates.get(name, {}) if logical_id in files else {}, region)
        diff.template = f"{name} → nested stack {logical_id} of {stack} ({region})"
        if logical_id not in deployed:
            diff.note = f"nested stack {logical_id} is not deployed yet: everything in it is new"
        diffs.append(diff)
    return diffs


class NeedsBucket(ValueError):
    """The template is too large to send inline and no bucket was named for it."""


def _template_source(aws: Any, body: bytes, region: str, bucket: str | None) -> dict[str, str]:
    if len(body) <= _INLINE_LIMIT:
        return {"TemplateBody": body.decode()}
    if not bucket:
        raise NeedsBucket(f"the template is {len(body):,} bytes, more than the {_INLINE_LIMIT:,} CloudFormation "
                          "accepts inline: name an S3 bucket to upload it to with --bucket")
    key = f"specc/diff/{hashlib.sha256(body).hexdigest()}.json"
    with explained(f"uploading the template to s3://{bucket}/{key}"):
        aws.client("s3", region).put_object(Bucket=bucket, Key=key, Body=body)
    # Path-style on the regional endpoint: CloudFormation reads it, and so do emulators (moto, for one,
    # reads the bucket from the path only for s3.*.amazonaws.com and localhost hosts).
    return {"TemplateURL": f"https://s3.{region}.amazonaws.com/{bucket}/{key}"}


def _wait(cfn: Any, stack: str, change_set: str, poll: float, timeout: float) -> dict[str, Any] | None:
    """The described change set once created; None when CloudFormation found nothing to change."""
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = cfn.describe_change_set(StackName=stack, ChangeSetName=change_set)
        status = described["Status"]
        if status == "CREATE_COMPLETE":
            return described
        if status == "FAILED":
            reason = described.get("StatusReason", "")
            if "didn't contain changes" in reason or "No updates" in reason:
                return None
            raise AwsError(f"CloudFormation could not create the change set for stack {stack}: {reason}")
        if time.monotonic() > deadline:
            raise AwsError(f"the change set for stack {stack} was still {status} after {timeout:.0f} s")
        time.sleep(poll)


def _paginated_changes(cfn: Any, stack: str, change_set: str, first: dict[str, Any]) -> Iterable[dict[str, Any]]:
    page = first
    while True:
        yield from page.get("Changes", [])
        token = page.get("NextToken")
        if not token:
            return
        page = cfn.describe_change_set(StackName=stack, ChangeSetName=change_set, NextToken=token)
