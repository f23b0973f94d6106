"""EventBridge custom event buses: what functions publish to (`uses: {event_buses: {orders: publish}}`) and what
event rules (`events.<name>.pattern` with `bus`) listen on; an existing bus (`existing:`) is named, not created.

The bus's physical name is the service's (`<service>-<name>-<environment>`): a bus is regional, so every region
of a StackSet has its own of that name and the template names no account or region. Publishing is exactly
`events:PutEvents` on the bus's ARN. A bus takes no resource policy: the rules and publishers specc wires are in
the bus's own account, where IAM policies suffice.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from troposphere import GetAtt, events

from specc.build.context import BuildContext
from specc.build.iam import Grant
from specc.build.naming import logical_id
from specc.kinds import existing
from specc.kinds.base import Kind, NameRule, getatt_attribute
from specc.kinds.existing import existing_field
from specc.language.types import SpecModel

NAME_PATTERN = r"^[.\-_A-Za-z0-9]+$"  # EventBridge's rule for a custom bus's name (a `/` is for partner buses)


class EventBusSpec(SpecModel):
    """A custom EventBridge event bus, or one that exists (`existing:`)."""

    existing: str | None = existing_field("event_buses")

    description: str | None = Field(None, min_length=1, max_length=512, description="What the bus carries.",
                                    examples=["Order lifecycle events"])


def bus_id(name: str) -> str:
    return logical_id(name, "EventBus")


def build(ctx: BuildContext, name: str, spec: EventBusSpec) -> None:
    bus = events.EventBus(bus_id(name), Name=ctx.physical(name))
    if spec.description:
        bus.Description = spec.description
    ctx.add(bus, ("event_buses", name))
    ctx.output(logical_id(name, "EventBusArn"), GetAtt(bus_id(name), "Arn"), f"ARN of the {name} event bus")


def bus_arn(ctx: BuildContext, name: str) -> Any:
    """The bus's ARN: what `uses` grants on and what functions are told."""
    if existing.is_existing(ctx.spec.event_buses[name]):
        return existing.arn(ctx, "event_buses", name)
    return GetAtt(bus_id(name), "Arn")


def rule_bus(ctx: BuildContext, name: str) -> Any:
    """A rule's `EventBusName`: the created bus's name (a GetAtt, so the rule follows the bus), or the existing
    bus's ARN as written (EventBridge takes either)."""
    if existing.is_existing(ctx.spec.event_buses[name]):
        return existing.arn(ctx, "event_buses", name)
    return GetAtt(bus_id(name), "Name")


def physical_bus_name(ctx: BuildContext, name: str) -> Any:
    """The bus's name as CloudWatch's `EventBusName` dimension of its rules' metrics."""
    if existing.is_existing(ctx.spec.event_buses[name]):
        return existing.resource_name(ctx, "event_buses", name)
    return ctx.physical(name)


def grant(ctx: BuildContext, name: str, access: str) -> list[Grant]:
    return [Grant(sid=logical_id(name, "EventBusPutEvents"), actions=("events:PutEvents",),
                  resources=(bus_arn(ctx, name),))]


def names(spec: Any, name: str, entry: EventBusSpec) -> list[NameRule]:
    return [NameRule("event bus name", spec.physical(name), 256, NAME_PATTERN)]


KIND = Kind(
    section="event_buses",
    singular="event_bus",
    model=EventBusSpec,
    description="EventBridge custom event buses that functions publish to and event rules listen on.",
    build=build,
    access={"publish": "events:PutEvents"},
    grant=grant,
    env_value=bus_arn,
    attributes={"arn": existing.existing_or("event_buses", "arn",
                                            getatt_attribute("EventBus", "Arn", "ARN of the event bus")),
                "name": existing.existing_or("event_buses", "name",
                                             getatt_attribute("EventBus", "Name", "name of the event bus"))},
    names=names,
)
