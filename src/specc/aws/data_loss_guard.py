"""What `specc deploy` and `specc rollout` lose if they go ahead: the deployed templates against the compiled ones.

For a stack: its deployed template (and each nested stack's) against what the spec compiles to now, with
the change set's own word on what it removes and replaces where CloudFormation gives it (moto, for one,
leaves Replacement out; the resource provider schemas decide then, as in `specc diff`). A nested stack that
goes away takes its resources with it, so its template is compared with nothing. For a stack set: the
template it holds against the compiled service template.
"""

from __future__ import annotations

import json
from typing import Any

from specc.output.data_loss import DataLoss


def _template(body: Any) -> dict[str, Any]:
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            import yaml

            body = yaml.safe_load(body)
    return body if isinstance(body, dict) else {}


def deployed_template(cfn: Any, stack: str, where: str) -> dict[str, Any]:
    from specc.aws.session import explained

    with explained(f"reading the template of {where}"):
        return _template(cfn.get_template(StackName=stack, TemplateStage="Processed")["TemplateBody"])


def stack_losses(cfn: Any, name: str, region: str, templates: dict[str, dict[str, Any]], layout: Any,
                 changes: list[dict[str, Any]]) -> list[DataLoss]:
    """The data a change set on stack `name` loses; `templates` and `layout` are the compiled service's."""
    from specc.aws.session import explained
    from specc.output import data_loss
    from specc.output.diff import diff_templates, from_change_set

    where = f"stack {name} in {region}"
    deployed = deployed_template(cfn, name, where)
    new = templates["service.json"]
    local = {c.logical_id: c for c in diff_templates("service.json", deployed, new, region).resources}
    resources = [from_change_set(change, local) for change in changes]
    for logical_id, change in local.items():  # what the change set does not list (nested stacks' insides)
        if logical_id not in {r.logical_id for r in resources}:
            resources.append(change)
    losses = data_loss.find(resources, deployed.get("Resources", {}), new.get("Resources", {}))
    nested_files = {logical: stack.file for logical, stack in (getattr(layout, "stacks", None) or {}).items()}
    with explained(f"listing the resources of {where}"):
        listed = cfn.describe_stack_resources(StackName=name)["StackResources"]
    for resource in listed:
        if resource.get("ResourceType") != "AWS::CloudFormation::Stack" or not resource.get("PhysicalResourceId"):
            continue
        logical = resource["LogicalResourceId"]
        old = deployed_template(cfn, resource["PhysicalResourceId"], f"nested stack {logical} of {where}")
        file = nested_files.get(logical, "")
        diff = diff_templates(file or f"nested stack {logical}", old, templates.get(file, {}), region)
        losses += [_in(loss, file or f"nested stack {logical} (removed)") for loss in diff.data_loss]
    return losses


def stack_set_losses(existing: dict[str, Any], template: dict[str, Any], region: str) -> list[DataLoss]:
    """The data an update of the stack set loses in each of its instances."""
    from specc.output.diff import diff_templates

    return diff_templates("service.json", _template(existing.get("TemplateBody")), template, region).data_loss


def _in(loss: DataLoss, template: str) -> DataLoss:
    from dataclasses import replace

    return replace(loss, template=template)
