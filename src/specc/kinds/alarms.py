"""CloudWatch alarms: explicit ones on any declared resource's metric, plus a standard set for every
function, dead-letter queue, API and table, all wired to the `monitoring.notify` topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, model_validator
from troposphere import Ref, cloudwatch

from specc.build.context import BuildContext
from specc.build.naming import camel, logical_id
from specc.kinds.base import Attribute, Kind, NameRule, Reference, getatt_attribute
from specc.language.types import Name, SpecModel

THRESHOLD_PATTERN = r"^\s*(>=|>|<=|<)\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$"
STATISTIC_PATTERN = r"^(Sum|Average|Minimum|Maximum|SampleCount|p[0-9]{1,2}(?:\.[0-9]{1,2})?)$"
METRIC_PATTERN = r"^(api\.[A-Za-z0-9]+|[a-z_]+\.[a-z][a-z0-9_]*\.[A-Za-z0-9]+)$"
_OPERATORS = {">": "GreaterThanThreshold", ">=": "GreaterThanOrEqualToThreshold",
              "<": "LessThanThreshold", "<=": "LessThanOrEqualToThreshold"}
Period = Literal[10, 30, 60, 120, 180, 300, 600, 900, 1800, 3600, 21600, 86400]


class LogPattern(SpecModel):
    """Log lines to count: a metric filter over a function's log group, publishing to `<service>/<environment>`."""

    function: Name = Field(description="The function (from `functions`) whose log group is read.",
                           examples=["processor"])
    pattern: str = Field(min_length=1, max_length=1024, description="A CloudWatch Logs filter pattern; every "
                         "matching event counts 1.", examples=['"ERROR"'])


class AlarmSpec(SpecModel):
    """An alarm on one metric of a declared resource, or on log lines matching a pattern."""

    metric: str | None = Field(None, pattern=METRIC_PATTERN, description="`section.entry.Metric` (like "
                               "`functions.create_payment.Errors`) or `api.Metric`.",
                               examples=["functions.create_payment.Errors"])
    logs: LogPattern | None = Field(None, description="Instead of `metric`: count log lines matching a pattern "
                                    "(the metric is named after the alarm).")
    statistic: str = Field("Sum", pattern=STATISTIC_PATTERN, description="Sum, Average, Minimum, "
                           "Maximum, SampleCount or a percentile like p99.", examples=["Sum"])
    threshold: str = Field(pattern=THRESHOLD_PATTERN, description="A comparison (>, >=, <, <=) and a number, "
                           "like `> 0` or `<= 2.5`.", examples=["> 0"])
    period: Period = Field(60, description="Seconds per datapoint.", examples=[300])
    evaluation_periods: int = Field(1, ge=1, le=100, description="Datapoints the alarm looks at.", examples=[3])
    missing_data: Literal["notBreaching", "breaching", "ignore", "missing"] = Field(
        "notBreaching", description="How missing datapoints count.", examples=["breaching"])
    notify: Name | None = Field(None, description="Topic (from `topics`) to notify; default: `monitoring.notify`.",
                                examples=["alerts"])
    description: str = Field("", max_length=1024, description="Shown in the alarm and its notifications.",
                             examples=["Payments are failing: see the runbook."])

    @model_validator(mode="after")
    def _one_source(self) -> AlarmSpec:
        if (self.metric is None) == (self.logs is None):
            raise ValueError("an alarm watches exactly one of `metric` or `logs`")
        return self


class StandardAlarmTuning(SpecModel):
    """Tune or turn off one standard alarm."""

    enabled: bool = Field(True, description="`false` turns this standard alarm off for every resource.",
                          examples=[False])
    threshold: float | None = Field(None, description="Overrides the default threshold (see the table in "
                                    "docs/spec-language.md).",
                                    examples=[1500])
    period: Period | None = Field(None, description="Overrides the default period.", examples=[300])
    evaluation_periods: int | None = Field(None, ge=1, le=100, description="Overrides the default.", examples=[3])


@dataclass(frozen=True)
class Standard:
    section: str
    metric: str
    statistic: str
    operator: str
    threshold: float
    description: str
    namespace_override: str | None = None


