"""Events that invoke functions: schedules and event rules (EventBridge rules) and DynamoDB stream triggers.

A schedule is a rule with a `rate(...)` or `cron(...)` expression whose target is the function (its `live` alias
when it has one), with a retry policy, and a permission that lets exactly that rule invoke it. An event rule is
the same with an event `pattern` instead (SAM's `EventBridgeRule` event, the Serverless Framework's
`eventBridge`), on the account's default bus or on a `bus` of `event_buses` (created or existing). A stream trigger
is an event source mapping from a table's stream: Lambda's pollers read the stream with the function's role, so
that role gets the four stream-reading actions on that stream's ARN and nothing on the table itself; failed
batches are split in two to find the bad record, retried a bounded number of times, and then described to a
queue or topic (`on_failure`) so they are not lost when the records expire.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, model_validator
from troposphere import GetAtt, Ref, awslambda, events

from specc.build.context import BuildContext
from specc.build.iam import Grant
from specc.build.naming import camel, logical_id
from specc.kinds.base import Kind, Metrics, NameRule, Reference
from specc.language.types import Name, SpecModel

SCHEDULE_PATTERN = (r"^(rate\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\)"
                    r"|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$")
ON_FAILURE_PATTERN = r"^(queues|topics)\.[a-z][a-z0-9_]*$"
ON_FAILURE_ACCESS = {"queues": "send", "topics": "publish"}
STREAM_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                  "dynamodb:ListStreams")


class StreamTrigger(SpecModel):
    """Invoke a function with batches of a table's stream records."""

    table: Name = Field(description="The table (from `tables`, with a `stream`) read.", examples=["orders"])
    function: Name = Field(description="The function (from `functions`) invoked.", examples=["project_order"])
    starting_position: Literal["LATEST", "TRIM_HORIZON"] = Field(
        "LATEST", description="Where a new mapping starts: new records only, or the oldest kept (24 hours).",
        examples=["TRIM_HORIZON"])
    batch_size: int = Field(100, ge=1, le=10000, description="Most records per invocation.", examples=[100])
    batching_window: int = Field(0, ge=0, le=300, description="Seconds Lambda may wait to fill a batch.",
                                 examples=[5])
    bisect_on_error: bool = Field(True, description="Split a failing batch in two and retry each half, to isolate "
                                  "the record that fails.", examples=[True])
    max_retries: int = Field(3, ge=-1, le=10000, description="Retries of a failing batch (-1: until the records "
                             "expire, which blocks the shard that long).", examples=[3])
    max_record_age_seconds: int = Field(86400, ge=-1, le=604800, description="Skip records older than this (-1: "
                                        "never; otherwise at least 60).", examples=[3600])
    parallelization: int = Field(1, ge=1, le=10, description="Batches processed at once per shard.", examples=[2])
    report_batch_item_failures: bool = Field(True, description="The function returns `batchItemFailures` and the "
                                             "batch is retried from the first failed record.", examples=[True])
    on_failure: str | None = Field(None, pattern=ON_FAILURE_PATTERN, description="Where a batch that still fails "
                                   "is described (`queues.<name>` or `topics.<name>`), so it is not lost.",
                                   examples=["queues.stream_failures"])

    @model_validator(mode="after")
    def _age(self) -> StreamTrigger:
        if 0 <= self.max_record_age_seconds < 60:
            raise ValueError("max_record_age_seconds is -1 (never) or at least 60")
        return self


