"""SEC005 (pci): every function role's policy explicitly denies the destructive and IAM-changing actions."""

from __future__ import annotations

from collections.abc import Iterator

from specc.kinds.functions import DESTRUCTIVE_ACTIONS
from specc.policy.base import Finding, TemplateView, actions, as_list, single_ref, statements

ID = "SEC005"
DESCRIPTION = "function roles explicitly deny destructive and IAM-changing actions"
RATIONALE = ("An explicit Deny wins over any Allow, including one attached later by hand or by a compromised "
             "pipeline: a function that is taken over cannot delete tables, buckets, keys or trails, nor widen its "
             "own permissions.")
PROFILES = ("pci",)
SECURITY_HUB = "-"
PCI_DSS = "7.2.2, 10.3.2"


def run(view: TemplateView) -> Iterator[Finding]:
    denied_by_role: dict[str, set[str]] = {}
    for _, policy in view.of_type("AWS::IAM::Policy"):
        props = policy.get("Properties") or {}
        denied = {a for s in statements(props.get("PolicyDocument")) if s.get("Effect") == "Deny"
                  and "*" in as_list(s.get("Resource")) and not s.get("Condition") for a in actions(s)}
        for role in as_list(props.get("Roles")):
            target = single_ref(role)
            if target:
                denied_by_role.setdefault(target, set()).update(denied)
    for logical_id, function in view.of_type("AWS::Lambda::Function"):
        role = single_ref((function.get("Properties") or {}).get("Role"))
        if role is None:
            continue
        missing = sorted(set(DESTRUCTIVE_ACTIONS) - denied_by_role.get(role, set()))
        if missing:
            yield Finding(logical_id, f"the role of {logical_id} does not deny {len(missing)} destructive action(s) "
                          f"({', '.join(missing[:3])}{'...' if len(missing) > 3 else ''})",
                          "remove `deny_destructive: false`")