STANDARD_ALARMS: dict[str, Standard] = {
    "function_errors": Standard("functions", "Errors", "Sum", ">", 0, "the function returned errors"),
    "function_throttles": Standard("functions", "Throttles", "Sum", ">", 0, "invocations were throttled"),
    "function_duration": Standard("functions", "Duration", "Maximum", ">", 0.8,
                                  "an invocation ran longer than this fraction of the timeout"),
    "dlq_depth": Standard("functions", "ApproximateNumberOfMessagesVisible", "Maximum", ">", 0,
                          "failed events are waiting in the dead-letter queue", "AWS/SQS"),
    "queue_dlq_depth": Standard("queues", "ApproximateNumberOfMessagesVisible", "Maximum", ">", 0,
                                "messages that kept failing wait in the queue's dead-letter queue", "AWS/SQS"),
    "queue_message_age": Standard("queues", "ApproximateAgeOfOldestMessage", "Maximum", ">", 900,
                                  "the oldest message has waited longer than this many seconds"),
    "api_5xx": Standard("api", "5XXError", "Sum", ">", 0, "the API returned server errors"),
    "api_4xx": Standard("api", "4XXError", "Average", ">", 0.05, "more than this fraction of requests were refused"),
    "api_latency": Standard("api", "Latency", "p99", ">", 2000, "p99 latency in milliseconds"),
    "table_read_throttles": Standard("tables", "ReadThrottleEvents", "Sum", ">", 0, "reads were throttled"),
    "table_write_throttles": Standard("tables", "WriteThrottleEvents", "Sum", ">", 0, "writes were throttled"),
    "workflow_failures": Standard("workflows", "ExecutionsFailed", "Sum", ">", 0, "executions failed"),
    "workflow_timeouts": Standard("workflows", "ExecutionsTimedOut", "Sum", ">", 0, "executions timed out"),
}


class MonitoringSpec(SpecModel):
    """Standard alarms for every function, dead-letter queue, API and table."""

    notify: Name | None = Field(None, description="Topic (from `topics`) every alarm notifies unless it names another.",
                                examples=["alerts"])
    standard_alarms: dict[Literal[tuple(STANDARD_ALARMS)], StandardAlarmTuning] = Field(  # type: ignore[valid-type]
        default_factory=dict, description="Tune or turn off standard alarms by id.",
        examples=[{"api_latency": {"threshold": 1500}, "function_throttles": {"enabled": False}}])
    dashboard: bool = Field(False, description="A CloudWatch dashboard for the service in each region: a widget per "
                            "key metric of its API, functions, tables, queues, workflows and topics.", examples=[True])


def _alarm(ctx: BuildContext, alarm_id: str, name: str, description: str, namespace: str, metric: str,
           dimensions: list[tuple[str, Any]], statistic: str, operator: str, threshold: float, period: int,
           evaluation_periods: int, missing: str, notify: str | None, origin: tuple[Any, ...]) -> None:
    alarm = cloudwatch.Alarm(
        alarm_id,
        AlarmName=name,
        AlarmDescription=description,
        Namespace=namespace,
        MetricName=metric,
        Dimensions=[cloudwatch.MetricDimension(Name=k, Value=v) for k, v in dimensions],
        ComparisonOperator=_OPERATORS[operator],
        Threshold=threshold,
        Period=period,
        EvaluationPeriods=evaluation_periods,
        TreatMissingData=missing,
    )
    if re.fullmatch(r"p[0-9]+(\.[0-9]+)?", statistic):
        alarm.ExtendedStatistic = statistic
    else:
        alarm.Statistic = statistic
    if notify:
        from specc.kinds.topics import topic_arn

        alarm.AlarmActions = [topic_arn(ctx, notify)]
        alarm.OKActions = [topic_arn(ctx, notify)]
    ctx.add(alarm, origin)


def build(ctx: BuildContext, name: str, spec: AlarmSpec) -> None:
    from specc.kinds import BY_SECTION

    if spec.logs is not None:
        _log_alarm(ctx, name, spec)
        return
    assert spec.metric is not None  # one of the two, by the model
    parts = spec.metric.split(".")
    section, target, metric = ("api", "api", parts[1]) if parts[0] == "api" else parts
    if section == "api":
        from specc.kinds.api import metric_name

        metric = metric_name(ctx, metric)
    kind = BY_SECTION[section]
    assert kind.metrics is not None  # checked before building
    operator, value = re.fullmatch(THRESHOLD_PATTERN, spec.threshold).groups()  # type: ignore[union-attr]
    _alarm(ctx, logical_id(name, "Alarm"), ctx.physical(name), spec.description or f"{spec.metric} {spec.threshold}",
           kind.metrics.namespace, metric, kind.metrics.dimensions_for(ctx, target, metric), spec.statistic, operator,
           float(value), spec.period, spec.evaluation_periods, spec.missing_data,
           spec.notify or ctx.spec.monitoring.notify, ("alarms", name))


