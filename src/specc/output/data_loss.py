"""Which changes lose stored data, said so that a tired operator cannot miss it.

A resource that holds data (a table's items, a bucket's objects, a key and everything encrypted with it, a
secret's value, a queue's messages, a log group's logs, a user pool's users) loses it when a change removes it
from the stack or replaces it (a changed create-only property: CloudFormation creates a new, empty one and
deletes the old one). What happens to the old one then is the resource's DeletionPolicy (removed) or
UpdateReplacePolicy (replaced): `Retain` keeps it in the account, no longer managed by the stack; `Delete` (or
no policy: CloudFormation's default) deletes it with its data.

A removal next to an addition of the same type whose properties are the same once the names are swapped is
reported as what it most likely is, a rename of the entry, with the way that keeps the data: keep the old
name. specc derives logical IDs and physical names from entry names, so CloudFormation can only see a rename
as "delete the old, create a new, empty one".

This module works on plain template dicts and anything shaped like diff.ResourceChange (logical_id, type,
action, replacement, because), so diff.py, deploy and rollout share one definition.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from specc.build.retention import DATA_STORES

# What holds data, and how to speak of it: one table (build/retention.py), also behind SEC011 and Retain
STATEFUL = DATA_STORES
DELETED, REPLACED, MAYBE_REPLACED = "deleted", "replaced", "may be replaced"
DESTROYED = "deleted with its stack"  # `specc destroy`: the whole stack goes
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z][a-z0-9]*|[a-z0-9]+")


class Change(Protocol):
    """What a diff says of one resource (output/diff.py's ResourceChange, a frozen dataclass: read-only)."""

    @property
    def logical_id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def action(self) -> str: ...  # added | removed | modified | replaced
    @property
    def replacement(self) -> str: ...  # always | conditional (replaced)
    @property
    def because(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class DataLoss:
    logical_id: str
    type: str
    action: str  # deleted | replaced | may be replaced
    policy: str  # DeletionPolicy (deleted) or UpdateReplacePolicy (replaced); "" when left to CloudFormation
    because: tuple[str, ...] = ()  # the create-only properties that force a replacement
    renamed_to: str = ""  # the added resource this removal looks like a rename to
    template: str = ""  # the template (or stack) it is in, when that is worth saying
    moved_to: str = ""  # the template it moves to (a split's shard grew or shrank), when it moves

    @property
    def noun(self) -> str:
        return STATEFUL.get(self.type, ("resource", "", "data"))[0]

    @property
    def entry(self) -> str:
        """The spec entry the resource comes from, as people wrote it: `OrdersTable` -> `orders`."""
        return _entry(self.logical_id, self.type)

    @property
    def message(self) -> str:
        held = STATEFUL.get(self.type, ("", "", "data"))[2]
        what = f"DATA LOSS: {self.noun} {self.entry} ({self.type} {self.logical_id})"
        if self.template:
            what += f" in {self.template}"
        if self.action in (DELETED, DESTROYED):
            if self.policy == "Retain":
                return (f"{what} will be DELETED from the stack; DeletionPolicy Retain keeps the data in the account "
                        "but the stack will no longer manage it")
            if self.policy == "Snapshot":
                return f"{what} will be DELETED; DeletionPolicy Snapshot keeps a final snapshot of its {held}"
            return f"{what} will be DELETED with its {held} ({_policy('DeletionPolicy', self.policy)})"
        conditionally = "conditionally " if self.action == MAYBE_REPLACED else ""
        forced = f" ({conditionally}create-only: {', '.join(self.because)})" \
            if self.because else ""
        verb = "may be REPLACED" if self.action == MAYBE_REPLACED else "will be REPLACED"
        if self.policy == "Retain":
            return (f"{what} {verb} by a new, empty {self.noun}{forced}; UpdateReplacePolicy Retain keeps the old "
                    f"one's {held} in the account but the stack will no longer manage it")
        return (f"{what} {verb} by a new, empty {self.noun}{forced}; the old one is deleted with its {held} "
                f"({_policy('UpdateReplacePolicy', self.policy)})")

    @property
    def advice(self) -> str:
        """The path that keeps the data."""
        if self.moved_to:
            return (f"it moves to {self.moved_to} because a shard of the split grew past its budget or shrank: "
                    f"CloudFormation creates a new, empty {self.noun} there before deleting this one, and a fixed "
                    "physical name cannot exist twice in an account and region, so expect this update to fail on it "
                    "(docs/data-safety.md, 'Moves between stacks')")
        if self.action == DESTROYED:
            held = STATEFUL.get(self.type, ("", "", "data"))[2]
            return (f"to keep its {held}, give it DeletionPolicy Retain (`security.deletion_policy: Retain` in the "
                    "spec) and deploy before destroying, or copy the data elsewhere first")
        if self.renamed_to:
            new = _entry(self.renamed_to, self.type)
            return (f"this looks like a rename to {self.renamed_to} (same type and properties once the names are "
                    f"swapped): CloudFormation cannot rename, so the new {self.noun} starts empty. To keep the data, "
                    f"keep the entry's old name ({self.entry}); to move to {new} for real, copy the data into the "
                    f"new {self.noun} before removing the old entry (see docs/data-safety.md)")
        if self.action == DELETED:
            return f"if {self.entry} was not meant to go, put its entry back"
        changed = ", ".join(self.because) or "the create-only properties"
        return (f"to keep the data, leave {changed} as it was; to change it, add a new entry beside this one, copy "
                f"the data over, move its users to it, then remove the old entry (see docs/data-safety.md)")

    def lines(self) -> list[str]:
        return [self.message, f"  {self.advice}"]

    def to_dict(self) -> dict[str, Any]:
        return {"logical_id": self.logical_id, "type": self.type, "action": self.action, "policy": self.policy,
                "because": list(self.because), "renamed_to": self.renamed_to, "template": self.template,
                "moved_to": self.moved_to,
                "message": self.message, "advice": self.advice}


def _policy(attribute: str, value: str) -> str:
    return f"{attribute} {value}" if value else f"no {attribute}: CloudFormation's default deletes it"


def _entry(logical_id: str, kind: str) -> str:
    suffix = STATEFUL.get(kind, ("", "", ""))[1]
    stem = logical_id[:-len(suffix)] if suffix and logical_id.endswith(suffix) and logical_id != suffix else logical_id
    return "_".join(word.lower() for word in _WORDS.findall(stem)) or logical_id


def find(changes: Iterable[Change], old: dict[str, Any], new: dict[str, Any], template: str = "") -> list[DataLoss]:
    """The data lost by `changes` between the resources `old` and `new` (a template's Resources), in order."""
    changes = list(changes)
    added = [c.logical_id for c in changes if c.action == "added"]
    found = []
    for change in changes:
        before = old.get(change.logical_id)
        if before is None or before.get("Type") not in STATEFUL:
            continue
        if change.action == "removed":
            renamed = next((a for a in added if _looks_renamed(change.logical_id, before, a, new.get(a))), "")
            found.append(DataLoss(change.logical_id, before["Type"], DELETED, before.get("DeletionPolicy", ""),
                                  renamed_to=renamed, template=template))
        elif change.action == "replaced":
            action = REPLACED if change.replacement != "conditional" else MAYBE_REPLACED
            found.append(DataLoss(change.logical_id, before["Type"], action, before.get("UpdateReplacePolicy", ""),
                                  tuple(change.because), template=template))
    return found


def _looks_renamed(old_id: str, before: dict[str, Any], new_id: str, after: dict[str, Any] | None) -> bool:
    """The same resource once the old entry's name (in any of the spellings specc derives) becomes the new one."""
    if after is None or after.get("Type") != before.get("Type"):
        return False
    text = json.dumps(before, sort_keys=True)
    old_words = _WORDS.findall(_stem(old_id, before["Type"]))
    new_words = _WORDS.findall(_stem(new_id, before["Type"]))
    spellings = sorted(zip(_spellings(old_words), _spellings(new_words), strict=True), key=lambda pair: -len(pair[0]))
    marks = {}
    for index, (was, now) in enumerate(spellings):  # two passes, so a new name never gets renamed again
        mark = f"\x00{index}\x00"
        text = text.replace(was, mark)
        marks[mark] = now
    for mark, now in marks.items():
        text = text.replace(mark, now)
    return bool(json.loads(text) == after)


def _stem(logical_id: str, kind: str) -> str:
    suffix = STATEFUL[kind][1]
    return logical_id[:-len(suffix)] if logical_id.endswith(suffix) and logical_id != suffix else logical_id


def _spellings(words: list[str]) -> list[str]:
    """`Order`, `Items` -> OrderItems, order_items, order-items, orderitems, ORDER_ITEMS."""
    lower = [w.lower() for w in words]
    return ["".join(w[:1].upper() + w[1:] for w in words), "_".join(lower), "-".join(lower), "".join(lower),
            "_".join(w.upper() for w in words)]


def render(losses: list[DataLoss], color: bool = False, *, refused_without_flag: bool = True) -> list[str]:
    """The block shown before anything else: every loss and the way to keep the data."""
    if not losses:
        return []
    import click

    def style(text: str, **kwargs: Any) -> str:
        return click.style(text, **kwargs) if color else text

    count = len(losses)
    head = f"DATA LOSS: {count} change{'s' if count != 1 else ''} would delete or replace a resource that holds data"
    if refused_without_flag:
        head += "; `specc deploy` and `specc rollout` refuse without --allow-data-loss"
    lines = [style(head + ":", fg="red", bold=True)]
    for loss in losses:
        lines.append(style(f"  {loss.message}", fg="red", bold=True))
        lines.append(f"    {loss.advice}")
    return lines
