"""specc's own policy checks over the built templates: one check per file, grouped in profiles.

Each check module has an `ID` (SEC001...), a one-line `DESCRIPTION`, a `RATIONALE`, the `PROFILES` it
belongs to, its Security Hub and PCI DSS references, and `run(view) -> findings`. `evaluate` runs the
checks of the spec's profile over the templates, turns each finding into a diagnostic at the spec line
that made the resource, and applies `security.exceptions`: an excused finding is not reported, its reason
is written into the resource's `Metadata.specc.exceptions` instead. An exception that excuses nothing is an
error (E231), so exceptions cannot outlive their cause.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from specc.language.diagnostics import Diagnostic
from specc.policy import (
    sec001_customer_managed_keys,
    sec002_wildcard_actions,
    sec003_wildcard_resources,
    sec004_managed_policies,
    sec005_function_denies,
    sec006_tls_only,
    sec007_tls_versions,
    sec008_mutual_tls,
    sec009_log_retention,
    sec010_required_tags,
    sec011_deletion_policy,
    sec012_key_rotation,
    sec013_authenticated_routes,
    sec014_private_functions,
    sec015_web_acl,
    sec016_open_networks,
)
from specc.policy.base import PROFILES, Finding, TemplateView

UNUSED_EXCEPTION = "E231"


@dataclass(frozen=True)
class PolicyCheck:
    id: str
    description: str
    rationale: str
    profiles: tuple[str, ...]
    security_hub: str
    pci_dss: str
    module: ModuleType

    def run(self, view: TemplateView) -> Iterable[Finding]:
        found: Iterable[Finding] = self.module.run(view)
        return found


CHECKS: tuple[PolicyCheck, ...] = tuple(
    PolicyCheck(m.ID, m.DESCRIPTION, m.RATIONALE, m.PROFILES, m.SECURITY_HUB, m.PCI_DSS, m)
    for m in (sec001_customer_managed_keys, sec002_wildcard_actions, sec003_wildcard_resources,
              sec004_managed_policies, sec005_function_denies, sec006_tls_only, sec007_tls_versions,
              sec008_mutual_tls, sec009_log_retention, sec010_required_tags, sec011_deletion_policy,
              sec012_key_rotation, sec013_authenticated_routes, sec014_private_functions, sec015_web_acl,
              sec016_open_networks)
)
BY_ID = {check.id: check for check in CHECKS}


def checks_for(profile: str) -> list[PolicyCheck]:
    assert profile in PROFILES, profile
    return [check for check in CHECKS if profile in check.profiles]


@dataclass
class Outcome:
    """What `evaluate` found: diagnostics to report, and how many checks ran and resources were excused."""

    diagnostics: list[Diagnostic]
    checks_run: int
    excused: int


def evaluate(ctx: Any, templates: dict[str, dict[str, Any]]) -> Outcome:
    """Run the profile's checks over `templates` (edited in place: excused resources get Metadata)."""
    spec = ctx.spec
    security = spec.security
    resources: dict[str, dict[str, Any]] = {}
    for template in templates.values():
        resources.update(template.get("Resources") or {})
    taggable = {title: type(resource).props.get("Tags") is not None or getattr(resource, "takes_tags", False)
                for title, resource in ctx.template.resources.items()}  # takes_tags: raw resources (kinds/resources)
    passed = {name: value for _, stack in sorted(resources.items()) if stack.get("Type") == "AWS::CloudFormation::Stack"
              for name, value in ((stack.get("Properties") or {}).get("Parameters") or {}).items()}
    view = TemplateView(resources=resources, spec=spec, profile=security.profile, taggable=taggable, passed=passed)
    diagnostics: list[Diagnostic] = []
    used: set[str] = set()
    excused = 0
    selected = checks_for(security.profile)
    for check in selected:
        exception = security.exceptions.get(check.id)
        for finding in check.run(view):
            path = finding.path if finding.path is not None else tuple(ctx.origins.get(finding.logical_id, ()))
            if exception is not None and finding.logical_id and _covers(exception.entries, path):
                used.add(check.id)
                excused += 1
                _record(resources[finding.logical_id], check.id, exception.reason)
                continue
            hint = finding.hint + _overridden(resources.get(finding.logical_id or "", {})) + \
                f"; or excuse it with `security.exceptions.{check.id}.reason`"
            diagnostics.append(ctx.source.diagnostic(check.id, path, finding.message, hint.lstrip("; "),
                                                     at_key=True))
    for check in selected:  # exceptions naming other checks are refused earlier (checks/security.py, E230)
        if check.id in security.exceptions and check.id not in used:
            diagnostics.append(ctx.source.diagnostic(
                UNUSED_EXCEPTION, ("security", "exceptions", check.id),
                f"the exception for {check.id} excuses no finding" + ("" if security.exceptions[check.id].entries
                                                                       else ": the check passes"),
                "remove the exception (or fix `entries` to name what still needs it)", at_key=True))
    return Outcome(diagnostics=diagnostics, checks_run=len(selected), excused=excused)


def _overridden(resource: dict[str, Any]) -> str:
    """Where the spec changed the resource with `overrides` (kinds/overrides.py): often the cause of a finding."""
    applied = ((resource.get("Metadata") or {}).get("specc") or {}).get("overrides") or []
    spots = [f"`{entry['spec']}`" for entry in applied if isinstance(entry, dict) and "spec" in entry]
    return f"; the spec changes this resource in {', '.join(spots)}" if spots else ""


def _covers(entries: list[str], path: tuple[Any, ...]) -> bool:
    """No `entries`: the whole service; else the finding's spec path starts with one of them."""
    if not entries:
        return True
    parts = [str(p) for p in path]
    for entry in entries:
        section, _, name = entry.partition(".")
        if parts[:1] == [section] and (not name or parts[1:2] == [name]):
            return True
    return False


def _record(resource: dict[str, Any], check_id: str, reason: str) -> None:
    metadata = resource.setdefault("Metadata", {})
    specc = metadata.setdefault("specc", {})
    entry = {"check": check_id, "reason": reason, "spec": f"security.exceptions.{check_id}"}
    exceptions = specc.setdefault("exceptions", [])
    if entry not in exceptions:
        exceptions.append(entry)
        exceptions.sort(key=lambda e: e["check"])


def rules() -> dict[str, str]:
    """Id -> description of every policy check and code, for SARIF rule catalogues."""
    found = {check.id: check.description[:1].upper() + check.description[1:] + "." for check in CHECKS}
    found[UNUSED_EXCEPTION] = "A security exception excuses nothing: its check passes."
    return found