class EventSpec(SpecModel):
    """A schedule (`schedule` and `function`), an event rule (`pattern`, `function` and optionally `bus`) or a
    DynamoDB stream trigger (`stream`)."""

    description: str = Field("", max_length=512, description="What the event is for.",
                             examples=["Nightly report"])
    schedule: str | None = Field(None, pattern=SCHEDULE_PATTERN, description="`rate(5 minutes)` or a six-field "
                                 "`cron(...)` expression (UTC).", examples=["rate(5 minutes)"])
    pattern: dict[str, Any] | None = Field(
        None, description="An EventBridge event pattern: the rule invokes `function` with each event it matches, "
        "field by field, each field a list of values or content filters.",
        examples=[{"source": ["shop.orders"], "detail-type": ["OrderPlaced"], "detail": {"total": [
            {"numeric": [">", 100]}]}}])
    bus: Name | None = Field(None, description="With `pattern`: the event bus (from `event_buses`, created or "
                             "existing) the rule listens on; default: the account's default bus.",
                             examples=["orders"])
    function: Name | None = Field(None, description="With `schedule` or `pattern`: the function (from `functions`) "
                                  "invoked.", examples=["cleanup"])
    input: dict[str, Any] | None = Field(None, description="With `schedule` or `pattern`: the event the function "
                                         "receives (default: the scheduled or the matched event).",
                                         examples=[{"task": "cleanup"}])
    enabled: bool = Field(True, description="With `schedule` or `pattern`: `false` keeps the rule but stops it "
                          "firing.", examples=[True])
    retries: int = Field(185, ge=0, le=185, description="With `schedule` or `pattern`: EventBridge's retries when "
                         "the function cannot be invoked.", examples=[3])
    max_event_age_seconds: int = Field(86400, ge=60, le=86400, description="With `schedule` or `pattern`: give up "
                                       "on an invocation older than this.", examples=[3600])
    stream: StreamTrigger | None = Field(None, description="A DynamoDB stream trigger instead of a schedule.")

    @model_validator(mode="after")
    def _one_source(self) -> EventSpec:
        sources = [s for s in (self.schedule, self.pattern, self.stream) if s is not None]
        if len(sources) != 1:
            raise ValueError("an event has exactly one of `schedule` or `pattern` (with `function`), or `stream`")
        if self.schedule is not None and self.function is None:
            raise ValueError("a schedule needs the `function` it invokes")
        if self.pattern is not None and self.function is None:
            raise ValueError("an event rule (`pattern`) needs the `function` it invokes")
        if self.bus is not None and self.pattern is None:
            why = ": a schedule runs on the account's default bus" if self.schedule is not None else ""
            raise ValueError(f"`bus` applies to event rules (`pattern`){why}")
        scheduled_only = {"function", "input", "enabled", "retries", "max_event_age_seconds"}
        given = sorted(scheduled_only & self.model_fields_set)
        if self.stream is not None and given:
            raise ValueError(f"`{given[0]}` applies to schedules; a stream trigger names its function in `stream`")
        return self


def build(ctx: BuildContext, name: str, spec: EventSpec) -> None:
    if spec.stream is not None:
        _stream(ctx, name, spec.stream, ("events", name, "stream"))
    elif spec.pattern is not None:
        _rule(ctx, name, spec, ("events", name))
    else:
        _schedule(ctx, name, spec, ("events", name))


def _target(ctx: BuildContext, spec: EventSpec) -> events.Target:
    """The rule's one target: the function, with the event's retry policy and its constant input."""
    from specc.kinds.functions import invoke_arn

    assert spec.function is not None  # the model guarantees it
    target = events.Target(
        Id=camel(spec.function),
        Arn=invoke_arn(ctx, spec.function),
        RetryPolicy=events.RetryPolicy(MaximumRetryAttempts=spec.retries,
                                       MaximumEventAgeInSeconds=spec.max_event_age_seconds),
    )
    if spec.input is not None:
        target.Input = json.dumps(spec.input, sort_keys=True, separators=(",", ":"))
    return target


def _permission(ctx: BuildContext, permission_id: str, rule_id: str, function: str,
                origin: tuple[Any, ...]) -> None:
    """Exactly this rule (its ARN) may invoke the function."""
    from specc.kinds.functions import invoke_arn

    ctx.add(awslambda.Permission(
        permission_id,
        Action="lambda:InvokeFunction",
        FunctionName=invoke_arn(ctx, function),
        Principal="events.amazonaws.com",
        SourceArn=GetAtt(rule_id, "Arn"),
    ), origin)


def _schedule(ctx: BuildContext, name: str, spec: EventSpec, origin: tuple[Any, ...]) -> None:
    assert spec.function is not None and spec.schedule is not None  # the model guarantees them
    rule_id = logical_id(name, "Schedule")
    ctx.add(events.Rule(
        rule_id,
        Name=ctx.physical(name),
        Description=spec.description or f"{ctx.spec.service} {name}: {spec.schedule}",
        ScheduleExpression=spec.schedule,
        State="ENABLED" if spec.enabled else "DISABLED",
        Targets=[_target(ctx, spec)],
    ), origin)
    _permission(ctx, logical_id(name, "SchedulePermission"), rule_id, spec.function, origin)


def _rule(ctx: BuildContext, name: str, spec: EventSpec, origin: tuple[Any, ...]) -> None:
    from specc.kinds.event_buses import rule_bus

    assert spec.function is not None and spec.pattern is not None  # the model guarantees them
    rule_id = logical_id(name, "Rule")
    rule = events.Rule(
        rule_id,
        Name=ctx.physical(name),
        Description=spec.description or f"{ctx.spec.service} {name}: events on the "
                                        f"{spec.bus + ' bus' if spec.bus else 'default bus'}",
        EventPattern=spec.pattern,
        State="ENABLED" if spec.enabled else "DISABLED",
        Targets=[_target(ctx, spec)],
    )
    if spec.bus is not None:
        rule.EventBusName = rule_bus(ctx, spec.bus)
    ctx.add(rule, origin)
    _permission(ctx, logical_id(name, "RulePermission"), rule_id, spec.function, origin)


