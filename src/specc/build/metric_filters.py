"""Log metric filters: a pattern over a log group becomes a count metric that an alarm can watch.

One helper for every filter specc makes, so the security filters of `audit` (over the trail's log
group) and the log-pattern alarms of `alarms` (over a function's log group) share one namespace
and one shape.
"""

from __future__ import annotations

from typing import Any

from troposphere import logs

from specc.build.context import BuildContext


def namespace(spec: Any) -> str:
    """The CloudWatch namespace of a service's own metrics: `<service>/<environment>`."""
    return f"{spec.service}/{spec.environment}"


def add_metric_filter(ctx: BuildContext, filter_id: str, log_group_name: Any, pattern: str, metric: str,
                      origin: tuple[Any, ...], condition: str | None = None) -> None:
    """Count matching log events as `metric` (1 per match, 0 when nothing matched so alarms see data)."""
    metric_filter = logs.MetricFilter(
        filter_id,
        LogGroupName=log_group_name,
        FilterPattern=pattern,
        MetricTransformations=[logs.MetricTransformation(
            MetricNamespace=namespace(ctx.spec), MetricName=metric, MetricValue="1", DefaultValue=0)],
    )
    if condition:
        metric_filter.Condition = condition
    ctx.add(metric_filter, origin)
