"""The contract every kind implements: one registry entry, one file.

A kind contributes its pydantic model (a spec section), a builder that turns one entry into
troposphere resources, and optional hooks the shared passes call: references it makes (checked
and turned into graph edges), grants it gives to functions that `use` it, the metrics its alarms
can watch, the physical names it creates (checked against AWS limits), and standard alarms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from specc.build.context import BuildContext
    from specc.build.iam import Grant


@dataclass(frozen=True)
class Reference:
    """`path` in the spec names entry `target` of section `section` (with an access level for `uses`)."""

    path: tuple[Any, ...]
    section: str
    target: str
    access: str | None = None
    relation: str = "refers"


@dataclass(frozen=True)
class Attribute:
    """A value of one entry that a spec value can name as `${section.entry.attribute}` (checks/expressions.py).

    `value` builds it at compile time from the entry's name: a Ref, a GetAtt, or a Sub built from the entry's
    deterministic physical name (used where a Ref would make a dependency cycle, as for buckets that notify
    functions, or functions that name each other)."""

    description: str
    value: Callable[[BuildContext, str], Any]
    # The template Condition under which the value exists (a CloudFront distribution only in us-east-1): an output
    # of it carries the same condition.
    condition: Callable[[BuildContext, str], str | None] | None = None
    created_only: bool = False  # not known of an existing entry (`existing:`), which specc did not create


def ref_attribute(suffix: str, description: str) -> Attribute:
    """`Ref` of the entry's resource `logical_id(name, suffix)`."""
    from troposphere import Ref

    from specc.build.naming import logical_id

    return Attribute(description, lambda ctx, name: Ref(logical_id(name, suffix)))


def getatt_attribute(suffix: str, attribute: str, description: str) -> Attribute:
    """`Fn::GetAtt` `attribute` of the entry's resource `logical_id(name, suffix)`."""
    from troposphere import GetAtt

    from specc.build.naming import logical_id

    return Attribute(description, lambda ctx, name: GetAtt(logical_id(name, suffix), attribute))


@dataclass(frozen=True)
class NameRule:
    """A physical name this entry creates, and the AWS limits it must satisfy."""

    what: str
    value: str
    max_length: int
    pattern: str = r"^[A-Za-z0-9_-]+$"


@dataclass(frozen=True)
class Metrics:
    """Where a kind's CloudWatch metrics live and how one entry is selected."""

    namespace: str
    names: tuple[str, ...]
    dimensions: Callable[[BuildContext, str], list[tuple[str, Any]]]
    # Dimensions that also depend on the metric (S3 storage metrics need their StorageType); default: `dimensions`.
    metric_dimensions: Callable[[BuildContext, str, str], list[tuple[str, Any]]] | None = None

    def dimensions_for(self, ctx: BuildContext, name: str, metric: str) -> list[tuple[str, Any]]:
        if self.metric_dimensions is not None:
            return self.metric_dimensions(ctx, name, metric)
        return self.dimensions(ctx, name)


@dataclass(frozen=True)
class Kind:
    section: str
    singular: str
    model: type[BaseModel]
    description: str
    build: Callable[[BuildContext, str, Any], None]
    keyed: bool = True  # a mapping of named entries; False for a single object (like `api`)
    key_pattern: str | None = None  # override for entry names (routes are "METHOD /path")
    references: Callable[[str, Any], Iterable[Reference]] | None = None
    access: Mapping[str, str] = field(default_factory=dict)  # access level -> description
    grant: Callable[[BuildContext, str, str], list[Grant]] | None = None
    env_value: Callable[[BuildContext, str], Any] | None = None
    metrics: Metrics | None = None
    names: Callable[[Any, str, Any], list[NameRule]] | None = None
    late: bool = False  # built after the IAM pass (a key policy names the roles that use the key)
    # What `${section.entry.attribute}` may name in a value (environment values, trigger ARNs): attribute -> how
    # to build it. A kind without attributes cannot be referred to that way.
    attributes: Mapping[str, Attribute] = field(default_factory=dict)
    # What an entry named by `existing:` still builds (a queue's consumers: event source mappings on its ARN);
    # None: nothing at all.
    build_existing: Callable[[BuildContext, str, Any], None] | None = None