def stream_grant(table: str) -> Grant:
    return Grant(sid=f"Read{camel(table)}TableStream", actions=STREAM_ACTIONS,
                 resources=(GetAtt(logical_id(table, "Table"), "StreamArn"),))


def _stream(ctx: BuildContext, name: str, spec: StreamTrigger, origin: tuple[Any, ...]) -> None:
    from specc.kinds import BY_SECTION
    from specc.kinds.functions import invoke_arn

    policy_id = logical_id(spec.function, "Policy")
    grants = [stream_grant(spec.table)]
    mapping = awslambda.EventSourceMapping(
        logical_id(name, "StreamMapping"),
        EventSourceArn=GetAtt(logical_id(spec.table, "Table"), "StreamArn"),
        FunctionName=invoke_arn(ctx, spec.function),
        StartingPosition=spec.starting_position,
        BatchSize=spec.batch_size,
        MaximumBatchingWindowInSeconds=spec.batching_window,
        BisectBatchOnFunctionError=spec.bisect_on_error,
        MaximumRetryAttempts=spec.max_retries,
        MaximumRecordAgeInSeconds=spec.max_record_age_seconds,
        ParallelizationFactor=spec.parallelization,
        Enabled=True,
        DependsOn=[policy_id],  # Lambda checks the role can read the stream when the mapping is created
    )
    if spec.report_batch_item_failures:
        mapping.FunctionResponseTypes = ["ReportBatchItemFailures"]
    if spec.on_failure is not None:
        section, target = spec.on_failure.split(".")
        destination = (GetAtt(logical_id(target, "Queue"), "Arn") if section == "queues"
                       else Ref(logical_id(target, "Topic")))
        mapping.DestinationConfig = awslambda.DestinationConfig(
            OnFailure=awslambda.OnFailure(Destination=destination))
        kind = BY_SECTION[section]
        assert kind.grant is not None
        grants += kind.grant(ctx, target, ON_FAILURE_ACCESS[section])  # Lambda sends with the function's role
    ctx.grant(logical_id(spec.function, "Role"), policy_id, grants)
    ctx.add(mapping, origin)


def references(name: str, spec: EventSpec) -> list[Reference]:
    if spec.stream is None:
        refs = [Reference(("events", name, "function"), "functions", spec.function or "", relation="triggers")]
        if spec.bus is not None:  # a rule on an existing bus is allowed: it is ours, in the bus's account
            refs.append(Reference(("events", name, "bus"), "event_buses", spec.bus, relation="listens"))
        return refs
    stream = spec.stream
    refs = [Reference(("events", name, "stream", "table"), "tables", stream.table, relation="streams"),
            Reference(("events", name, "stream", "function"), "functions", stream.function, relation="triggers")]
    if stream.on_failure:
        section, target = stream.on_failure.split(".")
        refs.append(Reference(("events", name, "stream", "on_failure"), section, target, ON_FAILURE_ACCESS[section],
                              "uses"))
    return refs


def _dimensions(ctx: BuildContext, name: str) -> list[tuple[str, Any]]:
    """A rule's metrics: by RuleName on the default bus, by EventBusName and RuleName on a custom one."""
    from specc.kinds.event_buses import physical_bus_name

    bus = ctx.spec.events[name].bus
    found: list[tuple[str, Any]] = [("EventBusName", physical_bus_name(ctx, bus))] if bus is not None else []
    return found + [("RuleName", ctx.physical(name))]


def names(spec: Any, name: str, entry: EventSpec) -> list[NameRule]:
    if entry.stream is not None:
        return []
    return [NameRule("rule name", spec.physical(name), 64, r"^[.\-_A-Za-z0-9]+$")]


KIND = Kind(
    section="events",
    singular="event",
    model=EventSpec,
    description="Schedules and event rules (EventBridge rules, on the default bus or one of `event_buses`) and "
                "DynamoDB stream triggers that invoke functions.",
    build=build,
    references=references,
    metrics=Metrics(
        namespace="AWS/Events",
        names=("FailedInvocations", "Invocations", "ThrottledRules", "TriggeredRules"),
        dimensions=_dimensions,
    ),
    names=names,
)
