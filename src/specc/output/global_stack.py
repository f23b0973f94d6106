"""The global template: what AWS requires in us-east-1 (CloudFront distributions and their policies, CLOUDFRONT-scope
web ACLs with their IP sets, logs and key), deployed once per account there, whatever the service's regions.

Kinds mark those resources (and their outputs) with the `CdnRegion` condition while building one service template,
so the SEC checks, tags and retention see them like any other. This pass moves everything so marked into
`global.json`, without the mark, and leaves the rest as the regional `service.json`. The two stacks never refer to
each other (no cross-region exports): what one needs of the other is a deterministic name (see kinds/cdn.py), and
any Ref, GetAtt or Sub across the line is a compiler bug, refused here."""

from __future__ import annotations

import re
from typing import Any

from specc.build.global_region import GLOBAL_MARK as CDN_REGION
from specc.build.global_region import GLOBAL_REGION

GLOBAL_TEMPLATE = "global.json"
__all__ = ["GLOBAL_REGION", "GLOBAL_TEMPLATE", "global_stack_name", "lint_regions", "separate"]
SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def global_stack_name(spec: Any) -> str:
    return f"{spec.service}-{spec.environment}-global"


def lint_regions(template_name: str, regions: list[str]) -> list[str]:
    """The regions a template is deployed to, so linted in: the global one in us-east-1 only."""
    return [GLOBAL_REGION] if template_name == GLOBAL_TEMPLATE else list(regions)


def separate(spec: Any, service: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(the regional template, the global one or None): `service` is left as it was."""
    resources = service.get("Resources") or {}
    moved = {name for name, resource in resources.items() if resource.get("Condition") == CDN_REGION}
    if not moved:
        return service, None
    regional = {key: value for key, value in service.items() if key not in ("Resources", "Outputs", "Conditions")}
    regional["Resources"] = {n: r for n, r in resources.items() if n not in moved}
    outputs = service.get("Outputs") or {}
    regional_outputs = {n: o for n, o in outputs.items() if o.get("Condition") != CDN_REGION}
    if regional_outputs:
        regional["Outputs"] = regional_outputs
    conditions = {n: c for n, c in (service.get("Conditions") or {}).items() if n != CDN_REGION}
    if conditions:
        regional["Conditions"] = conditions
    if CDN_REGION in _names(regional):
        raise AssertionError(f"the regional template still uses the {CDN_REGION} condition")
    global_template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{spec.service} ({spec.environment}): what AWS requires in {GLOBAL_REGION} (CloudFront "
                       f"distributions, their web ACLs and policies), once per account. Compiled by specc; do not "
                       f"edit.",
        "Resources": {n: _unmarked(r) for n, r in resources.items() if n in moved},
    }
    global_outputs = {n: _unmarked(o) for n, o in outputs.items() if o.get("Condition") == CDN_REGION}
    if global_outputs:
        global_template["Outputs"] = global_outputs
    _refuse_crossing(global_template, moved, "global", set(regional["Resources"]))
    _refuse_crossing(regional, set(regional["Resources"]) | set(regional.get("Parameters") or {}), "regional", moved)
    return regional, global_template


def _unmarked(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key != "Condition"}


def _refuse_crossing(template: dict[str, Any], own: set[str], what: str, other: set[str]) -> None:
    crossing = (_names(template) & other) - own
    if crossing:
        raise AssertionError(f"the {what} template refers to {', '.join(sorted(crossing))} of the other stack: "
                             "only deterministic names may cross between the global and the regional stacks")


def _names(value: Any) -> set[str]:
    """Every logical ID or condition a template value names (Ref, GetAtt, Sub, Condition, If, DependsOn)."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                if key in ("Ref", "Condition") and isinstance(inner, str):
                    found.add(inner)
                elif key in ("Fn::GetAtt", "Fn::If") and isinstance(inner, list) and inner:
                    found.add(str(inner[0]))
                elif key == "DependsOn":
                    found.update([inner] if isinstance(inner, str) else inner)
                elif key == "Fn::Sub":
                    text = inner[0] if isinstance(inner, list) else inner
                    found.update(SUB_NAME.findall(str(text)))
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)
    return found
