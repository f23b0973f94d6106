"""The registry of kinds, in build order. A new kind is one file in this folder and one line here.

A kind's module is imported the first time it is needed: a spec pays start-up time only for the kinds it
writes (importing all twenty kinds' models and troposphere modules cost about 40 ms of a 0.3 s compile).
`BY_SECTION` maps every section name to its kind and imports it on lookup; `in_play` gives the kinds a spec
puts to work; `KINDS` (all of them, imported) is for what must see every kind: docs, schema, error hints.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from specc.kinds.base import Kind


@dataclass(frozen=True)
class Entry:
    section: str
    module: str  # in specc.kinds
    keyed: bool = True  # named entries (a mapping); False: one object or nothing (must match the Kind's `keyed`)
    always: bool = False  # built even when the spec leaves the section out (the API of bare `routes`, monitoring)


REGISTRY: tuple[Entry, ...] = (
    Entry("keys", "keys"),
    Entry("tables", "tables"),
    Entry("topics", "topics"),
    Entry("event_buses", "event_buses"),
    Entry("layers", "layers"),  # before functions: they name their layers
    Entry("functions", "functions"),
    Entry("workflows", "workflows"),  # after functions: its states invoke them
    Entry("secrets", "secrets"),  # before network: a private rotation function's grants belong in the endpoint policies
    # after functions: its endpoint policies are the private functions' grants
    Entry("network", "network", keyed=False),
    Entry("user_pools", "user_pools"),  # before the API: its authorizers name pools and their clients
    Entry("routes", "routes"),
    Entry("api", "api", keyed=False, always=True),
    Entry("usage_plans", "usage_plans"),
    Entry("api_keys", "api_keys"),
    Entry("waf", "waf"),
    Entry("domains", "domains"),
    Entry("cdn", "cdn"),  # before buckets: it adds statements to its bucket's policy (ctx.bucket_statements)
    Entry("buckets", "buckets"),
    Entry("queues", "queues"),
    Entry("events", "events"),
    Entry("monitoring", "alarms", keyed=False, always=True),
    Entry("alarms", "alarms"),
    Entry("audit", "audit", keyed=False),
    Entry("resources", "resources"),  # raw CloudFormation: after every generated resource (late), so a clash is located
    Entry("overrides", "overrides"),  # edits the finished template (compiler.py), before the security profile
    Entry("outputs", "outputs"),  # last: an output may name any entry's attribute
)

SECTIONS: tuple[str, ...] = tuple(entry.section for entry in REGISTRY)
_ENTRIES = {entry.section: entry for entry in REGISTRY}


_LOADED: dict[str, Kind] = {}


def kind_of(section: str) -> Kind:
    kind = _LOADED.get(section)  # looked up some 18,000 times in a 2,000-function compile
    if kind is None:
        module = importlib.import_module(f"specc.kinds.{_ENTRIES[section].module}")
        kind = _LOADED[section] = module.MONITORING if section == "monitoring" else module.KIND
    return kind


class _Registry(Mapping[str, Kind]):
    """Section name -> kind; a lookup imports that kind alone, listing the names imports none."""

    def __getitem__(self, section: str) -> Kind:
        if section not in _ENTRIES:
            raise KeyError(section)
        return kind_of(section)

    def __iter__(self) -> Iterator[str]:
        return iter(SECTIONS)

    def __len__(self) -> int:
        return len(SECTIONS)

    def __contains__(self, section: object) -> bool:
        return section in _ENTRIES


BY_SECTION: Mapping[str, Kind] = _Registry()


def in_play(spec: Any) -> tuple[Kind, ...]:
    """The kinds this spec puts to work, in build order: those whose section holds something, and the `always` ones."""
    found = []
    for entry in REGISTRY:
        value = getattr(spec, entry.section)
        if entry.always or (value if entry.keyed else value is not None):
            found.append(kind_of(entry.section))
    return tuple(found)


def __getattr__(name: str) -> Any:
    if name == "KINDS":  # every kind, imported
        return tuple(kind_of(section) for section in SECTIONS)
    raise AttributeError(f"module 'specc.kinds' has no attribute {name!r}")
