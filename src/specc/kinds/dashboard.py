"""One CloudWatch dashboard per service and region: a widget per metric that matters, a line per entry.

Widgets come from the kinds' own `Metrics` (namespace and dimensions), so a section appears when the
spec has entries in it and its kind publishes the metric. The body is one `Fn::Sub` string: the
region and the physical names of resources (`${OrdersTable}`) are filled in by CloudFormation.
Dashboards are global to the account, so the name carries the region as well as the environment.
"""

from __future__ import annotations

import json
from typing import Any

from troposphere import AWSHelperFn, GetAtt, Ref, Sub, cloudwatch

from specc.build.context import BuildContext

# (metric, statistic) per section, in the order the widgets appear; metrics a kind does not publish are left out.
DASHBOARD_METRICS: dict[str, tuple[tuple[str, str], ...]] = {
    "api": (("Count", "Sum"), ("5XXError", "Sum"), ("4XXError", "Sum"), ("Latency", "p99")),
    "functions": (("Invocations", "Sum"), ("Errors", "Sum"), ("Throttles", "Sum"), ("Duration", "p99")),
    "tables": (("ConsumedReadCapacityUnits", "Sum"), ("ConsumedWriteCapacityUnits", "Sum"),
               ("ReadThrottleEvents", "Sum"), ("WriteThrottleEvents", "Sum")),
    "queues": (("ApproximateNumberOfMessagesVisible", "Maximum"), ("ApproximateAgeOfOldestMessage", "Maximum")),
    "workflows": (("ExecutionsStarted", "Sum"), ("ExecutionsFailed", "Sum"), ("ExecutionsTimedOut", "Sum")),
    "topics": (("NumberOfMessagesPublished", "Sum"), ("NumberOfNotificationsFailed", "Sum")),
}
WIDTH, HEIGHT, PERIOD = 12, 6, 300


def _published(ctx: BuildContext, section: str, metric: str) -> str:
    """The metric's name as its resource publishes it (an HTTP API says `5xx` where a REST API says `5XXError`)."""
    if section != "api":
        return metric
    from specc.kinds.api import metric_name

    return metric_name(ctx, metric)


def _sub_value(value: Any) -> str | None:
    """A dimension value as text inside the Sub body, or None when it cannot be written there."""
    if isinstance(value, str):
        return None if "${" in value else value
    if isinstance(value, Ref):
        return "${" + str(value.data["Ref"]) + "}"
    if isinstance(value, GetAtt):
        resource, attribute = value.data["Fn::GetAtt"]
        return "${" + f"{resource}.{attribute}" + "}"
    if isinstance(value, AWSHelperFn):
        return None
    return str(value)


def _targets(ctx: BuildContext, section: str) -> list[str]:
    if section == "api":
        from specc.kinds.api import effective

        return ["api"] if effective(ctx) else []
    return sorted(name for name, entry in (getattr(ctx.spec, section, None) or {}).items()
                  if getattr(entry, "existing", None) is None)  # the service's own resources


def widgets(ctx: BuildContext) -> list[dict[str, Any]]:
    from specc.kinds import BY_SECTION

    found: list[dict[str, Any]] = []
    for section, metrics in DASHBOARD_METRICS.items():
        kind = BY_SECTION.get(section)
        if kind is None or kind.metrics is None:
            continue
        targets = _targets(ctx, section)
        for metric, statistic in metrics:
            if metric not in kind.metrics.names or not targets:
                continue
            lines = []
            for target in targets:
                dimensions = [(n, _sub_value(v)) for n, v in kind.metrics.dimensions(ctx, target)]
                if any(v is None for _, v in dimensions):
                    continue
                line: list[Any] = [kind.metrics.namespace, _published(ctx, section, metric)]
                for name, value in dimensions:
                    line += [name, value]
                lines.append(line + [{"stat": statistic, "label": target}])
            if not lines:
                continue
            index = len(found)
            found.append({
                "type": "metric", "x": (index % 2) * WIDTH, "y": (index // 2) * HEIGHT, "width": WIDTH,
                "height": HEIGHT,
                "properties": {"title": f"{section}: {metric} ({statistic})", "region": "${AWS::Region}",
                               "view": "timeSeries", "stacked": False, "period": PERIOD, "metrics": lines},
            })
    return found


def build_dashboard(ctx: BuildContext, origin: tuple[Any, ...]) -> None:
    body = json.dumps({"widgets": widgets(ctx)}, sort_keys=True, separators=(",", ":"))
    ctx.add(cloudwatch.Dashboard(
        "ServiceDashboard",
        DashboardName=Sub(f"{ctx.spec.service}-{ctx.spec.environment}-${{AWS::Region}}"),
        DashboardBody=Sub(body),
    ), origin)