def _log_alarm(ctx: BuildContext, name: str, spec: AlarmSpec) -> None:
    from specc.build.metric_filters import add_metric_filter, namespace

    assert spec.logs is not None
    metric = camel(name)
    add_metric_filter(ctx, logical_id(name, "MetricFilter"), Ref(logical_id(spec.logs.function, "LogGroup")),
                      spec.logs.pattern, metric, ("alarms", name, "logs"))
    operator, value = re.fullmatch(THRESHOLD_PATTERN, spec.threshold).groups()  # type: ignore[union-attr]
    _alarm(ctx, logical_id(name, "Alarm"), ctx.physical(name),
           spec.description or f"{spec.logs.function} log lines matching {spec.logs.pattern} {spec.threshold}",
           namespace(ctx.spec), metric, [], spec.statistic, operator, float(value), spec.period,
           spec.evaluation_periods, spec.missing_data, spec.notify or ctx.spec.monitoring.notify, ("alarms", name))


def build_standard(ctx: BuildContext) -> None:
    """Standard alarms for every resource that has them; called once by the alarms kind."""
    from specc.kinds import BY_SECTION
    from specc.kinds.api import effective, metric_name
    from specc.kinds.functions import has_own_queue

    monitoring = ctx.spec.monitoring
    for alarm_key, standard in STANDARD_ALARMS.items():
        tuning = monitoring.standard_alarms.get(alarm_key, StandardAlarmTuning())
        if not tuning.enabled:
            continue
        if standard.section == "api":
            targets = ["api"] if effective(ctx) else []
        else:
            targets = sorted(name for name, entry in getattr(ctx.spec, standard.section).items()
                             if getattr(entry, "existing", None) is None)  # an existing entry's alarms are its owner's
        for target in targets:
            threshold = tuning.threshold if tuning.threshold is not None else standard.threshold
            namespace, dimensions = _where(ctx, BY_SECTION[standard.section], standard, target)
            if alarm_key == "dlq_depth" and not has_own_queue(ctx.spec.functions[target]):
                continue
            if alarm_key == "function_duration":
                threshold = round(threshold * ctx.spec.functions[target].timeout * 1000)
            entry = "" if target == "api" else f"{target}-"
            _alarm(ctx, f"{'' if target == 'api' else camel(target)}{camel(alarm_key)}Alarm",
                   f"{ctx.spec.service}-{entry}{alarm_key}-{ctx.spec.environment}".replace("_", "-"),
                   f"{target}: {standard.description} ({alarm_key})", namespace,
                   metric_name(ctx, standard.metric) if target == "api" else standard.metric, dimensions,
                   standard.statistic, standard.operator, threshold, tuning.period or 60,
                   tuning.evaluation_periods or 1, "notBreaching", monitoring.notify,
                   ("monitoring",) if target == "api" else (standard.section, target))


def _where(ctx: BuildContext, kind: Kind, standard: Standard, target: str) -> tuple[str, list[tuple[str, Any]]]:
    if standard.namespace_override == "AWS/SQS":
        return "AWS/SQS", [("QueueName", f"{ctx.physical(target)}-dlq")]
    assert kind.metrics is not None
    return kind.metrics.namespace, kind.metrics.dimensions_for(ctx, target, standard.metric)


def references(name: str, spec: AlarmSpec) -> list[Reference]:
    refs = []
    if spec.logs is not None:
        refs.append(Reference(("alarms", name, "logs", "function"), "functions", spec.logs.function, relation="reads"))
    if spec.metric and not spec.metric.startswith("api."):
        parts = spec.metric.split(".")
        refs.append(Reference(("alarms", name, "metric"), parts[0], parts[1], relation="watches"))
    if spec.notify:
        refs.append(Reference(("alarms", name, "notify"), "topics", spec.notify, relation="notifies"))
    return refs


def names(spec: Any, name: str, entry: AlarmSpec) -> list[NameRule]:
    return [NameRule("alarm name", spec.physical(name), 255)]


KIND = Kind(
    section="alarms",
    singular="alarm",
    model=AlarmSpec,
    description="Explicit CloudWatch alarms on any declared resource's metric.",
    build=build,
    attributes={"arn": getatt_attribute("Alarm", "Arn", "ARN of the alarm"),
                "name": Attribute("name of the alarm", lambda ctx, name: ctx.physical(name))},
    references=references,
    names=names,
)


def build_monitoring(ctx: BuildContext, name: str, spec: MonitoringSpec) -> None:
    from specc.kinds.dashboard import build_dashboard

    build_standard(ctx)
    if spec.dashboard:
        build_dashboard(ctx, ("monitoring", "dashboard"))


def monitoring_references(name: str, spec: MonitoringSpec) -> list[Reference]:
    return [Reference(("monitoring", "notify"), "topics", spec.notify, relation="notifies")] if spec.notify else []


MONITORING = Kind(
    section="monitoring",
    singular="monitoring",
    model=MonitoringSpec,
    description="Standard alarms for every function, dead-letter queue, API and table, and where they notify.",
    build=build_monitoring,
    keyed=False,
    references=monitoring_references,
)
