"""The StackSet template: the service template rolled out to the spec's regions x accounts (or units).

`stackset.json` holds one `AWS::CloudFormation::StackSet`, deployed in the administrator account's
home region. Its `TemplateURL` points at the service template in that region's artifact bucket under a
content-addressed key (`<service>/templates/<sha256>.json`), so the StackSet changes exactly when the
service template does. `specc rollout` uploads it there and applies these same properties through the
StackSets API (to report progress per instance); deploying `stackset.json` yourself does the same.

The URL follows the nested-stack contract: virtual-hosted S3 on AWS, or `${ArtifactsEndpoint}/<bucket>/
<key>` (path style) when the `ArtifactsEndpoint` parameter names a local emulator.
"""

from __future__ import annotations

import hashlib
from typing import Any

from troposphere import Equals, If, Not, Output, Parameter, Ref, Sub, Tags, Template, cloudformation

from specc.language.rollout import percentage
from specc.output.bootstrap import ACCOUNT_REGION

STACK_SET = "StackSet"
ENDPOINT_PARAMETER = "ArtifactsEndpoint"
HAS_ENDPOINT = "HasArtifactsEndpoint"
NAMED_IAM = {"AWS::IAM::Role": "RoleName", "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
             "AWS::IAM::User": "UserName", "AWS::IAM::Group": "GroupName",
             "AWS::IAM::InstanceProfile": "InstanceProfileName"}


def stack_set_name(spec: Any) -> str:
    return f"{spec.service}-{spec.environment}"


def template_key(service: str, body: bytes) -> str:
    """Where a template is uploaded in the artifact bucket: named by its content."""
    return content_key(service, hashlib.sha256(body).hexdigest())


def content_key(service: str, digest: str) -> str:
    """`template_key` of a body whose sha256 (hex) is already known (split.Layout.digests)."""
    return f"{service}/templates/{digest}.json"


def template_url(bucket: str, region: str, key: str, endpoint: str | None = None) -> str:
    """The URL CloudFormation reads a template from (what the template's If(HasArtifactsEndpoint...) gives)."""
    if endpoint:
        return f"{endpoint.rstrip('/')}/{bucket}/{key}"
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://{bucket}.s3.{region}.{suffix}/{key}"


def region_order(spec: Any) -> list[str]:
    return list(spec.rollout.region_order or spec.regions)


def permission_model(spec: Any) -> str:
    model = spec.rollout.permission_model or ("service_managed" if spec.organizational_units else "self_managed")
    return model.upper()


def capabilities(templates: list[dict[str, Any]]) -> list[str]:
    """What CloudFormation must be told the templates do: create IAM resources, named ones or not."""
    resources = [r for t in templates for r in t.get("Resources", {}).values() if r["Type"].startswith("AWS::IAM::")]
    if any(NAMED_IAM.get(r["Type"]) in r.get("Properties", {}) for r in resources):
        return ["CAPABILITY_NAMED_IAM"]
    return ["CAPABILITY_IAM"] if resources else []


def operation_preferences(spec: Any) -> dict[str, Any]:
    """StackSets' OperationPreferences, in the API's (and the resource's) property names."""
    rollout = spec.rollout
    preferences: dict[str, Any] = {
        "RegionOrder": region_order(spec),
        "RegionConcurrencyType": rollout.region_concurrency.upper(),
        "ConcurrencyMode": rollout.concurrency_mode.upper(),
    }
    for name, value in (("MaxConcurrent", rollout.max_concurrent), ("FailureTolerance", rollout.failure_tolerance)):
        share = percentage(value)
        if share is None:
            preferences[f"{name}Count"] = value
        else:
            preferences[f"{name}Percentage"] = share
    return preferences


def build(spec: Any, service_template: dict[str, Any], all_templates: list[dict[str, Any]],
          digest: str) -> dict[str, Any]:
    """`stackset.json` for the service template whose rendered JSON has the sha256 `digest`."""
    template = Template()
    template.set_version("2010-09-09")
    template.set_description(f"{spec.service} ({spec.environment}): the StackSet that rolls service.json out to "
                             f"every target region and account. Compiled by specc; do not edit.")
    template.add_parameter(Parameter(
        ENDPOINT_PARAMETER, Type="String", Default="",
        Description="Empty on AWS. A local emulator's endpoint (http://localhost:PORT): templates are then read "
                    "from it, path style."))
    template.add_condition(HAS_ENDPOINT, Not(Equals(Ref(ENDPOINT_PARAMETER), "")))

    bucket = f"{spec.artifacts.bucket_prefix}-{ACCOUNT_REGION}"
    key = content_key(spec.service, digest)
    order = region_order(spec)
    units = spec.organizational_units
    if units is not None:
        targets = cloudformation.DeploymentTargets(OrganizationalUnitIds=list(units.ids))
    else:
        targets = cloudformation.DeploymentTargets(Accounts=list(spec.accounts) or [Ref("AWS::AccountId")])
    preferences = operation_preferences(spec)
    stack_set = cloudformation.StackSet(
        STACK_SET,
        StackSetName=stack_set_name(spec),
        Description=f"{spec.service} ({spec.environment}), compiled by specc",
        PermissionModel=permission_model(spec),
        ManagedExecution=cloudformation.ManagedExecution(Active=True),
        OperationPreferences=cloudformation.OperationPreferences(**preferences),
        StackInstancesGroup=[cloudformation.StackInstances(DeploymentTargets=targets, Regions=order)],
        TemplateURL=If(HAS_ENDPOINT, Sub(f"${{{ENDPOINT_PARAMETER}}}/{bucket}/{key}"),
                       Sub(f"https://{bucket}.s3.${{AWS::Region}}.${{AWS::URLSuffix}}/{key}")),
        Tags=Tags(**_tags(spec)),
    )
    needed = capabilities(all_templates)
    if needed:
        stack_set.Capabilities = needed
    if units is not None:
        stack_set.AutoDeployment = cloudformation.AutoDeployment(
            Enabled=units.auto_deployment, RetainStacksOnAccountRemoval=units.retain_stacks_on_account_removal)
    if ENDPOINT_PARAMETER in service_template.get("Parameters", {}):  # nested stacks read from the same place
        stack_set.Parameters = [cloudformation.Parameter(ParameterKey=ENDPOINT_PARAMETER,
                                                         ParameterValue=Ref(ENDPOINT_PARAMETER))]
    template.add_resource(stack_set)
    template.add_output(Output("StackSetId", Value=Ref(STACK_SET), Description="ID of the service's StackSet"))
    return template.to_dict()


def rollout_templates(spec: Any, templates: dict[str, dict[str, Any]],
                      layout: Any = None) -> dict[str, dict[str, Any]]:
    """`stackset.json` and `bootstrap.json` for a compiled service (`templates`: service.json and any nested).
    `layout` (split.Layout), when given, already holds the sha256 of service.json's bytes."""
    from specc.output import bootstrap
    from specc.output.emit import render_json  # emit imports the compiler, which imports this module

    service = templates["service.json"]
    if layout is not None:
        digest = layout.digests["service.json"]
    else:
        digest = hashlib.sha256(render_json(service)).hexdigest()
    return {"stackset.json": build(spec, service, list(templates.values()), digest),
            "bootstrap.json": bootstrap.build(spec)}


def _tags(spec: Any) -> dict[str, str]:
    from specc.build.assemble import service_tags

    return dict(sorted(service_tags(spec).items()))
