"""What builders share while building one template: the spec, the template, and collected facts.

Builders add their own resources and record what other passes need (IAM grants, key users,
outputs). They never edit another kind's resources.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

from troposphere import AWSObject, Output, Template

from specc.build.iam import Grant
from specc.build.naming import physical_name
from specc.build.packaging import CodeArtifact
from specc.language.diagnostics import Diagnostic
from specc.language.source import SourceFile

MAX_RESOURCES = 500
MAX_OUTPUTS = 200


class UnboundedTemplate(Template):
    """A troposphere Template without its 500-resource and 200-output guards: a service is built whole, and the
    split pass (split.py) then fits it into CloudFormation's quotas, splitting it into nested stacks when needed."""

    def add_resource(self, resource: Any) -> Any:
        return self._update(self.resources, resource)

    def add_output(self, output: Any) -> Any:
        return self._update(self.outputs, output)


@dataclass
class ServiceUse:
    actions: set[str] = field(default_factory=set)
    conditions: list[Any] = field(default_factory=list)  # awacs condition elements
    # CloudWatch Logs: the names (or `*` patterns) of the log groups it may use the key for, as ARNs in the key
    # policy's `kms:EncryptionContext:aws:logs:arn` condition (iam.use_logs_key).
    log_groups: set[str] = field(default_factory=set)


@dataclass
class KeyUsers:
    """Who a key's policy must let in, with exactly the actions each needs."""

    roles: dict[str, set[str]] = field(default_factory=dict)  # role logical ID -> actions
    services: dict[str, ServiceUse] = field(default_factory=dict)  # service principal -> use


@dataclass
class BuildContext:
    spec: Any
    source: SourceFile
    artifacts: dict[str, CodeArtifact]
    layer_artifacts: dict[str, CodeArtifact] = field(default_factory=dict)
    template: Template = field(default_factory=UnboundedTemplate)
    grants: dict[tuple[str, str], list[Grant]] = field(default_factory=lambda: defaultdict(list))  # (role, policy)
    key_users: dict[str, KeyUsers] = field(default_factory=lambda: defaultdict(KeyUsers))
    origins: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # logical ID -> spec path
    problems: list[Diagnostic] = field(default_factory=list)
    opt_outs: dict[str, list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))
    # Scanner checks skipped on resources a kind does not create itself (its role's policy, made by the IAM pass):
    # logical ID -> [(tool, check id, reason)], written into their Metadata by `assemble` (specc.build.scanners).
    scanner_skips: dict[str, list[tuple[str, str, str]]] = field(default_factory=lambda: defaultdict(list))
    # Statements other kinds need in a spec bucket's policy (CloudFront reading through its origin access
    # control), by bucket entry name: a bucket has one policy, so the buckets kind (built after them) adds them.
    bucket_statements: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    # The spec's own `outputs:` (their logical IDs): they stay in the parent stack when the service is split.
    user_outputs: set[str] = field(default_factory=set)
    # Keys the spec names as `existing:`, by entry name -> their ARN: grants on them name it (iam.attach).
    existing_keys: dict[str, Any] = field(default_factory=dict)

    def add(self, resource: AWSObject, origin: tuple[Any, ...]) -> Any:
        """Add a resource; two entries that map to one logical ID are a located error, not a crash."""
        title = resource.title
        if title in self.template.resources or title in self.template.outputs:
            first = ".".join(str(p) for p in self.origins.get(title, ()))
            self.problems.append(self.source.diagnostic(
                "E302", origin, f"the logical ID '{title}' is already used by {first}",
                "rename one of the two entries", at_key=True))
            return resource
        self.origins[title] = origin
        return self.template.add_resource(resource)

    def opt_out(self, resource: AWSObject, control: str, path: tuple[Any, ...], reason: str = "") -> None:
        """Record that the spec turned a default control off, so the template shows it."""
        entry = {"control": control, "spec": ".".join(str(p) for p in path)}
        if reason:
            entry["reason"] = reason
        self.opt_outs[resource.title].append(entry)

    def output(self, title: str, value: Any, description: str) -> None:
        if title in self.template.outputs:  # two entries with one logical ID (`a`, `a_`): `add` reports it (E302)
            return
        self.template.add_output(Output(title, Value=value, Description=description))

    def physical(self, name: str) -> str:
        return physical_name(self.spec.service, name, self.spec.environment)

    def key_for(self, explicit: str | None) -> str:
        """The key an entry encrypts with: its own `encryption`, else the service default."""
        return explicit or self.spec.default_key()

    def logs_key(self) -> str:
        return cast(str, self.spec.defaults.logs_key or self.spec.default_key())

    def grant(self, role_id: str, policy_id: str, grants: list[Grant]) -> None:
        self.grants[(role_id, policy_id)].extend(grants)

    def add_shared(self, resource: AWSObject, origin: tuple[Any, ...]) -> Any:
        """Add a resource several entries need (an API path segment); the first one creates it."""
        existing = self.template.resources.get(resource.title)
        if existing is not None and existing.to_dict() == resource.to_dict():
            return existing
        return self.add(resource, origin)

    def use_key(self, key: str, actions: tuple[str, ...], *, role: str | None = None, service: str | None = None,
                conditions: list[Any] | None = None) -> None:
        users = self.key_users[key]
        if role:
            users.roles.setdefault(role, set()).update(actions)
        if service:
            use = users.services.setdefault(service, ServiceUse())
            use.actions.update(actions)
            if not use.conditions:  # each service is always registered with the same conditions
                use.conditions = list(conditions or [])

