"""SEC010: every resource that takes tags carries the tags the spec requires."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from specc.policy.base import Finding, TemplateView, as_list

ID = "SEC010"
DESCRIPTION = "taggable resources carry the required tags"
RATIONALE = ("PCI DSS scoping and cost and incident ownership start from an inventory: a resource without its "
             "data classification or compliance scope tag is outside every report that filters on them.")
PROFILES = ("baseline", "pci")
SECURITY_HUB = 'the resource-tagging controls ("... should be tagged")'
PCI_DSS = "12.5.1"


def _keys(tags: Any) -> set[str]:
    if isinstance(tags, dict):
        return {str(k) for k in tags}
    return {str(t.get("Key")) for t in as_list(tags) if isinstance(t, dict)}


def run(view: TemplateView) -> Iterator[Finding]:
    required = list(view.spec.security.required_tags)
    if not required:
        return
    spec_tags = set(view.spec.tags)
    missing_in_spec = [t for t in required if t not in spec_tags]
    for index, tag in enumerate(required):
        if tag in missing_in_spec:
            yield Finding("", f"the required tag '{tag}' has no value in `tags`, so no resource carries it",
                          f"add `{tag}: <value>` to `tags`", path=("security", "required_tags", index))
    for logical_id, resource in sorted(view.resources.items()):
        if not view.taggable.get(logical_id):
            continue
        missing = [t for t in required if t not in missing_in_spec
                   and t not in _keys((resource.get("Properties") or {}).get("Tags"))]
        if missing:
            yield Finding(logical_id, f"{logical_id} lacks the required tag(s) {', '.join(missing)}",
                          "tag it (specc puts `tags` on every resource that takes tags)")
