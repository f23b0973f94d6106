"""What every policy check reads: the built templates as plain dicts, and small helpers over them.

Checks read the template that will be written (not the spec), so they also catch what a kind
forgot; a finding names a logical ID and the policy pass turns it into the spec line that made
the resource (`ctx.origins`), the way cfn-lint resolves positions late.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

PROFILES = ("baseline", "pci")


@dataclass(frozen=True)
class Finding:
    """One resource that breaks one check. `path` overrides the resource's own spec path when the cause is
    elsewhere (a tag missing from `tags`)."""

    logical_id: str
    message: str
    hint: str = ""
    path: tuple[Any, ...] | None = None


@dataclass
class TemplateView:
    """The service's resources across its templates, the spec, and the profile being enforced."""

    resources: dict[str, dict[str, Any]]
    spec: Any
    profile: str
    taggable: dict[str, bool] = field(default_factory=dict)  # logical ID -> its type takes Tags
    # Parameters of nested stacks (a service split past CloudFormation's quotas) -> the value the parent passes.
    passed: dict[str, Any] = field(default_factory=dict)
    _by_type: dict[Any, list[tuple[str, dict[str, Any]]]] | None = field(default=None, repr=False, compare=False)

    def of_type(self, *types: str) -> Iterator[tuple[str, dict[str, Any]]]:
        if self._by_type is None:  # indexed once: a service split into nested stacks has tens of thousands
            self._by_type = {}
            for logical_id, resource in sorted(self.resources.items()):
                self._by_type.setdefault(resource.get("Type"), []).append((logical_id, resource))
        found = [item for kind in set(types) for item in self._by_type.get(kind, ())]
        yield from sorted(found, key=lambda item: item[0]) if len(set(types)) > 1 else found

    def properties(self, logical_id: str) -> dict[str, Any]:
        return self.resources.get(logical_id, {}).get("Properties") or {}

    def type_of(self, value: Any, depth: int = 0) -> str | None:
        """The type of the resource a `Ref`/`GetAtt` points at, following a nested stack's parameter to the value
        its parent passes; None when it is not in the templates."""
        target = single_ref(value)
        if target is None:
            return None
        if target in self.resources:
            return self.resources[target].get("Type")
        if target in self.passed and depth < 4:
            return self.type_of(self.passed[target], depth + 1)
        return None

    def opted_out(self, logical_id: str, controls: Iterable[str]) -> str:
        """The reason a kind recorded for turning one of `controls` off on this resource (because AWS leaves no
        other way, or the spec asked for it), or "" when it did not."""
        wanted = set(controls)
        metadata = self.resources.get(logical_id, {}).get("Metadata") or {}
        for entry in (metadata.get("specc") or {}).get("opt_outs", []):
            if entry.get("control") in wanted and entry.get("reason"):
                return str(entry["reason"])
        return ""


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def single_ref(value: Any) -> str | None:
    """`{"Ref": X}` or `{"Fn::GetAtt": [X, ...]}` -> X."""
    if isinstance(value, dict) and len(value) == 1:
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return target[0] if isinstance(target, list) else str(target).split(".", 1)[0]
    return None


def referenced(value: Any) -> set[str]:
    """Every logical ID or pseudo parameter `value` names through Ref, GetAtt or Sub."""
    import re

    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                found.add(inner[0] if isinstance(inner, list) else str(inner).split(".", 1)[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found.update(name.split(".", 1)[0] for name in re.findall(r"\$\{([^}!]+)\}", str(text)))
                if isinstance(inner, list) and len(inner) > 1:
                    found |= referenced(inner[1])
            else:
                found |= referenced(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= referenced(inner)
    return found


def statements(document: Any) -> list[dict[str, Any]]:
    """The statements of a policy document given as an object, a JSON string or a `Fn::Sub` of one."""
    if isinstance(document, dict) and set(document) == {"Fn::Sub"}:
        body = document["Fn::Sub"]
        document = body[0] if isinstance(body, list) else body
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    if not isinstance(document, dict):
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


def actions(statement: dict[str, Any]) -> list[str]:
    return [a for a in as_list(statement.get("Action")) if isinstance(a, str)]


def is_wildcard_action(action: str) -> bool:
    return "*" in action or "?" in action


def denies_insecure_transport(statement: dict[str, Any]) -> bool:
    """A Deny of requests without TLS (`aws:SecureTransport` false)."""
    if statement.get("Effect") != "Deny":
        return False
    condition = statement.get("Condition")
    test = condition.get("Bool") if isinstance(condition, dict) else None  # a raw document may be malformed
    flag = test.get("aws:SecureTransport") if isinstance(test, dict) else None
    return str(flag).lower() == "false"


# Identity policies: where an Allow grants a principal of this account something.
IDENTITY_POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role", "AWS::IAM::User",
                         "AWS::IAM::Group")


def identity_documents(view: TemplateView) -> Iterator[tuple[str, str, Any]]:
    """(logical ID, where in the resource, document) for every identity policy in the template."""
    for logical_id, resource in view.of_type(*IDENTITY_POLICY_TYPES):
        props = resource.get("Properties") or {}
        if "PolicyDocument" in props:
            yield logical_id, "PolicyDocument", props["PolicyDocument"]
        for index, inline in enumerate(as_list(props.get("Policies"))):
            if isinstance(inline, dict):
                yield logical_id, f"Policies[{index}]", inline.get("PolicyDocument")


# Resource policies, by the property that holds them.
RESOURCE_POLICY_PROPERTIES = {
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::Logs::ResourcePolicy": "PolicyDocument",
    "AWS::EC2::VPCEndpoint": "PolicyDocument",
    "AWS::ApiGateway::RestApi": "Policy",
    "AWS::SecretsManager::ResourcePolicy": "ResourcePolicy",
    "AWS::Events::EventBusPolicy": "Statement",
}


def resource_documents(view: TemplateView) -> Iterator[tuple[str, str, Any]]:
    for logical_id, resource in view.of_type(*RESOURCE_POLICY_PROPERTIES):
        prop = RESOURCE_POLICY_PROPERTIES[resource["Type"]]
        document = (resource.get("Properties") or {}).get(prop)
        if document is not None:
            if prop == "Statement":  # an event bus policy holds one statement
                document = {"Statement": document}
            yield logical_id, prop, document
